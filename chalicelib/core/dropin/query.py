"""The part of Opsgenie's alert search language Tocsin understands, for ``GET /v2/alerts``.

Terms joined by ``AND`` (any case)::

    status:open        status=closed                 (open or closed)
    alias:db-down      alias:"disk full on db-1"     (exact; quotes for spaces or *, \\" inside)
    createdAt>1767225600000    createdAt<=2026-01-01T00:00:00Z    (epoch milliseconds, or
                                                     ISO 8601 with a zone; a bare date is UTC)

Anything else (other fields, OR, NOT, wildcards, free text) is refused with a message that says
what is understood, rather than silently matching too much or too little.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import islice

from chalicelib.core.dropin.ports import Alert, AlertStatus
from chalicelib.core.errors import InvalidRequest

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
MAX_WINDOW = 20_000  # offset + limit, as Opsgenie allows
UNDERSTOOD = (
    "Tocsin understands status:open|closed, alias:<alias> and createdAt with < <= > >= "
    "(epoch milliseconds or ISO 8601), joined by AND"
)
_TERM = re.compile(
    r'\s*(?P<field>[A-Za-z]+)\s*(?P<op>>=|<=|:|=|>|<)\s*(?P<value>"(?:[^"\\]|\\.)*"|[^\s"]+)\s*'
)
_AND = re.compile(r"AND\s+", re.IGNORECASE)
_MILLISECOND = timedelta(milliseconds=1)


@dataclass(frozen=True)
class AlertFilter:
    status: AlertStatus | None = None
    alias: str | None = None
    start: datetime | None = None  # created at or after
    end: datetime | None = None  # created before
    matches_nothing: bool = False  # two terms that cannot both hold (status:open AND closed)

    def matches(self, alert: Alert) -> bool:
        if self.matches_nothing:
            return False
        if self.status is not None and alert.status is not self.status:
            return False
        return self.alias is None or alert.alias == self.alias


@dataclass(frozen=True)
class Page:
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    newest_first: bool = True


def select(alerts: Iterable[Alert], wanted: AlertFilter, page: Page) -> list[Alert]:
    """The page of ``alerts`` (in the order wanted) that match."""
    matching = (alert for alert in alerts if wanted.matches(alert))
    return list(islice(matching, page.offset, page.offset + page.limit))


def parse_query(query: str | None) -> AlertFilter:
    text = (query or "").strip()
    found = AlertFilter()
    position = 0
    while position < len(text):
        if position:
            joiner = _AND.match(text, position)
            if joiner is None:
                raise _invalid(f"expected AND at {text[position:][:30]!r}")
            position = joiner.end()
        term = _TERM.match(text, position)
        if term is None:
            raise _invalid(f"cannot read {text[position:][:30]!r}")
        value = term["value"]
        if "*" in value and not value.startswith('"'):
            raise _invalid(f"wildcards are not understood ({value}; quote a value to match it)")
        found = _apply(found, term.group("field"), term.group("op"), _unquote(value))
        position = term.end()
    return found


def parse_page(offset: str | None, limit: str | None, sort: str | None, order: str | None) -> Page:
    first = _number("offset", offset, 0)
    size = _number("limit", limit, DEFAULT_LIMIT)
    if not 1 <= size <= MAX_LIMIT:
        raise InvalidRequest("limit", f"must be between 1 and {MAX_LIMIT}")
    if first + size > MAX_WINDOW:
        raise InvalidRequest("offset", f"offset + limit must be at most {MAX_WINDOW}")
    if sort not in (None, "", "createdAt"):
        raise InvalidRequest("sort", "Tocsin sorts by createdAt only")
    if order not in (None, "", "asc", "desc"):
        raise InvalidRequest("order", "must be asc or desc")
    return Page(first, size, newest_first=order != "asc")


def _apply(found: AlertFilter, name: str, op: str, value: str) -> AlertFilter:
    if name == "status" and op in (":", "="):
        try:
            status = AlertStatus(value.lower())
        except ValueError:
            raise _invalid(f"status must be open or closed, not {value!r}") from None
        clash = found.status is not None and found.status is not status
        return replace(found, status=status, matches_nothing=found.matches_nothing or clash)
    if name == "alias" and op in (":", "="):
        clash = found.alias is not None and found.alias != value
        return replace(found, alias=value, matches_nothing=found.matches_nothing or clash)
    if name == "createdAt" and op in ("<", "<=", ">", ">="):
        at = _instant(value)
        if op in (">", ">="):
            start = at + _MILLISECOND if op == ">" else at
            return replace(found, start=max(start, found.start or start))
        end = at + _MILLISECOND if op == "<=" else at
        return replace(found, end=min(end, found.end or end))
    raise _invalid(f"{name}{op}{value} is not understood")


def _instant(value: str) -> datetime:
    if value.isdigit():
        try:
            return datetime.fromtimestamp(int(value) / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise _invalid(f"createdAt {value} is out of range") from None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"createdAt {value!r} is neither epoch milliseconds nor ISO 8601") from None
    if parsed.tzinfo is None:
        if "T" in value:
            raise _invalid(f"createdAt {value!r} needs a time zone (Z or +01:00)")
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _unquote(value: str) -> str:
    if value.startswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _number(name: str, value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or len(value) > 9:
        raise InvalidRequest(name, "must be a whole number")
    return int(value)


def _invalid(problem: str) -> InvalidRequest:
    return InvalidRequest("query", f"{problem}: {UNDERSTOOD}")
