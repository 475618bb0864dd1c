"""No access to a person without its record: reads are recorded before the data is returned,
saves in the same write as the contact (plain fakes, no AWS)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.errors import Conflict, NotFound, TransientError
from chalicelib.core.model import Contact
from chalicelib.core.playbook.document import Playbook, parse_playbook
from chalicelib.core.privacy.audit import AccessAction, AccessRecord, Actor
from chalicelib.core.privacy.contact_access import ContactAccess
from fakes import FixedClock

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
ADA = Contact("c-ada", "Ada Example", ("executive",), phone="+12025550101")
DPO = Actor("key dpo-portal", "api")


class Playbooks:
    def __init__(self, playbook: Playbook) -> None:
        self.playbook = playbook

    def load(self) -> Playbook:
        return self.playbook

    def load_version(self, version: int) -> Playbook:
        return self.playbook


class People:
    """A directory whose saves land together with their record, as the DynamoDB one does."""

    def __init__(self, *contacts: Contact, erasing: Sequence[str] = ()) -> None:
        self.contacts = {contact.contact_id: contact for contact in contacts}
        self.records: list[AccessRecord] = []
        self.erasing = set(erasing)
        self.outdated: set[str] = set()

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]:
        return {i: self.contacts[i] for i in contact_ids if i in self.contacts}

    def save(self, contact: Contact, record: AccessRecord) -> None:
        if contact.contact_id in self.erasing:
            raise Conflict(f"contact {contact.contact_id} is being erased")
        self.contacts[contact.contact_id] = contact
        self.records.append(record)


class Log:
    def __init__(self, failing: bool = False) -> None:
        self.records: list[AccessRecord] = []
        self.failing = failing

    def record(self, entry: AccessRecord) -> None:
        if self.failing:
            raise TransientError("DynamoDB: ThrottlingException")
        self.records.append(entry)

    def for_contact(self, contact_id: str) -> list[AccessRecord]:
        return [r for r in self.records if r.contact_id == contact_id]


def access(people: People, log: Log, audit: str = "731d") -> ContactAccess:
    playbook = parse_playbook({"settings": [{"id": "retention", "audit": audit}]})
    return ContactAccess(people, log, Playbooks(playbook), FixedClock(NOW))


def test_a_read_is_on_record_before_the_person_is_returned() -> None:
    log = Log()
    assert access(People(ADA), log).read("c-ada", DPO) == ADA
    assert log.records == [
        AccessRecord("c-ada", AccessAction.READ, "key dpo-portal", "api", NOW, NOW + timedelta(731))
    ]


def test_when_the_read_cannot_be_recorded_nobody_sees_the_person() -> None:
    with pytest.raises(TransientError):
        access(People(ADA), Log(failing=True)).read("c-ada", DPO)


def test_reading_someone_who_does_not_exist_is_not_found_and_not_recorded() -> None:
    log = Log()
    with pytest.raises(NotFound):
        access(People(), log).read("c-ada", DPO)
    assert log.records == []


def test_saves_carry_their_record_and_an_unchanged_save_is_recorded_without_a_write() -> None:
    people, log = People(), Log()
    use = access(people, log, audit="100d")
    assert use.save(ADA, DPO) is AccessAction.CREATED
    assert use.save(ADA, DPO) is AccessAction.UNCHANGED
    moved = Contact("c-ada", "Ada Example", ("legal",), phone="+12025550101")
    assert use.save(moved, DPO) is AccessAction.UPDATED
    assert [(r.action, r.keep_until) for r in people.records] == [
        (AccessAction.CREATED, NOW + timedelta(100)),
        (AccessAction.UPDATED, NOW + timedelta(100)),
    ]
    assert [r.action for r in log.records] == [AccessAction.UNCHANGED]
    assert people.contacts["c-ada"] == moved


def test_saving_a_person_being_erased_is_a_conflict_and_changes_nothing() -> None:
    people, log = People(erasing=["c-ada"]), Log()
    with pytest.raises(Conflict):
        access(people, log).save(ADA, DPO)
    assert people.contacts == {} and people.records == [] and log.records == []
