"""Opsgenie's REST answers -> drafts of schedules and escalation policies.

Reads the bodies (``{"data": ..., "took", "requestId"}``) of ``GET /v2/schedules/{id}`` and
``GET /v2/schedules?expand=rotation`` (schedules with their rotations), ``GET
/v2/schedules/{id}/rotations/{id}`` (a rotation with its ``_parent``), ``GET
/v2/schedules/{id}/overrides``, ``GET /v2/schedules/{id}/timeline`` (the rendering the import is
checked against) and ``GET /v2/escalations[/{id}]``. Opsgenie usernames are email addresses.

What maps to what:
- a rotation -> a layer: ``daily``/``weekly``/``hourly`` with ``length`` -> ``rotation``,
  ``startDate`` (in the schedule's time zone) -> ``start`` and ``handoff``, ``timeRestriction``
  -> ``hours``. Opsgenie pages everyone of rotations that overlap; Tocsin pages one person per
  schedule, so overlapping rotations are refused (restrict their hours first). A ``none``
  participant, a team or escalation in a rotation, and a rotation that ends later cannot be
  expressed; one that has ended is skipped.
- an override of the whole schedule -> a declared override (one of some rotations only cannot
  be expressed).
- escalation rules -> levels: rules with the same ``delay`` (counted from the alert) form one
  level, and each level waits until the next level's delay; the last waits the repeat's
  ``waitInterval``. ``repeat.count`` -> ``repeat``. Users -> ``contact``, schedules ->
  ``schedule`` (``notifyType`` default; next or previous cannot be expressed), teams with
  ``users`` or ``all`` -> ``team`` when the playbook declares one of that name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.playbook.rotations import parse_oncall
from tocsin_cli.importers.drafts import (
    EscalationDraft,
    Imported,
    OnCallPeriod,
    ScheduleDraft,
    escalation_unit,
    schedule_unit,
)
from tocsin_cli.importers.findings import Findings, Where
from tocsin_cli.importers.hours import DAY, WEEK, windows_for_spans
from tocsin_cli.importers.names import Names, slug
from tocsin_cli.importers.people import People
from tocsin_cli.importers.reading import as_list, instant, layer_document, load_json, time_zone

VENDOR = "Opsgenie"
LENGTHS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(days=7)}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNITS = {"days": 1440, "hours": 60, "minutes": 1}
DEFAULT_LAST_WAIT = 5  # minutes the last level waits when Opsgenie gives nothing to go by


@dataclass
class _Export:
    schedules: list[tuple[Where, dict[str, Any]]] = field(default_factory=list)
    rotations: list[tuple[Where, dict[str, Any]]] = field(default_factory=list)
    overrides: list[tuple[Where, dict[str, Any]]] = field(default_factory=list)
    timelines: list[tuple[Where, dict[str, Any]]] = field(default_factory=list)
    escalations: list[tuple[Where, dict[str, Any]]] = field(default_factory=list)


def read(
    paths: Sequence[Path],
    people: People,
    as_of: datetime,
    chain: Sequence[str],
    prefix: str = "",
    teams: set[str] | None = None,
) -> Imported:
    imported = Imported(VENDOR, "opsgenie", [path.name for path in paths])
    export = _collect(paths, imported.findings)
    names = Names(prefix)
    by_vendor: dict[str, str] = {}
    for where, document in export.schedules:
        draft = _schedule(where, document, export, people, as_of, names, imported.findings)
        if draft is not None:
            imported.schedules.append(draft)
            by_vendor[str(document.get("id"))] = draft.schedule_id
            by_vendor[str(document.get("name"))] = draft.schedule_id
    _orphans(export, imported.findings)
    policy_names = Names(prefix)
    for where, document in export.escalations:
        imported.escalations.append(
            _policy(
                where,
                document,
                people,
                by_vendor,
                chain,
                policy_names,
                teams or set(),
                imported.findings,
            )
        )
    return imported


def _collect(paths: Sequence[Path], findings: Findings) -> _Export:
    export = _Export()
    for path in paths:
        answer = load_json(path, findings)
        if answer is None:
            continue
        where = Where(path.name)
        data = answer.get("data") if isinstance(answer, dict) else None
        items = [(where.at("data"), data)] if isinstance(data, dict) else []
        if isinstance(data, list):
            items = [(where.at("data").at(i), item) for i, item in enumerate(data)]
        if not items:
            findings.problem(where, "is not an Opsgenie REST answer (no 'data')")
            continue
        for at, item in items:
            kind = _kind(item)
            if kind is None:
                findings.problem(
                    at,
                    "is not a schedule, rotation, override, timeline or escalation Tocsin reads",
                )
            else:
                getattr(export, kind).append((at, item))
    return export


def _orphans(export: _Export, findings: Findings) -> None:
    """Rotations, overrides and timelines of no exported schedule: refused, not dropped."""
    for kind in ("rotations", "overrides", "timelines"):
        for where, item in getattr(export, kind):
            if any(_belongs(item, schedule) for _, schedule in export.schedules):
                continue
            parent_id, parent_name = _parent_of(item)
            if parent_id or parent_name:
                findings.problem(
                    where,
                    f"belongs to schedule {parent_name or parent_id}, which is not in the export: "
                    "add the answer of GET /v2/schedules/{id}",
                )
            else:
                findings.problem(where, "does not say which schedule it belongs to (no _parent)")


def _kind(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    if "rules" in item:
        return "escalations"
    if "finalTimeline" in item:
        return "timelines"
    if "participants" in item:
        return "rotations"
    if {"startDate", "endDate", "user"} <= set(item):
        return "overrides"
    if "rotations" in item or "timezone" in item:
        return "schedules"
    return None


def _parent_of(item: dict[str, Any]) -> tuple[str, str]:
    parent = _object(item.get("_parent"))
    return str(parent.get("id") or ""), str(parent.get("name") or "")


def _belongs(item: dict[str, Any], schedule: dict[str, Any]) -> bool:
    parent_id, parent_name = _parent_of(item)
    if parent_id:
        return parent_id == schedule.get("id")
    return bool(parent_name) and parent_name == schedule.get("name")


def _schedule(
    where: Where,
    document: dict[str, Any],
    export: _Export,
    people: People,
    as_of: datetime,
    names: Names,
    findings: Findings,
) -> ScheduleDraft | None:
    name = str(document.get("name") or "")
    schedule_id = names.make(name, str(document.get("id") or ""), fallback="schedule")
    unit = schedule_unit(schedule_id)
    zone = time_zone(document.get("timezone"), where.at("timezone"), findings, unit)
    if zone is None:
        return None
    if document.get("enabled") is False:
        findings.note(where, f"schedule '{name}' is disabled in Opsgenie; imported as it is")
    rotations = [
        (where.at("rotations").at(i), r)
        for i, r in enumerate(
            as_list(document.get("rotations", []), where.at("rotations"), findings, unit)
        )
    ]
    rotations += [(at, r) for at, r in export.rotations if _belongs(r, document)]
    layer_names = Names()
    layers: list[dict[str, Any]] = []
    current: set[str] = set()  # the rotations in force, which an override must all name
    for at, rotation in rotations:
        if not isinstance(rotation, dict):
            findings.problem(at, "must be a rotation object", unit)
            continue
        if not _has_ended(rotation, as_of):
            current |= {str(rotation.get("id")), str(rotation.get("name"))}
        layer = _layer(at, rotation, zone, people, as_of, layer_names, findings, unit)
        if layer is not None:
            layers.append(layer)
    if not layers and not any(p.unit == unit for p in findings.problems):
        findings.problem(
            where.at("rotations"), "has no rotation in force (export it with its rotations)", unit
        )
    body: dict[str, Any] = {
        "id": schedule_id,
        "description": f"Imported from Opsgenie schedule {document.get('id')} ({name})",
        "timezone": zone,
        "layers": layers,
    }
    overlap = _overlap(body, as_of)
    if overlap is not None:
        first, second, at_instant = overlap
        findings.problem(
            where.at("rotations"),
            f"rotations {first} and {second} are both on call at "
            f"{at_instant.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M %Z}: Opsgenie pages both, "
            "Tocsin pages one person per schedule; restrict their hours so they do not "
            "overlap, or make them two schedules",
            unit,
        )
    overrides = _overrides(document, export, people, as_of, zone, current, findings, unit)
    if overrides:
        body["overrides"] = overrides
    timeline = next(((at, t) for at, t in export.timelines if _belongs(t, document)), None)
    return ScheduleDraft(
        schedule_id,
        where,
        f"Opsgenie '{name}'",
        body,
        _rendering(timeline, people, findings, unit) if timeline else None,
        "Opsgenie's final timeline",
    )


def _has_ended(rotation: dict[str, Any], as_of: datetime) -> bool:
    try:
        ends = datetime.fromisoformat(str(rotation.get("endDate")).replace("Z", "+00:00"))
    except ValueError:
        return False
    return ends.tzinfo is not None and ends <= as_of


def _layer(
    where: Where,
    rotation: dict[str, Any],
    zone: str,
    people: People,
    as_of: datetime,
    names: Names,
    findings: Findings,
    unit: str,
) -> dict[str, Any] | None:
    label = f"rotation '{rotation.get('name', '?')}'"
    if rotation.get("endDate"):
        ends = instant(rotation["endDate"], where.at("endDate"), findings, unit)
        if ends is None:
            return None
        if ends <= as_of:
            findings.note(
                where,
                f"{label} ended on {ends.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M %Z}; "
                "not imported",
            )
            return None
        findings.problem(
            where.at("endDate"),
            f"{label} ends on {ends.isoformat()}, after the import: Tocsin layers do not end "
            "(import after it ends, or remove its end date)",
            unit,
        )
        return None
    kind = rotation.get("type")
    length = rotation.get("length", 1)
    if kind not in LENGTHS or not isinstance(length, int) or length < 1:
        findings.problem(
            where.at("type"),
            f"{label}: a rotation of type {kind!r} and length {length!r} cannot be expressed "
            "(daily, weekly or hourly, length 1 or more)",
            unit,
        )
        return None
    starts = instant(rotation.get("startDate"), where.at("startDate"), findings, unit)
    members = []
    participants = as_list(rotation.get("participants"), where.at("participants"), findings, unit)
    for index, participant in enumerate(participants):
        at = where.at("participants").at(index)
        contact = _user(participant, at, label, people, findings, unit)
        if contact is not None:
            members.append(contact)
    readable, hours = _restriction(
        where.at("timeRestriction"), rotation.get("timeRestriction"), findings, unit
    )
    if starts is None or len(members) != len(participants) or not readable:
        return None
    if not members:
        findings.problem(where.at("participants"), f"{label} has nobody in it", unit)
        return None
    if starts.second or starts.microsecond:
        findings.problem(where.at("startDate"), "starts at a time with seconds", unit)
        return None
    return layer_document(
        names.make(str(rotation.get("name") or ""), fallback="rotation"),
        LENGTHS[kind] * length,
        starts,
        zone,
        members,
        hours,
    )


def _user(
    recipient: Any, where: Where, label: str, people: People, findings: Findings, unit: str
) -> str | None:
    if not isinstance(recipient, dict):
        findings.problem(where, "must be a participant object", unit)
        return None
    kind = recipient.get("type")
    if kind == "none":
        findings.problem(
            where,
            f"{label} has a 'none' turn (nobody on call): Tocsin layers take turns among people; "
            "give that turn to someone, or restrict the rotation's hours",
            unit,
        )
        return None
    if kind != "user":
        findings.problem(
            where,
            f"{label} has a {kind} as participant: Tocsin layers take turns among people",
            unit,
        )
        return None
    username = recipient.get("username") or recipient.get("name")
    return people.contact_for(
        [recipient.get("id"), username],
        f"user {username or recipient.get('id')}",
        where,
        findings,
        unit,
    )


def _restriction(
    where: Where, restriction: Any, findings: Findings, unit: str
) -> tuple[bool, list[dict[str, Any]] | None]:
    """(read, the hours windows: None without a restriction); (False, None), reported, when
    it cannot be read."""
    if restriction is None:
        return True, None
    if not isinstance(restriction, dict):
        findings.problem(where, "must be an object", unit)
        return False, None
    kind = restriction.get("type")
    try:
        if kind == "time-of-day":
            part = restriction.get("restriction") or restriction
            begins = _minutes(part, "start")
            length = (_minutes(part, "end") - begins) % DAY or DAY
            return True, windows_for_spans([(day * DAY + begins, length) for day in range(7)])
        if kind == "weekday-and-time-of-day":
            spans = []
            for item in restriction.get("restrictions") or []:
                begins = WEEKDAYS.index(item["startDay"]) * DAY + _minutes(item, "start")
                ends = WEEKDAYS.index(item["endDay"]) * DAY + _minutes(item, "end")
                spans.append((begins, (ends - begins) % WEEK or WEEK))
            if spans:
                return True, windows_for_spans(spans)
    except (KeyError, ValueError, TypeError):
        pass
    findings.problem(
        where,
        "is not a time-of-day or weekday-and-time-of-day restriction with hours and minutes",
        unit,
    )
    return False, None


def _minutes(part: dict[str, Any], side: str) -> int:
    hour, minute = part[f"{side}Hour"], part.get(f"{side}Min", 0)
    if not (
        isinstance(hour, int) and isinstance(minute, int) and 0 <= hour <= 24 and 0 <= minute < 60
    ):
        raise ValueError(side)
    return hour * 60 + minute


def _overlap(body: dict[str, Any], as_of: datetime) -> tuple[str, str, datetime] | None:
    """Two layers with someone on call at once, and the first such instant they share."""
    try:
        schedule = parse_oncall(body, "check")
    except InvalidPolicy:
        return None  # reported when the whole file is validated
    layers = schedule.layers
    if len(layers) < 2:
        return None
    start = max(as_of, *(layer.shift_start(0) for layer in layers))
    end = start + timedelta(days=15)  # restrictions repeat weekly
    for first, second in combinations(layers, 2):
        edges = sorted({start, *first.boundaries(start, end), *second.boundaries(start, end)})
        for at in edges:
            if first.on_call(at) and second.on_call(at):
                return first.layer_id, second.layer_id, at
    return None


def _overrides(
    schedule: dict[str, Any],
    export: _Export,
    people: People,
    as_of: datetime,
    zone: str,
    current: set[str],
    findings: Findings,
    unit: str,
) -> list[dict[str, Any]]:
    names = Names()
    found = []
    for where, override in export.overrides:
        if not _belongs(override, schedule):
            continue
        starts = instant(override.get("startDate"), where.at("startDate"), findings, unit)
        ends = instant(override.get("endDate"), where.at("endDate"), findings, unit)
        user = override.get("user")
        label = f"override '{override.get('alias', '?')}'"
        contact = _user(user, where.at("user"), label, people, findings, unit)
        if starts is None or ends is None or contact is None:
            continue
        if ends <= as_of:
            findings.note(where, f"{label} ended before the import; not imported")
            continue
        named = {
            str(r.get(k))
            for r in override.get("rotations") or []
            if isinstance(r, dict)
            for k in ("id", "name")
        }
        if named and not current <= named | {"None"}:
            findings.problem(
                where.at("rotations"),
                f"{label} overrides some rotations only: a Tocsin override covers the whole "
                "schedule or one person",
                unit,
            )
            continue
        local = ZoneInfo(zone)
        found.append(
            {
                "id": names.make(str(override.get("alias") or ""), fallback="opsgenie"),
                "contact": contact,
                "from": starts.astimezone(local).isoformat(),
                "to": ends.astimezone(local).isoformat(),
            }
        )
    return found


def _rendering(
    timeline: tuple[Where, dict[str, Any]], people: People, findings: Findings, unit: str
) -> list[OnCallPeriod] | None:
    where, document = timeline
    final = document.get("finalTimeline") or {}
    periods = []
    for r_index, rotation in enumerate(final.get("rotations") or []):
        for p_index, period in enumerate(rotation.get("periods") or []):
            at = where.at("finalTimeline").at("rotations").at(r_index).at("periods").at(p_index)
            recipient = period.get("recipient") or {}
            if recipient.get("type") != "user":
                continue
            starts = instant(period.get("startDate"), at.at("startDate"), findings, unit)
            ends = instant(period.get("endDate"), at.at("endDate"), findings, unit)
            contact = _user(recipient, at.at("recipient"), "on-call period", people, findings, unit)
            if starts is None or ends is None or contact is None:
                return None
            periods.append(OnCallPeriod(starts, ends, contact))
    return periods or None


def _policy(
    where: Where,
    document: dict[str, Any],
    people: People,
    schedules: dict[str, str],
    chain: Sequence[str],
    names: Names,
    teams: set[str],
    findings: Findings,
) -> EscalationDraft:
    name = str(document.get("name") or "")
    policy_id = names.make(name, str(document.get("id") or ""), fallback="escalation")
    unit = escalation_unit(policy_id)
    by_delay: dict[int, list[dict[str, str]]] = {}
    paged: set[str] = set()
    rules_at = where.at("rules")
    for index, rule in enumerate(as_list(document.get("rules"), rules_at, findings, unit)):
        at = rules_at.at(index)
        if not isinstance(rule, dict):
            findings.problem(at, "must be an escalation rule object", unit)
            continue
        if rule.get("condition", "if-not-acked") != "if-not-acked":
            findings.problem(
                at.at("condition"),
                f"'{rule.get('condition')}' escalates after an acknowledgement: Tocsin stops "
                "escalating once someone acknowledges",
                unit,
            )
            continue
        delay = _delay(rule.get("delay"), at.at("delay"), findings, unit)
        target = _target(rule, at, people, schedules, teams, findings, unit)
        if delay is None or target is None:
            continue
        by_delay.setdefault(delay, [])
        if target not in by_delay[delay]:
            by_delay[delay].append(target)
        if "schedule" in target:
            paged.add(target["schedule"])
    delays = sorted(by_delay)
    repeat = _object(document.get("repeat"))
    count = repeat.get("count") or 0
    wait = repeat.get("waitInterval")
    if delays and delays[0] > 0:
        findings.note(
            rules_at,
            f"the first rule waited {delays[0]} minute(s) after the alert; Tocsin pages the "
            "first level at once",
        )
    if count and repeat.get("closeAlertAfterAll"):
        findings.note(
            where.at("repeat"),
            "closeAlertAfterAll: Tocsin leaves the incident open and says escalation is exhausted",
        )
    levels = []
    for position, delay in enumerate(delays):
        if position + 1 < len(delays):
            timeout = delays[position + 1] - delay
        elif count and isinstance(wait, int):
            timeout = max(wait, 1)
        else:
            timeout = (delay - delays[position - 1]) if position else DEFAULT_LAST_WAIT
        if timeout > 24 * 60:
            findings.problem(rules_at, f"a level would wait {timeout} minutes: at most 24h", unit)
        levels.append({"notify": by_delay[delay], "chain": list(chain), "timeout": f"{timeout}m"})
    if not levels and not any(p.unit == unit for p in findings.problems):
        findings.problem(rules_at, "has no escalation rule", unit)
    body: dict[str, Any] = {
        "id": policy_id,
        "description": f"Imported from Opsgenie escalation {document.get('id')} ({name})",
    }
    if isinstance(count, int) and count > 0:
        body["repeat"] = count
    body["levels"] = levels
    return EscalationDraft(policy_id, where, f"Opsgenie '{name}'", body, paged)


def _delay(value: Any, where: Where, findings: Findings, unit: str) -> int | None:
    if not isinstance(value, dict) or not isinstance(value.get("timeAmount"), int):
        findings.problem(where, "must be {timeAmount, timeUnit}", unit)
        return None
    per_unit = UNITS.get(value.get("timeUnit", "minutes"))
    if per_unit is None or value["timeAmount"] < 0:
        findings.problem(where, f"must be whole minutes, hours or days; got {value!r}", unit)
        return None
    return int(value["timeAmount"]) * per_unit


def _target(
    rule: dict[str, Any],
    where: Where,
    people: People,
    schedules: dict[str, str],
    teams: set[str],
    findings: Findings,
    unit: str,
) -> dict[str, str] | None:
    recipient = _object(rule.get("recipient"))
    kind = recipient.get("type")
    notify = rule.get("notifyType", "default")
    at = where.at("recipient")
    if kind == "user":
        contact = _user(recipient, at, "recipient", people, findings, unit)
        return {"contact": contact} if contact else None
    if kind == "schedule":
        schedule = schedules.get(str(recipient.get("id"))) or schedules.get(
            str(recipient.get("name"))
        )
        if notify != "default":
            findings.problem(
                where.at("notifyType"),
                f"'{notify}' (someone other than who is on call) cannot be expressed: a Tocsin "
                "level pages whoever is on call",
                unit,
            )
            return None
        if schedule is None:
            findings.problem(
                at,
                f"schedule {recipient.get('name') or recipient.get('id')} is not in the export: "
                "add the answer of GET /v2/schedules/{id}",
                unit,
            )
            return None
        return {"schedule": schedule}
    if kind == "team" and notify in ("users", "all"):
        team = slug(str(recipient.get("name") or ""))
        if team in teams:
            return {"team": team}
        findings.problem(
            at,
            f"team {recipient.get('name') or recipient.get('id')}: the playbook declares no "
            f"team {team!r} (add it to the teams, and its members to the contacts)",
            unit,
        )
        return None
    findings.problem(
        at,
        f"a {kind} recipient with notifyType '{notify}' cannot be paged by a Tocsin level "
        "(users, schedules, and teams' users)",
        unit,
    )
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
