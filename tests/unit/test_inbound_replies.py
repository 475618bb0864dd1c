"""Two-way SMS (InboundReplies), on the fakes: a reply acknowledges or declines for the person
who sent it, in their language; strangers get no answer; STOP and HELP do what they say."""

from __future__ import annotations

import re

import pytest

from chalicelib.core.errors import TransientSendError
from chalicelib.core.model import Channel
from chalicelib.core.response.replies import InboundSms, ReplyOutcome
from fakes import MemoryWorld, RecordingChannel, ScriptedChannel
from tests.unit.conftest import CHEN, DEMO, FAY, NIGHT, OUTAGE, incident_of, post, story, texts


def reply(org: MemoryWorld, sender: str, body: str, replying_to: str | None = None) -> ReplyOutcome:
    return org.inbound.handle(InboundSms(sender, "+12025550100", body, "in-1", replying_to))


def code_in(text: str) -> str:
    found = re.search(r"(\d{4}) ACK", text)
    assert found is not None, text
    return found.group(1)


@pytest.fixture
def outage(org: MemoryWorld) -> str:
    return incident_of(org, post(org, OUTAGE)).incident_id


def test_the_code_from_the_alert_acknowledges_and_the_answer_is_texted_back(
    org: MemoryWorld, outage: str
) -> None:
    outcome = reply(org, FAY, f"{code_in(texts(org, FAY)[0])} ACK")
    assert (outcome.intent, outcome.contact_id, outcome.incident_id) == ("ack", "c-fay", outage)
    assert texts(org, FAY)[-1] == "Acknowledged: Payments API down"
    assert story(org, outage, "acknowledged") == [
        "acknowledged by c-fay via sms reply; escalation stopped"
    ]


def test_a_stranger_gets_no_answer_at_all(org: MemoryWorld, outage: str) -> None:
    outcome = reply(org, "+12025550199", "ACK")
    assert outcome == ReplyOutcome("ack", None, None, None)
    assert texts(org, "+12025550199") == []


def test_help_a_wrong_code_and_no_code_with_one_open_alert(org: MemoryWorld, outage: str) -> None:
    reply(org, FAY, "help")
    assert "1234 ACK" in texts(org, FAY)[-1]
    reply(org, FAY, "9999 ACK")
    assert texts(org, FAY)[-1].startswith("No open alert of yours has the code 9999.")
    reply(org, FAY, "ok")  # her only open alert
    assert texts(org, FAY)[-1] == "Acknowledged: Payments API down"


def test_stop_opts_the_number_out_and_is_not_answered(org: MemoryWorld, outage: str) -> None:
    before = len(texts(org, FAY))
    assert reply(org, FAY, "STOP").intent == "stop"
    assert len(texts(org, FAY)) == before  # End User Messaging confirms opt-outs itself
    fay = org.directory.get_contacts(["c-fay"])["c-fay"]
    assert Channel.SMS in fay.opted_out


def test_with_several_open_alerts_the_person_is_asked_for_the_code(
    org: MemoryWorld, outage: str
) -> None:
    post(org, DEMO)  # Fay is in the crisis cell too
    reply(org, FAY, "ACK")
    assert texts(org, FAY)[-1].startswith("You have several open alerts; reply with its code")
    crisis_code = code_in(texts(org, FAY)[1])
    assert reply(org, FAY, f"ACK {crisis_code}").incident_id != outage


def test_a_reply_to_a_text_answers_for_that_texts_incident(org: MemoryWorld, outage: str) -> None:
    post(org, DEMO)
    [first_text] = [sent for sent in org.sms.sent if sent.incident_id == outage]
    assert reply(org, FAY, "ok", replying_to=first_text.message_id).incident_id == outage


def test_the_answer_is_in_the_persons_language(org: MemoryWorld) -> None:
    incident_id = incident_of(org, post(org, DEMO)).incident_id
    code = re.search(r"回覆 (\d{4}) ACK", texts(org, CHEN)[0])
    assert code is not None
    outcome = reply(org, CHEN, f"{code.group(1)} ACK")
    assert outcome.incident_id == incident_id
    assert texts(org, CHEN)[-1].startswith("已確認")
    declined = reply(org, CHEN, f"{code.group(1)} NO")
    assert declined.intent == "decline" and declined.answer


def test_an_answer_the_sms_channel_cannot_send_says_so() -> None:
    throttled = {FAY: [TransientSendError("Throttling", "SNS Publish: rate exceeded")]}
    sms = ScriptedChannel(RecordingChannel(Channel.SMS), throttled)
    org = MemoryWorld.example(NIGHT, senders={Channel.SMS: sms})
    outcome = reply(org, FAY, "help")
    assert outcome.answer is not None and outcome.answer.endswith("[not sent: Throttling]")


# --- reply loops: at most three answers that change nothing, per number per hour -------------


def test_the_fourth_help_answer_in_an_hour_is_not_sent(org: MemoryWorld, outage: str) -> None:
    before = len(texts(org, FAY))
    outcomes = [reply(org, FAY, "HELP") for _ in range(4)]
    assert [o.answer is not None for o in outcomes] == [True, True, True, False]
    assert [o.withheld for o in outcomes] == [False, False, False, True]
    assert len(texts(org, FAY)) == before + 3
    org.clock.advance(hours=1)  # a new clock hour: answered again
    assert reply(org, FAY, "HELP").answer is not None
    assert len(texts(org, FAY)) == before + 4


def test_an_auto_responder_is_answered_three_times_then_stop_help_and_acks_still_work(
    org: MemoryWorld, outage: str
) -> None:
    before = len(texts(org, FAY))
    for _ in range(50):
        reply(org, FAY, "I am out of the office until Monday.")
    assert len(texts(org, FAY)) == before + 3  # not 50: the loop ends
    # Carriers require HELP to be answered: the hour's first HELP is, past the limit.
    assert reply(org, FAY, "HELP").answer is not None
    assert reply(org, FAY, "HELP").withheld
    # An acknowledgement still counts and is confirmed (it can happen only once)...
    code = code_in(texts(org, FAY)[0])
    assert reply(org, FAY, f"{code} ACK").answer == "Acknowledged: Payments API down"
    # ...but "you have already acknowledged", to an auto-responder saying OK, is not.
    assert reply(org, FAY, "OK").withheld
    assert len(texts(org, FAY)) == before + 5
    assert story(org, outage, "acknowledged") == [
        "acknowledged by c-fay via sms reply; escalation stopped"
    ]
    # STOP is always recorded, whatever was answered before.
    assert reply(org, FAY, "STOP").intent == "stop"
    assert Channel.SMS in org.directory.get_contacts(["c-fay"])["c-fay"].opted_out


def test_the_limit_is_per_number(org: MemoryWorld, outage: str) -> None:
    post(org, DEMO)
    for _ in range(4):
        reply(org, FAY, "what?")
    assert reply(org, CHEN, "what?").answer is not None
