"""Validate a JSON document as a canonical event, naming the field that is wrong."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from chalicelib.core.errors import InvalidEvent
from chalicelib.core.model import Action, CanonicalEvent, EventStatus, Link, Severity

MAX_SUMMARY = 1024
MAX_SOURCE = 255
MAX_DEDUP_KEY = 255
MAX_METRICS = 50
MAX_LINKS = 20
MAX_LABELS = 50
MAX_LABEL_VALUE = 255

_TYPE_PATTERN = re.compile(r"[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*")
_METRIC_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_E = TypeVar("_E", Action, Severity, EventStatus)
_FIELDS = frozenset(
    {
        "source",
        "type",
        "action",
        "severity",
        "status",
        "summary",
        "details",
        "metrics",
        "dedup_key",
        "occurred_at",
        "links",
        "labels",
    }
)


def is_event_type(text: str) -> bool:
    """``cyber.data_breach``: lower-case words separated by dots."""
    return len(text) <= 128 and _TYPE_PATTERN.fullmatch(text) is not None


def parse_event(document: Any) -> CanonicalEvent:
    """The canonical event in ``document``, or :class:`InvalidEvent` naming the bad field."""
    if not isinstance(document, Mapping):
        raise InvalidEvent("$", "the event must be a JSON object")
    unknown = sorted(set(document) - _FIELDS)
    if unknown:
        raise InvalidEvent(unknown[0], "unknown field")

    action = _enum(document, "action", Action, default=Action.TRIGGER)
    is_trigger = action is Action.TRIGGER
    dedup_key = _optional_text(document, "dedup_key", MAX_DEDUP_KEY)
    if not is_trigger and dedup_key is None:
        raise InvalidEvent("dedup_key", f"is required to {action.value} an incident")

    return CanonicalEvent(
        source=_text(document, "source", MAX_SOURCE),
        type=_event_type(document),
        action=action,
        severity=_enum(
            document, "severity", Severity, default=None if is_trigger else Severity.INFO
        ),
        status=_enum(document, "status", EventStatus, default=EventStatus.ACTUAL),
        summary=_text(document, "summary", MAX_SUMMARY)
        if is_trigger
        else _optional_text(document, "summary", MAX_SUMMARY) or "",
        details=_details(document),
        metrics=_metrics(document),
        dedup_key=dedup_key,
        occurred_at=_timestamp(document, "occurred_at"),
        links=_links(document),
        labels=_labels(document),
    )


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
    value = _text(document, "type", 128)
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


def _metrics(document: Mapping[str, Any]) -> dict[str, float]:
    value = document.get("metrics")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidEvent("metrics", f"must be an object of numbers, not {_json_type(value)}")
    if len(value) > MAX_METRICS:
        raise InvalidEvent("metrics", f"must have at most {MAX_METRICS} entries")
    metrics: dict[str, float] = {}
    for name, number in value.items():
        if not _METRIC_NAME.fullmatch(name):
            raise InvalidEvent(f"metrics.{name}", "name must be letters, digits and underscores")
        is_number = isinstance(number, int | float) and not isinstance(number, bool)
        if not is_number or not math.isfinite(number):
            raise InvalidEvent(f"metrics.{name}", f"must be a number, not {_json_type(number)}")
        metrics[name] = float(number)
    return metrics


def _labels(document: Mapping[str, Any]) -> dict[str, str]:
    value = document.get("labels")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidEvent("labels", f"must be an object of strings, not {_json_type(value)}")
    if len(value) > MAX_LABELS:
        raise InvalidEvent("labels", f"must have at most {MAX_LABELS} entries")
    labels: dict[str, str] = {}
    for name, text in value.items():
        if not _METRIC_NAME.fullmatch(name):
            raise InvalidEvent(f"labels.{name}", "name must be letters, digits and underscores")
        if not isinstance(text, str):
            raise InvalidEvent(f"labels.{name}", f"must be a string, not {_json_type(text)}")
        if len(text) > MAX_LABEL_VALUE:
            raise InvalidEvent(f"labels.{name}", f"must be at most {MAX_LABEL_VALUE} characters")
        labels[name] = text
    return labels


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
    for index, item in enumerate(value):
        where = f"links[{index}]"
        if not isinstance(item, Mapping):
            raise InvalidEvent(where, "must be an object with 'href'")
        href = item.get("href")
        if not isinstance(href, str) or not href.startswith(("https://", "http://")):
            raise InvalidEvent(f"{where}.href", "must be an http(s) URL")
        text = item.get("text", "")
        if not isinstance(text, str):
            raise InvalidEvent(f"{where}.text", f"must be a string, not {_json_type(text)}")
        links.append(Link(href=href, text=text))
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
