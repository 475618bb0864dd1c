"""Erasing a person removes exactly that person: out of the directory at once, then pseudonymised
in every record by a job that the API starts (202) and the queue worker finishes."""

from __future__ import annotations

import io
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from chalice.test import Client

from chalicelib import wiring
from chalicelib.core.access import Scope
from chalicelib.settings import Settings
from chalicelib.wiring import Container
from local.runner import QueueRunner
from tests.conftest import LOCAL_KEY, PROJECT
from tests.e2e.conftest import Api, sent_sms
from tocsin_cli.main import main

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())
BO = ("c-bo", "+12025550102", "bo@example.com")
AUTH = {"Authorization": f"Bearer {LOCAL_KEY}"}
# Everyone is in the crisis cell: c-bob's id starts with c-bo's, and al's is inside "critical",
# the severity every record of the demo incident carries.
PEOPLE = {
    "c-bob": {"name": "Bob Example", "roles": ["communications"], "phone": "+12025550106",
              "email": "bob@example.com"},
    "al": {"name": "Al Example", "roles": ["executive"], "phone": "+12025550108",
           "email": "al@example.com"},
}  # fmt: skip


def put_contact(client: Client, contact_id: str, body: dict[str, Any]) -> Any:
    return client.http.put(
        f"/v1/contacts/{contact_id}",
        headers={**AUTH, "Content-Type": "application/json"},
        body=json.dumps(body).encode(),
    )


def items(
    world: boto3.Session, settings: Settings, table: str | None = None
) -> dict[tuple[str, str], str]:
    """Every record of the incidents table (or ``table``), as JSON text, by key (but the API's
    request counters, which every call moves)."""
    dynamodb = world.client("dynamodb")
    found = {}
    name = table or settings.incidents_table
    for page in dynamodb.get_paginator("scan").paginate(TableName=name):
        for item in page["Items"]:
            if item["pk"]["S"].startswith("RATE#"):
                continue
            found[(item["pk"]["S"], item["sk"]["S"])] = json.dumps(item, sort_keys=True)
    return found


def mentions(text: str, contact_id: str, phone: str, email: str) -> bool:
    token = re.compile(rf"(?<![A-Za-z0-9_.@-]){re.escape(contact_id)}(?![A-Za-z0-9_@-])")
    key_part = re.compile(rf"[#-]{re.escape(contact_id)}(?:[#-]|$|\")")
    return bool(
        token.search(text)
        or key_part.search(text)
        or phone.lstrip("+") in text
        or email.lower() in text.lower()
    )


def open_demo_incident(api: Api, runner: QueueRunner, details: dict[str, Any]) -> str:
    event_id = api.post_event({**DEMO, "details": details}).json_body["event_id"]
    runner.drain()
    return str(api.get(f"/v1/events/{event_id}").json_body["incident_id"])


def erase(client: Client, contact_id: str) -> Any:
    return client.http.delete(f"/v1/contacts/{contact_id}", headers=AUTH)


