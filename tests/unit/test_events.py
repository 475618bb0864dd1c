"""The canonical event: what is accepted, and a precise error for everything that is not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.core.errors import InvalidEvent
from chalicelib.core.events import event_to_document, parse_event
from chalicelib.core.model import Action, EventStatus, Severity

VALID: dict[str, Any] = {
    "source": "soc.example.com",
    "type": "cyber.data_breach",
    "severity": "critical",
    "summary": "Customer records exposed",
    "metrics": {"affected_people": 1200},
}


def test_a_minimal_trigger_gets_sensible_defaults() -> None:
    event = parse_event(VALID)
    assert event.action is Action.TRIGGER
    assert event.status is EventStatus.ACTUAL
    assert event.severity is Severity.CRITICAL
    assert event.metrics == {"affected_people": 1200.0}
    assert event.dedup_key is None


def test_round_trips_through_its_json_form() -> None:
    event = parse_event(
        {
            **VALID,
            "dedup_key": "k1",
            "occurred_at": "2026-11-23T08:00:00Z",
            "links": [{"href": "https://status.example.com", "text": "status"}],
            "details": {"system": "crm"},
            "status": "exercise",
        }
    )
    assert parse_event(event_to_document(event)) == event
    assert event.occurred_at == datetime(2026, 11, 23, 8, tzinfo=UTC)


def test_resolve_needs_only_source_type_and_dedup_key() -> None:
    event = parse_event(
        {"source": "s", "type": "it.outage", "action": "resolve", "dedup_key": "db-1"}
    )
    assert event.action is Action.RESOLVE
    assert event.summary == ""


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {"severity": "apocalyptic"},
            "severity",
            "must be one of info, low, medium, high, critical",
        ),
        ({"severity": 5}, "severity", "got a number"),
        ({"severity": None}, "severity", "is required"),
        ({"summary": ""}, "summary", "must not be empty"),
        ({"summary": 42}, "summary", "must be a string, not a number"),
        ({"summary": "x" * 1025}, "summary", "at most 1024"),
        ({"source": None}, "source", "is required"),
        ({"type": "Cyber Breach"}, "type", "lower-case words separated by dots"),
        ({"action": "explode"}, "action", "must be one of trigger, acknowledge, resolve"),
        ({"status": "maybe"}, "status", "must be one of actual, exercise, test"),
        ({"metrics": {"affected_people": "many"}}, "metrics.affected_people", "must be a number"),
        ({"metrics": {"affected_people": True}}, "metrics.affected_people", "not a boolean"),
        ({"metrics": [1, 2]}, "metrics", "must be an object of numbers"),
        ({"metrics": {"bad name": 1}}, "metrics.bad name", "letters, digits and underscores"),
        ({"details": "text"}, "details", "must be an object"),
        ({"occurred_at": "yesterday"}, "occurred_at", "not an ISO 8601 timestamp"),
        ({"occurred_at": "2026-11-23T08:00:00"}, "occurred_at", "time zone offset"),
        ({"links": [{"href": "ftp://x"}]}, "links[0].href", "http(s) URL"),
        ({"links": "https://x"}, "links", "must be a list"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"action": "resolve"}, "dedup_key", "required to resolve"),
    ],
)
def test_each_bad_field_is_named(change: dict[str, Any], field: str, words: str) -> None:
    document = {**VALID, **change}
    with pytest.raises(InvalidEvent) as caught:
        parse_event(document)
    assert caught.value.field == field
    assert words in caught.value.message


@pytest.mark.parametrize("document", [[], "text", 3, None])
def test_a_document_that_is_not_an_object_is_refused(document: Any) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_event(document)
    assert caught.value.field == "$"


def test_every_bad_field_is_named_in_one_error_unknown_ones_first() -> None:
    document = {
        "sevrity": "high",
        "source": 7,
        "type": "it.outage",
        "summary": "   ",
        "metrics": {"errors": "many", "latency": True, "ok": 1},
        "links": [{"href": "ftp://files.example.com"}, {"href": "https://x.example.com"}],
    }
    with pytest.raises(InvalidEvent) as caught:
        parse_event(document)
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("sevrity", "unknown field"),
        ("source", "must be a string, not a number"),
        ("severity", "is required"),
        ("summary", "must not be empty"),
        ("metrics.errors", "must be a number, not a string"),
        ("metrics.latency", "must be a number, not a boolean"),
        ("links[0].href", "must be an http(s) URL"),
    ]
    assert (caught.value.field, caught.value.message) == ("sevrity", "unknown field")


def test_an_invalid_action_adds_no_requirement_that_depends_on_the_action() -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_event({"source": "s", "type": "it.outage", "action": "explode"})
    assert [p.field for p in caught.value.problems] == ["action"]
