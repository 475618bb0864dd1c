"""Each foreign format maps onto the canonical event, and a wrong payload names its field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.core.errors import InvalidEvent
from chalicelib.core.events import parse_event
from chalicelib.core.model import Action, EventStatus, Severity
from chalicelib.integrations.alertmanager import from_alertmanager
from chalicelib.integrations.aws import from_eventbridge, from_sns_alarm
from chalicelib.integrations.cap import from_cap, parse_cap_xml
from chalicelib.integrations.common import IntegrationDefaults
from chalicelib.integrations.grafana import from_grafana
from chalicelib.integrations.opsgenie import from_opsgenie
from chalicelib.integrations.pagerduty import from_pagerduty
from tests.conftest import EVENTS, load_event

DEFAULTS = IntegrationDefaults(event_type="it.alert")


def canonical(documents: list[dict[str, Any]]) -> list[Any]:
    return [parse_event(document) for document in documents]


def test_alertmanager_maps_each_alert_of_the_group() -> None:
    first, second = canonical(from_alertmanager(load_event("alertmanager-firing.json"), DEFAULTS))
    assert (first.action, first.severity, first.type) == (
        Action.TRIGGER,
        Severity.CRITICAL,
        "it.outage",
    )  # tocsin_type label
    assert first.summary == "Primary database is down"
    assert first.dedup_key == "alertmanager:5a1b2c3d4e5f6a7b"
    assert first.source == "alertmanager:postgres"
    assert [link.text for link in first.links] == ["source", "runbook"]
    assert (second.severity, second.type, second.summary) == (
        Severity.MEDIUM,
        "it.alert",
        "Replica is down",
    )


def test_alertmanager_resolved_resolves_the_same_keys() -> None:
    firing = canonical(from_alertmanager(load_event("alertmanager-firing.json"), DEFAULTS))
    resolved = canonical(from_alertmanager(load_event("alertmanager-resolved.json"), DEFAULTS))
    assert [e.action for e in resolved] == [Action.RESOLVE, Action.RESOLVE]
    assert [e.dedup_key for e in resolved] == [e.dedup_key for e in firing]


def test_alertmanager_without_fingerprint_keys_on_the_label_set() -> None:
    payload = load_event("alertmanager-firing.json")
    for alert in payload["alerts"]:
        del alert["fingerprint"]
    keys = [e.dedup_key for e in canonical(from_alertmanager(payload, DEFAULTS))]
    again = [e.dedup_key for e in canonical(from_alertmanager(payload, DEFAULTS))]
    assert keys == again and len(set(keys)) == 2


def test_grafana_unified_alerting_carries_its_values_as_metrics() -> None:
    [event] = canonical(from_grafana(load_event("grafana-unified.json"), DEFAULTS))
    assert event.metrics == {"B": 7.25, "C": 1.0}
    assert event.dedup_key == "grafana:f00dfeedcafe0001"


def test_grafana_legacy_alerts_are_keyed_by_rule() -> None:
    [event] = canonical(from_grafana(load_event("grafana-legacy.json"), DEFAULTS))
    assert (event.action, event.dedup_key) == (Action.TRIGGER, "grafana:rule:42")
    assert event.metrics == {"queue_depth": 512.0}
    ok = {**load_event("grafana-legacy.json"), "state": "ok"}
    assert canonical(from_grafana(ok, DEFAULTS))[0].action is Action.RESOLVE


def test_pagerduty_trigger_acknowledge_and_resolve() -> None:
    [trigger] = canonical(from_pagerduty(load_event("pagerduty-trigger.json"), DEFAULTS))
    assert (trigger.severity, trigger.source, trigger.dedup_key) == (
        Severity.HIGH,
        "api-gw.example.com",
        "payments/api-latency",
    )
    assert trigger.occurred_at is not None and trigger.occurred_at.utcoffset() is not None
    for name, action in [
        ("pagerduty-acknowledge.json", Action.ACKNOWLEDGE),
        ("pagerduty-resolve.json", Action.RESOLVE),
    ]:
        [event] = canonical(from_pagerduty(load_event(name), DEFAULTS))
        assert (event.action, event.dedup_key) == (action, "payments/api-latency")


def test_opsgenie_alias_is_the_dedup_key_and_priority_the_severity() -> None:
    [event] = canonical(from_opsgenie(load_event("opsgenie-create.json"), DEFAULTS))
    assert (event.severity, event.type) == (Severity.HIGH, "supply.disruption")
    assert event.dedup_key == "opsgenie:warehouse-7/conveyor"


def test_cap_alert_exercise_and_cancel() -> None:
    [alert] = canonical(
        from_cap(parse_cap_xml((EVENTS / "cap-earthquake-alert.xml").read_bytes()), DEFAULTS)
    )
    assert (alert.type, alert.severity, alert.status) == (
        "natural.earthquake",
        Severity.HIGH,
        EventStatus.ACTUAL,
    )
    assert alert.metrics == {"Magnitude": 6.1}
    assert alert.dedup_key == "cap:alerts@seismic.example.com:EQ-2026-1123-0001"
    [drill] = canonical(
        from_cap(parse_cap_xml((EVENTS / "cap-earthquake-exercise.xml").read_bytes()), DEFAULTS)
    )
    assert drill.status is EventStatus.EXERCISE
    [cancel] = canonical(
        from_cap(parse_cap_xml((EVENTS / "cap-earthquake-cancel.xml").read_bytes()), DEFAULTS)
    )
    assert (cancel.action, cancel.dedup_key) == (Action.RESOLVE, alert.dedup_key)


def test_cap_with_an_entity_declaration_is_refused_before_parsing() -> None:
    with pytest.raises(InvalidEvent, match="document type declaration is refused"):
        parse_cap_xml((EVENTS / "cap-entity-attack.xml").read_bytes())


@pytest.mark.parametrize(
    "xml",
    [b"<alert", b"<other xmlns='x'/>", b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'/>"],
)
def test_cap_that_is_not_cap_is_refused(xml: bytes) -> None:
    with pytest.raises(InvalidEvent):
        from_cap(parse_cap_xml(xml), DEFAULTS)


def test_cap_drafts_are_not_actionable() -> None:
    draft = (EVENTS / "cap-earthquake-alert.xml").read_bytes().replace(b"Actual", b"Draft")
    with pytest.raises(InvalidEvent, match="not actionable"):
        from_cap(parse_cap_xml(draft), DEFAULTS)


def test_cloudwatch_alarm_through_eventbridge_and_sns_share_one_incident_key() -> None:
    [alarm] = canonical(from_eventbridge(load_event("eventbridge-alarm.json"), DEFAULTS))
    [ok] = canonical(from_eventbridge(load_event("eventbridge-alarm-ok.json"), DEFAULTS))
    [via_sns] = canonical(from_sns_alarm(load_event("sns-alarm.json")["Message"], DEFAULTS))
    assert (alarm.action, ok.action, via_sns.action) == (
        Action.TRIGGER,
        Action.RESOLVE,
        Action.TRIGGER,
    )
    assert alarm.dedup_key == ok.dedup_key == via_sns.dedup_key
    assert alarm.metrics == {"value": 42.0, "threshold": 10.0}


def test_insufficient_data_changes_nothing() -> None:
    payload = load_event("eventbridge-alarm.json")
    payload["detail"]["state"]["value"] = "INSUFFICIENT_DATA"
    assert from_eventbridge(payload, DEFAULTS) == []
    message = json.loads(load_event("sns-alarm.json")["Message"])
    assert (
        from_sns_alarm(json.dumps({**message, "NewStateValue": "INSUFFICIENT_DATA"}), DEFAULTS)
        == []
    )


@pytest.mark.parametrize(
    ("fixture", "severity", "type_"),
    [
        ("eventbridge-guardduty.json", Severity.HIGH, "cyber.threat_detection"),
        ("eventbridge-securityhub.json", Severity.CRITICAL, "cyber.security_finding"),
        ("eventbridge-health.json", Severity.HIGH, "it.cloud_provider"),
    ],
)
def test_aws_findings_and_health_events(fixture: str, severity: Severity, type_: str) -> None:
    [event] = canonical(from_eventbridge(load_event(fixture), DEFAULTS))
    assert (event.severity, event.type, event.action) == (severity, type_, Action.TRIGGER)


def test_a_resolved_security_hub_finding_resolves() -> None:
    payload = load_event("eventbridge-securityhub.json")
    payload["detail"]["findings"][0]["Workflow"]["Status"] = "RESOLVED"
    assert canonical(from_eventbridge(payload, DEFAULTS))[0].action is Action.RESOLVE


@pytest.mark.parametrize(
    ("adapter", "payload", "field"),
    [
        (from_alertmanager, {"alerts": []}, "alerts"),
        (from_alertmanager, {"alerts": [{"status": "pending"}]}, "alerts[0].status"),
        (
            from_alertmanager,
            {"alerts": [{"status": "firing", "labels": {"x": {"y": 1}}}]},
            "alerts[0].labels.x",
        ),
        (from_grafana, {"state": "paused", "ruleId": 1}, "state"),
        (from_pagerduty, {"event_action": "explode"}, "event_action"),
        (from_pagerduty, {"event_action": "resolve"}, "dedup_key"),
        (
            from_pagerduty,
            {
                "event_action": "trigger",
                "payload": {"summary": "s", "source": "x", "severity": "bad"},
            },
            "payload.severity",
        ),
        (
            from_pagerduty,
            {"event_action": "trigger", "payload": {"severity": "info", "source": "x"}},
            "payload.summary",
        ),
        (
            from_pagerduty,
            {
                "event_action": "trigger",
                "payload": {
                    "severity": "info",
                    "source": "x",
                    "summary": "s",
                    "timestamp": "yesterday",
                },
            },
            "payload.timestamp",
        ),
        (from_opsgenie, {"priority": "P1"}, "message"),
        (from_opsgenie, {"message": "m", "priority": "P9"}, "priority"),
        (from_opsgenie, {"message": "m" * 131}, "message"),
        (from_eventbridge, {"detail-type": "Something Else", "detail": {}}, "detail-type"),
    ],
)
def test_a_wrong_payload_names_the_foreign_field(adapter: Any, payload: Any, field: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        adapter(payload, DEFAULTS)
    assert caught.value.field == field
