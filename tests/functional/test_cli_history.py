"""``tocsin incidents list|show`` and ``tocsin events list``: tables, JSON, pages, refusals."""

from __future__ import annotations

import io
import json
import re

import boto3
import pytest

from chalicelib.core.model import IncidentStatus, TimelineEntry
from chalicelib.settings import Settings
from chalicelib.storage.events import DynamoEventStore
from chalicelib.storage.incidents import DynamoIncidentStore
from chalicelib.wiring import Container
from tests.list_samples import sample_events, sample_incidents, store_events, store_incidents
from tocsin_cli.main import main

INCIDENTS = sample_incidents(9)
EVENTS = sample_events(7)


@pytest.fixture
def seeded(world: boto3.Session, settings: Settings) -> None:
    client = world.client("dynamodb")
    store_incidents(DynamoIncidentStore(client, settings.incidents_table), INCIDENTS)
    store_events(DynamoEventStore(client, settings.incidents_table), EVENTS)


def run(world: boto3.Session, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    services = Container(Settings.from_environment(), world)
    code = main(list(argv), out=out, services=services, err=err)
    return code, out.getvalue(), err.getvalue()


def ids(text: str, prefix: str) -> list[str]:
    return re.findall(rf"\b{prefix}_[0-9A-Z]{{26}}\b", text)


def test_incidents_list_prints_a_table_newest_first_and_pages_on_with_the_cursor(
    world: boto3.Session, seeded: None
) -> None:
    real = [i.incident_id for i in reversed(INCIDENTS) if not i.is_exercise]
    code, first, _ = run(world, "incidents", "list", "--limit", "4")
    assert code == 0
    lines = first.splitlines()
    assert lines[0].split() == [
        "OPENED",
        "(UTC)",
        "STATUS",
        "SEVERITY",
        "TYPE",
        "PLAN",
        "INCIDENT",
        "TITLE",
    ]
    assert ids(first, "inc") == real[:4]
    newest = INCIDENTS[-1] if not INCIDENTS[-1].is_exercise else INCIDENTS[-2]
    assert newest.title in lines[1] and newest.status.value in lines[1]
    cursor = re.search(r"more with --cursor (\S+)", first)
    assert cursor, first
    code, rest, _ = run(world, "incidents", "list", "--limit", "4", "--cursor", cursor.group(1))
    assert code == 0 and ids(rest, "inc") == real[4:]
    assert "more with --cursor" not in rest


def test_incidents_list_filters_like_the_api_and_marks_exercises(
    world: boto3.Session, seeded: None
) -> None:
    code, out, _ = run(world, "incidents", "list", "--status", "resolved", "--exercise", "include")
    expected = [i.incident_id for i in reversed(INCIDENTS) if i.status is IncidentStatus.RESOLVED]
    assert code == 0 and ids(out, "inc") == expected
    code, only, _ = run(world, "incidents", "list", "--exercise", "only")
    drills = [i for i in reversed(INCIDENTS) if i.is_exercise]
    assert ids(only, "inc") == [i.incident_id for i in drills]
    assert all("[exercise]" in line for line in only.splitlines()[1 : 1 + len(drills)])


def test_incidents_list_json_is_the_api_document_and_all_follows_every_page(
    world: boto3.Session, seeded: None
) -> None:
    code, out, _ = run(world, "incidents", "list", "--all", "--limit", "2", "--json")
    document = json.loads(out)
    assert code == 0 and document["next_cursor"] is None
    real = [i for i in reversed(INCIDENTS) if not i.is_exercise]
    assert [i["incident_id"] for i in document["incidents"]] == [i.incident_id for i in real]
    assert document["incidents"][0]["opened_at"] == real[0].opened_at.isoformat()


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["incidents", "list", "--status", "closed"], "--status: must be one of"),
        (["incidents", "list", "--since", "last week"], "--since: is not an ISO 8601"),
        (["incidents", "list", "--limit", "500"], "--limit: must be a whole number from 1 to 200"),
        (["incidents", "list", "--exercise", "yes"], "--exercise: must be one of exclude"),
        (["incidents", "list", "--cursor", "nonsense"], "--cursor: is not a cursor"),
        (["events", "list", "--status", "done"], "--status: must be one of pending"),
    ],
)
def test_bad_options_are_refused_by_name_with_exit_2(
    world: boto3.Session, argv: list[str], words: str
) -> None:
    code, out, err = run(world, *argv)
    assert code == 2 and out == ""
    assert words in err


def test_every_bad_option_is_named(world: boto3.Session) -> None:
    code, _, err = run(world, "incidents", "list", "--status", "x", "--severity", "y")
    assert code == 2
    assert "--status:" in err and "--severity:" in err


def test_a_cursor_from_other_filters_is_refused(world: boto3.Session, seeded: None) -> None:
    _, first, _ = run(world, "incidents", "list", "--limit", "2")
    cursor = re.search(r"more with --cursor (\S+)", first)
    assert cursor
    code, _, err = run(world, "incidents", "list", "--status", "open", "--cursor", cursor.group(1))
    assert code == 2 and "--cursor: belongs to another query" in err


def test_incidents_show_prints_the_incident_and_its_timeline(
    world: boto3.Session, settings: Settings, seeded: None
) -> None:
    incident = INCIDENTS[0]
    DynamoIncidentStore(world.client("dynamodb"), settings.incidents_table).append(
        incident.incident_id,
        [TimelineEntry(at=incident.opened_at, kind="activated", summary="incident opened")],
    )
    code, out, _ = run(world, "incidents", "show", incident.incident_id)
    assert code == 0
    assert out.splitlines()[0] == (
        f"{incident.incident_id}  {incident.status.value}  {incident.title}"
    )
    assert re.search(r"first alert sent:\s+-\n", out)
    assert re.search(r"2026-11-01 08:00:00\s+activated\s+incident opened", out)
    code, raw, err = run(world, "incidents", "show", incident.incident_id, "--json")
    assert code == 0, err
    document = json.loads(raw)
    assert code == 0 and document["incident_id"] == incident.incident_id
    assert [e["kind"] for e in document["timeline"]] == ["activated"]


def test_showing_an_unknown_incident_says_so(world: boto3.Session) -> None:
    code, out, err = run(world, "incidents", "show", "inc_01M6B1YQ006EMTW12P27F9HM52")
    assert (code, out) == (2, "")
    assert "no incident 'inc_01M6B1YQ006EMTW12P27F9HM52'" in err


def test_events_list_prints_decisions_and_filters_by_source(
    world: boto3.Session, seeded: None
) -> None:
    code, out, _ = run(world, "events", "list", "--source", "soc.example.com")
    expected = [r.event_id for r, _ in reversed(EVENTS) if r.event.source == "soc.example.com"]
    assert code == 0 and ids(out, "evt") == expected
    assert out.splitlines()[0].split()[:3] == ["RECEIVED", "(UTC)", "STATUS"]
    code, pending, _ = run(world, "events", "list", "--status", "pending", "--json")
    document = json.loads(pending)
    assert [e["status"] for e in document["events"]] == ["pending"] * len(document["events"])
    assert document["events"]


def test_an_empty_list_says_nothing_matches(world: boto3.Session) -> None:
    code, out, _ = run(world, "incidents", "list")
    assert code == 0 and out.splitlines()[-1] == "no incidents match"
