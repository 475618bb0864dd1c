"""The verification gate (Gatekeeper), on the fakes: an automatic activation held until people
approve it, only the approvers paged meanwhile; approvals counted once per person with their own
credentials; and the timeout's three actions, each taken once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import Conflict, Forbidden, InvalidPolicy
from chalicelib.core.model import Incident, IncidentStatus
from chalicelib.core.playbook.gates import Gate, OnTimeout, parse_gate
from fakes import MemoryWorld
from tests.unit.conftest import ADA, BO, CHEN, DINA, FAY, incident_of, post, story, texts

MEDIA = {
    "source": "social-listening",
    "type": "reputation.social_media",
    "severity": "high",
    "summary": "Viral post claims our app leaks passwords",
    "metrics": {"estimated_reach": 250000, "sentiment_score": -0.8},
    "dedup_key": "viral-leak-claim",
}


def key(contact_id: str, name: str | None = None) -> Answerer:
    return Answerer.by_personal_key(name or f"{contact_id}-key", contact_id)


def gated(org: MemoryWorld, gate: Gate | None = None) -> Incident:
    """The media storm, through the rules: reputation-response (gated in the example)."""
    if gate is not None:
        playbook = org.playbooks.load()
        plan = replace(playbook.plans["reputation-response"], approval=gate)
        org.playbooks.use(replace(playbook, plans={**playbook.plans, plan.plan_id: plan}))
    return incident_of(org, post(org, MEDIA))


def test_an_automatic_activation_waits_at_the_gate_and_pages_only_its_approvers(
    org: MemoryWorld,
) -> None:
    incident = gated(org)
    assert incident.status is IncidentStatus.AWAITING_APPROVAL
    assert {sent.destination for sent in org.sms.sent} == {BO}  # communications alone
    assert texts(org, BO)[0].startswith("TOCSIN BEKRÆFT")  # in Bo's Danish, with his code
    assert "ACK for at godkende" in texts(org, BO)[0] and "/a/" in texts(org, BO)[0]
    assert story(org, incident.incident_id, "approval_requested") == [
        "waiting for 1 approval(s) from communications before anyone is paged: asking c-bo; "
        "decide by 02:15 UTC, then escalate"
    ]
    queued = org.gatekeeper.approve(incident.incident_id, key("c-bo"))
    assert queued > 0
    org.run_queues()
    assert org.incidents.get(incident.incident_id).status is IncidentStatus.OPEN
    assert len(texts(org, ADA)) == 1 and len(texts(org, BO)) == 2  # the plan paged
    assert org.gatekeeper.tick().acted == 0  # decided: the timeout no longer acts


def test_a_gate_of_two_counts_distinct_people_with_their_own_credentials(
    org: MemoryWorld,
) -> None:
    incident = gated(org, Gate(("communications", "executive", "legal"), approvers=2))
    incident_id = incident.incident_id
    assert org.gatekeeper.approve(incident_id, key("c-bo")) == 0  # one of two
    with pytest.raises(Conflict, match="c-bo already approved"):
        org.gatekeeper.approve(incident_id, key("c-bo", "bo-second-key"))
    for answerer in (
        Answerer.by_shared_key("ops-bot", "c-ada"),
        Answerer.by_aws("arn:aws:iam::123456789012:user/x", "c-ada"),
        Answerer.by_event("monitoring"),
    ):
        with pytest.raises(Forbidden, match="own credential"):
            org.gatekeeper.approve(incident_id, answerer)
    with pytest.raises(Forbidden, match="communications, executive, legal"):
        org.gatekeeper.approve(incident_id, key("c-chen"))
    org.run_queues()
    assert texts(org, ADA) and not any("TOCSIN HIGH" in t for t in texts(org, ADA))
    assert org.gatekeeper.approve(incident_id, Answerer.by_link("c-dina")) > 0
    stored = org.incidents.get(incident_id)
    assert stored.status is IncidentStatus.OPEN and stored.approved_by == ("c-bo", "c-dina")
    assert story(org, incident_id, "approved") == [
        "approved by c-bo (1 of 2)",
        "approved by c-dina; notifying the plan",
    ]


@pytest.mark.parametrize(
    ("action", "status", "paged_after"),
    [
        (OnTimeout.PAGE, IncidentStatus.OPEN, {ADA, BO, DINA}),  # the plan: comms, execs
        (OnTimeout.CANCEL, IncidentStatus.CANCELLED, set()),
        (OnTimeout.ESCALATE, IncidentStatus.AWAITING_APPROVAL, {ADA, DINA}),  # asked to decide
    ],
)
def test_the_gates_timeout_acts_once_as_declared(
    org: MemoryWorld, action: OnTimeout, status: IncidentStatus, paged_after: set[str]
) -> None:
    escalate_to = ("executive",) if action is OnTimeout.ESCALATE else ()
    gate = Gate(("communications",), 1, timedelta(minutes=15), action, escalate_to)
    incident = gated(org, gate)
    org.clock.advance(minutes=14)
    assert org.gatekeeper.tick().acted == 0  # not yet
    before = len(org.sms.sent)
    org.clock.advance(minutes=2)
    assert org.gatekeeper.tick().acted == 1
    assert org.gatekeeper.tick().acted == 0  # acted on once
    org.escalator.tick()
    org.run_queues()
    assert org.incidents.get(incident.incident_id).status is status
    assert {sent.destination for sent in org.sms.sent[before:]} == paged_after
    (said,) = story(org, incident.incident_id, "gate_timed_out")
    assert said.startswith("nobody approved within 15m (0 of 1 approvals): ")
    if action is OnTimeout.ESCALATE:  # an executive may now decide, and that pages the plan
        assert org.gatekeeper.approve(incident.incident_id, key("c-ada")) > 0


def test_a_rejected_activation_pages_nobody_and_cannot_be_approved(org: MemoryWorld) -> None:
    incident = gated(org)
    org.gatekeeper.reject(incident.incident_id, key("c-bo"), "a parody account")
    org.run_queues()
    assert org.incidents.get(incident.incident_id).status is IncidentStatus.CANCELLED
    with pytest.raises(Conflict, match="cancelled, not awaiting approval"):
        org.gatekeeper.approve(incident.incident_id, key("c-bo"))
    assert texts(org, ADA) == [] and texts(org, FAY) == [] and texts(org, CHEN) == []


def test_nobody_approves_an_activation_they_triggered_by_hand(org: MemoryWorld) -> None:
    from chalicelib.core.activation.manual import ManualRequest
    from chalicelib.core.model import EventStatus, Severity

    request = ManualRequest("Fake news", Severity.HIGH, EventStatus.ACTUAL, "reputation.x")
    incident = org.manual.request("reputation-response", "c-bo", request)
    assert incident.status is IncidentStatus.AWAITING_APPROVAL
    with pytest.raises(Forbidden, match="nobody approves an activation they triggered"):
        org.gatekeeper.approve(incident.incident_id, key("c-bo"))


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ({"roles": ["legal"], "timeout": "10m"}, "on_timeout: is required with a timeout"),
        ({"roles": ["legal"], "on_timeout": "page"}, "on_timeout: needs a timeout"),
        ({"roles": ["legal"], "timeout": "5m", "on_timeout": "escalate"}, "escalate_to"),
        ({"roles": ["legal"], "approvers": 9}, "at most 5"),
        ({"roles": ["nobody"]}, "unknown role"),
        ({"roles": ["legal"], "timeout": "2d", "on_timeout": "page"}, "at most 24h"),
    ],
)
def test_a_gate_that_cannot_work_is_refused(document: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidPolicy, match=words):
        parse_gate(document, "plans[0].approval", {"legal": "", "executive": ""})


def test_an_approver_approves_by_replying_to_the_text_message(
    org: MemoryWorld,
) -> None:
    import re

    from chalicelib.core.response.replies import InboundSms

    incident = gated(org)
    code = re.search(r"Svar (\d{4}) ACK", texts(org, BO)[0])
    assert code is not None
    reply = org.inbound.handle(InboundSms(BO, "+12025550100", f"{code[1]} ACK", "in-1"))
    assert reply.incident_id == incident.incident_id
    assert reply.answer is not None and reply.answer.startswith("Godkendt")
    assert org.incidents.get(incident.incident_id).status is IncidentStatus.OPEN


def test_a_decline_at_the_gate_rejects_it(org: MemoryWorld) -> None:
    incident = gated(org)
    answer = org.responses.decline(incident.incident_id, Answerer.by_link("c-bo"))
    assert answer.outcome == "gate_rejected"
    assert org.incidents.get(incident.incident_id).status is IncidentStatus.CANCELLED
    assert story(org, incident.incident_id, "rejected") == [
        "rejected by c-bo: declined by link; nobody was notified"
    ]


def test_one_unreadable_gate_holds_up_no_other_gates_timeout(
    org: MemoryWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each gate is isolated at the tick, as each escalation is: the broken one is reported
    with why (the tick then fails for the errors alarm), the others act."""
    gate = Gate(("communications",), 1, timedelta(minutes=15), OnTimeout.CANCEL, ())
    broken = gated(org, gate)
    healthy = incident_of(org, post(org, {**MEDIA, "dedup_key": "another-viral-claim"}))
    read = org.incidents.get

    def unreadable(incident_id: str) -> Incident | None:
        if incident_id == broken.incident_id:
            raise ValueError("Expecting value: line 1 column 10 (char 9)")
        return read(incident_id)

    monkeypatch.setattr(org.incidents, "get", unreadable)
    org.clock.advance(minutes=16)
    tick = org.gatekeeper.tick()
    assert (tick.acted, tick.failed) == (1, [broken.incident_id])
    assert (
        tick.reasons[broken.incident_id] == "ValueError: Expecting value: line 1 column 10 (char 9)"
    )
    assert read(healthy.incident_id).status is IncidentStatus.CANCELLED