def test_erasing_one_person_leaves_everyone_else_untouched_even_with_lookalike_ids(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings
) -> None:
    for contact_id, body in PEOPLE.items():
        assert put_contact(client, contact_id, body).status_code == 201
    # A payload that names Bo in free text, in the forms people write, beside c-bob.
    incident_id = open_demo_incident(
        api,
        runner,
        {
            "reported_by": "Bo@Example.com",
            "note": "call c-bo on +1 (202) 555-0102; c-bob and al saw it too",
            "on_call": ["c-bo", "c-bob"],
        },
    )
    before = items(world, settings)
    about_bo = {key for key, text in before.items() if mentions(text, *BO)}
    assert about_bo and any(
        mentions(text, "c-bob", "+12025550106", "x") for text in before.values()
    )

    started = erase(client, "c-bo")
    assert started.status_code == 202
    job_id = started.json_body["job_id"]
    assert started.headers["Location"] == f"/v1/erasures/{job_id}"
    runner.drain()

    after = items(world, settings)
    assert not any(mentions(text, *BO) for text in after.values())
    # Exactly one person changed: every record that did not mention Bo is as it was.
    untouched = {key: text for key, text in before.items() if key not in about_bo}
    assert {key: after.get(key) for key in untouched} == untouched
    status = api.get(f"/v1/erasures/{job_id}").json_body
    assert status["status"] == "done"
    assert status["records_changed"] == len(about_bo)
    assert status["records_scanned"] >= len(before)
    assert "c-bo" not in json.dumps(status) and "0102" not in json.dumps(status)

    # c-bob can still answer with the link in his text, as himself (he was informed, not paged
    # at a level, so it is recorded without counting, as before the erasure); the incident reads.
    [text] = [body for phone, body in sent_sms(world) if phone == "+12025550106"]
    link = re.search(r"http://127\.0\.0\.1:8000(/a/[a-z2-7]{16})", text)
    assert link is not None
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answered = client.http.post(link.group(1), headers=form, body=b"answer=ack")
    assert answered.status_code == 200 and "informed, not paged" in answered.body.decode()
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    [answer] = [e for e in incident["timeline"] if e["kind"] == "not_counted"]
    assert answer["data"]["contact_id"] == "c-bob" and answer["data"]["credential"] == "link"
    sent_to = {
        e["data"]["contact_id"] for e in incident["timeline"] if e["kind"] == "notification_sent"
    }
    assert "c-bob" in sent_to and status["pseudonym"] in sent_to and "c-bo" not in sent_to

    # al's id is inside "critical", on every record: erasing al changes al's records only.
    before_al = items(world, settings)
    about_al = {k for k, t in before_al.items() if mentions(t, "al", "+12025550108", "al@ex")}
    job = erase(client, "al").json_body["job_id"]
    runner.drain()
    after_al = items(world, settings)
    assert api.get(f"/v1/erasures/{job}").json_body["records_changed"] == len(about_al)
    assert {k: after_al.get(k) for k in before_al if k not in about_al} == {
        k: t for k, t in before_al.items() if k not in about_al
    }
    incident = api.get(f"/v1/incidents/{incident_id}")
    assert incident.status_code == 200 and incident.json_body["severity"] == "critical"


def test_erasure_is_a_job_the_person_is_gone_at_once_and_cannot_be_saved_while_it_runs(
    client: Client, api: Api, runner: QueueRunner
) -> None:
    started = erase(client, "c-ada")
    assert started.status_code == 202 and started.json_body["status"] == "running"
    job_id = started.json_body["job_id"]
    assert api.get("/v1/contacts/c-ada").status_code == 404  # nobody pages them any more
    again = erase(client, "c-ada")
    assert (again.status_code, again.json_body["job_id"]) == (202, job_id)
    refused = put_contact(client, "c-ada", {"name": "Ada Again", "roles": ["executive"],
                                            "phone": "+12025550101"})  # fmt: skip
    assert refused.status_code == 409 and "being erased" in refused.json_body["error"]["message"]
    assert api.get("/v1/contacts/c-ada").status_code == 404  # nothing was saved

    runner.drain()
    done = api.get(f"/v1/erasures/{job_id}").json_body
    assert done["status"] == "done" and done["finished_at"]
    assert erase(client, "c-ada").status_code == 404  # nobody left to erase
    # Once it is done the id is free again: a new person may have it.
    saved = put_contact(client, "c-ada", {"name": "Ada New", "roles": ["executive"],
                                          "phone": "+12025550109"})  # fmt: skip
    assert saved.status_code == 201


def test_bad_erasure_requests_are_refused_clearly(client: Client, api: Api) -> None:
    assert erase(client, "c-nobody").status_code == 404
    assert erase(client, "not a valid id").status_code == 404
    assert client.http.delete("/v1/contacts/c-ada").status_code == 401
    assert api.get("/v1/erasures/era_01M8SNSZ5NGAVKPA4831Z1T0YZ").status_code == 404
    missing = api.get("/v1/erasures/../../contacts")
    assert missing.status_code in (403, 404)
    assert api.get("/v1/erasures/nonsense").json_body["error"]["code"] == "not_found"
    assert api.get("/v1/contacts/c-ada").status_code == 200  # nothing was erased


def cli(world: boto3.Session, settings: Settings, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, services=Container(settings, world), err=err)
    return code, out.getvalue(), err.getvalue()


