"""Answers that count (issue 19), end to end through the app: who counts toward a quorum, what
every channel's message says about answering, and the end of reply loops.

The demo's data breach (examples/events/demo.json) opens crisis-cell: escalation crisis-core
pages the executives and IT security at level 1 (Ada, Chen, Dina, Fay), two of whom must
acknowledge; the plan also informs communications (Bo) and HR (Emil) at once.
"""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.channels.eum import EumVoiceChannel
from chalicelib.channels.push import PinpointPushChannel
from chalicelib.core.access import ApiKey, Scope
from chalicelib.core.model import Channel
from chalicelib.settings import Settings
from chalicelib.storage.api_keys import DynamoApiKeyStore, generate_api_key
from fakes import FixedClock
from local.messaging import MessagingStandIn, install_in_process
from local.outbox import Outbox
from local.runner import QueueRunner, scheduled_event
from tests.conftest import LOCAL_KEY, PROJECT
from tests.e2e.conftest import Api, ChaliceTransport, sent_sms, use_container
from tocsin_cli.main import main

NIGHT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
ADA, BO, CHEN, FAY = "+12025550101", "+12025550102", "+12025550103", "+12025550105"
DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())
CODE = re.compile(r"(?:Reply|Svar|回覆) (\d{4}) ACK")


@pytest.fixture
def clock(client: Client) -> FixedClock:
    fixed = FixedClock(NIGHT)
    use_container(clock=fixed)
    return fixed


@pytest.fixture
def key_for(world: boto3.Session, settings: Settings) -> Any:
    """A personal key (``contact_id``) or a shared one (None) with the resolve scope."""
    store = DynamoApiKeyStore(world.client("dynamodb"), settings.config_table)

    def make(name: str, contact_id: str | None) -> str:
        key = generate_api_key()
        store.add(key, ApiKey(name, frozenset({Scope.RESOLVE}), contact_id=contact_id), NIGHT)
        return key

    return make


def open_breach(api: Api, runner: QueueRunner) -> str:
    event_id = api.post_event(DEMO).json_body["event_id"]
    runner.drain()
    return str(api.get(f"/v1/events/{event_id}").json_body["incident_id"])


def texts_to(world: boto3.Session, phone: str) -> list[str]:
    return [body for number, body in sent_sms(world) if number == phone]


def code_of(world: boto3.Session, phone: str) -> str:
    found = CODE.search(texts_to(world, phone)[0])
    assert found is not None
    return found.group(1)


def reply_sms(client: Client, sender: str, body: str) -> None:
    message = {"originationNumber": sender, "destinationNumber": "+12025550100"}
    event = client.events.generate_sns_event(
        message=json.dumps({**message, "messageBody": body, "inboundMessageId": "in-1"}),
        subject="",
    )
    client.lambda_.invoke("answer_sms_replies", event)


