"""Statements to audiences (StatementDesk), on the fakes: drafted at activation, frozen at the
first approval, approved by distinct people with their own credentials, published once per
channel; and every refusal says why, sends nothing and changes nothing."""

from __future__ import annotations

import pytest

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    PermanentSendError,
    TransientError,
    TransientSendError,
)
from chalicelib.core.model import Channel, Incident, Message, SendReceipt
from chalicelib.core.playbook.audiences import StatementKind
from chalicelib.core.statements.drafting import DraftRequest, parse_draft, parse_edit
from chalicelib.core.statements.ports import StatementState
from fakes import MemoryWorld, RecordingChannel
from tests.unit.conftest import DEMO, NIGHT, incident_of, post, story


def key(contact_id: str, name: str | None = None) -> Answerer:
    return Answerer.by_personal_key(name or f"{contact_id}-laptop", contact_id)


ADA, BO, DINA, FAY = key("c-ada"), key("c-bo"), key("c-dina"), key("c-fay")


@pytest.fixture
def breach(org: MemoryWorld) -> Incident:
    return incident_of(org, post(org, DEMO))


def statements(org: MemoryWorld, incident: Incident) -> dict[str, StatementState]:
    found = org.statement_desk.statements(incident.incident_id)
    return {s.statement_id: s.state for s in found}


def test_activation_drafts_a_holding_statement_per_audience_and_language_and_sends_none(
    org: MemoryWorld, breach: Incident
) -> None:
    assert statements(org, breach) == {
        "customers-en-1": StatementState.DRAFT,
        "public-da-1": StatementState.DRAFT,
        "public-en-1": StatementState.DRAFT,
        "staff-da-1": StatementState.DRAFT,
        "staff-en-1": StatementState.DRAFT,
    }
    staff = org.statement_desk.get(breach.incident_id, "staff-en-1")
    assert staff.kind is StatementKind.INITIAL and staff.created_by == "tocsin"
    assert staff.required == 2 and staff.roles == ("communications", "executive", "legal")
    assert "Next update: by 2026-12-02 04:00 CET (Europe/Copenhagen)" in " ".join(
        staff.body.split()
    ).replace(" or sooner", "")  # opened 03:00 in Copenhagen; staff get an update hourly
    assert org.broadcast.sent == [] and all("@" not in s.destination for s in org.sms.sent)
    assert story(org, breach.incident_id, "statement_drafted")[0].startswith(
        "initial statement customers-en-1 to customers (en) drafted by Tocsin"
    )
    org.notifier.notify(breach.incident_id)  # a retried activation drafts nothing twice
    assert len(statements(org, breach)) == 5


def test_two_people_approve_then_one_publishes_once_through_each_channel(
    org: MemoryWorld, breach: Incident
) -> None:
    desk, incident_id = org.statement_desk, breach.incident_id
    first = desk.approve(incident_id, "staff-en-1", BO)
    assert first.state is StatementState.DRAFT and first.frozen
    with pytest.raises(Conflict, match="2 approvals it needs"):
        desk.publish(incident_id, "staff-en-1", BO)
    org.clock.advance(minutes=2)
    second = desk.approve(incident_id, "staff-en-1", DINA, digest=first.digest)
    assert second.state is StatementState.APPROVED
    published = desk.publish(incident_id, "staff-en-1", ADA)
    assert published.sent == ["topic:stakeholders"] and published.failed == []
    assert [(s.destination, s.message.subject) for s in org.broadcast.sent] == [
        ("@stakeholders", f"What we know about: {breach.title}")
    ]
    assert org.broadcast.sent[0].message.body == second.body  # exactly the approved text
    with pytest.raises(Conflict, match="already published by c-ada"):
        desk.publish(incident_id, "staff-en-1", DINA)
    assert len(org.broadcast.sent) == 1
    assert story(org, incident_id, "statement_approved", "statement_published") == [
        "statement staff-en-1 approved by c-bo (1 of 2 approvals; its text is now frozen)",
        "statement staff-en-1 approved by c-dina (approved: it may be published)",
        "statement staff-en-1 to staff published by c-ada (approved by c-bo, c-dina)",
    ]
    sent = next(e for e in org.incidents.timeline(incident_id) if e.kind == "statement_sent")
    assert sent.data["channel"] == "broadcast" and sent.data["outlet"] == "topic:stakeholders"


