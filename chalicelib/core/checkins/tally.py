"""Where a check-in stands: counts per option, per team, per label and per role, who has not
answered and who could not be asked. Pure: the check-in, who was asked and each person's latest
answer in; one value out (``GET /v1/checkins/{id}``, ``tocsin checkin show``, the CSV export)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chalicelib.core.checkins.values import AudienceMember, Checkin, CheckinAnswer

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
    unreachable: tuple[str, ...]  # asked on no channel (and no answer from them either)
    needing_help: tuple[tuple[str, str | None], ...]  # (contact, their help incident)


def tally(
    checkin: Checkin,
    audience: Sequence[AudienceMember],
    latest: Mapping[str, CheckinAnswer],
) -> Tally:
    counts = {option.number: 0 for option in checkin.options}
    by_team: dict[str, dict[str, int]] = {}
    by_role: dict[str, dict[str, int]] = {}
    by_label: dict[str, dict[str, int]] = {}
    unreachable = set(checkin.unreachable)
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
        unreachable=tuple(c for c in checkin.unreachable if c not in latest),
        needing_help=tuple(helped),
    )


def _empty_row(checkin: Checkin) -> dict[str, int]:
    return {**{str(o.number): 0 for o in checkin.options}, NO_ANSWER: 0}
