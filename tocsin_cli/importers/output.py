"""From drafts to one policy file, or nothing: validated with the rest of the policy directory,
checked against the vendor's own rendering of who is on call, then written in one step.

Without ``--partial`` any problem means nothing is written. With it, each schedule or escalation
policy is kept or left out whole (never a schedule without one of its layers, which would page
the wrong person), an escalation policy that pages a schedule left out is left out too, the file
says in its first lines that it is partial and what it lacks, and the command exits 1.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from chalicelib.core.oncall.shifts import MAX_RANGE, coverage
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.playbook.rotations import OnCallSchedule
from tocsin_cli.importers.drafts import (
    EscalationDraft,
    Imported,
    OnCallPeriod,
    ScheduleDraft,
    schedule_unit,
)
from tocsin_cli.importers.findings import Problem, Where
from tocsin_cli.policies import PolicyErrors, read_policy_dir

SHOWN_DIFFERENCES = 3
DUPLICATE_HINT = " (another policy file uses that id: import with --prefix, e.g. --prefix pd-)"
_QUOTED = re.compile(r"\d{1,2}:\d\d|\d{4}-\d\d-\d\d.*")  # times and dates stay text


class _Dumper(yaml.SafeDumper):
    """Quotes every time and date, as the policy files do by hand (``"08:00"``), so that no
    reader wonders whether YAML took one for a number or a date."""


def _text_scalar(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if _QUOTED.fullmatch(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text_scalar)


@dataclass(frozen=True)
class Options:
    out: Path
    as_of: datetime
    partial: bool = False
    dry_run: bool = False


@dataclass
class Outcome:
    """What was (or would be) written, and every problem, each with where it comes from."""

    path: Path
    text: str | None  # None: nothing can be written
    problems: list[Problem]
    kept_schedules: list[ScheduleDraft]
    kept_escalations: list[EscalationDraft]
    checked: dict[str, str]  # schedule id -> "matches PagerDuty's final_schedule from .. to .."

    @property
    def is_partial(self) -> bool:
        return bool(self.problems) and self.text is not None


def target_file(out: Path, command: str) -> Path:
    return out / f"imported-{command}.yaml"


def assemble(imported: Imported, options: Options) -> Outcome:
    """Decide what can be written; nothing is written here."""
    path = target_file(options.out, imported.command)
    problems = list(imported.findings.problems)
    left_out: set[str | None] = {p.unit for p in problems if p.unit}
    schedules, escalations = _kept(imported, left_out, problems)
    while True:
        text = _text(imported, options, schedules, escalations, problems)
        playbook, invalid = _validated(text, options.out, path)
        if invalid:
            # The drafts do not fit the directory (an id it already uses, say): nothing fits.
            return Outcome(path, None, problems + invalid, [], [], {})
        assert playbook is not None
        checked, mismatches = _checked(schedules, playbook, options.as_of)
        problems += mismatches
        if not mismatches:
            break
        left_out |= {p.unit for p in mismatches if p.unit}
        schedules, escalations = _kept(imported, left_out, problems)
    if problems and not options.partial:
        return Outcome(path, None, problems, [], [], {})
    if not schedules and not escalations:
        return Outcome(path, None, problems or _nothing(imported), [], [], {})
    return Outcome(path, text, problems, schedules, escalations, checked)


def write(outcome: Outcome) -> None:
    """Replace the file in one step (a reader sees the old file or the new, never half)."""
    assert outcome.text is not None
    outcome.path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".import-", dir=outcome.path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(outcome.text)
    Path(temporary).replace(outcome.path)


def _kept(
    imported: Imported, left_out: set[str | None], problems: list[Problem]
) -> tuple[list[ScheduleDraft], list[EscalationDraft]]:
    schedules = [s for s in imported.schedules if s.unit not in left_out]
    kept_ids = {s.schedule_id for s in schedules}
    escalations = []
    for policy in imported.escalations:
        if policy.unit in left_out:
            continue
        missing = sorted(policy.schedules - kept_ids)
        if missing:
            left_out.add(policy.unit)
            problems.append(
                Problem(
                    policy.where,
                    f"pages schedule {', '.join(missing)}, which cannot be imported",
                    policy.unit,
                )
            )
            continue
        escalations.append(policy)
    return schedules, escalations


def _nothing(imported: Imported) -> list[Problem]:
    files = ", ".join(imported.files)
    return [Problem(Where(files), "holds no schedule or escalation policy to import")]


def _text(
    imported: Imported,
    options: Options,
    schedules: Sequence[ScheduleDraft],
    escalations: Sequence[EscalationDraft],
    problems: Sequence[Problem],
) -> str:
    lines = [
        f"# Imported from {imported.vendor} by `tocsin import {imported.command}`, "
        f"as of {options.as_of.astimezone(UTC):%Y-%m-%dT%H:%MZ},",
        f"# from {', '.join(imported.files)}. Importing again replaces this file.",
    ]
    if problems:
        lines += [
            "# PARTIAL IMPORT (--partial): what follows is only what could be imported.",
            "# Left out, and why:",
            *(f"#   {problem}" for problem in problems),
        ]
    sections = {
        name: documents
        for name, documents in (
            ("oncall", [s.document for s in schedules]),
            ("escalations", [e.document for e in escalations]),
        )
        if documents
    }
    body = yaml.dump(sections, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(lines) + "\n" + body


def _validated(text: str, out: Path, path: Path) -> tuple[Playbook | None, list[Problem]]:
    """The playbook the directory would hold with this file in it (the file it replaces
    left out), or every error, each at its file and line."""
    with tempfile.TemporaryDirectory(prefix="tocsin-import-") as scratch:
        folder = Path(scratch)
        if out.is_dir():
            for existing in [*out.glob("*.yaml"), *out.glob("*.yml")]:
                if existing.name != path.name:
                    shutil.copyfile(existing, folder / existing.name)
        (folder / path.name).write_text(text, encoding="utf-8")
        try:
            return read_policy_dir(folder).validate(), []
        except PolicyErrors as errors:
            return None, [
                Problem(
                    Where(error.file, f"line {error.line}"),
                    f"{error.path}: {error.message}"
                    + (DUPLICATE_HINT if "duplicate id" in error.message else ""),
                )
                for error in errors.errors
            ]


def _checked(
    schedules: Iterable[ScheduleDraft], playbook: Playbook, as_of: datetime
) -> tuple[dict[str, str], list[Problem]]:
    checked: dict[str, str] = {}
    problems: list[Problem] = []
    for draft in schedules:
        if not draft.rendering:
            continue
        start = max(as_of, min(period.start for period in draft.rendering))
        end = max(period.end for period in draft.rendering)
        if end <= start:
            continue
        schedule = playbook.oncall[draft.schedule_id]
        found = differences(schedule, draft.rendering, start, end)
        zone = ZoneInfo(schedule.timezone)
        span = (
            f"{start.astimezone(zone):%Y-%m-%d %H:%M} to {end.astimezone(zone):%Y-%m-%d %H:%M %Z}"
        )
        if found:
            problems.append(
                Problem(
                    draft.where,
                    f"the import would not page whom {draft.rendering_name} says is on call "
                    f"({len(found)} difference(s) from {span}): "
                    + "; ".join(found[:SHOWN_DIFFERENCES]),
                    schedule_unit(draft.schedule_id),
                )
            )
        else:
            checked[draft.schedule_id] = f"matches {draft.rendering_name} from {span}"
    return checked, problems


def differences(
    schedule: OnCallSchedule, rendering: Sequence[OnCallPeriod], start: datetime, end: datetime
) -> list[str]:
    """Each stretch of [start, end) where the schedule and the vendor disagree on who is on
    call, described in the schedule's time zone."""
    ours = _timeline(schedule, start, end)
    theirs = [(p.start, p.end, p.contact_id) for p in rendering]
    edges = sorted(
        {start, end} | {at for s, e, _ in [*ours, *theirs] for at in (s, e) if start < at < end}
    )
    zone = ZoneInfo(schedule.timezone)
    found: list[str] = []
    for begins, ends in pairwise(edges):
        mine, vendor = _who(ours, begins), _who(theirs, begins)
        if mine != vendor:
            text = (
                f"{begins.astimezone(zone):%Y-%m-%d %H:%M} to "
                f"{ends.astimezone(zone):%Y-%m-%d %H:%M %Z}: the export has "
                f"{vendor or 'nobody'}, the import {mine or 'nobody'}"
            )
            found.append(text)
    return found


def _timeline(
    schedule: OnCallSchedule, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, str | None]]:
    periods: list[tuple[datetime, datetime, str | None]] = []
    chunk = MAX_RANGE - timedelta(days=1)
    at = start
    while at < end:
        until = min(end, at + chunk)
        periods += [(s.start, s.end, s.contact_id) for s in coverage(schedule, [], at, until)]
        at = until
    return periods


def _who(periods: Sequence[tuple[datetime, datetime, str | None]], at: datetime) -> str | None:
    return next((who for s, e, who in periods if s <= at < e), None)