def test_a_customer_statement_goes_to_the_distribution_list_by_email(
    org: MemoryWorld, breach: Incident
) -> None:
    desk = org.statement_desk
    for person in (ADA, BO):
        desk.approve(breach.incident_id, "customers-en-1", person)
    desk.publish(breach.incident_id, "customers-en-1", BO)
    (email,) = [s for s in org.email.sent if s.destination == "customer-notices@example.com"]
    assert email.message.subject == "Service notice: we are investigating an incident"
    assert email.message.html is not None and "verifying its extent" in email.message.html


@pytest.mark.parametrize(
    ("who", "error", "words"),
    [
        (key("c-bo"), Conflict, "c-bo already approved"),  # approving twice
        (key("c-bo", "bo-phone"), Conflict, "another approval must come from another person"),
        (key("c-fay"), Forbidden, "communications, executive, legal"),  # not in the roles
        (Answerer.by_shared_key("ops-bot", "c-ada"), Forbidden, "your own credential"),
        (Answerer.by_sms("c-ada"), Forbidden, "never approved by sms"),
        (Answerer.by_aws("arn:aws:iam::1:user/x", "c-ada"), Forbidden, "your own credential"),
    ],
)
def test_an_approval_that_does_not_count_is_refused_and_changes_nothing(
    org: MemoryWorld, breach: Incident, who: Answerer, error: type[Exception], words: str
) -> None:
    desk = org.statement_desk
    desk.approve(breach.incident_id, "staff-en-1", BO)
    before = desk.get(breach.incident_id, "staff-en-1")
    with pytest.raises(error, match=words):
        desk.approve(breach.incident_id, "staff-en-1", who)
    assert desk.get(breach.incident_id, "staff-en-1") == before
    assert org.broadcast.sent == []


def test_the_first_approval_freezes_the_text_and_a_new_draft_must_be_approved_anew(
    org: MemoryWorld, breach: Incident
) -> None:
    desk, incident_id = org.statement_desk, breach.incident_id
    edited = desk.edit(incident_id, "staff-en-1", BO, *parse_edit({"body": "We know little yet."}))
    assert edited.body == "We know little yet.\n" and not edited.frozen
    with pytest.raises(Conflict, match="not the text you read"):
        desk.approve(incident_id, "staff-en-1", ADA, digest="0" * 16)
    desk.approve(incident_id, "staff-en-1", ADA, digest=edited.digest)
    with pytest.raises(Conflict, match="frozen: c-ada approved its text"):
        desk.edit(incident_id, "staff-en-1", BO, None, "Something else")
    request = DraftRequest(body="Customer data was exposed; we are on it.", replaces="staff-en-1")
    replacement = desk.draft(incident_id, BO, request)
    assert (replacement.statement_id, replacement.approvals) == ("staff-en-2", ())
    old = desk.get(incident_id, "staff-en-1")
    assert old.state is StatementState.SUPERSEDED and old.settled_by == "staff-en-2"
    with pytest.raises(Conflict, match="was superseded by staff-en-2; it cannot be approved"):
        desk.approve(incident_id, "staff-en-1", DINA)
    assert org.broadcast.sent == []


def test_a_rejected_statement_is_never_approved_nor_published(
    org: MemoryWorld, breach: Incident
) -> None:
    desk, incident_id = org.statement_desk, breach.incident_id
    desk.approve(incident_id, "staff-en-1", BO)
    desk.approve(incident_id, "staff-en-1", ADA)
    rejected = desk.reject(incident_id, "staff-en-1", DINA, "the numbers are not verified")
    assert rejected.state is StatementState.REJECTED
    with pytest.raises(Conflict, match="was rejected by c-dina; it cannot be approved"):
        desk.approve(incident_id, "staff-en-1", DINA)
    with pytest.raises(Conflict, match="was rejected by c-dina; it cannot be published"):
        desk.publish(incident_id, "staff-en-1", ADA)
    assert org.broadcast.sent == []
    assert story(org, incident_id, "statement_rejected") == [
        "statement staff-en-1 rejected by c-dina: the numbers are not verified; nothing was sent"
    ]


