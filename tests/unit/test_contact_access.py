"""No access to a person without its record: reads are recorded before the data is returned,
saves in the same write as the contact (on the fakes, no AWS)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.errors import Conflict, NotFound, TransientError
from chalicelib.core.model import Contact
from chalicelib.core.playbook.document import parse_playbook
from chalicelib.core.privacy.audit import AccessAction, AccessRecord, Actor
from chalicelib.core.privacy.contact_access import ContactAccess
from fakes import FixedClock, MemoryAccessLog, MemoryDirectory, MemoryPlaybookSource

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
ADA = Contact("c-ada", "Ada Example", ("executive",), phone="+12025550101")
DPO = Actor("key dpo-portal", "api")


def built(
    *contacts: Contact, erasing: Sequence[str] = (), audit: str = "731d"
) -> tuple[ContactAccess, MemoryDirectory, MemoryAccessLog]:
    """The use case on the fakes: the directory and the access log share one record, as the
    contacts table holds both."""
    log = MemoryAccessLog(lambda: NOW)
    people = MemoryDirectory(contacts, log)
    people.erasing.update({contact_id: "era_x" for contact_id in erasing})
    playbook = parse_playbook({"settings": [{"id": "retention", "audit": audit}]})
    return ContactAccess(people, log, MemoryPlaybookSource(playbook), FixedClock(NOW)), people, log


def test_a_read_is_on_record_before_the_person_is_returned() -> None:
    use, _, log = built(ADA)
    assert use.read("c-ada", DPO) == ADA
    assert log.records == [
        AccessRecord("c-ada", AccessAction.READ, "key dpo-portal", "api", NOW, NOW + timedelta(731))
    ]


def test_when_the_read_cannot_be_recorded_nobody_sees_the_person() -> None:
    use, _, log = built(ADA)
    log.refusing = True
    with pytest.raises(TransientError):
        use.read("c-ada", DPO)


def test_reading_someone_who_does_not_exist_is_not_found_and_not_recorded() -> None:
    use, _, log = built()
    with pytest.raises(NotFound):
        use.read("c-ada", DPO)
    assert log.records == []


def test_saves_carry_their_record_and_an_unchanged_save_is_recorded_without_a_write() -> None:
    use, people, log = built(audit="100d")
    assert use.save(ADA, DPO) is AccessAction.CREATED
    assert use.save(ADA, DPO) is AccessAction.UNCHANGED
    moved = Contact("c-ada", "Ada Example", ("legal",), phone="+12025550101")
    assert use.save(moved, DPO) is AccessAction.UPDATED
    assert [(r.action, r.keep_until) for r in log.records] == [
        (AccessAction.CREATED, NOW + timedelta(100)),
        (AccessAction.UNCHANGED, NOW + timedelta(100)),
        (AccessAction.UPDATED, NOW + timedelta(100)),
    ]
    assert people.get_contacts(["c-ada"]) == {"c-ada": moved}


def test_a_save_that_cannot_be_recorded_saves_nothing() -> None:
    use, people, log = built()
    log.refusing = True
    with pytest.raises(TransientError):
        use.save(ADA, DPO)
    assert people.get_contacts(["c-ada"]) == {}


def test_saving_a_person_being_erased_is_a_conflict_and_changes_nothing() -> None:
    use, people, log = built(erasing=["c-ada"])
    with pytest.raises(Conflict):
        use.save(ADA, DPO)
    assert people.get_contacts(["c-ada"]) == {} and log.records == []


def test_reading_everyone_puts_each_person_on_record_first() -> None:
    bo = Contact("c-bo", "Bo Example", ("communications",), email="bo@example.com")
    use, _, log = built(ADA, bo)
    importer = Actor("arn:aws:iam::123456789012:user/ops", "import")
    assert use.everyone(importer) == [ADA, bo]
    assert [(r.contact_id, r.action, r.via) for r in log.records] == [
        ("c-ada", AccessAction.READ, "import"),
        ("c-bo", AccessAction.READ, "import"),
    ]
    log.refusing = True
    with pytest.raises(TransientError):
        use.everyone(importer)