def test_the_command_waits_for_the_worker_with_progress_and_reports_what_changed(
    api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings
) -> None:
    open_demo_incident(api, runner, {"reported_by": "ada@example.com"})
    stop = threading.Event()

    def worker() -> None:  # the local stack's runner, as `make run` starts it
        while not stop.is_set():
            if runner.drain_once() == 0:
                stop.wait(0.05)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    try:
        code, out, err = cli(world, settings, "contacts", "erase", "c-ada")
    finally:
        stop.set()
        thread.join()
    assert code == 0, out + err
    assert re.search(r"erasure era_\w+ of c-ada started", out)
    assert re.search(r"erased: \d+ records changed \(.*timeline \d+.*\) of \d+ read", out)
    assert re.search(r"\d+ records read, \d+ changed", err)  # progress
    assert "+12025550101" not in out + err and "ada@example.com" not in out + err
    code, out, _ = cli(world, settings, "contacts", "erase", "c-ada")
    assert code == 2  # nobody left to erase


def test_the_command_can_run_the_job_itself_or_leave_it_to_the_worker(
    api: Api, runner: QueueRunner, world: boto3.Session, settings: Settings
) -> None:
    open_demo_incident(api, runner, {})
    code, out, _ = cli(world, settings, "contacts", "erase", "c-bo", "--no-wait")
    assert code == 0 and "follow it with: tocsin contacts erase c-bo" in out
    code, out, _ = cli(world, settings, "contacts", "erase", "c-bo", "--timeout", "0")
    assert code == 1 and "already running" in out and "--here" in out
    code, out, _ = cli(world, settings, "contacts", "erase", "c-bo", "--here")
    assert code == 0 and "already running" in out and "erased:" in out
    assert not any(mentions(text, *BO) for text in items(world, settings).values())


def test_erasure_reaches_the_persons_keys_calendar_links_overrides_and_drop_in_alerts(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    settings: Settings,
    key_maker: Any,
) -> None:
    assert put_contact(client, "c-bob", PEOPLE["c-bob"]).status_code == 201
    keys = {
        person: key_maker(f"laptop-{len(person)}", {Scope.READ}, contact_id=person)
        for person in ("c-bo", "c-bob")
    }
    links = {person: wiring.container().calendars.issue(person).token for person in keys}
    start = datetime.now(UTC) + timedelta(hours=1)
    for person in keys:
        added = client.http.post(
            "/v1/oncall/it-duty/overrides",
            headers={**AUTH, "Content-Type": "application/json"},
            body=json.dumps(
                {
                    "contact_id": person,
                    "start": start.isoformat(),
                    "end": (start + timedelta(hours=2)).isoformat(),
                }
            ).encode(),
        )
        assert added.status_code == 201, added.json_body
        start += timedelta(hours=3)
    genie = key_maker("airflow", {Scope.TRIGGER, Scope.RESOLVE, Scope.READ})
    alert = {
        "message": "disk full on c-bo's laptop",
        "alias": "disk-full",
        "description": "tell bo@example.com or ring +1 202 555 0102",
        "user": "c-bob",
    }
    created = client.http.post(
        "/v2/alerts",
        headers={"Authorization": f"GenieKey {genie}", "Content-Type": "application/json"},
        body=json.dumps(alert).encode(),
    )
    assert created.status_code == 202, created.json_body
    runner.drain()
    config_before = items(world, settings, settings.config_table)
    incidents_before = items(world, settings)
    assert any(mentions(text, *BO) for text in config_before.values())
    assert any(key[0].startswith("OGALERTS#") and mentions(text, *BO)
               for key, text in incidents_before.items())  # fmt: skip

    job_id = erase(client, "c-bo").json_body["job_id"]
    runner.drain()

    status = api.get(f"/v1/erasures/{job_id}").json_body
    assert status["status"] == "done"
    changed = status["changed"]
    assert (changed["credentials"], changed["calendars"], changed["overrides"]) == (2, 2, 1)
    assert changed["dropin"] >= 1
    # Bo's key and calendar link no longer work; Bob's do, as before.
    incident = "/v1/incidents/inc_01M84STVCFS7F5J06PS8A3D6CA"
    assert api.get(incident, key=keys["c-bo"]).status_code == 401
    assert api.get(incident, key=keys["c-bob"]).status_code == 404  # his key still reads
    assert client.http.get(f"/v1/calendars/{links['c-bo']}").status_code == 410
    assert client.http.get(f"/v1/calendars/{links['c-bob']}").status_code == 200
    # No record names Bo; the records that did not are as they were.
    for before, table in ((config_before, settings.config_table), (incidents_before, None)):
        after = items(world, settings, table)
        assert not [text for text in after.values() if mentions(text, *BO)]
        kept = {k: text for k, text in before.items() if not mentions(text, *BO)}
        assert {k: after.get(k) for k in kept} == kept
    window = f"from={datetime.now(UTC).isoformat()}&to={(start + timedelta(hours=1)).isoformat()}"
    shifts = api.get(f"/v1/oncall/it-duty?{window.replace('+', '%2B')}").json_body["shifts"]
    overridden = [s["contact_id"] for s in shifts if s["source"].startswith("override")]
    assert overridden == [status["pseudonym"], "c-bob"]


