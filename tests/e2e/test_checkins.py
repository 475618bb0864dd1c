"""Check-ins (issue 31) end to end through the app and the in-process queue runner, on an
injected clock: "are you safe?" to both sites of the example contacts, answers by SMS reply,
by the link page and by the API, "I need help" paging the responders, reminders reaching only
the silent, and the live counts exact at each step."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.core.access import Scope
from chalicelib.core.model import Channel
from fakes import FixedClock
from fakes.channels import RecordingChannel
from local.runner import QueueRunner, scheduled_event
from tests.e2e.conftest import Api, ChaliceTransport, sent_email, sent_sms, use_container
from tocsin_cli.checkins import CLEAR
from tocsin_cli.main import main

NIGHT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
ADA, BO, CHEN, DINA, FAY = (f"+1202555010{n}" for n in range(1, 6))
LINK = re.compile(r"http://[^/\s]+(/a/[a-z2-7]{16})")
REQUEST = {
    "audience": {"teams": ["site-copenhagen", "site-oslo"]},
    "responders": {"role": "facilities"},
    "deadline": "1h",
    "remind": {"every": "10m", "times": 1},
}


@pytest.fixture
def clock(client: Client) -> FixedClock:
    fixed = FixedClock(NIGHT)
    use_container(clock=fixed)
    return fixed


def texts_to(world: boto3.Session, phone: str) -> list[str]:
    return [body for number, body in sent_sms(world) if number == phone]


def reply_sms(client: Client, sender: str, body: str) -> None:
    message = {"originationNumber": sender, "destinationNumber": "+12025550100"}
    event = client.events.generate_sns_event(
        message=json.dumps({**message, "messageBody": body, "inboundMessageId": "in-1"}),
        subject="",
    )
    client.lambda_.invoke("answer_sms_replies", event)


def post(client: Client, path: str, key: str, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return client.http.post(path, headers=headers, body=json.dumps(body).encode())


def counts(api: Api, checkin_id: str) -> dict[str, int]:
    view = api.get(f"/v1/checkins/{checkin_id}").json_body
    return {str(row["option"]): row["people"] for row in view["counts"]}


def test_a_checkin_to_both_sites_from_question_to_reminders(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,
    key_maker: Callable[..., str],
) -> None:
    ada_key = key_maker("ada-phone", {Scope.ACTIVATE}, contact_id="c-ada")
    started = post(client, "/v1/checkins", ada_key, REQUEST)
    assert started.status_code == 201, started.body
    checkin_id = started.json_body["checkin_id"]
    assert started.json_body["asked"] == 5
    runner.drain()
    assert texts_to(world, ADA)[0].startswith("TOCSIN CHECK-IN: Are you safe?\n1 I am safe\n")
    assert texts_to(world, BO)[0].startswith("TOCSIN TJEK: Er du i sikkerhed?")
    assert ("emil@example.com", "[Tocsin check-in] Are you safe?") in sent_email(world)
    assert counts(api, checkin_id) == {"1": 0, "2": 0, "none": 5}

    reply_sms(client, ADA, "1")  # a digit by SMS
    assert texts_to(world, ADA)[-1].startswith("Recorded: I am safe.")
    reply_sms(client, CHEN, "5")  # not an option: said so, in Chen's language
    assert texts_to(world, CHEN)[-1] == "5 不是可選的答案。請回覆 1, 2 之一。"
    reply_sms(client, "+12025550199", "1")  # a stranger: no answer at all
    assert texts_to(world, "+12025550199") == []
    assert counts(api, checkin_id) == {"1": 1, "2": 0, "none": 4}

    found = LINK.search(texts_to(world, DINA)[0])  # one tap on the link page
    assert found is not None
    page = client.http.get(found.group(1))
    assert page.status_code == 200 and b'name="option" value="2"' in page.body
    assert b"<script" not in page.body
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    tapped = client.http.post(found.group(1), headers=form, body=b"option=2")
    assert tapped.status_code == 200 and b"Registrert: Jeg trenger hjelp" in tapped.body
    runner.drain()
    paged = texts_to(world, FAY)
    assert len(paged) == 1 and "Dina Example answered 'I need help'" in paged[0]
    assert "+12025550104" in paged[0]
    view = api.get(f"/v1/checkins/{checkin_id}").json_body
    assert counts(api, checkin_id) == {"1": 1, "2": 1, "none": 3}
    assert view["by_team"]["site-oslo"] == {"1": 0, "2": 1, "none": 1}
    assert view["by_label"] == {
        "first-aider": {"1": 1, "2": 1, "none": 0},
        "hq": {"1": 1, "2": 0, "none": 2},
    }
    assert view["non_responders"] == ["c-bo", "c-chen", "c-emil"]
    help_incident = view["needing_help"][0]["incident_id"]
    incident = api.get(f"/v1/incidents/{help_incident}").json_body
    assert incident["type"] == "checkin.help" and incident["status"] == "open"

    chen_key = key_maker("chen-phone", {Scope.CHECKIN}, contact_id="c-chen")
    by_api = post(client, f"/v1/checkins/{checkin_id}/answer", chen_key, {"option": 1})
    assert by_api.status_code == 200 and by_api.json_body["answer"] == "I am safe"
    assert (
        post(client, f"/v1/checkins/{checkin_id}/answer", chen_key, {"option": 3}).status_code
        == 400
    )
    assert counts(api, checkin_id) == {"1": 2, "2": 1, "none": 2}

    before = {phone: len(texts_to(world, phone)) for phone in (ADA, BO, CHEN, DINA)}
    clock.advance(timedelta(minutes=10))
    tick = scheduled_event("escalate_due_incidents", "us-east-1")
    client.lambda_.invoke("escalate_due_incidents", tick)  # the tick chases check-ins too
    runner.drain()
    after = {phone: len(texts_to(world, phone)) for phone in (ADA, BO, CHEN, DINA)}
    assert after == {**before, BO: before[BO] + 1}  # only Bo (and Emil by email) are silent
    assert texts_to(world, BO)[-1].startswith("TOCSIN TJEK PÅMINDELSE")

    exported = api.get(f"/v1/checkins/{checkin_id}?format=csv")
    assert exported.status_code == 200
    rows = exported.body.decode().splitlines()
    assert rows[0] == "contact_id,name,teams,labels,option,answer,answered_at,by,late"
    assert rows[1] == (
        "c-ada,Ada Example,site-copenhagen,hq;first-aider,"
        "1,I am safe,2026-12-02T02:00:00+00:00,sms,"
    )


def test_people_whose_every_channel_failed_after_the_start_count_as_unreachable(
    client: Client, api: Api, runner: QueueRunner, key_maker: Callable[..., str]
) -> None:
    refusing = {  # Chen's number and address are refused for good; Dina's pass
        Channel.SMS: RecordingChannel(Channel.SMS, refused={CHEN}),
        Channel.EMAIL: RecordingChannel(Channel.EMAIL, refused={"chen@example.com"}),
    }
    use_container(clock=FixedClock(NIGHT), channels=refusing)
    key = key_maker("ada-phone", {Scope.ACTIVATE}, contact_id="c-ada")
    oslo = {**REQUEST, "audience": {"teams": ["site-oslo"]}, "chain": ["sms", "email"]}
    started = post(client, "/v1/checkins", key, oslo)
    assert started.status_code == 201 and started.json_body["asked"] == 2
    checkin_id = started.json_body["checkin_id"]
    view = api.get(f"/v1/checkins/{checkin_id}").json_body
    assert (view["unreachable"], view["non_responders"]) == ([], ["c-chen", "c-dina"])
    runner.drain()  # SMS refused, the email it falls back to refused too
    assert [s.destination for s in refusing[Channel.SMS].sent] == [DINA]
    view = api.get(f"/v1/checkins/{checkin_id}").json_body
    assert view["unreachable"] == ["c-chen"] and view["non_responders"] == ["c-dina"]
    assert counts(api, checkin_id) == {"1": 0, "2": 0, "none": 2}
    assert view["by_team"]["site-oslo"] == {"1": 0, "2": 0, "none": 2}


def test_a_wrong_option_on_the_link_page_is_answered_in_the_persons_language(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,
    key_maker: Callable[..., str],
) -> None:
    key = key_maker("ada-phone", {Scope.ACTIVATE}, contact_id="c-ada")
    started = post(client, "/v1/checkins", key, {**REQUEST, "audience": {"contacts": ["c-bo"]}})
    checkin_id = started.json_body["checkin_id"]
    runner.drain()
    found = LINK.search(texts_to(world, BO)[0])  # Bo reads Danish
    assert found is not None
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for stale in (b"option=7", b"option=x", b"option=12", b"answer=ack", b""):
        page = client.http.post(found.group(1), headers=form, body=stale)
        assert page.status_code == 400, stale
        assert "Det er ikke et af svarene her." in page.body.decode(), stale
        assert b'lang="da"' in page.body and b'name="option" value="2"' in page.body
        assert b"<script" not in page.body
        assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert page.headers["X-Frame-Options"] == "DENY"
    assert counts(api, checkin_id) == {"1": 0, "2": 0, "none": 1}  # nothing recorded
    tapped = client.http.post(found.group(1), headers=form, body=b"option=1")
    assert tapped.status_code == 200 and counts(api, checkin_id)["1"] == 1


def test_bad_checkins_are_refused_with_every_problem_named(
    client: Client, api: Api, clock: FixedClock, key_maker: Callable[..., str]
) -> None:
    key = key_maker("ada-phone", {Scope.ACTIVATE}, contact_id="c-ada")
    one = post(client, "/v1/checkins", key, {**REQUEST, "options": ["Fine"], "audience": {}})
    assert one.status_code == 400
    assert [e["field"] for e in one.json_body["errors"]] == ["options", "audience"]
    ten = post(client, "/v1/checkins", key, {**REQUEST, "options": [str(n) for n in range(10)]})
    assert ten.status_code == 400 and ten.json_body["error"]["field"] == "options"
    shared = key_maker("shared", {Scope.ACTIVATE})
    assert post(client, "/v1/checkins", shared, REQUEST).status_code == 403
    assert api.get("/v1/checkins/chk_nope").status_code == 404


def test_the_cli_starts_answers_shows_and_exports_a_checkin(
    client: Client,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,
    key_maker: Callable[..., str],
) -> None:
    out = io.StringIO()

    def tocsin(*argv: str) -> int:
        services = wiring.container()
        return main(list(argv), out, services=services, transport=ChaliceTransport(client))

    ada = key_maker("ada-phone", {Scope.ACTIVATE, Scope.READ, Scope.CHECKIN}, contact_id="c-ada")
    started = ("checkin", "start", "--team", "site-oslo", "--responders", "role:facilities")
    assert tocsin(*started, "--exercise", "--key", ada) == 0  # Ada, not on that site...
    assert "refused" not in out.getvalue()
    checkin_id = out.getvalue().split(":")[0].strip()
    runner.drain()
    assert texts_to(world, CHEN)[0].startswith("[EXERCISE] TOCSIN 安全確認")
    assert tocsin("checkin", "answer", checkin_id, "1", "--key", ada) == 1  # ...cannot answer it
    assert "refused" in out.getvalue()
    chen = key_maker("chen-phone", {Scope.CHECKIN}, contact_id="c-chen")
    assert tocsin("checkin", "answer", checkin_id, "1", "--key", chen) == 0
    assert out.getvalue().endswith("recorded: 1 I am safe\n")
    assert tocsin("checkin", "show", checkin_id, "--key", ada) == 0
    shown = out.getvalue()
    assert "asked 2, answered 1 (late 0)" in shown and "team site-oslo" in shown
    assert "not answered (1): c-dina" in shown
    assert tocsin("checkin", "show", checkin_id, "--csv", "--key", ada) == 0
    assert "c-chen,,site-oslo,,1,I am safe," in out.getvalue()


def reports_to(client: Client, key: str, contact_id: str, lead: str) -> None:
    """Give a contact a lead through the contacts API (read, change one field, write back)."""
    headers = {"Authorization": f"Bearer {key}"}
    found = client.http.get(f"/v1/contacts/{contact_id}", headers=headers).json_body
    found.pop("unusable")
    saved = client.http.put(
        f"/v1/contacts/{contact_id}",
        headers={**headers, "Content-Type": "application/json"},
        body=json.dumps({**found, "reports_to": lead}).encode(),
    )
    assert saved.status_code == 200, saved.body


def test_after_the_last_reminder_only_the_silent_persons_lead_is_told_once(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,
    key_maker: Callable[..., str],
) -> None:
    admin = key_maker("people-admin", {Scope.CONTACTS})
    reports_to(client, admin, "c-bo", "c-fay")  # Bo will stay silent: Fay is to hear of it
    reports_to(client, admin, "c-ada", "c-dina")  # Ada answers: Dina hears nothing
    ada_key = key_maker("ada-phone", {Scope.ACTIVATE}, contact_id="c-ada")
    request = {
        **REQUEST,
        "audience": {"teams": ["site-copenhagen"]},  # Ada, Bo, Emil (no lead: nobody to tell)
        "remind": {"every": "10m", "times": 2, "then_lead": True},
    }
    started = post(client, "/v1/checkins", ada_key, request)
    assert started.status_code == 201, started.body
    checkin_id = started.json_body["checkin_id"]
    runner.drain()
    reply_sms(client, ADA, "1")
    phones = (ADA, BO, CHEN, DINA, FAY)
    tick = scheduled_event("escalate_due_incidents", "us-east-1")

    def chase() -> dict[str, int]:
        before = {phone: len(texts_to(world, phone)) for phone in phones}
        clock.advance(timedelta(minutes=10))
        client.lambda_.invoke("escalate_due_incidents", tick)
        runner.drain()
        return {p: len(texts_to(world, p)) - before[p] for p in phones}

    mails = len(sent_email(world))
    assert chase() == {ADA: 0, BO: 1, CHEN: 0, DINA: 0, FAY: 0}  # reminder 1: Bo only
    assert chase() == {ADA: 0, BO: 1, CHEN: 0, DINA: 0, FAY: 0}  # reminder 2: Bo only
    assert [to for to, _ in sent_email(world)[mails:]] == ["emil@example.com"] * 2
    assert chase() == {ADA: 0, BO: 0, CHEN: 0, DINA: 0, FAY: 1}  # then Bo's lead, once
    told = texts_to(world, FAY)[-1]
    assert told.startswith("TOCSIN CHECK-IN: 1 of your people have not answered")
    assert "Bo Example" in told and "Ada" not in told and "Emil" not in told
    assert chase() == {ADA: 0, BO: 0, CHEN: 0, DINA: 0, FAY: 0}  # and nothing after
    assert [to for to, _ in sent_email(world)[mails:]] == ["emil@example.com"] * 2
    view = api.get(f"/v1/checkins/{checkin_id}").json_body
    assert view["reminders"]["sent"] == 3 and view["reminders"]["next_at"] is None
    assert view["non_responders"] == ["c-bo", "c-emil"]


def test_activating_the_evacuation_plan_starts_its_checkin(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,
    key_maker: Callable[..., str],
) -> None:
    fay = key_maker("fay-phone", {Scope.ACTIVATE}, contact_id="c-fay")
    drill = {"summary": "Fire alarm at HQ", "status": "exercise"}
    activated = post(client, "/v1/plans/building-evacuation/activate", fay, drill)
    assert activated.status_code == 201, activated.body
    runner.drain()
    timeline = api.get(f"/v1/incidents/{activated.json_body['incident_id']}").json_body
    started = [e for e in timeline["timeline"] if e["kind"] == "plan_checkin"]
    assert len(started) == 1
    named = re.search(r"chk_[0-9A-Z]{26}", started[0]["summary"])
    assert named is not None
    checkin_id = named.group(0)
    assert texts_to(world, ADA)[0].startswith("[EXERCISE] TOCSIN CHECK-IN: Emergency at HQ.")
    assert texts_to(world, BO)[0].startswith("[EXERCISE] TOCSIN TJEK: Nødsituation på HQ.")
    assert texts_to(world, CHEN) == []  # not in hq
    reply_sms(client, BO, "3")  # "not at HQ today"
    view = api.get(f"/v1/checkins/{checkin_id}").json_body
    assert view["exercise"] is True and view["asked"] == 3
    assert counts(api, checkin_id) == {"1": 0, "2": 0, "3": 1, "none": 2}
    assert view["by_label"]["hq"] == {"1": 0, "2": 0, "3": 1, "none": 2}


def test_show_watch_refreshes_in_place_until_the_checkin_closes_or_ctrl_c(
    client: Client,
    runner: QueueRunner,
    clock: FixedClock,
    key_maker: Callable[..., str],
) -> None:
    out = io.StringIO()
    ada = key_maker("ada-phone", {Scope.ACTIVATE, Scope.READ, Scope.CHECKIN}, contact_id="c-ada")
    chen = key_maker("chen-phone", {Scope.CHECKIN}, contact_id="c-chen")
    waits: list[float] = []

    def tocsin(*argv: str, sleep: Callable[[float], None]) -> int:
        transport = ChaliceTransport(client)
        return main(list(argv), out, wiring.container(), transport=transport, sleep=sleep)

    def meanwhile(seconds: float) -> None:  # what happens while the watch waits
        waits.append(seconds)
        if len(waits) == 1:
            assert tocsin("checkin", "answer", checkin_id, "1", "--key", chen, sleep=meanwhile) == 0
        else:  # past the deadline: the tick closes it
            clock.advance(timedelta(hours=2))
            tick = scheduled_event("escalate_due_incidents", "us-east-1")
            client.lambda_.invoke("escalate_due_incidents", tick)

    started = ("checkin", "start", "--team", "site-oslo", "--responders", "role:facilities")
    assert tocsin(*started, "--key", ada, sleep=meanwhile) == 0
    checkin_id = out.getvalue().split(":")[0].strip()
    runner.drain()
    watched = ("checkin", "show", checkin_id, "--watch", "2", "--key", ada)
    assert tocsin(*watched, sleep=meanwhile) == 0  # returns by itself once closed
    frames = out.getvalue().split(CLEAR)[1:]
    assert waits == [2.0, 2.0] and len(frames) == 3
    assert "(open)" in frames[0] and "asked 2, answered 0" in frames[0]
    assert "asked 2, answered 1" in frames[1]
    assert "(closed)" in frames[2]

    def ctrl_c(seconds: float) -> None:
        raise KeyboardInterrupt

    out.truncate(0)
    out.seek(0)
    assert (
        tocsin(
            "checkin",
            "start",
            "--team",
            "site-oslo",
            "--responders",
            "role:facilities",
            "--key",
            ada,
            sleep=ctrl_c,
        )
        == 0
    )
    second = out.getvalue().split(":")[0].strip()
    assert tocsin("checkin", "show", second, "--watch", "--key", ada, sleep=ctrl_c) == 0
    assert out.getvalue().count(CLEAR) == 1 and out.getvalue().endswith("\n\n")
