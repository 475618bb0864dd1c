"""A person's private on-call calendar: issued by the CLI, served by the API, read by calendar
libraries, equal to what ``tocsin oncall show`` prints; dead links say nothing about anyone."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import boto3
import icalendar
import pytest
import recurring_ical_events
from chalice.test import Client

from chalicelib import wiring
from chalicelib.core.oncall.calendar import feed_window
from fakes import FixedClock
from tests.e2e.conftest import use_container
from tocsin_cli.main import main

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # Monday, 07:00 in Copenhagen
CPH = ZoneInfo("Europe/Copenhagen")
SHOWN = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d) \w+ -> (\d{4}-\d\d-\d\d \d\d:\d\d) \w+  (.*)  \((.*)\)$"
)


@pytest.fixture
def clock(client: Client, world: boto3.Session) -> FixedClock:
    fixed = FixedClock(NOW)
    use_container(world, clock=fixed)
    return fixed


def tocsin(*arguments: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(arguments), out, services=wiring.container(), err=err)
    return code, out.getvalue(), err.getvalue()


def issue(contact: str, *options: str) -> str:
    code, out, err = tocsin("oncall", "calendar", contact, *options)
    assert code == 0, err
    (url,) = re.findall(r"http://127\.0\.0\.1:8000(/v1/calendars/\S+)", out)
    return url


def shown_shifts(contact: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The shifts ``tocsin oncall show it-duty`` prints for ``contact``."""
    code, out, err = tocsin(
        "oncall", "show", "it-duty", "--from", start.isoformat(), "--to", end.isoformat()
    )
    assert code == 0, err
    found = []
    for line in out.splitlines():
        match = SHOWN.search(line.strip())
        if match and match.group(3).endswith(f"({contact})"):
            begins, ends = (
                datetime.strptime(match.group(i), "%Y-%m-%d %H:%M").replace(tzinfo=CPH)
                for i in (1, 2)
            )
            found.append((begins.astimezone(UTC), ends.astimezone(UTC)))
    return found


def test_the_feed_parses_and_holds_exactly_the_shifts_oncall_show_prints(
    client: Client, clock: FixedClock
) -> None:
    # c-chen covers for c-fay one afternoon: overrides are in the feed too.
    code, _, err = tocsin(
        "oncall", "override", "it-duty", "--contact", "c-chen", "--covers", "c-fay",
        "--from", "2026-12-09T12:00:00Z", "--to", "2026-12-09T15:00:00Z",
    )  # fmt: skip
    assert code == 0, err
    response = client.http.get(issue("c-chen"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"].startswith("private")
    calendar = icalendar.Calendar.from_ical(response.body)
    start, end = feed_window(NOW)
    events = recurring_ical_events.of(calendar).between(start, end)
    got = sorted((e.decoded("DTSTART"), e.decoded("DTEND")) for e in events)
    assert got == shown_shifts("c-chen", start, end)
    assert len(got) > 10 and start <= got[0][0] and got[-1][1] <= end
    descriptions = [str(e["DESCRIPTION"]) for e in events]
    assert any("override ovr_" in text for text in descriptions)
    assert all(str(e["SUMMARY"]) == "On call: it-duty" for e in events)
    # The feed names nobody: not the person, their id, or their address.
    body = response.body.decode()
    for personal in ("c-chen", "Chen", "chen@example.com", "+1202555"):
        assert personal not in body


def test_a_person_with_no_shifts_gets_an_empty_but_valid_calendar(
    client: Client, clock: FixedClock
) -> None:
    response = client.http.get(issue("c-emil"))
    assert response.status_code == 200
    assert icalendar.Calendar.from_ical(response.body).walk("VEVENT") == []


def refused(client: Client, path: str, status: int) -> str:
    response = client.http.get(path)
    assert response.status_code == status, (path, response.body)
    body = response.body.decode()
    assert json.loads(body)["error"]["code"] == {404: "not_found", 410: "gone"}[status]
    return body


def test_revoked_expired_unknown_and_erased_links_answer_404_or_410_naming_nobody(
    client: Client, clock: FixedClock
) -> None:
    first = issue("c-chen")
    second = issue("c-chen")  # a new link revokes the previous one
    answers = [refused(client, first, 410)]
    assert client.http.get(second).status_code == 200
    code, out, _ = tocsin("oncall", "calendar", "c-chen", "--revoke")
    assert code == 0 and "revoked" in out
    answers.append(refused(client, second, 410))
    code, _, err = tocsin("oncall", "calendar", "c-chen", "--revoke")
    assert code == 2 and "no calendar link" in err

    short = issue("c-dina", "--days", "1")
    assert client.http.get(short).status_code == 200
    clock.current = NOW + timedelta(days=1, seconds=1)
    answers.append(refused(client, short, 410))

    erased = issue("c-bo")
    code, _, err = tocsin("contacts", "erase", "c-bo", "--here")  # no worker runs here
    assert code == 0, err
    answers.append(refused(client, erased, 410))

    token = first.rsplit("/", 1)[1]
    for path in (
        "/v1/calendars/cal_" + "A" * 43,  # well formed, never issued
        "/v1/calendars/nonsense",
        f"/v1/calendars/{token[:-1]}",
        f"/v1/calendars/{token}.ics",  # the link is the whole segment, no suffix
        "/v1/calendars/%2E%2E%2Fcontacts",
    ):
        answers.append(refused(client, path, 404))
    for body in answers:
        for personal in ("c-chen", "c-dina", "c-bo", "Chen", "Dina", "Bo Example", "@example"):
            assert personal not in body
    # Only the digest is stored: the token itself is nowhere in the config table.
    items = boto3.client("dynamodb").scan(TableName=wiring.container().settings.config_table)
    assert token not in json.dumps(items["Items"])


def test_the_command_refuses_what_it_cannot_do(client: Client, clock: FixedClock) -> None:
    code, _, err = tocsin("oncall", "calendar", "c-nobody")
    assert code == 2 and "no contact 'c-nobody'" in err
    code, _, err = tocsin("oncall", "calendar", "c-ada", "--days", "0")
    assert code == 2 and "1 to 730 days" in err
    code, _, err = tocsin("--stage", "prod", "oncall", "calendar", "c-ada")
    assert code == 2 and "--api" in err
