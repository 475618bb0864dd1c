"""Hostile and broken exports: every problem is named with its file and JSON path (or event),
and nothing is written, unless --partial writes whole schedules and says what it left out."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT
from tocsin_cli.main import main

EXPORTS = Path(__file__).resolve().parent.parent / "exports"
CONTACTS = str(PROJECT / "examples" / "contacts.csv")
AS_OF = "2026-12-01T00:00:00Z"
OLD = "# an earlier import, which a failed one must leave as it is\n"
Edit = Callable[[dict[str, Any]], None]


def tocsin(*arguments: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(arguments), out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir()
    for name in ("roles.yaml",):  # teams the Opsgenie export may name
        (folder / name).write_text((PROJECT / "policies" / name).read_text())
    for vendor in ("pagerduty", "opsgenie", "ical"):
        (folder / f"imported-{vendor}.yaml").write_text(OLD)
    return folder


def edited(tmp_path: Path, vendor: str, name: str, edit: Edit) -> Path:
    document = json.loads((EXPORTS / vendor / name).read_text())
    edit(document)
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def vendor_files(tmp_path: Path, vendor: str, edits: dict[str, Edit] | None = None) -> list[str]:
    files = []
    for path in sorted((EXPORTS / vendor).glob("*.json")):
        edit = (edits or {}).get(path.name)
        files.append(str(edited(tmp_path, vendor, path.name, edit) if edit else path))
    return files


def refused(out: Path, vendor: str, files: list[str], *options: str) -> str:
    code, _, err = tocsin(
        "import", vendor, *files, "--contacts", CONTACTS, "--out", str(out), "--as-of", AS_OF,
        *options,
    )  # fmt: skip
    assert code == 1, err
    assert "nothing written" in err
    assert (out / f"imported-{vendor}.yaml").read_text() == OLD
    return err


def pd_layer(index: int, **changes: Any) -> Edit:
    def edit(document: dict[str, Any]) -> None:
        document["schedule"]["schedule_layers"][index].update(changes)

    return edit


def test_the_unchanged_exports_import_and_the_failed_ones_below_are_not_vacuous(
    out: Path, tmp_path: Path
) -> None:
    code, _, err = tocsin(
        "import", "pagerduty", *vendor_files(tmp_path, "pagerduty"), "--contacts", CONTACTS,
        "--out", str(out), "--as-of", AS_OF,
    )  # fmt: skip
    assert code == 0, err
    written = yaml.safe_load((out / "imported-pagerduty.yaml").read_text())
    assert [s["id"] for s in written["oncall"]] == ["it-primary"]
    # What ended before the import is left out, and said so.
    assert (
        "note: schedule-it-primary.json: schedule.schedule_layers[2]: layer 'Weekly (before "
        "November)' ended on 2026-11-02 09:00 CET; not imported" in err
    )
    assert [layer["id"] for layer in written["oncall"][0]["layers"]] == ["office-hours", "weekly"]


def test_users_who_are_not_contacts_are_each_named_at_their_path(out: Path, tmp_path: Path) -> None:
    def strangers(document: dict[str, Any]) -> None:
        document["users"][0]["email"] = "gus@example.com"  # Ada's account, a stranger's address

    err = refused(out, "pagerduty", vendor_files(tmp_path, "pagerduty", {"users.json": strangers}))
    assert (
        "schedule-it-primary.json: schedule.schedule_layers[1].users[0].user: user PADA001 (Ada "
        "Example) is not a contact: no contact has the address gus@example.com" in err
    )
    assert "--map PADA001=CONTACT_ID" in err
    assert "escalation-policies.json: escalation_policies[0].escalation_rules[1].targets[1]" in err
    # Without the users answer, PagerDuty's schedule gives no address for anyone.
    files = [f for f in vendor_files(tmp_path, "pagerduty") if not f.endswith("users.json")]
    err = refused(out, "pagerduty", files)
    assert "user PFAY006 (Fay Example) is not a contact: the export gives no email address" in err


def test_a_layer_that_ends_later_or_turns_in_minutes_cannot_be_expressed(
    out: Path, tmp_path: Path
) -> None:
    err = refused(
        out,
        "pagerduty",
        vendor_files(
            tmp_path,
            "pagerduty",
            {"schedule-it-primary.json": pd_layer(1, end="2027-02-01T09:00:00+01:00")},
        ),
    )
    assert "schedule.schedule_layers[1].end: layer 'Weekly' ends on 2027-02-01" in err
    assert "Tocsin layers do not end" in err
    err = refused(
        out,
        "pagerduty",
        vendor_files(
            tmp_path,
            "pagerduty",
            {"schedule-it-primary.json": pd_layer(0, rotation_turn_length_seconds=5400)},
        ),
    )
    assert "schedule.schedule_layers[0].rotation_turn_length_seconds: layer 'Office hours' " in err
    assert "whole hours or days" in err
    # The escalation policy that pages the schedule is refused with it.
    assert "escalation_policies[0]: pages schedule it-primary, which cannot be imported" in err


def test_a_malformed_or_foreign_file_is_refused_where_it_breaks(out: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"schedule": {"id": "PX", "name": "x",\n  "time_zone": }')
    err = refused(out, "pagerduty", [str(broken)])
    assert "broken.json: is not valid JSON: Expecting value at line 2, column 16" in err
    foreign = tmp_path / "alert.json"
    foreign.write_text(json.dumps({"incident": {"id": "Q1"}}))
    err = refused(out, "pagerduty", [str(foreign)])
    assert "alert.json: is not a PagerDuty REST answer Tocsin reads" in err
    overrides = tmp_path / "overrides.json"
    overrides.write_text(json.dumps({"overrides": [], "limit": 25, "offset": 0, "more": False}))
    err = refused(out, "pagerduty", [str(overrides)])
    assert "does not say which schedule it belongs to" in err
    binary = tmp_path / "oncall.ics"
    binary.write_bytes(b"\x00\xffPK\x03\x04 not a calendar")
    err = refused(out, "ical", [str(binary)])
    assert "oncall.ics: is not an iCalendar file" in err


def test_an_escalation_to_a_schedule_missing_from_the_export_names_what_to_add(
    out: Path, tmp_path: Path
) -> None:
    files = [f for f in vendor_files(tmp_path, "pagerduty") if "schedule" not in f]
    err = refused(out, "pagerduty", files)
    assert (
        "escalation_policies[0].escalation_rules[0].targets[0]: schedule PITPRI1 (IT Primary) "
        "is not in the export: add the answer of GET /schedules/PITPRI1" in err
    )


def test_an_import_that_would_page_someone_else_than_the_vendor_says_is_refused(
    out: Path, tmp_path: Path
) -> None:
    def wrong(document: dict[str, Any]) -> None:
        entries = document["schedule"]["final_schedule"]["rendered_schedule_entries"]
        entries[3]["user"] = copy.deepcopy(entries[1]["user"])  # 22 December: Dina, not Fay

    err = refused(
        out,
        "pagerduty",
        vendor_files(tmp_path, "pagerduty", {"schedule-it-primary.json": wrong}),
    )
    assert "the import would not page whom PagerDuty's final_schedule says is on call" in err
    assert (
        "2026-12-22 08:00 to 2026-12-22 17:00 CET: the export has c-dina, the import c-fay" in err
    )


def test_partial_writes_whole_schedules_only_and_says_what_it_left_out(
    out: Path, tmp_path: Path
) -> None:
    schedule = json.loads((EXPORTS / "pagerduty" / "schedule-it-primary.json").read_text())
    good = schedule["schedule"]
    bad = copy.deepcopy(good)
    bad.update(id="PBROKEN", name="Broken rota")
    bad["schedule_layers"][0]["rotation_turn_length_seconds"] = 5400
    listing = tmp_path / "schedules.json"
    listing.write_text(json.dumps({"schedules": [good, bad], "limit": 25, "more": False}))
    users = str(EXPORTS / "pagerduty" / "users.json")
    policies = str(EXPORTS / "pagerduty" / "escalation-policies.json")
    code, _, err = tocsin(
        "import", "pagerduty", str(listing), users, policies, "--contacts", CONTACTS,
        "--out", str(out), "--as-of", AS_OF, "--partial",
    )  # fmt: skip
    assert code == 1 and "PARTIAL import" in err
    written = (out / "imported-pagerduty.yaml").read_text()
    assert "# PARTIAL IMPORT (--partial)" in written
    assert "schedules[1].schedule_layers[0].rotation_turn_length_seconds" in written
    document = yaml.safe_load(written)
    assert [s["id"] for s in document["oncall"]] == ["it-primary"]  # the broken one left out
    assert [e["id"] for e in document["escalations"]] == ["it-major"]
    code, _, err = tocsin("policies", "validate", str(out))
    assert code == 0, err


def test_an_id_the_directory_already_uses_is_refused_with_the_way_round_it(
    out: Path, tmp_path: Path
) -> None:
    (out / "mine.yaml").write_text(
        (PROJECT / "policies" / "oncall.yaml").read_text().replace("it-duty", "it-primary")
    )
    err = refused(out, "pagerduty", vendor_files(tmp_path, "pagerduty"))
    assert "duplicate id 'it-primary'" in err and "--prefix" in err


def og_schedule(edit: Callable[[list[dict[str, Any]]], None]) -> Edit:
    def change(document: dict[str, Any]) -> None:
        edit(document["data"]["rotations"])

    return change


def test_opsgenie_rotations_that_overlap_are_refused_since_tocsin_pages_one_person(
    out: Path, tmp_path: Path
) -> None:
    def all_night(rotations: list[dict[str, Any]]) -> None:
        del rotations[1]["timeRestriction"]  # Nights now runs round the clock, over Days

    err = refused(
        out,
        "opsgenie",
        vendor_files(tmp_path, "opsgenie", {"schedule-ops-duty.json": og_schedule(all_night)}),
    )
    assert (
        "schedule-ops-duty.json: data.rotations: rotations days and nights are both on call" in err
    )
    assert "Opsgenie pages both" in err


def test_opsgenie_features_tocsin_cannot_express_are_named(out: Path, tmp_path: Path) -> None:
    def nobody_turn(rotations: list[dict[str, Any]]) -> None:
        rotations[0]["participants"].append({"type": "none"})
        rotations[1]["participants"].append({"type": "team", "name": "ops"})

    def unacked_only(document: dict[str, Any]) -> None:
        rules = document["data"][0]["rules"]
        rules[1]["condition"] = "if-not-closed"
        rules[0]["notifyType"] = "next"
        rules[2]["recipient"]["name"] = "platform"

    def some_rotations(document: dict[str, Any]) -> None:
        document["data"][0]["rotations"] = [{"id": "x", "name": "Nights"}]

    err = refused(
        out,
        "opsgenie",
        vendor_files(
            tmp_path,
            "opsgenie",
            {
                "schedule-ops-duty.json": og_schedule(nobody_turn),
                "escalations.json": unacked_only,
                "overrides-ops-duty.json": some_rotations,
            },
        ),
    )
    assert "data.rotations[0].participants[2]: rotation 'Days' has a 'none' turn" in err
    assert "data.rotations[1].participants[3]: rotation 'Nights' has a team as participant" in err
    assert "data[0].rules[1].condition: 'if-not-closed' escalates after an acknowledgement" in err
    assert "data[0].rules[0].notifyType: 'next'" in err
    assert "the playbook declares no team 'platform'" in err
    assert (
        "overrides-ops-duty.json: data[0].rotations: override 'winter-swap' overrides some" in err
    )


def ical_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "rota.ics"
    path.write_text(text.replace("\n", "\r\n"))
    return str(path)


def event(uid: str, start: str, end: str, summary: str) -> str:
    return (
        f"BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20261201T000000Z\nDTSTART:{start}\nDTEND:{end}\n"
        f"SUMMARY:{summary}\nEND:VEVENT\n"
    )


def calendar(*events: str, zone: str | None = "Europe/Copenhagen") -> str:
    header = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nX-WR-CALNAME:Rota\n"
    if zone:
        header += f"X-WR-TIMEZONE:{zone}\n"
    return header + "".join(events) + "END:VCALENDAR\n"


def weekly(*people: str, weeks: int = 6, first: int = 7) -> list[str]:
    """Weekly shifts from Monday 7 December 2026 09:00 Copenhagen (08:00Z), in turn."""
    from datetime import datetime, timedelta

    start = datetime(2026, 12, first, 8)
    return [
        event(
            f"w{i}",
            f"{start + timedelta(weeks=i):%Y%m%dT%H%M%SZ}",
            f"{start + timedelta(weeks=i + 1):%Y%m%dT%H%M%SZ}",
            people[i % len(people)],
        )
        for i in range(weeks)
    ]


def test_calendar_shifts_of_two_people_at_once_are_refused_naming_both_events(
    out: Path, tmp_path: Path
) -> None:
    overlap = event("both", "20261209T080000Z", "20261210T080000Z", "dina@example.com")
    text = calendar(*weekly("ada@example.com", "bo@example.com"), overlap)
    err = refused(out, "ical", [ical_file(tmp_path, text)])
    assert "rota.ics: VEVENT both (2026-12-09 09:00): overlaps VEVENT w0 (2026-12-07 09:00)" in err
    assert "c-dina and c-ada are both on call" in err


def test_calendar_gaps_that_do_not_repeat_weekly_cannot_be_expressed(
    out: Path, tmp_path: Path
) -> None:
    shifts = weekly("ada@example.com", "bo@example.com")
    del shifts[2]  # nobody on call for one week in the middle
    err = refused(out, "ical", [ical_file(tmp_path, calendar(*shifts))])
    assert "nobody is on call at times that do not repeat every week" in err


def test_a_calendar_of_usernames_needs_a_map_and_one_without_a_zone_needs_timezone(
    out: Path, tmp_path: Path
) -> None:
    err = refused(out, "ical", [ical_file(tmp_path, calendar(*weekly("ada.example", "bo")))])
    assert "VEVENT w0 (2026-12-07 09:00): 'ada.example' is not a contact" in err
    assert "--map ada.example=CONTACT_ID" in err
    floating = [e.replace("Z\n", "\n") for e in weekly("ada@example.com", "bo@example.com")]
    err = refused(out, "ical", [ical_file(tmp_path, calendar(*floating, zone=None))])
    assert (
        "rota.ics: says nothing of its time zone (no X-WR-TIMEZONE, no TZID): give --timezone"
        in err
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--map", "ada"], "--map 'ada': give USER=CONTACT_ID"),
        (["--chain", "sms,fax"], "--chain 'sms,fax': name each channel once"),
        (["--chain", "sms,sms"], "--chain 'sms,sms': name each channel once"),
        (["--prefix", "PD_"], "--prefix 'PD_': use lower-case letters"),
        (["--as-of", "yesterday"], "--as-of"),
        (["--days", "3"], "--days must be 7 to 366"),
        (["--schedule", "rota", "--days", "30"], "give one calendar file with it"),
    ],
)
def test_options_that_make_no_sense_are_refused_before_anything_is_read(
    out: Path, options: list[str], message: str
) -> None:
    vendor = "ical" if "--days" in options else "pagerduty"
    files = [str(EXPORTS / "pagerduty" / "users.json")] * (2 if "--schedule" in options else 1)
    code, _, err = tocsin(
        "import", vendor, *files, "--contacts", CONTACTS, "--out", str(out), *options,
    )  # fmt: skip
    assert code == 2 and message in err, err
    assert (out / f"imported-{vendor}.yaml").read_text() == OLD


def test_a_missing_file_and_a_map_to_nobody_are_refused(out: Path, tmp_path: Path) -> None:
    code, _, err = tocsin("import", "pagerduty", str(tmp_path / "nope.json"), "--out", str(out))
    assert code == 2 and "no such file" in err
    err = refused(
        out,
        "pagerduty",
        vendor_files(tmp_path, "pagerduty"),
        "--map",
        "PADA001=c-nobody",
    )
    assert "--map names 'c-nobody', which is not a contact" in err


def test_a_dry_run_writes_nothing_and_importing_twice_writes_the_same_file(
    out: Path, tmp_path: Path
) -> None:
    files = vendor_files(tmp_path, "opsgenie")
    common = ["--contacts", CONTACTS, "--out", str(out), "--as-of", AS_OF]
    code, text, err = tocsin("import", "opsgenie", *files, *common, "--dry-run")
    assert code == 0, err
    assert "oncall:" in text and "would import from Opsgenie" in text
    assert (out / "imported-opsgenie.yaml").read_text() == OLD
    assert tocsin("import", "opsgenie", *files, *common)[0] == 0
    first = (out / "imported-opsgenie.yaml").read_text()
    assert tocsin("import", "opsgenie", *files, *common)[0] == 0
    assert (out / "imported-opsgenie.yaml").read_text() == first != OLD
    assert not [p.name for p in out.iterdir() if p.name.startswith(".import-")]


def test_a_pagerduty_layer_starting_later_must_start_on_a_hand_off(
    out: Path, tmp_path: Path
) -> None:
    mid_turn = pd_layer(1, start="2027-01-06T12:00:00+01:00")
    err = refused(
        out,
        "pagerduty",
        vendor_files(tmp_path, "pagerduty", {"schedule-it-primary.json": mid_turn}),
    )
    assert "schedule.schedule_layers[1].start: layer 'Weekly' starts on 2027-01-06T12:00:00" in err
    assert "in the middle of a turn" in err

    # On a hand-off it is kept: the layer begins then, with whoever's turn it is (Chen's on
    # Monday 28 December, the ninth week from 2 November), and nobody from it before.
    def on_hand_off(document: dict[str, Any]) -> None:
        pd_layer(1, start="2026-12-28T09:00:00+01:00")(document)
        del document["schedule"]["final_schedule"]  # which describes the layer as it was

    files = vendor_files(tmp_path, "pagerduty", {"schedule-it-primary.json": on_hand_off})
    code, text, err = tocsin(
        "import", "pagerduty", *files, "--contacts", CONTACTS, "--out", str(out), "--as-of",
        AS_OF, "--dry-run",
    )  # fmt: skip
    assert code == 0, err
    layer = yaml.safe_load(text.split("would import")[0])["oncall"][0]["layers"][1]
    assert layer["start"] == "2026-12-28" and layer["handoff"] == "09:00"
    assert layer["members"] == ["c-chen", "c-ada", "c-bo"]


def test_round_robin_and_out_of_range_delays_cannot_be_expressed(out: Path, tmp_path: Path) -> None:
    def round_robin(document: dict[str, Any]) -> None:
        policy = document["escalation_policies"][0]
        policy["escalation_rule_assignment_strategy"] = {"type": "round_robin"}
        policy["escalation_rules"][1]["escalation_delay_in_minutes"] = 2000

    err = refused(
        out,
        "pagerduty",
        vendor_files(tmp_path, "pagerduty", {"escalation-policies.json": round_robin}),
    )
    assert "escalation_policies[0].escalation_rule_assignment_strategy: round robin" in err
    assert "escalation_rules[1].escalation_delay_in_minutes: must be 1 to 1440 minutes" in err


def test_opsgenie_overrides_of_a_schedule_not_exported_are_refused_not_dropped(
    out: Path, tmp_path: Path
) -> None:
    files = [f for f in vendor_files(tmp_path, "opsgenie") if "schedule-" not in f]
    err = refused(out, "opsgenie", files)
    assert (
        "overrides-ops-duty.json: data[0]: belongs to schedule Ops Duty, which is not in the "
        "export" in err
    )
    assert "timeline-ops-duty.json: data: belongs to schedule Ops Duty" in err
    assert (
        "escalations.json: data[0].rules[0].recipient: schedule Ops Duty is not in the export"
        in err
    )
