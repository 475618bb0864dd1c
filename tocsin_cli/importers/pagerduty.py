"""PagerDuty's REST answers -> drafts of schedules and escalation policies.

Reads the bodies of ``GET /schedules/{id}`` (``{"schedule": ...}``; with ``since`` and ``until``
it also holds ``overrides_subschedule`` and ``final_schedule``), ``GET /schedules`` with
``include[]=schedule_layers`` (``{"schedules": [...]}``), ``GET /users`` (``{"users": [...]}``:
schedules name users by id, the users answer gives their email), and ``GET
/escalation_policies[/{id}]``. A list of overrides on its own (``GET /schedules/{id}/overrides``)
does not say which schedule it belongs to, so it is refused with the way round it.

What maps to what:
- a schedule layer -> a layer; GET lists layers with the one that takes precedence first, which
  is Tocsin's order too. ``rotation_virtual_start`` -> ``start`` and ``handoff`` (in the
  schedule's time zone); ``rotation_turn_length_seconds`` -> ``rotation`` (whole hours or days);
  restrictions -> ``hours``. A layer that ended before the import is skipped; one that ends
  later, or starts later in the middle of a turn, cannot be expressed.
- an override (``overrides_subschedule``) -> a declared override without ``covers``.
- ``final_schedule`` -> the rendering the import is checked against.
- an escalation rule -> a level (its delay -> ``timeout``; users -> ``contact``, schedules ->
  ``schedule``); ``num_loops`` -> ``repeat``. Levels get ``--chain`` (PagerDuty used each
  person's notification rules; Tocsin's level says the channels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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
from tocsin_cli.importers.names import Names
from tocsin_cli.importers.people import People
from tocsin_cli.importers.reading import (
    as_list,
    as_object,
    instant,
    layer_document,
    load_json,
    rotation_text,
    time_zone,
)

VENDOR = "PagerDuty"
KINDS = "schedule, schedules, users, escalation_policy or escalation_policies"


@dataclass
class _Export:
    schedules: list[tuple[Where, dict[str, Any]]]
    policies: list[tuple[Where, dict[str, Any]]]
    emails: dict[str, str]  # user id -> email


def read(
    paths: Sequence[Path],
    people: People,
    as_of: datetime,
    chain: Sequence[str],
    prefix: str = "",
) -> Imported:
    imported = Imported(VENDOR, "pagerduty", [path.name for path in paths])
    export = _collect(paths, imported.findings)
    names = Names(prefix)
    by_vendor_id: dict[str, str] = {}
    for where, document in export.schedules:
        draft = _schedule(where, document, export, people, as_of, names, imported.findings)
        if draft is not None:
            imported.schedules.append(draft)
            by_vendor_id[str(document.get("id"))] = draft.schedule_id
    policy_names = Names(prefix)
    for where, document in export.policies:
        imported.escalations.append(
            _policy(where, document, export, people, by_vendor_id, chain, policy_names, imported)
        )
    return imported


def _collect(paths: Sequence[Path], findings: Findings) -> _Export:
    export = _Export([], [], {})
    for path in paths:
        answer = load_json(path, findings)
        if answer is None:
            continue
        where = Where(path.name)
        if not isinstance(answer, dict):
            findings.problem(where, f"is not a PagerDuty REST answer ({KINDS})")
            continue
        known = False
        if isinstance(answer.get("schedule"), dict):
            export.schedules.append((where.at("schedule"), answer["schedule"]))
            known = True
        for index, item in enumerate(as_list(answer.get("schedules", []), where, findings, None)):
            export.schedules.append(
                (
                    where.at("schedules").at(index),
                    as_object(item, where.at("schedules").at(index), findings, None),
                )
            )
            known = True
        users = [answer["user"]] if isinstance(answer.get("user"), dict) else []
        users += answer.get("users", []) if isinstance(answer.get("users"), list) else []
        for user in users:
            if isinstance(user, dict) and isinstance(user.get("email"), str):
                export.emails[str(user.get("id"))] = user["email"]
                known = True
        if isinstance(answer.get("escalation_policy"), dict):
            export.policies.append((where.at("escalation_policy"), answer["escalation_policy"]))
            known = True
        policies = answer.get("escalation_policies", [])
        for index, item in enumerate(policies if isinstance(policies, list) else []):
            export.policies.append((where.at("escalation_policies").at(index), item))
            known = True
        if "overrides" in answer and not known:
            findings.problem(
                where,
                "a list of overrides does not say which schedule it belongs to: export "
                "GET /schedules/{id}?since=...&until=... instead, whose overrides_subschedule "
                "holds them",
            )
            continue
        if not known:
            findings.problem(where, f"is not a PagerDuty REST answer Tocsin reads ({KINDS})")
    return export


def _schedule(
    where: Where,
    document: dict[str, Any],
    export: _Export,
    people: People,
    as_of: datetime,
    names: Names,
    findings: Findings,
) -> ScheduleDraft | None:
    name = str(document.get("name") or document.get("summary") or "")
    schedule_id = names.make(name, str(document.get("id") or ""), fallback="schedule")
    unit = schedule_unit(schedule_id)
    zone = time_zone(document.get("time_zone"), where.at("time_zone"), findings, unit)
    if zone is None:
        return None
    if "schedule_layers" not in document:
        findings.problem(
            where,
            "has no schedule_layers: export it with GET /schedules/{id} (or the list with "
            "include[]=schedule_layers)",
            unit,
        )
        return None
    layer_names = Names()
    layers = []
    for index, layer in enumerate(
        as_list(document["schedule_layers"], where.at("schedule_layers"), findings, unit)
    ):
        at = where.at("schedule_layers").at(index)
        built = _layer(
            at,
            as_object(layer, at, findings, unit),
            zone,
            export,
            people,
            as_of,
            layer_names,
            findings,
            unit,
        )
        if built is not None:
            layers.append(built)
    if not layers and not any(p.unit == unit for p in findings.problems):
        findings.problem(where.at("schedule_layers"), "has no layer in force", unit)
    overrides = _overrides(where, document, export, people, as_of, zone, findings, unit)
    body: dict[str, Any] = {
        "id": schedule_id,
        "description": f"Imported from PagerDuty schedule {document.get('id')} ({name})",
        "timezone": zone,
        "layers": layers,
    }
    if overrides:
        body["overrides"] = overrides
    return ScheduleDraft(
        schedule_id,
        where,
        f"PagerDuty {document.get('id')} '{name}'",
        body,
        _rendering(where, document, export, people, findings, unit),
        "PagerDuty's final_schedule",
    )


def _layer(
    where: Where,
    layer: dict[str, Any],
    zone: str,
    export: _Export,
    people: People,
    as_of: datetime,
    names: Names,
    findings: Findings,
    unit: str,
) -> dict[str, Any] | None:
    label = f"layer '{layer.get('name', '?')}'"
    if layer.get("end"):
        ends = instant(layer["end"], where.at("end"), findings, unit)
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
            where.at("end"),
            f"{label} ends on {ends.isoformat()}, after the import: Tocsin layers do not end "
            "(import after it ends, or end it in PagerDuty first)",
            unit,
        )
        return None
    virtual = instant(
        layer.get("rotation_virtual_start"), where.at("rotation_virtual_start"), findings, unit
    )
    starts = instant(layer.get("start"), where.at("start"), findings, unit)
    seconds = layer.get("rotation_turn_length_seconds")
    length = timedelta(seconds=seconds) if isinstance(seconds, int) and seconds > 0 else None
    if length is None or rotation_text(length) is None:
        findings.problem(
            where.at("rotation_turn_length_seconds"),
            f"{label} has turns of {seconds!r} seconds: Tocsin rotations last whole hours or days",
            unit,
        )
        return None
    members = []
    users = as_list(layer.get("users"), where.at("users"), findings, unit)
    for index, entry in enumerate(users):
        at = where.at("users").at(index).at("user")
        user = entry.get("user") if isinstance(entry, dict) else None
        contact = _contact(user, at, export, people, findings, unit)
        if contact is not None:
            members.append(contact)
    hours = _restrictions(where, layer.get("restrictions") or [], findings, unit)
    if virtual is None or starts is None or len(members) != len(users):
        return None
    if not members:
        findings.problem(where.at("users"), f"{label} has nobody in it", unit)
        return None
    first = _first_handoff(virtual, starts, length, zone, as_of)
    if first is None:
        findings.problem(
            where.at("start"),
            f"{label} starts on {starts.isoformat()}, after the import and in the middle of a "
            "turn: Tocsin layers begin at a hand-off (import after it starts)",
            unit,
        )
        return None
    handoff, turns = first
    if handoff.second or handoff.microsecond:
        findings.problem(
            where.at("rotation_virtual_start"), "hands over at a time with seconds", unit
        )
        return None
    rotated = members[turns % len(members) :] + members[: turns % len(members)]
    return layer_document(
        names.make(str(layer.get("name") or ""), fallback="layer"),
        length,
        handoff,
        zone,
        rotated,
        hours,
    )


def _first_handoff(
    virtual: datetime, starts: datetime, length: timedelta, zone: str, as_of: datetime
) -> tuple[datetime, int] | None:
    """Where the Tocsin layer begins, and how many turns after the virtual start that is. A
    layer already in force may begin at its virtual start (what came before is history); one
    that starts later must start on a hand-off."""
    if starts <= as_of:
        return virtual, 0
    tz = ZoneInfo(zone)
    turns = 0
    at = virtual
    while at < starts:
        turns += 1
        if length % timedelta(days=1) == timedelta(0):
            local = virtual.astimezone(tz)
            at = datetime.combine(
                local.date() + turns * length, local.timetz().replace(tzinfo=None), tz
            )
        else:
            at = virtual + turns * length
    return (at, turns) if at == starts else None


def _restrictions(
    where: Where, restrictions: Any, findings: Findings, unit: str
) -> list[dict[str, Any]] | None:
    spans = []
    for index, item in enumerate(as_list(restrictions, where.at("restrictions"), findings, unit)):
        at = where.at("restrictions").at(index)
        restriction = as_object(item, at, findings, unit)
        kind = restriction.get("type")
        clock = str(restriction.get("start_time_of_day") or "")
        seconds = restriction.get("duration_seconds")
        parts = clock.split(":")
        valid_clock = len(parts) in (2, 3) and all(p.isdigit() for p in parts)
        if kind not in ("daily_restriction", "weekly_restriction"):
            findings.problem(
                at.at("type"), f"is not a restriction type Tocsin knows: {kind!r}", unit
            )
            continue
        if (
            not valid_clock
            or (len(parts) == 3 and int(parts[2]))
            or not isinstance(seconds, int)
            or seconds <= 0
            or seconds % 60
        ):
            findings.problem(
                at,
                "must start at a whole minute and last whole minutes "
                f"(start_time_of_day {clock!r}, duration_seconds {seconds!r})",
                unit,
            )
            continue
        minutes = int(parts[0]) * 60 + int(parts[1])
        length = seconds // 60
        if kind == "daily_restriction":
            if length > DAY:
                findings.problem(
                    at.at("duration_seconds"), "a daily restriction lasts at most a day", unit
                )
                continue
            spans += [(day * DAY + minutes, length) for day in range(7)]
        else:
            day = restriction.get("start_day_of_week")
            if not isinstance(day, int) or not 1 <= day <= 7 or length > WEEK:
                findings.problem(
                    at,
                    "a weekly restriction needs start_day_of_week 1-7 and lasts at most a week",
                    unit,
                )
                continue
            spans.append(((day - 1) * DAY + minutes, length))
    return windows_for_spans(spans) if spans else None


def _overrides(
    where: Where,
    document: dict[str, Any],
    export: _Export,
    people: People,
    as_of: datetime,
    zone: str,
    findings: Findings,
    unit: str,
) -> list[dict[str, Any]]:
    subschedule = document.get("overrides_subschedule")
    if not isinstance(subschedule, dict):
        return []
    at = where.at("overrides_subschedule").at("rendered_schedule_entries")
    overrides: list[dict[str, Any]] = []
    for index, item in enumerate(
        as_list(subschedule.get("rendered_schedule_entries", []), at, findings, unit)
    ):
        entry_at = at.at(index)
        entry = as_object(item, entry_at, findings, unit)
        starts = instant(entry.get("start"), entry_at.at("start"), findings, unit)
        ends = instant(entry.get("end"), entry_at.at("end"), findings, unit)
        contact = _contact(entry.get("user"), entry_at.at("user"), export, people, findings, unit)
        if starts is None or ends is None or contact is None:
            continue
        if ends <= as_of:
            findings.note(entry_at, "an override that ended before the import; not imported")
            continue
        local = ZoneInfo(zone)
        overrides.append(
            {
                "id": f"pagerduty-{len(overrides) + 1}",
                "contact": contact,
                "from": starts.astimezone(local).isoformat(),
                "to": ends.astimezone(local).isoformat(),
            }
        )
    return overrides


def _rendering(
    where: Where,
    document: dict[str, Any],
    export: _Export,
    people: People,
    findings: Findings,
    unit: str,
) -> list[OnCallPeriod] | None:
    final = document.get("final_schedule")
    if not isinstance(final, dict) or not isinstance(final.get("rendered_schedule_entries"), list):
        return None
    at = where.at("final_schedule").at("rendered_schedule_entries")
    periods = []
    for index, item in enumerate(final["rendered_schedule_entries"]):
        entry = as_object(item, at.at(index), findings, unit)
        starts = instant(entry.get("start"), at.at(index).at("start"), findings, unit)
        ends = instant(entry.get("end"), at.at(index).at("end"), findings, unit)
        contact = _contact(
            entry.get("user"), at.at(index).at("user"), export, people, findings, unit
        )
        if starts is None or ends is None or contact is None:
            return None
        periods.append(OnCallPeriod(starts, ends, contact))
    return periods or None


def _contact(
    user: Any, where: Where, export: _Export, people: People, findings: Findings, unit: str
) -> str | None:
    if not isinstance(user, dict) or not user.get("id"):
        findings.problem(where, "must be a user reference with an id", unit)
        return None
    user_id = str(user["id"])
    label = f"user {user_id} ({user.get('summary') or user.get('name') or 'no name'})"
    email = export.emails.get(user_id) or user.get("email")
    return people.contact_for([user_id, email], label, where, findings, unit)


def _policy(
    where: Where,
    document: Any,
    export: _Export,
    people: People,
    schedules: dict[str, str],
    chain: Sequence[str],
    names: Names,
    imported: Imported,
) -> EscalationDraft:
    findings = imported.findings
    policy = document if isinstance(document, dict) else {}
    name = str(policy.get("name") or policy.get("summary") or "")
    policy_id = names.make(name, str(policy.get("id") or ""), fallback="escalation")
    unit = escalation_unit(policy_id)
    if not isinstance(document, dict):
        findings.problem(where, "must be an escalation policy object", unit)
    strategy = policy.get("escalation_rule_assignment_strategy")
    if isinstance(strategy, dict) and strategy.get("type") == "round_robin":
        findings.problem(
            where.at("escalation_rule_assignment_strategy"),
            "round robin assignment (one target per incident, in turn) cannot be expressed: "
            "a Tocsin level pages all its targets",
            unit,
        )
    levels = []
    paged: set[str] = set()
    rules_at = where.at("escalation_rules")
    for index, item in enumerate(as_list(policy.get("escalation_rules"), rules_at, findings, unit)):
        at = rules_at.at(index)
        rule = as_object(item, at, findings, unit)
        delay = rule.get("escalation_delay_in_minutes")
        if not isinstance(delay, int) or not 1 <= delay <= 24 * 60:
            findings.problem(
                at.at("escalation_delay_in_minutes"),
                f"must be 1 to 1440 minutes for a Tocsin level; got {delay!r}",
                unit,
            )
        targets = []
        for number, target in enumerate(
            as_list(rule.get("targets"), at.at("targets"), findings, unit)
        ):
            target_at = at.at("targets").at(number)
            kind = target.get("type") if isinstance(target, dict) else None
            if kind in ("user_reference", "user"):
                contact = _contact(target, target_at, export, people, findings, unit)
                if contact is not None:
                    targets.append({"contact": contact})
            elif kind in ("schedule_reference", "schedule"):
                vendor_id = str(target.get("id"))
                if vendor_id in schedules:
                    targets.append({"schedule": schedules[vendor_id]})
                    paged.add(schedules[vendor_id])
                else:
                    findings.problem(
                        target_at,
                        f"schedule {vendor_id} ({target.get('summary') or 'no name'}) is not in "
                        f"the export: add the answer of GET /schedules/{vendor_id}",
                        unit,
                    )
            else:
                findings.problem(
                    target_at, f"a target of type {kind!r} cannot be paged by Tocsin", unit
                )
        levels.append({"notify": targets, "chain": list(chain), "timeout": f"{delay}m"})
    if not levels:
        findings.problem(rules_at, "has no escalation rule", unit)
    loops = policy.get("num_loops") or 0
    body: dict[str, Any] = {
        "id": policy_id,
        "description": f"Imported from PagerDuty escalation policy {policy.get('id')} ({name})",
    }
    if isinstance(loops, int) and loops > 0:
        body["repeat"] = loops
    body["levels"] = levels
    return EscalationDraft(policy_id, where, f"PagerDuty {policy.get('id')} '{name}'", body, paged)