CHECKIN = {
    "audience": {"teams": ["site-copenhagen", "site-oslo"]},
    "responders": {"role": "facilities"},
    "deadline": "1h",
}
DINA = ("c-dina", "+12025550104", "dina@example.com")


def test_erasing_someone_who_asked_for_help_in_a_checkin_leaves_the_counts_as_they_were(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    settings: Settings,
    key_maker: Any,
) -> None:
    """Dina answers "I need help" by her link: the help incident is titled with her name, number
    and address. Chen reports to her; a retried trigger named her. Once she is erased no record
    names her, Chen's lead is the pseudonym, and everyone else's answers and counts stand."""
    chen = {"name": "Chen Example", "roles": ["it-security"], "language": "zh-Hant",
            "phone": "+12025550103", "email": "chen@example.com", "teams": ["site-oslo"],
            "timezone": "Europe/Oslo", "reports_to": "c-dina"}  # fmt: skip
    assert put_contact(client, "c-chen", chen).status_code in (200, 201)
    ada = key_maker("ada-phone", {Scope.ACTIVATE, Scope.CHECKIN}, contact_id="c-ada")
    headers = {"Authorization": f"Bearer {ada}", "Content-Type": "application/json"}
    started = client.http.post("/v1/checkins", headers=headers, body=json.dumps(CHECKIN).encode())
    assert started.status_code == 201, started.body
    checkin_id = started.json_body["checkin_id"]
    runner.drain()
    answered = client.http.post(
        f"/v1/checkins/{checkin_id}/answer", headers=headers, body=b'{"option": 1}'
    )
    assert answered.status_code == 200
    [to_dina] = [body for phone, body in sent_sms(world) if phone == DINA[1]]
    link = re.search(r"http://[^/\s]+(/a/[a-z2-7]{16})", to_dina)
    assert link is not None
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert client.http.post(link.group(1), headers=form, body=b"option=2").status_code == 200
    runner.drain()
    retried = {**AUTH, "Content-Type": "application/json", "Idempotency-Key": "dina-1"}
    event = {**DEMO, "details": {"note": "ring Dina on +1 202 555 0104 or dina@example.com"}}
    assert client.http.post("/v1/events", headers=retried, body=json.dumps(event).encode())
    runner.drain()

    view = api.get(f"/v1/checkins/{checkin_id}").json_body
    [needing] = view["needing_help"]
    help_incident = needing["incident_id"]
    title = api.get(f"/v1/incidents/{help_incident}").json_body["title"]
    assert title.startswith("Dina Example answered 'I need help'") and DINA[1] in title
    before = items(world, settings)
    about_dina = {key for key, text in before.items() if mentions(text, *DINA)}
    assert any(key[0].startswith("CHECKIN#") for key in about_dina)

    job_id = erase(client, "c-dina").json_body["job_id"]
    runner.drain()

    status = api.get(f"/v1/erasures/{job_id}").json_body
    pseudonym = status["pseudonym"]
    assert status["status"] == "done" and status["changed"]["checkins"] >= 3
    assert status["changed"]["leads"] == 1
    after = items(world, settings)
    assert not [text for text in after.values() if mentions(text, *DINA)]
    assert not [text for text in after.values() if "Dina Example" in text]
    untouched = {key: text for key, text in before.items() if key not in about_dina}
    assert {key: after.get(key) for key in untouched} == untouched
    title = api.get(f"/v1/incidents/{help_incident}").json_body["title"]
    assert title.startswith(f"{pseudonym} answered 'I need help'") and DINA[1] not in title
    # Everyone's answers and the counts are as they were; hers counts under the pseudonym.
    again = api.get(f"/v1/checkins/{checkin_id}").json_body
    for part in ("asked", "answered", "counts", "by_team", "by_role", "non_responders"):
        assert again[part] == view[part], part
    assert [row["contact_id"] for row in again["needing_help"]] == [pseudonym]
    assert api.get("/v1/contacts/c-chen").json_body["reports_to"] == pseudonym
