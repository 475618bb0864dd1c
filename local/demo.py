"""``make demo``: start the stack, post a crisis, show who was reached and the timeline, stop.

Exits non-zero when the crisis does not reach anyone within the time limit.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
import urllib.request
from datetime import datetime
from typing import Any

from local.stack import PROJECT, LocalStack, free_port

DEMO_EVENT = PROJECT / "examples" / "events" / "demo.json"
CONTACTS = PROJECT / "examples" / "contacts.csv"
TIME_LIMIT = 60.0


def request(method: str, url: str, key: str, body: bytes | None = None) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    call = urllib.request.Request(url, data=body, method=method, headers=headers)
    with urllib.request.urlopen(call, timeout=10) as response:
        return json.load(response)


def wait_for(condition: Any, what: str, deadline: float) -> Any:
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"gave up waiting for {what}")


def main() -> int:
    started = time.monotonic()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # a readable demo; logs in .local/
    deadline = started + TIME_LIMIT
    with LocalStack(aws_port=free_port(), api_port=free_port(), quiet=True) as stack:
        key = os.environ.get("TOCSIN_LOCAL_API_KEY", "local-dev-key")
        accepted = request("POST", f"{stack.api_url}/v1/events", key, DEMO_EVENT.read_bytes())
        event_id = accepted["event_id"]
        print(f"Posted {DEMO_EVENT.relative_to(PROJECT)}: 202 Accepted, event {event_id}")
        decision = wait_for(
            lambda: _decided(request("GET", f"{stack.api_url}/v1/events/{event_id}", key)),
            "the decision",
            deadline,
        )
        print(f"Decision: {decision['status']} ({decision['reason']})")
        if decision["status"] != "activated":
            return 1
        incident_url = f"{stack.api_url}/v1/incidents/{decision['incident_id']}"
        incident = wait_for(
            lambda: _settled(request("GET", incident_url, key)), "every notification", deadline
        )
        outbox = stack.outbox()
    print_reached(incident, outbox)
    print_timeline(incident)
    sent = [e for e in incident["timeline"] if e["kind"] == "notification_sent"]
    received = datetime.fromisoformat(incident["timeline"][0]["at"])
    first = min(datetime.fromisoformat(entry["at"]) for entry in sent)
    last = max(datetime.fromisoformat(entry["at"]) for entry in sent)
    people = len({entry["data"]["contact_id"] for entry in sent})
    print(
        f"\nReached {people} people with {len(sent)} messages. "
        f"Trigger to first send: {(first - received).total_seconds() * 1000:.0f} ms; "
        f"to last: {(last - received).total_seconds() * 1000:.0f} ms. "
        f"Demo wall time: {time.monotonic() - started:.1f} s."
    )
    return 0 if people >= 3 else 1


def _decided(event: dict[str, Any]) -> dict[str, Any] | None:
    return event if event["status"] != "pending" else None


def _settled(incident: dict[str, Any]) -> dict[str, Any] | None:
    planned = next((e for e in incident["timeline"] if e["kind"] == "planned"), None)
    if planned is None:
        return None
    done = [
        e for e in incident["timeline"] if e["kind"] in ("notification_sent", "notification_failed")
    ]
    return incident if len(done) >= planned["data"]["jobs"] else None


def print_reached(incident: dict[str, Any], outbox: list[dict[str, Any]]) -> None:
    with CONTACTS.open(newline="", encoding="utf-8") as handle:
        people = {row["contact_id"]: row for row in csv.DictReader(handle)}
    by_message = {message["message_id"]: message for message in outbox}
    rows = [("Person", "Roles", "Channel", "Destination", "AWS message id")]
    for entry in incident["timeline"]:
        if entry["kind"] != "notification_sent":
            continue
        data = entry["data"]
        person = people.get(data["contact_id"], {})
        message = by_message.get(data["message_id"], {})
        rows.append(
            (
                person.get("name", data["contact_id"]),
                person.get("roles", ""),
                data["channel"],
                message.get("destination", "?"),
                data["message_id"][:20],
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    print(f"\nWho was reached ({incident['title'][:60]}...):")
    for index, row in enumerate(rows):
        print(
            "  "
            + "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        )
        if index == 0:
            print("  " + "  ".join("-" * width for width in widths))


def print_timeline(incident: dict[str, Any]) -> None:
    print(f"\nTimeline of {incident['incident_id']} ({incident['status']}):")
    for entry in incident["timeline"]:
        print(f"  {entry['at'][11:23]}  {entry['kind']:<20} {entry['summary']}")


if __name__ == "__main__":
    sys.exit(main())
