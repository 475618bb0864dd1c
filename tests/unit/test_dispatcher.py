"""Sending (Dispatcher), on the fakes: each message once, in the person's language with their
own link and code; failures on the timeline, retried or passed down the person's chain."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from chalicelib.core.errors import PermanentSendError, TransientSendError
from chalicelib.core.model import (
    Channel,
    Contact,
    EventStatus,
    Incident,
    IncidentStatus,
    Notice,
    NotificationJob,
    ResponseState,
    Severity,
    Stop,
    TimelineEntry,
)
from fakes import MemoryWorld, RecordingBatchChannel, RecordingChannel, ScriptedChannel
from tests.unit.conftest import ADA, CHEN, FAY, NIGHT, story, texts

INCIDENT_ID = "inc_01M84STVCFS7F5J06PS8A3D6CA"


def open_incident(org: MemoryWorld, **changes: Any) -> Incident:
    incident = Incident(
        INCIDENT_ID,
        IncidentStatus.OPEN,
        "Gas leak, building B",
        "safety.accident",
        Severity.CRITICAL,
        EventStatus.ACTUAL,
        "gas",
        "manual",
        "site-emergency",
        NIGHT,
        NIGHT,
        playbook_version=org.playbooks.version,
    )
    incident = replace(incident, **changes)
    org.incidents.create(incident, [])
    return incident


def job(contact_id: str, channel: Channel = Channel.SMS, **fields: Any) -> NotificationJob:
    return NotificationJob(INCIDENT_ID, contact_id, channel, **fields)


def test_each_person_gets_their_own_language_link_and_reply_code(org: MemoryWorld) -> None:
    open_incident(org)
    report = org.dispatcher.dispatch(INCIDENT_ID, [job("c-ada"), job("c-chen"), job("c-fay")])
    assert (report.sent, report.failed, report.skipped) == (3, 0, 0)
    ada, chen = texts(org, ADA)[0], texts(org, CHEN)[0]
    assert ada.startswith("TOCSIN CRITICAL: Gas leak, building B") and "Reply" in ada
    assert "回覆" in chen  # zh-Hant
    links = {text.split("http://127.0.0.1:8000/a/")[1][:16] for text in (ada, chen)}
    assert len(links) == 2
    found = org.responders.find(INCIDENT_ID, "c-chen")
    assert found is not None and found.code in chen
    assert story(org, INCIDENT_ID) == [
        "sms handed to AWS for c-ada",
        "sms handed to AWS for c-chen",
        "sms handed to AWS for c-fay",
    ]


def test_a_redelivered_batch_sends_nothing_twice(org: MemoryWorld) -> None:
    open_incident(org)
    jobs = [job("c-ada"), job("c-ada", Channel.EMAIL)]
    org.dispatcher.dispatch(INCIDENT_ID, jobs)
    again = org.dispatcher.dispatch(INCIDENT_ID, jobs)
    assert (again.sent, again.skipped) == (0, 2)
    assert len(texts(org, ADA)) == 1 and len(org.email.sent) == 1


def test_a_transient_failure_past_the_pacers_budget_goes_back_to_the_queue_and_is_sent_once() -> (
    None
):
    throttled = {ADA: [TransientSendError("Throttling", "SNS Publish: rate exceeded")]}
    sms = RecordingChannel(Channel.SMS)
    org = MemoryWorld.example(NIGHT, senders={Channel.SMS: ScriptedChannel(sms, throttled)})
    open_incident(org)
    org.dispatch_queue.put_jobs([job("c-ada"), job("c-fay")])
    first = org.dispatch_queued()
    assert (first.sent, first.failed, first.retry) == (1, 1, [job("c-ada")])
    org.run_queues()
    assert [sent.destination for sent in sms.sent].count(ADA) == 1
    about_ada = [e.kind for e in org.incidents.timeline(INCIDENT_ID) if "c-ada" in e.summary]
    assert sorted(about_ada) == ["notification_failed", "notification_sent"]


def test_a_permanent_failure_falls_back_along_the_chain_with_the_reason() -> None:
    refused = {FAY: [PermanentSendError("InvalidParameter", "SNS Publish: unreachable")]}
    sms = RecordingChannel(Channel.SMS)
    email = RecordingChannel(Channel.EMAIL)
    org = MemoryWorld.example(
        NIGHT, senders={Channel.SMS: ScriptedChannel(sms, refused), Channel.EMAIL: email}
    )
    open_incident(org)
    chain = (Channel.VOICE, Channel.EMAIL)
    report = org.dispatcher.dispatch(INCIDENT_ID, [job("c-fay", fallbacks=chain)])
    assert (report.sent, report.failed) == (1, 1)
    assert [sent.destination for sent in email.sent] == ["fay@example.com"]
    assert sorted(story(org, INCIDENT_ID, "fallback")) == [
        "sms to c-fay failed: InvalidParameter; falling back to voice",
        "voice to c-fay voice not configured; falling back to email",
    ]


def test_someone_who_opted_out_since_planning_is_not_texted(org: MemoryWorld) -> None:
    open_incident(org)
    org.directory.opt_out("c-ada", Channel.SMS)
    report = org.dispatcher.dispatch(INCIDENT_ID, [job("c-ada", fallbacks=(Channel.EMAIL,))])
    assert texts(org, ADA) == [] and report.sent == 1
    assert story(org, INCIDENT_ID, "fallback") == [
        "sms to c-ada opted out of sms; falling back to email"
    ]


def test_alerts_stop_once_resolved_and_escalations_once_acknowledged(org: MemoryWorld) -> None:
    acknowledged = ResponseState("it-major", step=1, stopped=Stop.ACKNOWLEDGED)
    incident = open_incident(org, response=acknowledged, dedup_key="gas")
    report = org.dispatcher.dispatch(INCIDENT_ID, [job("c-ada"), job("c-chen", step=2)])
    assert (report.sent, report.skipped) == (1, 1)  # the plan's alert, not the escalation
    resolved = TimelineEntry(NIGHT, "resolved", "resolved", key="resolved-by-hand")
    assert org.incidents.transition(
        incident.incident_id, IncidentStatus.OPEN, IncidentStatus.RESOLVED, resolved
    )
    late = org.dispatcher.dispatch(INCIDENT_ID, [job("c-fay")])
    assert (late.sent, late.skipped) == (0, 1)
    notice = org.dispatcher.dispatch(INCIDENT_ID, [job("c-ada", notice=Notice.RESOLVED)])
    assert notice.sent == 1 and texts(org, ADA)[-1].startswith("TOCSIN RESOLVED")


def test_jobs_for_an_unknown_incident_or_person_are_skipped(org: MemoryWorld) -> None:
    assert org.dispatcher.dispatch("inc_nothing", [job("c-ada")]).skipped == 1
    open_incident(org)
    assert org.dispatcher.dispatch(INCIDENT_ID, [job("c-gone")]).skipped == 1


def test_a_claim_whose_invocation_died_is_sent_by_the_next(org: MemoryWorld) -> None:
    open_incident(org)
    org.ledger.claim(job("c-ada"), NIGHT, NIGHT)  # claimed, then the invocation died
    assert org.dispatcher.dispatch(INCIDENT_ID, [job("c-ada")]).requeued == 1  # not dropped
    org.clock.advance(minutes=3)  # past the claim timeout
    report = org.dispatcher.dispatch(INCIDENT_ID, [job("c-ada")])
    assert (report.sent, report.unknown_outcomes) == (1, 1)


@pytest.mark.parametrize("people", [3, 40])
def test_push_goes_in_batches_each_person_with_their_own_text(people: int) -> None:
    crowd = [
        Contact(f"c-{n:03d}", "P", ("facilities",), push_tokens=(f"fcm:token{n:04d}xyzxyz",))
        for n in range(people)
    ]
    push = RecordingBatchChannel(Channel.PUSH, batch_addresses=20)
    org = MemoryWorld.example(NIGHT, senders={Channel.PUSH: push})
    for contact in crowd:
        org.directory.put(contact)
    open_incident(org)
    report = org.dispatcher.dispatch(INCIDENT_ID, [job(c.contact_id, Channel.PUSH) for c in crowd])
    assert report.sent == people
    assert sum(push.calls) == people and max(push.calls) <= 20 - 10  # room for a whole person
    assert len({sent.message.body for sent in push.sent}) == people
