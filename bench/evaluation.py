"""Activation: microseconds to evaluate one event against a playbook of many rules.

    python -m bench.evaluation [--rules 1000] [--events 2000] [--runs 5]

The rules are generated to look like a large organisation's: distinct event types in families,
sources with wildcards, labels, threshold conditions and condition trees, and office-hours
windows. Events are a mix: one that matches the last rule (every rule is visited), near misses,
and types no rule covers. Pure CPU (no storage): the figure the evaluator adds per event.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from chalicelib.core.activation.decide import evaluate
from chalicelib.core.events import parse_event
from chalicelib.core.model import CanonicalEvent
from chalicelib.core.playbook.document import Playbook, parse_playbook

FAMILIES = ("cyber", "it", "natural", "health", "supply", "reputation", "safety", "facility")
AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def playbook_of(size: int, seed: int = 7) -> Playbook:
    chance = random.Random(seed)
    rules: list[dict[str, Any]] = []
    for number in range(size):
        family = FAMILIES[number % len(FAMILIES)]
        rule: dict[str, Any] = {
            "id": f"rule-{number:05d}",
            "match": {
                "types": [f"{family}.kind{number}", f"{family}.alt{number}"],
                "min_severity": chance.choice(["medium", "high", "critical"]),
                "sources": [f"source-{number % 50}*"],
                "labels": {"env": ["prod", "production"]},
            },
            "plan": "p",
        }
        if number % 3 == 0:
            rule["conditions"] = [{"metric": "affected_people", "op": ">=", "value": number}]
        if number % 5 == 0:
            rule["conditions"] = {
                "any": [
                    {"metric": "affected_people", "op": ">=", "value": 500},
                    {"not": {"metric": "contained", "op": "==", "value": 1}},
                ]
            }
        if number % 7 == 0:
            rule["active"] = {
                "timezone": "Europe/Copenhagen",
                "windows": [{"days": ["weekdays"], "from": "08:00", "to": "18:00"}],
            }
        rules.append(rule)
    return parse_playbook(
        {
            "roles": [{"id": "r"}],
            "plans": [{"id": "p", "title": "P", "notify": [{"role": "r", "channels": ["sms"]}]}],
            "rules": rules,
        }
    )


def events_for(size: int, count: int, seed: int = 11) -> list[CanonicalEvent]:
    chance = random.Random(seed)
    events = []
    for index in range(count):
        target = chance.randrange(size)
        family = FAMILIES[target % len(FAMILIES)]
        kind = index % 3
        event_type = (
            f"{family}.kind{size - 1 if kind == 0 else target}" if kind < 2 else "unknown.type"
        )
        events.append(
            parse_event(
                {
                    "source": f"source-{target % 50}-x",
                    "type": event_type,
                    "severity": chance.choice(["low", "high", "critical"]),
                    "summary": "bench",
                    "labels": {"env": "prod"},
                    "metrics": {"affected_people": chance.randrange(2000)},
                }
            )
        )
    return events


def measure(rules: int, events: int, runs: int) -> dict[str, Any]:
    playbook = playbook_of(rules)
    sample = events_for(rules, events)
    per_event = []
    activated = 0
    for _ in range(runs):
        started = time.perf_counter()
        activated = sum(evaluate(event, playbook, AT).activate for event in sample)
        per_event.append((time.perf_counter() - started) / len(sample) * 1e6)
    return {
        "rules": rules,
        "events": events,
        "runs": runs,
        "median_us": round(statistics.median(per_event), 1),
        "best_us": round(min(per_event), 1),
        "activated_share": round(activated / len(sample), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    print(measure(arguments.rules, arguments.events, arguments.runs))


if __name__ == "__main__":
    main()
