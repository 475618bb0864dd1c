"""Where a check-in stands: counts per option, per team, per label and per role, who has not
answered and who could not be asked. Pure: the check-in, who was asked and each person's latest
answer in; one value out (``GET /v1/checkins/{id}``, ``tocsin checkin show``, the CSV export).

Who could not be asked: those with no usable channel at the start (``Checkin.unreachable``), and
those whose every usable channel failed for good since (``cut_off``, read from the check-in
incident's timeline: the first ask's ``notification_failed`` entries, none sent)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from chalicelib.core.checkins.values import AudienceMember, Checkin, CheckinAnswer
from chalicelib.core.model import TimelineEntry

NO_ANSWER = "none"


@dataclass(frozen=True)
class Tally:
    checkin: Checkin
    asked: int
    answered: int
    late: int
    counts: Mapping[int, int]  # option number -> people whose latest answer it is
    by_team: Mapping[str, Mapping[str, int]]  # team -> option number (or "none") -> people
    by_role: Mapping[str, Mapping[str, int]]
    by_label: Mapping[str, Mapping[str, int]]
    silent: tuple[str, ...]  # asked, reachable, no answer yet
    unreachable: tuple[str, ...]  # no usable channel, or every one failed (and no answer)
    needing_help: tuple[tuple[str, str | None], ...]  # (contact, their help incident)


def tally(
    checkin: Checkin,
    audience: Sequence[AudienceMember],
    latest: Mapping[str, CheckinAnswer],
    cut_off: Collection[str] = (),
) -> Tally:
    """``cut_off``: people whose every channel failed after the start (see ``cut_off``)."""
    counts = {option.number: 0 for option in checkin.options}
    by_team: dict[str, dict[str, int]] = {}
    by_role: dict[str, dict[str, int]] = {}
    by_label: dict[str, dict[str, int]] = {}
    unreachable = set(checkin.unreachable) | set(cut_off)
    silent: list[str] = []
    helped: list[tuple[str, str | None]] = []
    for member in audience:
        answer = latest.get(member.contact_id)
        column = str(answer.option) if answer else NO_ANSWER
        if answer is not None:
            counts[answer.option] = counts.get(answer.option, 0) + 1
            option = checkin.option(answer.option)
            if option is not None and option.needs_help:
                helped.append((member.contact_id, answer.help_incident))
        elif member.contact_id not in unreachable:
            silent.append(member.contact_id)
        grouped = (by_team, member.teams), (by_role, member.roles), (by_label, member.labels)
        for groups, names in grouped:
            for name in names:
                row = groups.setdefault(name, _empty_row(checkin))
                row[column] += 1
    answered = sum(1 for m in audience if m.contact_id in latest)
    return Tally(
        checkin=checkin,
        asked=len(audience),
        answered=answered,
        late=sum(1 for m in audience if (a := latest.get(m.contact_id)) and a.late),
        counts=counts,
        by_team=by_team,
        by_role=by_role,
        by_label=by_label,
        silent=tuple(silent),
        unreachable=tuple(
            m.contact_id
            for m in audience
            if m.contact_id in unreachable and m.contact_id not in latest
        ),
        needing_help=tuple(helped),
    )


def _empty_row(checkin: Checkin) -> dict[str, int]:
    return {**{str(o.number): 0 for o in checkin.options}, NO_ANSWER: 0}


def cut_off(checkin: Checkin, entries: Iterable[TimelineEntry]) -> frozenset[str]:
    """People the first ask reached on no channel: nothing sent to them, and a failure for good
    (not one to retry) on each channel they had an address for (the channels asked minus their
    start-time gaps). A chain's fallback still under way leaves its person out."""
    sent: set[str] = set()
    failed: dict[str, set[str]] = {}
    gaps: dict[str, int] = {}
    for entry in entries:
        data = entry.data
        contact = str(data.get("contact_id") or "")
        if not contact:
            continue
        if entry.kind == "unreachable" and "step" not in data:
            gaps[contact] = gaps.get(contact, 0) + 1
        elif data.get("step") != 0:
            continue
        elif entry.kind == "notification_sent":
            sent.add(contact)
        elif entry.kind == "notification_failed" and not data.get("retryable"):
            failed.setdefault(contact, set()).add(str(data.get("channel")))
    usable = len(checkin.channels)
    return frozenset(
        contact
        for contact, channels in failed.items()
        if contact not in sent and len(channels) >= usable - gaps.get(contact, 0)
    )
