"""Escalation level by level, acknowledgement by SMS reply, link and API, and resolution.

The clock is injected: the tick is invoked as EventBridge would, a minute at a time.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import wiring
from chalicelib.core.access import ApiKey, Scope
from chalicelib.core.credentials import Answerer
from chalicelib.core.response.next_step import StepOutcome
from chalicelib.settings import Settings
from chalicelib.storage.api_keys import DynamoApiKeyStore, generate_api_key
from fakes import FixedClock
from local.runner import QueueRunner, scheduled_event
from tests.e2e.conftest import Api, sent_email, sent_sms, use_container

# Wednesday 2 December 2026, 03:00 in Copenhagen: the office layer is off duty, and week 47
# of the weekly rotation [c-chen, c-fay] that began on 5 January belongs to c-fay.
NIGHT = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
FAY, CHEN = "+12025550105", "+12025550103"
OUTAGE = {
    "source": "monitoring",
    "type": "it.outage",
    "severity": "critical",
    "summary": "Payments API down",
    "dedup_key": "payments-down",
}


@pytest.fixture
def clock(client: Client) -> FixedClock:
    fixed = FixedClock(NIGHT)
    use_container(clock=fixed)
    return fixed


@pytest.fixture
def person_key(world: boto3.Session, settings: Settings) -> Any:
    store = DynamoApiKeyStore(world.client("dynamodb"), settings.config_table)

    def make(name: str, contact_id: str | None, scopes: set[Scope]) -> str:
        key = generate_api_key()
        store.add(key, ApiKey(name, frozenset(scopes), contact_id=contact_id), NIGHT)
        return key

    return make


def tick(client: Client) -> None:
    client.lambda_.invoke(
        "escalate_due_incidents", scheduled_event("escalate_due_incidents", "us-east-1")
    )


def reply_sms(client: Client, sender: str, body: str, replying_to: str | None = None) -> None:
    message = {
        "originationNumber": sender,
        "destinationNumber": "+12025550100",
        "messageKeyword": "KEYWORD",
        "messageBody": body,
        "inboundMessageId": "in-1",
        **({"previousPublishedMessageId": replying_to} if replying_to else {}),
    }
    event = client.events.generate_sns_event(message=json.dumps(message), subject="")
    client.lambda_.invoke("answer_sms_replies", event)


def texts_to(world: boto3.Session, phone: str) -> list[str]:
    return [body for number, body in sent_sms(world) if number == phone]


def call(client: Client, path: str, key: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return client.http.post(path, headers=headers, body=json.dumps(body or {}).encode())


def use_it_major(world: boto3.Session, settings: Settings, policy: dict[str, Any]) -> None:
    """Apply the example playbook with ``policy`` in place of the it-major escalation."""
    from chalicelib.storage.playbooks import DynamoPlaybookStore
    from tests.conftest import PROJECT
    from tocsin_cli.policies import read_policy_dir

    documents = read_policy_dir(PROJECT / "policies").sections
    documents["escalations"] = [
        {"id": "it-major", **policy},
        *[e for e in documents["escalations"] if e["id"] != "it-major"],
    ]
    DynamoPlaybookStore(world.client("dynamodb"), settings.config_table).apply(documents, NIGHT)
    # A fresh container, as a Lambda instance started after the apply: nothing cached.
    use_container(clock=wiring.container().clock)


def open_outage(api: Api, runner: QueueRunner) -> str:
    event_id = api.post_event(OUTAGE).json_body["event_id"]
    runner.drain()
    return str(api.get(f"/v1/events/{event_id}").json_body["incident_id"])


def test_nobody_answers_level_two_is_paged_then_an_sms_reply_stops_it_and_resolve_tells_all(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,
    person_key: Any,
) -> None:
    incident_id = open_outage(api, runner)
    # Level 1: the duty officer, by the first channel of the chain that works (no push token).
    first = texts_to(world, FAY)
    assert len(first) == 1 and re.search(r"Reply \d{4} ACK", first[0].splitlines()[0])
    assert "http://127.0.0.1:8000/a/" in first[0]
    assert texts_to(world, CHEN) == []
    # The executives are informed at once by email, as the plan's `notify` says.
    assert sorted(a for a, _ in sent_email(world)) == ["ada@example.com", "dina@example.com"]

    clock.current = NIGHT + timedelta(minutes=4)
    tick(client)
    runner.drain()
    assert texts_to(world, CHEN) == []  # not yet: the timeout is five minutes

    clock.current = NIGHT + timedelta(minutes=5, seconds=30)
    tick(client)
    tick(client)  # a second tick in the same minute changes nothing
    runner.drain()
    chen = texts_to(world, CHEN)
    assert len(chen) == 1  # level 2: the whole it-security role
    assert len(texts_to(world, FAY)) == 2
    code = re.search(r"回覆 (\d{4}) ACK", chen[0])  # in her language, zh-Hant
    assert code is not None

    reply_sms(client, CHEN, f"{code.group(1)} ACK")
    answers = texts_to(world, CHEN)
    assert answers[-1] == "已確認：Payments API down"  # noqa: RUF001 - her language, zh-Hant

    clock.current = NIGHT + timedelta(minutes=40)
    tick(client)
    runner.drain()
    assert len(texts_to(world, FAY)) == 2  # no level 3: escalation stopped
    incident = api.get(f"/v1/incidents/{incident_id}").json_body
    kinds = [entry["kind"] for entry in incident["timeline"]]
    assert kinds.count("paged") == 1 and kinds.count("escalated") == 1
    ack = next(e for e in incident["timeline"] if e["kind"] == "acknowledged")
    assert ack["data"] == {
        "contact_id": "c-chen",
        "via": "sms reply",
        "credential": "sms from their number",
        "by": "c-chen",
        "person_bound": True,
        "have": 1,
        "needed": 1,
        "step": 1,
    }
    assert incident["levels"][1] == {
        "step": 1,
        "level": 2,
        "repeat": 0,
        "quorum": 1,
        "paged": ["c-chen", "c-fay"],
        "acknowledged": ["c-chen"],
        "declined": [],
    }
    assert "escalation stopped" in ack["summary"]

    resolver = person_key("ada", "c-ada", {Scope.RESOLVE})
    resolved = call(client, f"/v1/incidents/{incident_id}/resolve", resolver)
    assert resolved.status_code == 200 and resolved.json_body["status"] == "resolved"
    runner.drain()
    assert texts_to(world, FAY)[-1].startswith("TOCSIN RESOLVED: Payments API down")
    assert texts_to(world, CHEN)[-1].startswith("TOCSIN 已解除")  # in her language
    # Each in their language: Ada in English, Dina in Norwegian.
    resolved_mail = [
        a for a, subject in sent_email(world) if "resolved" in subject or "avsluttet" in subject
    ]
    assert sorted(resolved_mail) == ["ada@example.com", "dina@example.com"]
    again = call(client, f"/v1/incidents/{incident_id}/resolve", resolver)
    assert again.status_code == 409


def test_the_link_page_acknowledges_once_and_refuses_forged_expired_and_wrong_people(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,
    person_key: Any,
) -> None:
    incident_id = open_outage(api, runner)
    link = re.search(r"http://127\.0\.0\.1:8000(/a/[a-z2-7]{16})", texts_to(world, FAY)[0])
    assert link is not None
    path = link.group(1)

    page = client.http.get(path)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "Payments API down" in page.body.decode() and "Acknowledge" in page.body.decode()
    assert page.headers["Referrer-Policy"] == "no-referrer"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    done = client.http.post(path, headers=form, body=b"answer=ack")
    assert done.status_code == 200 and "Acknowledged: Payments API down" in done.body.decode()
    again = client.http.post(path, headers=form, body=b"answer=ack")
    assert "already acknowledged" in again.body.decode()
    after = client.http.get(path).body.decode()
    assert 'name="answer"' not in after  # no answer buttons; her checklist's remain
    ticked = client.http.post(path, headers=form, body=b"tick=it-preserve-evidence")
    assert ticked.status_code == 200 and "Ticked: Preserve evidence" in ticked.body.decode()
    assert 'value="it-preserve-evidence"' not in ticked.body.decode()
    other = client.http.post(path, headers=form, body=b"tick=legal-dpa-duty")
    assert other.status_code == 403  # another role's item

    forged = path[:-4] + ("aaaa" if not path.endswith("aaaa") else "bbbb")
    refused = client.http.get(forged)
    assert refused.status_code == 404 and "not valid" in refused.body.decode()
    assert client.http.get("/a/NOT-A-TOKEN").status_code == 404
    nonsense = client.http.post(path, headers=form, body=b"answer=maybe")
    assert nonsense.status_code == 400

    # A person the incident did not page is recorded through the API, and counts for nothing.
    bo = person_key("bo", "c-bo", {Scope.RESOLVE})
    outsider = call(client, f"/v1/incidents/{incident_id}/acknowledge", bo)
    assert outsider.status_code == 200
    assert (outsider.json_body["outcome"], outsider.json_body["why"]) == (
        "not_counted",
        "not_paged",
    )
    assert outsider.json_body["acknowledged_by"] == ["c-fay"]

    clock.current = NIGHT + timedelta(days=4)
    expired = client.http.get(path)
    assert expired.status_code == 410 and "expired" in expired.body.decode()
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    acks = [e for e in timeline if e["kind"] == "acknowledged"]
    assert [(e["data"]["contact_id"], e["data"]["via"]) for e in acks] == [("c-fay", "link")]


def test_declining_by_link_pages_the_next_level_at_once(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, clock: FixedClock
) -> None:
    open_outage(api, runner)
    link = re.search(r"(/a/[a-z2-7]{16})", texts_to(world, FAY)[0])
    assert link is not None
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = client.http.post(link.group(1), headers=form, body=b"answer=decline")
    assert "next level is being paged now" in answer.body.decode()
    runner.drain()
    assert len(texts_to(world, CHEN)) == 1  # level 2 without waiting five minutes


def test_sms_replies_without_a_code_stop_help_and_strangers(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, clock: FixedClock
) -> None:
    incident_id = open_outage(api, runner)
    reply_sms(client, "+12025550199", "ACK")  # nobody we know: no answer at all
    assert texts_to(world, "+12025550199") == []
    reply_sms(client, FAY, "help")
    assert "1234 ACK" in texts_to(world, FAY)[-1]
    reply_sms(client, FAY, "9999 ACK")  # a code that is not hers
    assert "No open alert of yours has the code 9999" in texts_to(world, FAY)[-1]
    reply_sms(client, FAY, "ok")  # her only open alert
    assert texts_to(world, FAY)[-1].startswith("Acknowledged")
    reply_sms(client, FAY, "STOP")
    contact = api.get("/v1/contacts/c-fay")
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    assert [e["data"]["via"] for e in timeline if e["kind"] == "acknowledged"] == ["sms reply"]
    from chalicelib.core.model import Channel

    directory = wiring.container().directory
    assert Channel.SMS in directory.get_contacts(["c-fay"])["c-fay"].opted_out
    assert contact.status_code in (200, 401, 403)


def test_two_ticks_or_a_tick_racing_an_acknowledgement_never_page_a_level_twice(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, clock: FixedClock
) -> None:
    incident_id = open_outage(api, runner)
    services = wiring.container()
    clock.current = NIGHT + timedelta(minutes=6)
    stale = services.incidents.get(incident_id)
    assert stale is not None and stale.response.step == 0
    first = services.escalator.advance(stale)  # the first tick pages level 2
    assert (first.outcome, first.step, first.paged) == (StepOutcome.PAGED, 1, ("c-chen", "c-fay"))
    second = services.escalator.advance(stale)  # the second, on the same read, loses
    assert (second.outcome, second.jobs) == (StepOutcome.LOST_RACE, ())
    runner.drain()
    assert len(texts_to(world, CHEN)) == 1

    clock.current = NIGHT + timedelta(minutes=17)  # level 2's ten minutes are over
    before_ack = services.incidents.get(incident_id)
    assert before_ack is not None
    services.responses.acknowledge(incident_id, Answerer.by_link("c-chen"))
    # A tick that read the incident before the acknowledgement cannot move it on, and the
    # level-3 jobs it queued before losing are dropped by the dispatcher.
    assert services.escalator.advance(before_ack).outcome is StepOutcome.LOST_RACE
    runner.drain()
    assert len(texts_to(world, CHEN)) == 1
    assert sorted(a for a, _ in sent_email(world)) == ["ada@example.com", "dina@example.com"]
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    assert [e["data"]["step"] for e in timeline if e["kind"] in ("paged", "escalated")] == [0, 1]


def test_a_level_with_nobody_reachable_is_skipped_at_once_and_the_policy_repeats(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,
    settings: Settings,
) -> None:
    use_it_major(
        world,
        settings,
        {
            "repeat": 1,
            "levels": [
                # Emil (hr) has no phone: nobody on this level can get an SMS.
                {"notify": [{"role": "hr"}], "channels": ["sms"], "timeout": "5m"},
                {"notify": [{"contact": "c-fay"}], "channels": ["sms"], "timeout": "5m"},
            ],
        },
    )
    incident_id = open_outage(api, runner)
    assert len(texts_to(world, FAY)) == 1  # level 1 skipped at once; level 2 paged

    clock.current = NIGHT + timedelta(minutes=6)
    tick(client)  # the repeat: level 1 skipped again, level 2 paged again
    runner.drain()
    assert len(texts_to(world, FAY)) == 2
    clock.current = NIGHT + timedelta(minutes=12)
    tick(client)
    runner.drain()
    assert len(texts_to(world, FAY)) == 2
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    steps = [
        (e["kind"], e["data"].get("step"))
        for e in timeline
        if "escalat" in e["kind"] or e["kind"] == "paged"
    ]
    # Entries written at the same instant come back in key order: sort by step.
    assert sorted(steps, key=lambda kind_step: 99 if kind_step[1] is None else kind_step[1]) == [
        ("escalation_skipped", 0),
        ("paged", 1),
        ("escalation_skipped", 2),
        ("escalated", 3),
        ("escalation_exhausted", None),
    ]


def test_tocsin_ack_and_resolve_answer_from_a_shell_counting_only_with_a_personal_key(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,
    person_key: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import io

    from tests.e2e.conftest import ChaliceTransport
    from tocsin_cli.main import main

    incident_id = open_outage(api, runner)
    services = wiring.container()
    out = io.StringIO()

    def tocsin(*argv: str) -> int:
        return main(list(argv), out, services=services, transport=ChaliceTransport(client))

    # With AWS credentials: recorded with the principal, not counted (exit 1).
    assert tocsin("ack", incident_id, "--as", "c-fay") == 1
    assert "does not count" in out.getvalue() and "--key" in out.getvalue()
    # With her personal key: through the API, as Fay, counted.
    fay = person_key("fay-phone", "c-fay", {Scope.RESOLVE})
    assert tocsin("ack", incident_id, "--key", fay) == 0
    assert out.getvalue().splitlines()[-1] == "Acknowledged: Payments API down"
    ada = person_key("ada-phone", "c-ada", {Scope.RESOLVE})
    assert tocsin("resolve", incident_id, "--key", ada) == 0
    assert "Resolved: Payments API down. 3 people told." in out.getvalue()
    assert tocsin("resolve", incident_id, "--key", ada) == 2
    assert "is resolved, not open" in capsys.readouterr().err
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    answered = [
        (e["kind"], e["summary"])
        for e in timeline
        if e["kind"] in ("acknowledged", "not_counted", "resolved")
    ]
    principal = "arn:aws:sts::123456789012:user/moto"
    assert sorted(answered) == [  # written at one instant: in key order, not call order
        ("acknowledged", "acknowledged by c-fay via api; escalation stopped"),
        (
            "not_counted",
            f"AWS principal {principal} acknowledged for c-fay via cli; not counted: made with "
            f"AWS principal {principal}, not with c-fay's own link, reply code or personal key",
        ),
        ("resolved", "resolved by c-ada via api"),
    ]


def test_a_quorum_of_two_keeps_escalating_after_one_acknowledgement(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    clock: FixedClock,
    settings: Settings,
) -> None:
    use_it_major(
        world,
        settings,
        {
            "levels": [
                {
                    "notify": [{"role": "it-security"}],
                    "channels": ["sms"],
                    "timeout": "5m",
                    "quorum": 2,
                },
                {"notify": [{"role": "legal"}], "channels": ["sms"], "timeout": "5m"},
            ],
        },
    )
    incident_id = open_outage(api, runner)
    code = re.search(r"Reply (\d{4}) ACK", texts_to(world, FAY)[0])
    assert code is not None
    reply_sms(client, FAY, f"ACK {code.group(1)}")
    assert "1 of 2 acknowledgements needed so far" in texts_to(world, FAY)[-1]

    clock.current = NIGHT + timedelta(minutes=6)
    tick(client)
    runner.drain()
    dina = texts_to(world, "+12025550104")
    assert len(dina) == 1  # legal, level 2: one acknowledgement was not enough
    services = wiring.container()
    answer = services.responses.acknowledge(incident_id, Answerer.by_link("c-chen"))
    assert answer.outcome == "acknowledged"
    incident = services.incidents.get(incident_id)
    assert incident is not None and incident.response.stopped is not None
    assert incident.response.acknowledged_by == ("c-fay", "c-chen")


def test_an_incident_dynamodb_throttles_makes_the_tick_fail_loudly_and_the_next_catches_up(
    client: Client, api: Api, runner: QueueRunner, world: boto3.Session, clock: FixedClock
) -> None:
    """The tick's own isolation of a failing incident is unit-tested on the fakes
    (tests/unit/test_escalator.py); here the handler says so, for the errors alarm."""
    from botocore.exceptions import ClientError

    from chalicelib.core.errors import TransientError

    first = open_outage(api, runner)
    event_id = api.post_event({**OUTAGE, "dedup_key": "second-outage"}).json_body["event_id"]
    runner.drain()
    second = api.get(f"/v1/events/{event_id}").json_body["incident_id"]
    throttled = [True]

    def throttle(params: dict[str, Any], **_: Any) -> None:
        if throttled[0] and params["Key"]["pk"]["S"] == f"INCIDENT#{first}":
            error = {"Code": "ThrottlingException", "Message": "Rate exceeded"}
            raise ClientError({"Error": error}, "GetItem")

    session = boto3.Session()  # its clients carry the fault: DynamoDB throttles one incident
    session.events.register("before-parameter-build.dynamodb.GetItem", throttle)
    services = use_container(session, clock=clock)
    clock.current = NIGHT + timedelta(minutes=6)
    with pytest.raises(TransientError, match="1 incident"):
        tick(client)  # the handler says so, so that the errors alarm sees it
    throttled[0] = False
    tick(client)  # the next tick catches up
    steps = {
        incident_id: services.incidents.get(incident_id).response.step  # type: ignore[union-attr]
        for incident_id in (first, second)
    }
    assert steps == {first: 1, second: 1}