def test_publishing_an_update_supersedes_what_the_audience_heard_before(
    org: MemoryWorld, breach: Incident
) -> None:
    desk, incident_id = org.statement_desk, breach.incident_id
    for person in (ADA, BO):
        desk.approve(incident_id, "staff-en-1", person)
    desk.publish(incident_id, "staff-en-1", ADA)
    org.clock.advance(minutes=50)
    update = desk.draft(incident_id, BO, DraftRequest(audience="staff"))
    assert (update.statement_id, update.kind) == ("staff-en-2", StatementKind.UPDATE)
    assert "Next update: by 2026-12-02 04:50 CET" in update.body
    for person in (ADA, DINA):
        desk.approve(incident_id, "staff-en-2", person)
    desk.publish(incident_id, "staff-en-2", DINA)
    assert statements(org, breach)["staff-en-1"] is StatementState.SUPERSEDED
    assert [s.message.subject for s in org.broadcast.sent][-1].startswith("Update:")


def test_a_failed_channel_is_retried_by_publishing_again_and_the_rest_is_not_resent(
    org: MemoryWorld, breach: Incident
) -> None:
    class Flaky(RecordingChannel):
        failures = 1

        def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
            if self.failures:
                self.failures -= 1
                raise TransientSendError("Throttling", "slow down")
            return super().send(destination, message, incident_id)

    flaky = Flaky(Channel.BROADCAST)
    world = MemoryWorld.example(NIGHT, senders={Channel.BROADCAST: flaky, Channel.EMAIL: org.email})
    incident = incident_of(world, post(world, DEMO))
    for person in (ADA, BO):
        world.statement_desk.approve(incident.incident_id, "staff-en-1", person)
    with pytest.raises(TransientError, match="Throttling"):
        world.statement_desk.publish(incident.incident_id, "staff-en-1", ADA)
    assert world.statement_desk.get(incident.incident_id, "staff-en-1").state.value == "published"
    again = world.statement_desk.publish(incident.incident_id, "staff-en-1", ADA)
    assert again.sent == ["topic:stakeholders"] and len(flaky.sent) == 1
    failed = [e.summary for e in world.incidents.timeline(incident.incident_id)]
    assert any("failed: Throttling; publish it again" in summary for summary in failed)
    assert isinstance(PermanentSendError("x", "y"), Exception)


def test_drafting_asks_for_a_person_of_the_roles_an_audience_of_the_plan_and_a_known_statement(
    org: MemoryWorld, breach: Incident
) -> None:
    desk, incident_id = org.statement_desk, breach.incident_id
    with pytest.raises(InvalidRequest, match="speaks to staff, customers, public; not 'media'"):
        desk.draft(incident_id, BO, DraftRequest(audience="media"))
    with pytest.raises(Forbidden, match="c-fay may not draft"):
        desk.draft(incident_id, FAY, DraftRequest(audience="staff"))
    with pytest.raises(NotFound, match="no statement staff-en-9"):
        desk.draft(incident_id, BO, DraftRequest(replaces="staff-en-9"))
    with pytest.raises(InvalidRequest, match="statements in en, da"):
        desk.draft(incident_id, BO, DraftRequest(audience="staff", language="fr"))
    with pytest.raises(NotFound, match="no incident"):
        desk.draft("inc_01JD00000000000000000NOPE", BO, DraftRequest(audience="staff"))
    assert len(statements(org, breach)) == 5


def test_requests_name_every_bad_field() -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_draft({"kind": "x", "subject": "a\nb", "body": "", "colour": 1})
    assert {p.field for p in caught.value.problems} == {"kind", "subject", "body", "colour"}
    with pytest.raises(InvalidRequest, match="audience: is required"):
        parse_draft({})
    with pytest.raises(InvalidRequest, match="give the new subject, body or both"):
        parse_edit({})
    assert parse_draft({"audience": "staff", "kind": "closing"}).kind is StatementKind.CLOSING


def test_nothing_is_published_about_an_activation_awaiting_approval(org: MemoryWorld) -> None:
    from chalicelib.core.activation.manual import ManualRequest
    from chalicelib.core.model import EventStatus, Severity

    request = ManualRequest("Ransom note", Severity.CRITICAL, EventStatus.ACTUAL, "manual.x")
    incident = org.manual.request("crisis-cell", "c-bo", request)
    draft = org.statement_desk.draft(incident.incident_id, BO, DraftRequest(audience="staff"))
    for person in (ADA, DINA):
        org.statement_desk.approve(incident.incident_id, draft.statement_id, person)
    with pytest.raises(Conflict, match="awaiting_approval: nothing is published"):
        org.statement_desk.publish(incident.incident_id, draft.statement_id, ADA)
    assert org.broadcast.sent == []
