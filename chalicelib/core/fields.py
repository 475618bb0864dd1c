"""Readers for policy documents: each returns a typed value or raises InvalidPolicy at a path."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.core.errors import InvalidPolicies, InvalidPolicy

_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_DURATION = re.compile(r"(\d+)(s|m|h|d)")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_E = TypeVar("_E", bound=StrEnum)
_T = TypeVar("_T")


class Collector:
    """Reads several fields of one document and keeps every error, not just the first."""

    def __init__(self) -> None:
        self.errors: list[InvalidPolicy] = []

    def read(self, reader: Callable[[], _T], default: _T) -> _T:
        try:
            return reader()
        except InvalidPolicies as invalid:
            self.errors += invalid.errors
        except InvalidPolicy as invalid:
            self.errors.append(invalid)
        return default

    def check(self) -> None:
        if self.errors:
            raise InvalidPolicies(self.errors)


def read_object(
    document: Any, path: str, required: set[str], optional: set[str]
) -> Mapping[str, Any]:
    if not isinstance(document, Mapping):
        raise InvalidPolicy(path, "must be a mapping")
    for name in sorted(required):
        if name not in document:
            raise InvalidPolicy(f"{path}.{name}", "is required")
    unknown = sorted(str(name) for name in set(document) - required - optional)
    if unknown:
        raise InvalidPolicy(f"{path}.{unknown[0]}", "unknown field")
    return document


def read_list(value: Any, path: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise InvalidPolicy(path, "must be a list")
    return value


def read_string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise InvalidPolicy(path, "must be a string")
    return value


def read_identifier(value: Any, path: str) -> str:
    text = read_string(value, path)
    if not _ID.fullmatch(text):
        raise InvalidPolicy(path, f"{text!r} is not an id (lower-case letters, digits, '-')")
    return text


def read_identifiers(value: Any, path: str) -> tuple[str, ...]:
    return tuple(
        read_identifier(item, f"{path}[{index}]")
        for index, item in enumerate(read_list(value, path))
    )


def read_choice(value: Any, path: str, kind: type[_E]) -> _E:
    allowed = ", ".join(member.value for member in kind)
    if not isinstance(value, str):
        raise InvalidPolicy(path, f"must be one of {allowed}")
    try:
        return kind(value)
    except ValueError:
        raise InvalidPolicy(path, f"must be one of {allowed}; got {value!r}") from None


def read_count(value: Any, path: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidPolicy(path, f"must be a whole number of at least {minimum}")
    return value


def read_duration(value: Any, path: str) -> timedelta:
    """``30s``, ``10m``, ``2h``, ``1d``."""
    text = read_string(value, path) if not isinstance(value, int) else ""
    match = _DURATION.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise InvalidPolicy(path, f"must be a duration such as '10m', '2h' or '1d'; got {value!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def describe_duration(duration: timedelta) -> str:
    seconds = int(duration.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def read_timezone(value: Any, path: str) -> str:
    text = read_string(value, path)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidPolicy(path, "must be an IANA time zone such as 'Europe/Copenhagen'") from None
    return text


def read_clock_time(value: Any, path: str) -> time:
    """``08:00``. YAML reads an unquoted ``08:00`` as a number of minutes; that is refused."""
    if not isinstance(value, str):
        raise InvalidPolicy(path, "must be a quoted time such as '08:00'")
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise InvalidPolicy(path, f"must be a time such as '08:00'; got {value!r}") from None


def read_instant(value: Any, path: str, zone: str | None) -> datetime:
    """An ISO 8601 date-time with an offset, or a local one read in ``zone``."""
    if isinstance(value, datetime):
        parsed = value
    else:
        text = read_string(value, path)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidPolicy(
                path, f"must be a date-time such as '2026-12-01T22:00'; got {text!r}"
            ) from None
    if parsed.tzinfo is None:
        if zone is None:
            raise InvalidPolicy(path, "needs an offset such as '+01:00', or set 'timezone'")
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed


def read_optional(
    fields: Mapping[str, Any], name: str, path: str, parse: Callable[[Any, str], _T]
) -> _T | None:
    """``parse`` the field ``name`` when it is present and not null."""
    return parse(fields[name], f"{path}.{name}") if fields.get(name) is not None else None


def read_known(value: Any, path: str, known: Mapping[str, str] | set[str], kind: str) -> str:
    """An identifier that must be one of ``known`` (declared elsewhere in the playbook)."""
    identifier = read_identifier(value, path)
    if identifier not in known:
        raise InvalidPolicy(path, f"unknown {kind} {identifier!r}")
    return identifier
