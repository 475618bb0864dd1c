"""Activating a plan by hand (ManualActivation) and the two-person rule, on the fakes."""

from __future__ import annotations

import pytest

from chalicelib.core.activation.manual import ManualRequest, parse_request
from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import Conflict, Forbidden, InvalidRequest, NotFound
from chalicelib.core.model import EventStatus, IncidentStatus, Severity
from fakes import MemoryWorld
from tests.unit.conftest import ADA, BO, DINA, FAY, story, texts


def key(contact_id: str) -> Answerer:
    return Answerer.by_personal_key(f"{contact_id}-key", contact_id)


RANSOM = ManualRequest(
    "Ransom note on the file servers", Severity.CRITICAL, EventStatus.ACTUAL, "manual.activation"
)


def test_the_two_person_rule_pages_only_the_approvers_until_a_second_person_approves(
    org: MemoryWorld,
) -> None:
    incident = org.manual.request("crisis-cell", "c-bo", RANSOM)
    assert incident.status is IncidentStatus.AWAITING_APPROVAL
    org.run_queues()
    # Only the approvers (executive, legal) are asked, never the requester; nobody else.
    assert {sent.destination for sent in org.sms.sent} == {ADA, DINA}
    assert "Reply" in texts(org, ADA)[0] and "ACK to approve" in texts(org, ADA)[0]
    assert texts(org, BO) == [] and texts(org, FAY) == []
    with pytest.raises(Forbidden, match="two-person rule"):
        org.gatekeeper.approve(incident.incident_id, key("c-bo"))
    with pytest.raises(Forbidden, match="executive, legal"):
        org.gatekeeper.approve(incident.incident_id, key("c-fay"))
    with pytest.raises(Forbidden, match="own credential"):
        org.gatekeeper.approve(incident.incident_id, Answerer.by_shared_key("bot", "c-dina"))
    org.clock.advance(minutes=3)
    queued = org.gatekeeper.approve(incident.incident_id, key("c-dina"))
    assert queued > 0
    org.run_queues()
    assert len(texts(org, ADA)) == 2  # asked to approve, then paged by the plan
    with pytest.raises(Conflict, match="not awaiting approval"):
        org.gatekeeper.approve(incident.incident_id, key("c-ada"))
    assert story(org, incident.incident_id, "activation_requested", "approved") == [
        "Full crisis cell activated by hand by c-bo; waiting for a second person "
        "(executive, legal) to approve",
        "approved by c-dina; notifying the plan",
    ]


def test_a_rejected_activation_notifies_nobody(org: MemoryWorld) -> None:
    incident = org.manual.request("crisis-cell", "c-bo", RANSOM)
    org.gatekeeper.reject(incident.incident_id, key("c-bo"), "false alarm")  # may withdraw
    org.run_queues()
    stored = org.incidents.get(incident.incident_id)
    assert stored is not None and stored.status is IncidentStatus.CANCELLED
    assert org.sent() == []  # the approvers' requests were dropped: it no longer waits
    assert story(org, incident.incident_id, "rejected") == [
        "rejected by c-bo: false alarm; nobody was notified"
    ]
    with pytest.raises(Conflict):
        org.gatekeeper.reject(incident.incident_id, key("c-ada"), "")


def test_a_plan_without_approval_goes_out_at_once(org: MemoryWorld) -> None:
    incident = org.manual.request("site-emergency", "c-fay", RANSOM)
    assert incident.status is IncidentStatus.OPEN
    org.run_queues()
    assert len(texts(org, FAY)) == 1  # facilities: the first channel of her chain
    assert org.broadcast.sent == []  # its staff statements wait for approvals
    assert [s.statement_id for s in org.statement_desk.statements(incident.incident_id)] == [
        "staff-da-1",
        "staff-en-1",
    ]
    assert story(org, incident.incident_id, "activated") == [
        "Site emergency activated by hand by c-fay"
    ]


def test_refusals_are_clear_and_activate_nothing(org: MemoryWorld) -> None:
    with pytest.raises(NotFound, match="no response plan nope"):
        org.manual.request("nope", "c-fay", RANSOM)
    with pytest.raises(Forbidden, match="cannot be activated by hand"):
        org.manual.request("it-major-incident", "c-fay", RANSOM)
    with pytest.raises(Forbidden, match="you need one of the roles facilities, executive"):
        org.manual.request("site-emergency", "c-bo", RANSOM)
    with pytest.raises(Forbidden, match="no longer exists"):
        org.manual.request("site-emergency", "c-gone", RANSOM)
    with pytest.raises(NotFound):
        org.gatekeeper.approve("inc_nothing", key("c-ada"))
    assert org.incidents.incidents() == [] and org.sent() == []


def test_a_request_names_what_is_wrong_with_it() -> None:
    assert parse_request({"summary": " Gas leak "}).summary == "Gas leak"
    with pytest.raises(InvalidRequest, match="summary"):
        parse_request({"summary": ""})
    with pytest.raises(InvalidRequest, match="severity"):
        parse_request({"summary": "x", "severity": "apocalyptic"})
    with pytest.raises(InvalidRequest, match="colour"):
        parse_request({"summary": "x", "colour": "red"})
