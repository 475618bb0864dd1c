"""An incident's after-action report, computed from the incident and its timeline. Pure.

Who was asked to confirm: everyone a level of the escalation policy paged (``paged``,
``escalated``, and those a level found unreachable), or without escalation everyone an alert
was addressed to; in a drill, only its roster (whom a level would have paged off it are gaps,
never asked). People only informed beside an escalation are in the reach, not here. Answers
count as the response desk counted them (``acknowledged``, ``declined``); those it did not
(``not_counted``) are listed, never counted. A decline then an acknowledgement: acknowledged.

Time to acknowledge: from the first alert handed to AWS once asked (with none: from the page,
or the trigger; a message that only informed does not count) to the counted acknowledgement.
Why unreachable: for one no channel reached, every reason known (no address, opted out,
refused by AWS, a failure receipt); for one reached, the channels that failed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from chalicelib.core.model import Incident, TimelineEntry
from chalicelib.core.reports.figures import (
    AckStats,
    Approval,
    Confirmation,
    EscalationStep,
    GroupConfirmation,
    Member,
    PersonOutcome,
    Point,
    Report,
    StatementOut,
    Timings,
)
from chalicelib.core.reports.reach import Jobs, channel_reach, deliveries_over_time, read_jobs
from chalicelib.core.reports.stats import median, percentile

_STEPS = {
    "paged": "paged",
    "escalated": "escalated",
    "escalation_skipped": "skipped",
    "escalation_exhausted": "exhausted",
}
_OPENING = ("event_received", "activation_requested", "drill_started")  # the trigger
_GATE = {"approved": "approved", "rejected": "rejected", "gate_timed_out": "timed_out"}


def build_report(
    incident: Incident, timeline: Sequence[TimelineEntry], members: Mapping[str, Member]
) -> Report:
    """``members``: the roles and teams of the timeline's people (erased: under no role)."""
    entries = sorted(timeline, key=lambda entry: entry.at)
    jobs = read_jobs(entries)
    timings = _timings(incident, entries, jobs)
    people = tuple(
        person
        for person in _people(entries, jobs, members, timings.triggered_at)
        if incident.roster is None or person.contact_id in incident.roster
    )
    acks = sorted(
        p.answered_at
        for p in people
        if p.confirmation is Confirmation.ACKNOWLEDGED and p.answered_at is not None
    )
    return Report(
        incident_id=incident.incident_id,
        title=incident.title,
        type=incident.type,
        severity=incident.severity.value,
        status=incident.status.value,
        exercise=incident.is_exercise,
        plan_id=incident.plan_id,
        drill_id=_drill_id(entries),
        timings=timings,
        reach=channel_reach(jobs),
        people=people,
        roles=_groups("role", people, lambda p: p.roles),
        teams=_groups("team", people, lambda p: p.teams),
        overall=_group("all", "everyone", people),
        escalations=tuple(
            EscalationStep(
                e.at, int(e.data.get("step", -1)), _STEPS[e.kind], tuple(e.data.get("paged", ()))
            )
            for e in entries
            if e.kind in _STEPS
        ),
        approvals=_approvals(entries),
        statements=_statements(entries),
        acknowledgements_over_time=tuple(
            Point((at - timings.triggered_at).total_seconds(), count)
            for count, at in enumerate(acks, start=1)
        ),
        deliveries_over_time=deliveries_over_time(jobs, timings.triggered_at),
    )


def _timings(incident: Incident, entries: Sequence[TimelineEntry], jobs: Jobs) -> Timings:
    opening = [e.at for e in entries if e.kind in _OPENING]
    activated = next((e.at for e in entries if e.kind == "activated"), None)
    handed = sorted(job.handed_at for job in jobs.by_key.values() if job.handed_at is not None)
    acked = [e.at for e in entries if e.kind == "acknowledged"]
    return Timings(
        triggered_at=min(opening) if opening else activated or incident.opened_at,
        decided_at=activated or incident.opened_at,
        first_message_at=handed[0] if handed else None,
        last_message_at=handed[-1] if handed else None,
        first_acknowledged_at=min(acked) if acked else None,
        resolved_at=incident.resolved_at,
    )


def _people(
    entries: Sequence[TimelineEntry],
    jobs: Jobs,
    members: Mapping[str, Member],
    triggered_at: datetime,
) -> tuple[PersonOutcome, ...]:
    paged = [e for e in entries if e.kind in ("paged", "escalated")]
    gaps: dict[str, list[str]] = defaultdict(list)
    asked: dict[str, None] = {}
    for entry in entries:
        if entry.kind == "unreachable" and entry.data.get("contact_id"):
            contact = str(entry.data["contact_id"])
            gaps[contact].append(entry.summary.split(": ", 1)[-1])
            if not paged or "step" in entry.data:
                asked[contact] = None
    paged_at: dict[str, datetime] = {}
    for entry in paged:
        for contact in (str(c) for c in entry.data.get("paged", ())):
            paged_at.setdefault(contact, entry.at)
            asked[contact] = None
    if not paged:
        asked.update(dict.fromkeys(job.contact_id for job in jobs.by_key.values()))
    acked = _first_by_person(entries, "acknowledged")
    declined = _first_by_person(entries, "declined")
    asked.update(dict.fromkeys([*acked, *declined]))
    ignored: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        if entry.kind == "not_counted" and entry.data.get("contact_id"):
            why = f"{entry.data.get('answer', 'answered')}: {entry.data.get('reason', '')}"
            ignored[str(entry.data["contact_id"])].append(why)
    return tuple(
        _person(
            contact,
            jobs,
            members.get(contact, Member(contact)),
            acked.get(contact),
            declined.get(contact),
            gaps.get(contact, []),
            ignored.get(contact, []),
            paged_at.get(contact, triggered_at),
        )
        for contact in sorted(asked)
    )


