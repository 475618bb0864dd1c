"""Role checklists (#26, part 4): each paged person's first-hour duties, ticked by that person
with a credential that proves them, recorded on the timeline, progress in the incident's answer;
bad ticks are a clear 4xx and record nothing."""

from __future__ import annotations

import pytest

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import Conflict, Forbidden, InvalidPolicies, NotFound
from chalicelib.core.playbook.document import parse_playbook
from fakes import MemoryWorld
from tests.unit.conftest import DEMO, incident_of, post, story


def test_the_example_has_a_checklist_for_every_role_a_person_holds(org: MemoryWorld) -> None:
    playbook = org.playbooks.load()
    roles = {item.role for item in playbook.checklist.values()}
    assert roles == set(playbook.roles) - {"canary"}  # the canary is a phone, not a person
    assert "notify the data-protection authority within 72 hours" in (
        playbook.checklist["legal-dpa-duty"].text
    )


def test_ticking_is_recorded_once_and_the_answer_shows_each_checklists_progress(
    org: MemoryWorld,
) -> None:
    incident = incident_of(org, post(org, DEMO))
    bo = Answerer.by_link("c-bo")
    ticked = org.duties.tick(incident.incident_id, bo, "comms-holding-statement")
    assert ticked.first and ticked.item.role == "communications"
    again = org.duties.tick(
        incident.incident_id, Answerer.by_personal_key("bo", "c-bo"), "comms-holding-statement"
    )
    assert not again.first
    assert story(org, incident.incident_id, "checklist_ticked") == [
        "c-bo (communications) ticked: Draft the holding statement for staff and customers "
        "(by link)"
    ]
    stored = org.incidents.get(incident.incident_id)
    assert stored is not None
    checklists = org.responses.document(stored)["checklists"]
    assert set(checklists) == {"executive", "communications", "it-security", "legal", "hr"}
    assert (checklists["communications"]["done"], checklists["communications"]["total"]) == (1, 2)
    first = checklists["communications"]["items"][0]
    assert (first["id"], first["done"], first["ticked_by"]) == (
        "comms-holding-statement",
        True,
        "c-bo",
    )
    assert checklists["legal"]["done"] == 0
    page = org.duties.page_items(stored, "c-dina")  # legal and executive
    assert {item.role for item, _ in page} == {"legal", "executive"}
    assert not any(done for _, done in page)


def test_bad_ticks_are_refused_and_record_nothing(org: MemoryWorld) -> None:
    incident = incident_of(org, post(org, DEMO))
    bo = Answerer.by_link("c-bo")
    with pytest.raises(Forbidden, match="legal checklist"):
        org.duties.tick(incident.incident_id, bo, "legal-dpa-duty")  # another role's item
    with pytest.raises(NotFound, match="no checklist item"):
        org.duties.tick(incident.incident_id, bo, "no-such-item")
    with pytest.raises(Forbidden, match="its person"):
        org.duties.tick(
            incident.incident_id, Answerer.by_shared_key("ops", "c-bo"), "comms-press-line"
        )
    with pytest.raises(NotFound):
        org.duties.tick("inc_nothing", bo, "comms-press-line")
    post(org, {**DEMO, "action": "resolve"})
    with pytest.raises(Conflict):
        org.duties.tick(incident.incident_id, bo, "comms-press-line")
    assert story(org, incident.incident_id, "checklist_ticked") == []


def test_an_item_id_is_unique_across_roles() -> None:
    item = {"id": "same", "text": "Do it"}
    with pytest.raises(InvalidPolicies, match="already on the a checklist"):
        parse_playbook(
            {"roles": [{"id": "a", "checklist": [item]}, {"id": "b", "checklist": [item]}]}
        )


def test_each_paged_persons_alert_email_lists_their_roles_checklist(org: MemoryWorld) -> None:
    post(org, DEMO)
    bodies = {sent.destination: sent.message.body for sent in org.email.sent}
    assert "[ ] Draft the holding statement for staff and customers" in bodies["bo@example.com"]
    dina = bodies["dina@example.com"]  # legal and executive
    assert "data-protection authority within 72 hours" in dina and "Convene the crisis" in dina
    assert "holding statement" not in dina
    assert all("checklist" not in body for body in texts_of(org))


def texts_of(org: MemoryWorld) -> list[str]:
    return [sent.message.body for sent in org.sms.sent]


def test_the_link_page_shows_the_checklist_with_a_button_per_item_not_done(
    org: MemoryWorld,
) -> None:
    from chalicelib.api.ack_page import incident_page

    incident = incident_of(org, post(org, DEMO))
    org.duties.tick(incident.incident_id, Answerer.by_link("c-bo"), "comms-press-line")
    items = org.duties.page_items(incident, "c-bo")
    page = incident_page(incident, "c-bo", checklist=items)
    assert 'name="tick" value="comms-holding-statement"' in page
    assert 'value="comms-press-line"' not in page and "<s>Set up the press line" in page
