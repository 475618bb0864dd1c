"""Updates on a rhythm (UpdateDesk), on the fakes with an injected clock: an update reaches
everyone an alert reached, in their language, and drafts an update statement per audience; an
overdue update reminds the plan's updates role once; resolving drafts the closing statement for
each audience that heard from us; bad requests are refused and send nothing."""

from __future__ import annotations

import pytest

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import Conflict, InvalidRequest, NotFound
from chalicelib.core.model import Incident
from chalicelib.core.playbook.audiences import StatementKind
from chalicelib.core.statements.ports import StatementState
from chalicelib.core.updates.rhythm import UpdateRequest, parse_update
from fakes import MemoryWorld
from tests.unit.conftest import ADA, BO, CHEN, DEMO, DINA, incident_of, post, story, texts

BO_KEY = Answerer.by_personal_key("bo-laptop", "c-bo")
DINA_KEY = Answerer.by_personal_key("dina-laptop", "c-dina")
UPDATE = UpdateRequest({"en": "Backups are safe; the intrusion is contained.", "da": "Sikret."})


@pytest.fixture
def breach(org: MemoryWorld) -> Incident:
    return incident_of(org, post(org, DEMO))


def test_an_update_reaches_everyone_an_alert_reached_in_their_language(
    org: MemoryWorld, breach: Incident
) -> None:
    reached = {contact for contact, _ in org.ledger.reached(breach.incident_id)}
    before = {id(sent) for sent in org.sent()}
    org.clock.advance(minutes=20)
    sent = org.update_desk.post(breach.incident_id, BO_KEY, UPDATE)
    org.run_queues()
    assert sent.number == 1 and sent.people == len(reached)
    new = [each for each in org.sent() if id(each) not in before]
    assert {s.destination for s in new} >= {ADA, BO, CHEN, DINA}  # and their inboxes
    assert len(new) == sent.messages
    assert texts(org, BO)[-1].startswith("TOCSIN OPDATERING 1:")  # Bo reads Danish
    assert texts(org, BO)[-1].endswith("Sikret.")
    assert "the intrusion is contained" in texts(org, ADA)[-1]  # Ada reads English
    assert "the intrusion is contained" in texts(org, CHEN)[-1]  # no zh-Hant text: the first
    assert {s.destination for s in new} == {s.destination for s in org.sent() if id(s) in before}
    assert story(org, breach.incident_id, "update_sent") == [
        f"update 1 by c-bo via api: sent to {len(reached)} people ({sent.messages} messages)"
    ]


def test_an_update_drafts_an_update_statement_for_each_audience(
    org: MemoryWorld, breach: Incident
) -> None:
    sent = org.update_desk.post(breach.incident_id, BO_KEY, UPDATE)
    assert sent.drafts == (
        "staff-en-2",
        "staff-da-2",
        "customers-en-2",
        "public-en-2",
        "public-da-2",
    )  # every audience of the plan, the dark site's public too
    drafted = org.statement_desk.get(breach.incident_id, "staff-en-2")
    assert drafted.kind is StatementKind.UPDATE and drafted.state is StatementState.DRAFT
    assert drafted.created_by == "tocsin"
    assert org.broadcast.sent == []  # drafts only: approved like any statement


def test_an_overdue_update_reminds_the_communications_role_once(
    org: MemoryWorld, breach: Incident
) -> None:
    org.clock.advance(minutes=59)
    assert org.update_desk.tick().reminded == []
    org.clock.advance(minutes=2)
    assert org.update_desk.tick().reminded == [breach.incident_id]
    org.run_queues()
    reminder = texts(org, BO)[-1]
    assert reminder.startswith("TOCSIN: opdatering 1 om") and "/updates" in reminder
    org.clock.advance(minutes=30)
    assert org.update_desk.tick().reminded == []  # once
    org.run_queues()
    assert len([t for t in texts(org, BO) if t.startswith("TOCSIN: opdatering")]) == 1
    assert story(org, breach.incident_id, "update_due") == [
        "update 1 is overdue (one every 60 min, due 03:00 UTC): reminding role communications: c-bo"
    ]


def test_an_update_posted_in_time_moves_the_deadline_on(org: MemoryWorld, breach: Incident) -> None:
    org.clock.advance(minutes=50)
    org.update_desk.post(breach.incident_id, BO_KEY, UPDATE)
    org.clock.advance(minutes=20)  # 70 minutes after activation, 20 after the update
    assert org.update_desk.tick().reminded == []
    org.clock.advance(minutes=41)
    assert org.update_desk.tick().reminded == [breach.incident_id]
    assert "update 2 is overdue" in story(org, breach.incident_id, "update_due")[0]


def test_resolving_drafts_a_closing_statement_for_each_audience_that_heard_from_us(
    org: MemoryWorld, breach: Incident
) -> None:
    desk, incident_id = org.statement_desk, breach.incident_id
    first = desk.approve(incident_id, "staff-en-1", BO_KEY)
    desk.approve(incident_id, "staff-en-1", DINA_KEY, digest=first.digest)
    desk.publish(incident_id, "staff-en-1", BO_KEY)
    org.responses.resolve(incident_id, BO_KEY)
    closing = [s for s in desk.statements(incident_id) if s.kind is StatementKind.CLOSING]
    assert sorted(s.statement_id for s in closing) == ["staff-da-2", "staff-en-2"]
    assert all(s.state is StatementState.DRAFT for s in closing)  # customers heard nothing
    org.responses.notify_resolved(incident_id)  # repeated: nothing drafted twice
    assert len([s for s in desk.statements(incident_id) if s.kind is StatementKind.CLOSING]) == 2
    org.clock.advance(hours=2)
    assert org.update_desk.tick().reminded == []  # nothing is due of a resolved incident
    assert org.update_schedule.deadlines == {}


def test_bad_updates_are_refused_and_send_nothing(org: MemoryWorld, breach: Incident) -> None:
    before = len(org.sent())
    for document in ({}, {"text": ""}, {"text": "  "}, {"text": {}}, {"text": 3}, {"x": "y"}):
        with pytest.raises(InvalidRequest):
            parse_update(document)
    with pytest.raises(InvalidRequest, match=r"text\.en"):
        parse_update({"text": {"en": "x" * 1001}})
    with pytest.raises(NotFound):
        org.update_desk.post("inc_01M8TBCTV0FSB6B6FSVJPGZ06W", BO_KEY, UPDATE)
    org.responses.resolve(breach.incident_id, BO_KEY)
    org.run_queues()
    after_resolution = len(org.sent())
    with pytest.raises(Conflict, match="resolved"):
        org.update_desk.post(breach.incident_id, BO_KEY, UPDATE)
    org.run_queues()
    assert len(org.sent()) == after_resolution >= before
    assert story(org, breach.incident_id, "update_sent") == []
