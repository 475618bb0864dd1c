"""Calendar files as people keep them: all-day events, and Grafana OnCall's UTC export."""

from __future__ import annotations

import io
from pathlib import Path

import yaml

from tests.conftest import PROJECT
from tocsin_cli.main import main

EXPORTS = Path(__file__).resolve().parent.parent / "exports"
CONTACTS = str(PROJECT / "examples" / "contacts.csv")


def tocsin(*arguments: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(arguments), out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_all_day_events_are_whole_days_in_the_schedules_time_zone(tmp_path: Path) -> None:
    events = "".join(
        f"BEGIN:VEVENT\nUID:d{day}\nDTSTAMP:20261201T000000Z\nDTSTART;VALUE=DATE:202612{day:02d}\n"
        f"DTEND;VALUE=DATE:202612{day + 1:02d}\n"
        f"ATTENDEE:mailto:{('ada', 'bo')[day % 2]}@example.com\n"
        "SUMMARY:Site duty\nEND:VEVENT\n"
        for day in range(1, 29)
    )
    path = tmp_path / "duty.ics"
    path.write_text(
        (
            "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nX-WR-CALNAME:Site duty\n"
            f"X-WR-TIMEZONE:Europe/Oslo\n{events}END:VCALENDAR\n"
        ).replace("\n", "\r\n")
    )
    code, text, err = tocsin(
        "import", "ical", str(path), "--contacts", CONTACTS, "--out", str(tmp_path / "p"),
        "--as-of", "2026-11-30T23:00:00Z", "--days", "28", "--dry-run",
    )  # fmt: skip
    assert code == 0, err
    assert "matches the calendar from 2026-12-01 00:00 to 2026-12-29 00:00 CET" in text
    schedule = yaml.safe_load(text.split("would import")[0])["oncall"][0]
    layer = schedule["layers"][0]
    assert (layer["rotation"], layer["handoff"], schedule["timezone"]) == (
        "day",
        "00:00",
        "Europe/Oslo",
    )
    assert sorted(layer["members"]) == ["c-ada", "c-bo"] and "overrides" not in schedule


def test_grafana_oncalls_utc_export_keeps_utc_hand_offs_and_says_how_to_follow_summer_time(
    tmp_path: Path,
) -> None:
    maps = [f"--map={n}.example=c-{n}" for n in ("ada", "bo", "chen", "dina")]
    code, text, err = tocsin(
        "import", "ical", str(EXPORTS / "grafana" / "ops-oncall.ics"), "--contacts", CONTACTS,
        "--out", str(tmp_path / "p"), "--as-of", "2026-12-01T00:00:00Z", "--days", "30",
        "--dry-run", *maps,
    )  # fmt: skip
    assert code == 0, err
    assert "the calendar says UTC (Grafana OnCall's export always does)" in err
    assert "give --timezone" in err
    schedule = yaml.safe_load(text.split("would import")[0])["oncall"][0]
    assert schedule["timezone"] == "UTC" and schedule["layers"][0]["handoff"] == "08:00"
