"""Helpers the adapters share: field checks that name the foreign path, and small mappings."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.core.errors import InvalidEvent

Document = dict[str, Any]
_TYPE = re.compile(r"[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*")
_METRIC = re.compile(r"[^A-Za-z0-9_]+")
_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")
TYPE_OVERRIDE = "tocsin_type"
STATUS_OVERRIDE = "tocsin_status"
SUMMARY_LIMIT = 1024


@dataclass(frozen=True)
class IntegrationDefaults:
    """Per integration key: what its events are when the payload does not say."""

    event_type: str = "it.alert"
    source: str | None = None


_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def mapping(value: Any, path: str, required: bool = True) -> Mapping[str, Any]:
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidEvent(path, "must be an object")
    return value


def items(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidEvent(path, "must be a list")
    return value


def text(value: Any, path: str, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise InvalidEvent(path, "is required")
        return None
    if not isinstance(value, str):
        raise InvalidEvent(path, "must be a string")
    return value.strip() or None


def string_map(value: Any, path: str) -> dict[str, str]:
    """Labels, tags, details: an object of strings (other scalars are turned into text)."""
    result = {}
    for key, item in mapping(value, path, required=False).items():
        if isinstance(item, Mapping | list):
            raise InvalidEvent(f"{path}.{key}", "must be a string")
        result[str(key)] = "" if item is None else str(item)
    return result


def event_labels(values: Mapping[str, str]) -> dict[str, str]:
    """The foreign labels or tags a rule can match on: those with a plain name and a short value.

    The others stay in ``details``, untouched; they are simply not matchable.
    """
    return {
        name: value
        for name, value in values.items()
        if _LABEL_NAME.fullmatch(name) and len(value) <= 255
    }


def summary(*candidates: str | None) -> str:
    for candidate in candidates:
        if candidate and candidate.strip():
            value = " ".join(candidate.split())
            return value if len(value) <= SUMMARY_LIMIT else value[: SUMMARY_LIMIT - 1] + "…"
    return "(no summary)"


def event_type(override: str | None, defaults: IntegrationDefaults) -> str:
    """The payload's ``tocsin_type`` when it is a valid type, else the integration's default."""
    if override and _TYPE.fullmatch(override.strip().lower()):
        return override.strip().lower()
    return defaults.event_type


def event_status(override: str | None) -> str:
    return override.lower() if override and override.lower() in ("exercise", "test") else "actual"


def slug(value: str, limit: int = 40) -> str:
    cleaned = re.sub(r"[^a-z0-9]+", "_", value.lower()).strip("_")
    return cleaned[:limit].strip("_") or "unknown"


def metric_name(value: str) -> str:
    name = _METRIC.sub("_", value).strip("_")[:64] or "value"
    return name if not name[0].isdigit() else f"m_{name}"[:64]


def timestamp(value: Any, path: str) -> str | None:
    """An ISO 8601 timestamp as the canonical event wants it; ``+0000`` offsets accepted."""
    raw = text(value, path)
    if raw is None or raw.startswith("0001-01-01"):  # Go's zero time: "not set"
        return None
    normalised = _OFFSET.sub(r"\1:\2", raw.replace("Z", "+00:00"))
    try:
        parsed = datetime.fromisoformat(normalised)
    except ValueError:
        raise InvalidEvent(path, f"is not an ISO 8601 timestamp: {raw!r}") from None
    return parsed.isoformat() if parsed.tzinfo else None


def http_link(href: Any, label: str = "") -> list[dict[str, str]]:
    if isinstance(href, str) and href.startswith(("https://", "http://")):
        return [{"href": href, "text": label}]
    return []


def fingerprint(values: Mapping[str, str]) -> str:
    """A stable key for a label set, when the tool does not send its own fingerprint."""
    canonical = json.dumps(sorted(values.items()), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]