def answer(client: Client, incident_id: str, verb: str, key: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {key}"}
    raw = b""
    if body is not None:
        headers["Content-Type"] = "application/json"
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.http.post(f"/v1/incidents/{incident_id}/{verb}", headers=headers, body=raw)


def tick(client: Client) -> None:
    client.lambda_.invoke(
        "escalate_due_incidents", scheduled_event("escalate_due_incidents", "us-east-1")
    )


def test_one_insider_and_one_outsider_do_not_make_a_quorum_of_two(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,
    key_for: Any,
) -> None:
    incident_id = open_breach(api, runner)
    reply_sms(client, ADA, f"{code_of(world, ADA)} ACK")  # Ada, paged at level 1
    assert texts_to(world, ADA)[-1].endswith("1 of 2 acknowledgements needed so far.")
    bo = answer(client, incident_id, "acknowledge", key_for("bo-phone", "c-bo"))
    assert bo.status_code == 200
    assert bo.json_body == {
        "incident_id": incident_id,
        "outcome": "not_counted",
        "counted": False,
        "why": "not_at_level",
        "message": f"Recorded: {DEMO['summary']}. It does not count toward the "
        "acknowledgements needed: you were informed, not paged at this level.",
        "status": "open",
        "acknowledged_by": ["c-ada"],
        "escalation": "running",
    }
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    assert incident["escalation"]["state"] == "running"
    assert incident["acknowledgements"]["counted"] == ["c-ada"]
    assert [a["contact_id"] for a in incident["acknowledgements"]["not_counted"]] == ["c-bo"]
    clock.current = NIGHT + timedelta(minutes=11)
    tick(client)
    runner.drain()
    levels = api.get(f"/v1/incidents/{incident_id}").json_body["levels"]
    assert [(row["level"], row["paged"]) for row in levels] == [
        (1, ["c-ada", "c-chen", "c-dina", "c-fay"]),
        (2, ["c-bo", "c-dina"]),  # legal and communications: the quorum was not met
    ]


def test_a_shared_key_cannot_complete_a_quorum(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,
    key_for: Any,
) -> None:
    incident_id = open_breach(api, runner)
    ada = answer(client, incident_id, "acknowledge", key_for("ada-phone", "c-ada"))
    assert (ada.json_body["outcome"], ada.json_body["counted"]) == ("counted", True)
    relayed = answer(client, incident_id, "acknowledge", LOCAL_KEY, {"for": "c-chen"})
    assert relayed.status_code == 200
    assert (relayed.json_body["outcome"], relayed.json_body["why"]) == ("not_counted", "not_bound")
    assert relayed.json_body["escalation"] == "running"
    assert relayed.json_body["acknowledged_by"] == ["c-ada"]
    declined = answer(client, incident_id, "decline", LOCAL_KEY, {"for": "c-fay"})
    assert declined.json_body["outcome"] == "decline_not_counted"
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    [chen, fay] = incident["acknowledgements"]["not_counted"]
    assert (chen["by"], chen["credential"], chen["contact_id"]) == (
        "local-development",
        "shared key",
        "c-chen",
    )
    assert (fay["answer"], fay["contact_id"]) == ("declined", "c-fay")
    # Chen herself, by her own link: two of two, and the escalation stops.
    link = re.search(r"(/a/[a-z2-7]{16})", texts_to(world, CHEN)[0])
    assert link is not None
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    client.http.post(link.group(1), headers=form, body=b"answer=ack")
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    assert incident["escalation"] == {
        "policy_id": "crisis-core",
        "state": "acknowledged",
        "next_level_due_at": None,
    }
    assert incident["levels"][0]["acknowledged"] == ["c-ada", "c-chen"]


@pytest.mark.parametrize(
    ("body", "status", "field", "words"),
    [
        (None, 400, "for", "is required: the key 'local-development' is not a personal key"),
        ({}, 400, "for", "is required"),
        ({"contact_id": "c-ada"}, 400, "contact_id", "unknown field; only 'for' is accepted"),
        ({"for": "c-ada", "note": "x"}, 400, "note", "unknown field"),
        ({"for": 7}, 400, "for", "must be a contact id"),
        ({"for": "c-zed"}, 400, "for", "no contact 'c-zed'"),
        (["c-ada"], 400, "$", "must be a JSON object"),
        (b"{not json", 400, None, "not valid JSON"),
    ],
)
def test_an_answer_body_that_is_wrong_is_refused_saying_why_and_changes_nothing(
    client: Client,
    api: Api,
    runner: QueueRunner,
    clock: FixedClock,
    body: Any,
    status: int,
    field: str | None,
    words: str,
) -> None:
    incident_id = open_breach(api, runner)
    before = api.get(f"/v1/incidents/{incident_id}").json_body
    for verb in ("acknowledge", "decline"):
        refused = answer(client, incident_id, verb, LOCAL_KEY, body)
        assert refused.status_code == status
        error = refused.json_body["error"]
        assert error.get("field") == field and words in error["message"]
    assert api.get(f"/v1/incidents/{incident_id}").json_body["timeline"] == before["timeline"]


def test_a_personal_key_answers_only_for_its_own_person(
    client: Client, api: Api, runner: QueueRunner, clock: FixedClock, key_for: Any
) -> None:
    incident_id = open_breach(api, runner)
    ada = key_for("ada-phone", "c-ada")
    refused = answer(client, incident_id, "acknowledge", ada, {"for": "c-chen"})
    assert refused.status_code == 403
    assert "it answers only for c-ada, not for c-chen" in refused.json_body["error"]["message"]
    assert answer(client, incident_id, "acknowledge", ada, {"for": "c-ada"}).json_body["counted"]


def test_the_cli_without_a_personal_key_records_but_does_not_count(
    client: Client,
    api: Api,
    runner: QueueRunner,
    clock: FixedClock,
    key_for: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    incident_id = open_breach(api, runner)
    services = wiring.container()
    out = io.StringIO()

    def tocsin(*argv: str) -> int:
        return main(list(argv), out, services=services, transport=ChaliceTransport(client))

    for verb in ("ack", "decline"):
        assert tocsin(verb, incident_id, "--as", "c-ada") == 1
    assert tocsin("ack", incident_id, "--as", "c-chen") == 1
    assert "does not count" in out.getvalue()
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    assert incident["acknowledgements"]["counted"] == []
    assert incident["escalation"]["state"] == "running"
    assert {a["by"] for a in incident["acknowledgements"]["not_counted"]} == {
        "arn:aws:sts::123456789012:user/moto"
    }
    # Without a key the command must be told for whom; a person not in the directory is refused.
    assert tocsin("ack", incident_id) == 2
    assert "--key" in capsys.readouterr().err
    assert tocsin("ack", incident_id, "--as", "c-zed") == 2
    assert "--as: no contact 'c-zed'" in capsys.readouterr().err
    # With their personal keys, from TOCSIN_KEY: through the API, counted; two of two.
    for contact_id in ("c-ada", "c-chen"):
        monkeypatch.setenv("TOCSIN_KEY", key_for(f"{contact_id}-laptop", contact_id))
        assert tocsin("ack", incident_id) == 0
    assert "Acknowledged:" in out.getvalue().splitlines()[-1]
    monkeypatch.setenv("TOCSIN_KEY", key_for("dina-laptop", "c-dina"))
    assert tocsin("ack", incident_id, "--as", "c-fay") == 2  # her key is hers alone
    assert "answers only for c-dina" in capsys.readouterr().err
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    assert incident["escalation"]["state"] == "acknowledged"
    assert incident["acknowledgements"]["counted"] == ["c-ada", "c-chen"]


def test_every_channels_message_carries_its_answer_path(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    settings: Settings,
) -> None:
    from dataclasses import replace

    from tests.e2e.test_escalation import OUTAGE, use_it_major

    outbox = Outbox()
    voice_client = boto3.client("pinpoint-sms-voice-v2", region_name="us-east-1")
    push_client = boto3.client("pinpoint", region_name="us-east-1")
    for standin_client in (voice_client, push_client):
        install_in_process(standin_client, MessagingStandIn(outbox))
    pushed: list[dict[str, Any]] = []
    push_client.meta.events.register(
        "provide-client-params.pinpoint.SendMessages",
        lambda params, **_: pushed.extend(params["MessageRequest"]["Addresses"].values()),
    )
    session = boto3.Session()  # its SES client shows the text part moto does not keep
    emails: list[dict[str, Any]] = []
    session.events.register(
        "provide-client-params.sesv2.SendEmail",
        lambda params, **_: emails.append(params["Content"]["Simple"]["Body"]),
    )
    use_container(session, clock=FixedClock(NIGHT))
    use_it_major(
        world,
        settings,
        {
            "levels": [
                {
                    "notify": [{"contact": "c-fay"}],
                    "channels": ["sms", "email", "voice", "push"],
                    "timeout": "5m",
                }
            ]
        },
    )
    channels = {
        Channel.VOICE: EumVoiceChannel(voice_client, "+12025550100"),
        Channel.PUSH: PinpointPushChannel(push_client, "app-123"),
    }
    services = use_container(session, clock=FixedClock(NIGHT), channels=channels)
    fay = services.directory.get_contacts(["c-fay"])["c-fay"]
    services.directory.put(replace(fay, push_tokens=("apns:goodtoken0001",)))
    event_id = api.post_event(OUTAGE).json_body["event_id"]
    runner.drain()
    incident_id = api.get(f"/v1/events/{event_id}").json_body["incident_id"]
    found = services.responders.find(incident_id, "c-fay")
    assert found is not None
    url, code = f"http://127.0.0.1:8000/a/{found.token}", found.code

    [sms] = texts_to(world, FAY)
    assert f"Reply {code} ACK" in sms and url in sms
    [email] = [body for body in emails if url in body["Text"]["Data"]]
    assert f"Acknowledge: {url}" in email["Text"]["Data"]
    assert f"{code} ACK" in email["Text"]["Data"]
    assert f'<a href="{url}">' in email["Html"]["Data"] and f"{code} ACK" in email["Html"]["Data"]
    [voice] = [m for m in outbox.messages() if m["channel"] == "voice"]
    assert f"reply {' '.join(code)} A C K" in voice["body"]
    assert "open the link in your text message or email" in voice["body"]
    [push] = [m for m in outbox.messages() if m["channel"] == "push"]
    assert url in push["body"] and f"Reply {code} ACK" in push["body"]
    assert [address["Context"]["ack_url"] for address in pushed] == [url]
    # And the executives the plan only informs by email have their link and code too.
    informed = [body["Text"]["Data"] for body in emails if url not in body["Text"]["Data"]]
    assert len(informed) == 2 and all(re.search(r"\d{4} ACK", text) for text in informed)


def test_the_fourth_help_reply_in_an_hour_is_not_sent(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    open_breach(api, runner)
    before = len(texts_to(world, FAY))
    with caplog.at_level(logging.INFO):
        for _ in range(4):
            reply_sms(client, FAY, "HELP")
    answers = texts_to(world, FAY)[before:]
    assert len(answers) == 3 and all("1234 ACK" in text for text in answers)
    withheld = [r for r in caplog.records if "not answered" in r.getMessage()]
    assert len(withheld) == 1
    logged = caplog.text
    assert FAY not in logged and FAY.lstrip("+") not in logged and "HELP" not in logged
    # An auto-responder keeps going: silence. A reply with her code still counts, and says so.
    for _ in range(10):
        reply_sms(client, FAY, "Out of office")
    assert len(texts_to(world, FAY)) == before + 3
    reply_sms(client, FAY, f"{code_of(world, FAY)} ACK")
    assert texts_to(world, FAY)[-1].startswith("Acknowledged")
    # STOP is always recorded.
    reply_sms(client, FAY, "STOP")
    directory = wiring.container().directory
    assert Channel.SMS in directory.get_contacts(["c-fay"])["c-fay"].opted_out
    # The next clock hour, HELP is answered again.
    clock.current = NIGHT + timedelta(hours=1)
    reply_sms(client, ADA, "HELP")
    assert "1234 ACK" in texts_to(world, ADA)[-1]


def test_the_demo_incident_shows_per_level_who_was_paged_and_who_acknowledged(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, clock: FixedClock
) -> None:
    """The closing note's table: the demo after two acknowledgements (Ada by SMS, Chen by link)
    and one that does not count (Bo, whom the plan only informed)."""
    incident_id = open_breach(api, runner)
    reply_sms(client, ADA, f"{code_of(world, ADA)} ACK")
    reply_sms(client, BO, f"{code_of(world, BO)} ACK")
    link = re.search(r"(/a/[a-z2-7]{16})", texts_to(world, CHEN)[0])
    assert link is not None
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    client.http.post(link.group(1), headers=form, body=b"answer=ack")
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    assert incident["levels"] == [
        {
            "step": 0,
            "level": 1,
            "repeat": 0,
            "quorum": 2,
            "paged": ["c-ada", "c-chen", "c-dina", "c-fay"],
            "acknowledged": ["c-ada", "c-chen"],
            "declined": [],
        }
    ]
    assert incident["acknowledgements"]["needed"] == 2
    assert incident["acknowledgements"]["counted"] == ["c-ada", "c-chen"]
    [bo] = incident["acknowledgements"]["not_counted"]
    assert (bo["contact_id"], bo["via"], bo["why"]) == ("c-bo", "sms reply", "not_at_level")
    assert incident["escalation"]["state"] == "acknowledged"