def _person(
    contact: str,
    jobs: Jobs,
    member: Member,
    acked: datetime | None,
    declined: datetime | None,
    gaps: list[str],
    ignored: list[str],
    asked_at: datetime,
) -> PersonOutcome:
    own = jobs.of(contact)
    handed = sorted(j.handed_at for j in own if j.handed_at is not None and j.handed_at >= asked_at)
    first = handed[0] if handed else None
    reached = sorted({j.channel for j in own if j.outcome in ("delivered", "unknown")})
    failed = [f"{j.channel} {j.reason or j.refused}" for j in own if j.outcome == "failed"]
    confirmation = (
        Confirmation.ACKNOWLEDGED
        if acked
        else Confirmation.DECLINED
        if declined
        else Confirmation.SILENT
    )
    return PersonOutcome(
        contact_id=contact,
        roles=member.roles,
        teams=member.teams,
        confirmation=confirmation,
        first_alert_at=first,
        answered_at=acked or declined,
        seconds_to_acknowledge=(acked - (first or asked_at)).total_seconds() if acked else None,
        reached_on=tuple(reached),
        # Someone reached: the channels that failed; someone not: every reason known.
        unreachable=tuple(dict.fromkeys([*failed] if reached else [*gaps, *failed])),
        not_counted=tuple(ignored),
    )


def _first_by_person(entries: Sequence[TimelineEntry], kind: str) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    for entry in entries:
        contact = entry.data.get("contact_id")
        if entry.kind == kind and contact and str(contact) not in found:
            found[str(contact)] = entry.at
    return found


def ack_stats(seconds: Sequence[float]) -> AckStats:
    return AckStats(
        count=len(seconds),
        median=median(seconds),
        p90=percentile(seconds, 0.9),
        slowest=max(seconds) if seconds else None,
    )


def _group(kind: str, name: str, people: Sequence[PersonOutcome]) -> GroupConfirmation:
    answers = [p.confirmation for p in people]
    return GroupConfirmation(
        kind=kind,
        name=name,
        asked=len(people),
        acknowledged=answers.count(Confirmation.ACKNOWLEDGED),
        declined=answers.count(Confirmation.DECLINED),
        silent=answers.count(Confirmation.SILENT),
        times=ack_stats(
            [p.seconds_to_acknowledge for p in people if p.seconds_to_acknowledge is not None]
        ),
    )


def _groups(
    kind: str, people: Sequence[PersonOutcome], names_of: Callable[[PersonOutcome], tuple[str, ...]]
) -> tuple[GroupConfirmation, ...]:
    grouped: dict[str, list[PersonOutcome]] = defaultdict(list)
    for person in people:
        for name in names_of(person):
            grouped[str(name)].append(person)
    return tuple(_group(kind, name, grouped[name]) for name in sorted(grouped))


def _approvals(entries: Sequence[TimelineEntry]) -> tuple[Approval, ...]:
    asked = next((e.at for e in entries if e.kind == "approval_requested"), None)
    return tuple(
        Approval(
            at=e.at,
            contact_id=str(e.data["contact_id"]) if e.data.get("contact_id") else None,
            outcome=_GATE[e.kind],
            seconds_waited=(e.at - asked).total_seconds() if asked else None,
        )
        for e in entries
        if e.kind in _GATE
    )


def _statements(entries: Sequence[TimelineEntry]) -> tuple[StatementOut, ...]:
    found: dict[str, dict[str, object]] = {}
    for entry in entries:
        if not entry.kind.startswith("statement_") or "statement_id" not in entry.data:
            continue
        data = entry.data
        record = found.setdefault(
            str(data["statement_id"]),
            {
                "audience": str(data.get("audience", "")),
                "language": str(data.get("language", "")),
                "kind": str(data.get("statement_kind", "")),
                "sent": [],
            },
        )
        if entry.kind == "statement_drafted":
            record.setdefault("drafted_at", entry.at)
        elif entry.kind == "statement_approved":
            record["approved_at"] = entry.at
        elif entry.kind == "statement_published":
            record.setdefault("published_at", entry.at)
        elif entry.kind in ("statement_sent", "statement_posted"):
            sent = record["sent"]
            assert isinstance(sent, list)
            sent.append((str(data.get("outlet", "")), entry.at))
    return tuple(
        StatementOut(
            statement_id=statement_id,
            audience=str(record["audience"]),
            language=str(record["language"]),
            kind=str(record["kind"]),
            drafted_at=_at(record.get("drafted_at")),
            approved_at=_at(record.get("approved_at")),
            published_at=_at(record.get("published_at")),
            sent=tuple(record["sent"]),  # type: ignore[arg-type]
        )
        for statement_id, record in found.items()
    )


def _at(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None


def _drill_id(entries: Sequence[TimelineEntry]) -> str | None:
    for entry in entries:
        if entry.kind == "drill_started" and entry.data.get("drill_id"):
            return str(entry.data["drill_id"])
    return None
