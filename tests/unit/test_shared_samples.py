"""Every real payload in ../shared/samples/events maps to valid canonical events.

Those files are written by the tools' authors (Prometheus, Grafana, PagerDuty, AWS, OASIS); the
check skips when the folder is not beside the project.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelib.core.events import parse_event
from chalicelib.integrations.alertmanager import from_alertmanager
from chalicelib.integrations.aws import from_eventbridge, from_sns_alarm
from chalicelib.integrations.cap import from_cap, parse_cap_xml
from chalicelib.integrations.common import IntegrationDefaults
from chalicelib.integrations.grafana import from_grafana
from chalicelib.integrations.opsgenie import from_opsgenie
from chalicelib.integrations.pagerduty import from_pagerduty
from tests.conftest import SHARED_SAMPLES

pytestmark = pytest.mark.skipif(not SHARED_SAMPLES.is_dir(), reason="../shared is not beside us")
DEFAULTS = IntegrationDefaults()


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _guardduty(path: Path) -> Any:
    detail = _json(path)
    return from_eventbridge(
        {
            "detail-type": "GuardDuty Finding",
            "source": "aws.guardduty",
            "account": detail["accountId"],
            "region": detail["region"],
            "detail": detail,
        },
        DEFAULTS,
    )


MAPPERS: dict[str, Callable[[Path], list[dict[str, Any]]]] = {
    "alertmanager-webhook-": lambda p: from_alertmanager(_json(p), DEFAULTS),
    "grafana-": lambda p: from_grafana(_json(p), DEFAULTS),
    "pagerduty-events-v2-": lambda p: from_pagerduty(_json(p), DEFAULTS),
    "opsgenie-create-alert": lambda p: from_opsgenie(_json(p), DEFAULTS),
    "cap-1.2-": lambda p: from_cap(parse_cap_xml(p.read_bytes()), DEFAULTS),
    "eventbridge-cloudwatch-alarm-": lambda p: from_eventbridge(_json(p), DEFAULTS),
    "eventbridge-securityhub-": lambda p: from_eventbridge(_json(p), DEFAULTS),
    "eventbridge-aws-health-": lambda p: from_eventbridge(_json(p), DEFAULTS),
    "eventbridge-guardduty-finding-detail": _guardduty,
    "sns-lambda-cloudwatch-alarm-": lambda p: from_sns_alarm(
        _json(p)["Records"][0]["Sns"]["Message"], DEFAULTS
    ),
}


def samples() -> list[tuple[str, Path]]:
    if not SHARED_SAMPLES.is_dir():
        return []
    return [
        (prefix, path)
        for path in sorted(SHARED_SAMPLES.iterdir())
        for prefix in MAPPERS
        if path.name.startswith(prefix)
    ]


@pytest.mark.parametrize(("prefix", "path"), samples(), ids=lambda v: getattr(v, "name", ""))
def test_every_real_sample_maps_to_valid_events(prefix: str, path: Path) -> None:
    events = [parse_event(document) for document in MAPPERS[prefix](path)]
    assert events, f"{path.name} produced no event"
    for event in events:
        assert event.summary or event.action.value != "trigger"
        assert event.dedup_key


def test_each_kind_of_sample_was_checked() -> None:
    checked = {prefix for prefix, _ in samples()}
    assert checked == set(MAPPERS)
