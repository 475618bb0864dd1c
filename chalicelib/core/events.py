"""Validate a JSON document as a canonical event, naming every field that is wrong."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar

from chalicelib.core.errors import FieldProblem, InvalidEvent
from chalicelib.core.model import Action, CanonicalEvent, EventStatus, Link, Severity

MAX_SUMMARY = 1024
MAX_SOURCE = 255
MAX_TYPE = 128
MAX_DEDUP_KEY = 255
MAX_METRICS = 50
MAX_LINKS = 20
MAX_LABELS = 50
MAX_LABEL_VALUE = 255

_TYPE_PATTERN = re.compile(r"[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*")
_METRIC_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_E = TypeVar("_E", Action, Severity, EventStatus)
_T = TypeVar("_T")
# The JSON fields are the CanonicalEvent's, in the order problems with them are reported.
EVENT_FIELDS = tuple(field.name for field in fields(CanonicalEvent))


def is_event_type(text: str) -> bool:
    """``cyber.data_breach``: lower-case words separated by dots."""
    return len(text) <= MAX_TYPE and _TYPE_PATTERN.fullmatch(text) is not None


def parse_event(document: Any) -> CanonicalEvent:
    """The canonical event in ``document``, or one :class:`InvalidEvent` that names every bad
    field (unknown ones first, then in the order of :data:`EVENT_FIELDS`), so a caller fixes
    them all after one answer.

    ``severity`` and ``summary`` are required to trigger (the default action), ``dedup_key``
    to acknowledge or resolve; with an invalid ``action`` neither requirement is checked.
    """
    if not isinstance(document, Mapping):
        raise InvalidEvent("$", "the event must be a JSON object")
    problems = [FieldProblem(name, "unknown field") for name in sorted(set(document) - _KNOWN)]

    def read(parse: Callable[[], _T], default: _T) -> _T:
        try:
            return parse()
        except InvalidEvent as invalid:
            problems.extend(invalid.problems)
            return default

    source = read(lambda: _text(document, "source", MAX_SOURCE), "")
    event_type = read(lambda: _event_type(document), "")
    action = read(lambda: _enum(document, "action", Action, Action.TRIGGER), None)
    triggers = action is Action.TRIGGER
    answers = action is not None and not triggers
    severity = read(
        lambda: _enum(document, "severity", Severity, None if triggers else Severity.INFO),
        Severity.INFO,
    )
    status = read(lambda: _enum(document, "status", EventStatus, EventStatus.ACTUAL), None)
    summary = read(
        lambda: (
            _text(document, "summary", MAX_SUMMARY)
            if triggers
            else _optional_text(document, "summary", MAX_SUMMARY) or ""
        ),
        "",
    )
    details: dict[str, Any] = read(lambda: _details(document), {})
    metrics: dict[str, float] = read(lambda: _metrics(document), {})
    dedup_key = read(lambda: _optional_text(document, "dedup_key", MAX_DEDUP_KEY), None)
    if answers and document.get("dedup_key") is None:
        assert action is not None
        problems.append(FieldProblem("dedup_key", f"is required to {action.value} an incident"))
    occurred_at = read(lambda: _timestamp(document, "occurred_at"), None)
    links: tuple[Link, ...] = read(lambda: _links(document), ())
    labels: dict[str, str] = read(lambda: _labels(document), {})
    if problems:
        raise InvalidEvent.of(problems)
    assert action is not None and status is not None
    return CanonicalEvent(
        source=source,
        type=event_type,
        action=action,
        severity=severity,
        status=status,
        summary=summary,
        details=details,
        metrics=metrics,
        dedup_key=dedup_key,
        occurred_at=occurred_at,
        links=links,
        labels=labels,
    )


_KNOWN = frozenset(EVENT_FIELDS)


def _text(document: Mapping[str, Any], name: str, limit: int) -> str:
    value = _optional_text(document, name, limit)
    if value is None:
        raise InvalidEvent(name, "is required")
    return value


def _optional_text(document: Mapping[str, Any], name: str, limit: int) -> str | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidEvent(name, f"must be a string, not {_json_type(value)}")
    value = value.strip()
    if not value:
        raise InvalidEvent(name, "must not be empty")
    if len(value) > limit:
        raise InvalidEvent(name, f"must be at most {limit} characters, not {len(value)}")
    return value


def _event_type(document: Mapping[str, Any]) -> str:
    value = _text(document, "type", MAX_TYPE)
    if not _TYPE_PATTERN.fullmatch(value):
        raise InvalidEvent(
            "type", "must be lower-case words separated by dots, such as 'cyber.data_breach'"
        )
    return value


def _enum(document: Mapping[str, Any], name: str, kind: type[_E], default: _E | None) -> _E:
    value = document.get(name)
    if value is None:
        if default is None:
            raise InvalidEvent(name, "is required")
        return default
    allowed = ", ".join(member.value for member in kind)
    if not isinstance(value, str):
        raise InvalidEvent(name, f"must be one of {allowed}; got {_json_type(value)}")
    try:
        return kind(value.strip().lower())
    except ValueError:
        raise InvalidEvent(name, f"must be one of {allowed}; got {value!r}") from None


def _details(document: Mapping[str, Any]) -> dict[str, Any]:
    value = document.get("details")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidEvent("details", f"must be an object, not {_json_type(value)}")
    return dict(value)


def _entries(document: Mapping[str, Any], name: str, limit: int, of: str) -> Mapping[str, Any]:
    value = document.get(name)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidEvent(name, f"must be an object of {of}, not {_json_type(value)}")
    if len(value) > limit:
        raise InvalidEvent(name, f"must have at most {limit} entries")
    return value


def _metrics(document: Mapping[str, Any]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    problems: list[FieldProblem] = []
    for name, number in _entries(document, "metrics", MAX_METRICS, "numbers").items():
        is_number = isinstance(number, int | float) and not isinstance(number, bool)
        if not _METRIC_NAME.fullmatch(name):
            problems.append(FieldProblem(f"metrics.{name}", _BAD_NAME))
        elif not is_number or not math.isfinite(number):
            problems.append(
                FieldProblem(f"metrics.{name}", f"must be a number, not {_json_type(number)}")
            )
        else:
            metrics[name] = float(number)
    if problems:
        raise InvalidEvent.of(problems)
    return metrics


def _labels(document: Mapping[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = {}
    problems: list[FieldProblem] = []
    for name, text in _entries(document, "labels", MAX_LABELS, "strings").items():
        where = f"labels.{name}"
        if not _METRIC_NAME.fullmatch(name):
            problems.append(FieldProblem(where, _BAD_NAME))
        elif not isinstance(text, str):
            problems.append(FieldProblem(where, f"must be a string, not {_json_type(text)}"))
        elif len(text) > MAX_LABEL_VALUE:
            problems.append(FieldProblem(where, f"must be at most {MAX_LABEL_VALUE} characters"))
        else:
            labels[name] = text
    if problems:
        raise InvalidEvent.of(problems)
    return labels


_BAD_NAME = "name must be letters, digits and underscores (at most 64, not starting with a digit)"


def _timestamp(document: Mapping[str, Any], name: str) -> datetime | None:
    value = document.get(name)
    return None if value is None else read_timestamp(value, name)


def read_timestamp(value: Any, name: str) -> datetime:
    """An ISO 8601 date-time with a time zone offset; InvalidEvent naming ``name`` if not."""
    if not isinstance(value, str):
        raise InvalidEvent(name, f"must be an ISO 8601 string, not {_json_type(value)}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidEvent(name, f"is not an ISO 8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise InvalidEvent(name, "must include a time zone offset, such as 'Z' or '+02:00'")
    return parsed


def _links(document: Mapping[str, Any]) -> tuple[Link, ...]:
    value = document.get("links")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidEvent("links", f"must be a list, not {_json_type(value)}")
    if len(value) > MAX_LINKS:
        raise InvalidEvent("links", f"must have at most {MAX_LINKS} entries")
    links = []
    problems: list[FieldProblem] = []
    for index, item in enumerate(value):
        where = f"links[{index}]"
        if not isinstance(item, Mapping):
            problems.append(FieldProblem(where, "must be an object with 'href'"))
            continue
        href, text = item.get("href"), item.get("text", "")
        if not isinstance(href, str) or not href.startswith(("https://", "http://")):
            problems.append(FieldProblem(f"{where}.href", "must be an http(s) URL"))
        if not isinstance(text, str):
            problems.append(
                FieldProblem(f"{where}.text", f"must be a string, not {_json_type(text)}")
            )
        elif isinstance(href, str):
            links.append(Link(href=href, text=text))
    if problems:
        raise InvalidEvent.of(problems)
    return tuple(links)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def event_to_document(event: CanonicalEvent) -> dict[str, Any]:
    """The JSON form of ``event``; :func:`parse_event` reads it back unchanged."""
    document: dict[str, Any] = {
        "source": event.source,
        "type": event.type,
        "action": event.action.value,
        "severity": event.severity.value,
        "status": event.status.value,
        "details": event.details,
        "metrics": event.metrics,
    }
    if event.summary:
        document["summary"] = event.summary
    if event.dedup_key is not None:
        document["dedup_key"] = event.dedup_key
    if event.occurred_at is not None:
        document["occurred_at"] = event.occurred_at.isoformat()
    if event.labels:
        document["labels"] = event.labels
    if event.links:
        document["links"] = [{"href": link.href, "text": link.text} for link in event.links]
    return document
