"""Reading exported values, each failure recorded at its place rather than raised."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tocsin_cli.importers.findings import Findings, Where


def load_json(path: Path, findings: Findings) -> Any:
    """The file's JSON, or None with a problem saying where it stops being JSON."""
    where = Where(path.name)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        findings.problem(where, "is not UTF-8 text; export the REST answer as JSON")
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        findings.problem(
            where,
            f"is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}",
        )
        return None


def instant(
    value: Any, where: Where, findings: Findings, unit: str | None, zone: str | None = None
) -> datetime | None:
    """An ISO 8601 date-time; without an offset it is read in ``zone`` (or refused)."""
    if not isinstance(value, str):
        findings.problem(
            where, f"must be a date-time such as 2026-12-01T09:00:00Z; got {value!r}", unit
        )
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        findings.problem(where, f"is not a date-time: {value!r}", unit)
        return None
    if moment.tzinfo is None:
        if zone is None:
            findings.problem(where, f"has no UTC offset: {value!r}", unit)
            return None
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment


def time_zone(value: Any, where: Where, findings: Findings, unit: str | None) -> str | None:
    if isinstance(value, str) and value:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return value
    findings.problem(where, f"is not an IANA time zone such as Europe/Copenhagen: {value!r}", unit)
    return None


def as_list(value: Any, where: Where, findings: Findings, unit: str | None) -> list[Any]:
    if isinstance(value, list):
        return value
    findings.problem(where, "must be a list", unit)
    return []


def as_object(value: Any, where: Where, findings: Findings, unit: str | None) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    findings.problem(where, "must be an object", unit)
    return {}


def rotation_text(length: timedelta) -> str | None:
    """A turn length as a layer's ``rotation`` (day, week, 3d, 12h); None when it is not whole
    hours."""
    if length <= timedelta(0) or length % timedelta(hours=1):
        return None
    if length % timedelta(days=1) == timedelta(0):
        days = length.days
        return {1: "day", 7: "week"}.get(days, f"{days}d")
    return f"{int(length / timedelta(hours=1))}h"


def layer_document(
    layer_id: str,
    length: timedelta,
    first_handoff: datetime,
    zone: str,
    members: list[str],
    hours: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """A layer whose members[0] takes over at ``first_handoff``; ``length`` whole hours."""
    local = first_handoff.astimezone(ZoneInfo(zone))
    rotation = rotation_text(length)
    if rotation is None:
        raise ValueError(f"turns of {length} are not whole hours")
    document: dict[str, Any] = {
        "id": layer_id,
        "rotation": rotation,
        "start": local.date().isoformat(),
        "handoff": f"{local:%H:%M}",
        "members": members,
    }
    if hours:
        document["hours"] = hours
    return document
