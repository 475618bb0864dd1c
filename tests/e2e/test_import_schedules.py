"""Exports from PagerDuty, Opsgenie and Grafana OnCall (fictional, in the vendors' documented
shapes) become a playbook that validates and applies, and ``tocsin oncall show`` then prints
exactly the coverage the export describes: the vendor's own rendering, read here independently
of the importer."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import boto3
import icalendar
import pytest

from chalicelib import wiring
from tests.conftest import PROJECT
from tocsin_cli.main import main

EXPORTS = Path(__file__).resolve().parent.parent / "exports"
CONTACTS = PROJECT / "examples" / "contacts.csv"
AS_OF = "2026-12-01T00:00:00Z"
SHOWN = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d) \S+ -> (\d{4}-\d\d-\d\d \d\d:\d\d) \S+  (.*)  \((.*)\)$"
)
Period = tuple[datetime, datetime, str | None]


def tocsin(*arguments: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(arguments), out, services=wiring.container(), err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def policies(tmp_path: Path, world: boto3.Session) -> Path:
    """The example playbook, which the import is added to."""
    folder = tmp_path / "policies"
    shutil.copytree(PROJECT / "policies", folder)
    return folder


def contact_by_email() -> dict[str, str]:
    with CONTACTS.open(encoding="utf-8") as handle:
        return {row["email"].lower(): row["contact_id"] for row in csv.DictReader(handle)}


def merged(periods: list[Period]) -> list[Period]:
    """Touching periods of the same person joined, so both sides are compared alike."""
    joined: list[Period] = []
    for start, end, who in sorted(periods, key=lambda p: p[0]):
        if joined and joined[-1][2] == who and joined[-1][1] == start:
            joined[-1] = (joined[-1][0], end, who)
        else:
            joined.append((start, end, who))
    return joined


def shown(schedule: str, zone: str, start: datetime, end: datetime) -> list[Period]:
    """Every shift ``tocsin oncall show`` prints, gaps as None."""
    code, out, err = tocsin(
        "oncall", "show", schedule, "--from", start.isoformat(), "--to", end.isoformat()
    )
    assert code == 0, out + err
    tz = ZoneInfo(zone)
    periods: list[Period] = []
    for line in out.splitlines():
        match = SHOWN.search(line.strip())
        if match is None:
            continue
        begins, ends = (
            datetime.strptime(match.group(i), "%Y-%m-%d %H:%M").replace(tzinfo=tz).astimezone(UTC)
            for i in (1, 2)
        )
        person = re.search(r"\((c-[a-z0-9-]+)\)$", match.group(3))
        periods.append((begins, ends, person.group(1) if person else None))
    assert periods, out
    return merged(periods)


def imported(policies: Path, vendor: str, *arguments: str) -> str:
    code, out, err = tocsin("import", vendor, *arguments, "--out", str(policies), "--as-of", AS_OF)
    assert code == 0, err
    code, validated, err = tocsin("policies", "validate", str(policies))
    assert code == 0, err
    code, _, err = tocsin("policies", "apply", str(policies))
    assert code == 0, err
    return out + validated


def test_a_pagerduty_export_becomes_the_coverage_its_final_schedule_describes(
    policies: Path,
) -> None:
    folder = EXPORTS / "pagerduty"
    files = [str(path) for path in sorted(folder.glob("*.json"))]
    out = imported(policies, "pagerduty", *files, "--contacts", str(CONTACTS), "--prefix", "pd-")
    assert "matches PagerDuty's final_schedule" in out
    assert (
        (policies / "imported-pagerduty.yaml").read_text().startswith("# Imported from PagerDuty")
    )
    # The oracle: PagerDuty's final_schedule, its users found by email in the contacts CSV.
    emails = {
        u["id"]: u["email"].lower()
        for u in json.loads((folder / "users.json").read_text())["users"]
    }
    schedule = json.loads((folder / "schedule-it-primary.json").read_text())["schedule"]
    contacts = contact_by_email()
    expected = merged(
        [
            (
                datetime.fromisoformat(e["start"]).astimezone(UTC),
                datetime.fromisoformat(e["end"]).astimezone(UTC),
                contacts[emails[e["user"]["id"]]],
            )
            for e in schedule["final_schedule"]["rendered_schedule_entries"]
        ]
    )
    assert shown("pd-it-primary", "Europe/Copenhagen", expected[0][0], expected[-1][1]) == expected
    playbook = wiring.container().playbook_store.load()
    policy = playbook.escalations["pd-it-major"]
    assert policy.repeat == 2 and [level.timeout.seconds // 60 for level in policy.levels] == [
        10,
        15,
    ]
    assert policy.levels[0].names("schedule") == ("pd-it-primary",)
    assert policy.levels[1].names("contact") == ("c-chen", "c-ada")


def test_an_opsgenie_export_matched_through_the_contact_directory_gives_its_timeline(
    policies: Path,
) -> None:
    folder = EXPORTS / "opsgenie"
    files = [str(path) for path in sorted(folder.glob("*.json"))]
    out = imported(policies, "opsgenie", *files, "--prefix", "og-")  # no CSV: the directory
    assert "matches Opsgenie's final timeline" in out
    timeline = json.loads((folder / "timeline-ops-duty.json").read_text())["data"]
    contacts = contact_by_email()
    expected = merged(
        [
            (
                datetime.fromisoformat(p["startDate"]).astimezone(UTC),
                datetime.fromisoformat(p["endDate"]).astimezone(UTC),
                contacts[p["recipient"]["username"]],
            )
            for rotation in timeline["finalTimeline"]["rotations"]
            for p in rotation["periods"]
        ]
    )
    assert shown("og-ops-duty", "Europe/Oslo", expected[0][0], expected[-1][1]) == expected
    policy = wiring.container().playbook_store.load().escalations["og-ops-escalation"]
    assert [level.timeout.seconds // 60 for level in policy.levels] == [5, 10, 10]
    assert policy.levels[2].names("team") == ("supply-chain",) and policy.repeat == 1


def calendar_shifts(
    path: Path, names: dict[str, str], start: datetime, end: datetime
) -> list[Period]:
    calendar = icalendar.Calendar.from_ical(
        re.sub(rb"REFRESH-INTERVAL[^\r\n]*\r\n", b"", path.read_bytes())
    )
    periods = []
    for event in calendar.walk("VEVENT"):
        if str(event.get("STATUS", "")) == "CANCELLED":
            continue
        begins, ends = max(event.decoded("DTSTART"), start), min(event.decoded("DTEND"), end)
        if begins < ends:
            periods.append((begins, ends, names[str(event["SUMMARY"])]))
    return merged(periods)


def test_a_grafana_oncall_calendar_export_becomes_a_rotation_that_pages_the_same_people(
    policies: Path,
) -> None:
    path = EXPORTS / "grafana" / "ops-oncall.ics"
    names = {f"{n}.example": f"c-{n}" for n in ("ada", "bo", "chen", "dina")}
    mapping = [
        option for user, contact in names.items() for option in ("--map", f"{user}={contact}")
    ]
    out = imported(
        policies, "ical", str(path), "--contacts", str(CONTACTS), "--timezone",
        "Europe/Copenhagen", "--days", "30", *mapping,
    )  # fmt: skip
    assert "matches the calendar" in out
    start = datetime(2026, 12, 1, tzinfo=UTC)
    end = datetime(2026, 12, 31, tzinfo=UTC)
    expected = calendar_shifts(path, names, start, end)
    assert shown("ops-on-call", "Europe/Copenhagen", start, end) == expected
    assert any(who == "c-dina" for _, _, who in expected)  # the override came over


def test_a_calendar_of_recurring_events_becomes_the_rotation_behind_them(policies: Path) -> None:
    path = EXPORTS / "ical" / "site-oncall.ics"
    out = imported(policies, "ical", str(path), "--contacts", str(CONTACTS))
    assert "matches the calendar" in out
    text = (policies / "imported-ical.yaml").read_text()
    assert "rotation: week" in text and "- c-dina\n    - c-fay\n    - c-chen" in text
    tz = ZoneInfo("Europe/Oslo")
    # Fay's New Year week went to Ada (an EXDATE and an event of its own in the calendar).
    week = shown(
        "site-on-call", "Europe/Oslo",
        datetime(2026, 12, 21, 9, tzinfo=tz), datetime(2027, 1, 11, 9, tzinfo=tz),
    )  # fmt: skip
    assert [who for _, _, who in week] == ["c-dina", "c-ada", "c-chen"]
