"""The contact directory, fake and DynamoDB alike: memberships follow the contact, every field
round-trips, a phone number finds its owners, and opt-outs and dead addresses stick."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import pytest

from chalicelib.core.model import Channel, Contact
from fakes import MemoryDirectory
from tests.functional.conftest import BACKENDS


class Directory(Protocol):
    """ContactDirectory, PhoneOwners and UsableAddresses, and the writes the API makes."""

    def put(self, contact: Contact) -> None: ...

    def delete(self, contact: Contact) -> None: ...

    def members(
        self, roles: Sequence[str], teams: Sequence[str] = (), labels: Sequence[str] = ()
    ) -> list[Contact]: ...

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]: ...

    def mark_unusable(self, contact_id: str, channel: Channel) -> bool: ...

    def opt_out(self, contact_id: str, channel: Channel) -> bool: ...

    def owners_of(self, phone: str) -> list[str]: ...


@pytest.fixture(params=BACKENDS)
def directory(request: pytest.FixtureRequest) -> Directory:
    if request.param == "fake":
        return MemoryDirectory()
    from chalicelib.storage.contacts import DynamoContactDirectory

    client = request.getfixturevalue("tables").client("dynamodb")
    return DynamoContactDirectory(client, request.getfixturevalue("settings").contacts_table)


def ids(contacts: list[Contact]) -> list[str]:
    return sorted(contact.contact_id for contact in contacts)


def test_role_membership_follows_the_contact(directory: Directory) -> None:
    directory.put(Contact("c-ada", "Ada", ("executive", "legal"), phone="+12025550101"))
    assert ids(directory.members(["legal"])) == ["c-ada"]
    directory.put(Contact("c-ada", "Ada", ("executive",), phone="+12025550101"))
    assert directory.members(["legal"]) == []
    assert directory.get_contacts(["c-ada"])["c-ada"].roles == ("executive",)


def test_team_membership_follows_the_contact(directory: Directory) -> None:
    directory.put(Contact("c-ada", "Ada", ("hr",), email="a@example.com", teams=("site-oslo",)))
    assert ids(directory.members([], ["site-oslo"])) == ["c-ada"]
    directory.put(Contact("c-ada", "Ada", ("hr",), email="a@example.com", teams=("site-bergen",)))
    assert directory.members([], ["site-oslo"]) == []
    assert ids(directory.members(["hr"], ["site-bergen"])) == ["c-ada"]


def test_label_membership_follows_the_contact_and_goes_with_it(directory: Directory) -> None:
    ada = Contact("c-ada", "Ada", ("hr",), email="a@example.com", labels=("building-a", "floor-3"))
    directory.put(ada)
    directory.put(Contact("c-bo", "Bo", ("hr",), email="b@example.com", labels=("building-b",)))
    assert ids(directory.members([], [], ["floor-3"])) == ["c-ada"]
    assert ids(directory.members([], [], ["building-a", "building-b"])) == ["c-ada", "c-bo"]
    assert directory.get_contacts(["c-ada"])["c-ada"].labels == ("building-a", "floor-3")
    directory.put(Contact("c-ada", "Ada", ("hr",), email="a@example.com", labels=("building-b",)))
    assert directory.members([], [], ["floor-3"]) == []
    assert ids(directory.members([], [], ["building-b"])) == ["c-ada", "c-bo"]
    directory.delete(directory.get_contacts(["c-ada"])["c-ada"])
    assert ids(directory.members([], [], ["building-b"])) == ["c-bo"]


def test_members_are_everyone_in_any_role_or_team_asked_for_each_once(
    directory: Directory,
) -> None:
    directory.put(Contact("c-ada", "Ada", ("executive", "legal"), teams=("oslo",)))
    directory.put(Contact("c-bo", "Bo", ("communications",), teams=("oslo",)))
    directory.put(Contact("c-chen", "Chen", ("it-security",)))
    assert ids(directory.members(["executive", "legal"], ["oslo"])) == ["c-ada", "c-bo"]
    assert ids(directory.members(["it-security"])) == ["c-chen"]
    assert directory.members([], []) == []
    assert directory.members(["nobody-has-it"]) == []


def test_more_contacts_than_one_batch_get_allows(directory: Directory) -> None:
    for number in range(150):
        directory.put(
            Contact(f"c-{number:03d}", "Person", ("all-staff",), email=f"p{number}@example.com")
        )
    assert len(directory.members(["all-staff"])) == 150
    assert len(directory.get_contacts([f"c-{n:03d}" for n in range(150)])) == 150


def test_every_field_of_a_contact_round_trips(directory: Directory) -> None:
    full = Contact(
        "c-ada",
        "Ada",
        ("hr",),
        language="nb",
        phone="+12025550101",
        email="a@example.com",
        teams=("site-oslo",),
        timezone="Europe/Oslo",
        push_tokens=("fcm:abcdefgh12345678",),
        consents=frozenset({Channel.EMAIL}),
        opted_out=frozenset({Channel.SMS}),
        unusable=frozenset({Channel.VOICE}),
        reports_to="c-bo",
        labels=("building-a", "first-aider"),
    )
    directory.put(full)
    assert directory.get_contacts(["c-ada", "c-nobody"]) == {"c-ada": full}


def test_a_phone_number_finds_its_owners_and_forgets_a_changed_number(
    directory: Directory,
) -> None:
    directory.put(Contact("c-ada", "Ada", ("hr",), phone="+12025550101"))
    directory.put(Contact("c-bo", "Bo", ("hr",), phone="+12025550101"))  # a shared phone
    assert directory.owners_of("+12025550101") == ["c-ada", "c-bo"]
    directory.put(Contact("c-bo", "Bo", ("hr",), phone="+12025550102"))
    assert directory.owners_of("+12025550101") == ["c-ada"]
    assert directory.owners_of("+12025550199") == []


def test_opting_out_and_marking_unusable_happen_once(directory: Directory) -> None:
    directory.put(Contact("c-ada", "Ada", ("hr",), phone="+12025550101", email="a@example.com"))
    assert directory.opt_out("c-ada", Channel.SMS) is True
    assert directory.opt_out("c-ada", Channel.SMS) is False
    assert directory.mark_unusable("c-ada", Channel.EMAIL) is True
    assert directory.mark_unusable("c-ada", Channel.EMAIL) is False
    ada = directory.get_contacts(["c-ada"])["c-ada"]
    assert (ada.opted_out, ada.unusable) == (frozenset({Channel.SMS}), frozenset({Channel.EMAIL}))
    assert ada.unreachable_on(Channel.SMS) == "opted out of sms"
    assert directory.opt_out("c-nobody", Channel.SMS) is False
    assert directory.mark_unusable("c-nobody", Channel.SMS) is False


def test_a_deleted_contact_is_in_no_role_and_owns_no_number(directory: Directory) -> None:
    ada = Contact("c-ada", "Ada", ("hr",), phone="+12025550101", teams=("oslo",))
    directory.put(ada)
    directory.delete(ada)
    assert directory.get_contacts(["c-ada"]) == {}
    assert directory.members(["hr"], ["oslo"]) == []
    assert directory.owners_of("+12025550101") == []


# Warm memberships (DynamoDB): a function instance keeps who is in which role, team and label
# and checks, in the read of the people themselves, that nobody joined one since.


@pytest.fixture
def two_instances(tables: object, settings: object) -> tuple[Directory, Directory, list[str]]:
    """A reader (the evaluator's instance, warm), a writer (the API's) and the reader's calls."""
    from chalicelib.storage.contacts import DynamoContactDirectory

    calls: list[str] = []
    reader_client = tables.client("dynamodb")  # type: ignore[attr-defined]
    reader_client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    table = settings.contacts_table  # type: ignore[attr-defined]
    writer = DynamoContactDirectory(tables.client("dynamodb"), table)  # type: ignore[attr-defined]
    return DynamoContactDirectory(reader_client, table), writer, calls


def test_warm_the_people_of_a_role_are_one_read(
    two_instances: tuple[Directory, Directory, list[str]],
) -> None:
    reader, writer, calls = two_instances
    writer.put(Contact("c-ada", "Ada", ("executive",), phone="+12025550101"))
    writer.put(Contact("c-bo", "Bo", ("legal",), phone="+12025550102", teams=("oslo",)))
    assert ids(reader.members(["executive", "legal"], ["oslo"])) == ["c-ada", "c-bo"]
    calls.clear()
    assert ids(reader.members(["executive", "legal"], ["oslo"])) == ["c-ada", "c-bo"]
    assert calls == ["BatchGetItem"]


def test_someone_who_joins_a_role_is_reached_at_once(
    two_instances: tuple[Directory, Directory, list[str]],
) -> None:
    reader, writer, _ = two_instances
    writer.put(Contact("c-ada", "Ada", ("executive",), phone="+12025550101"))
    assert ids(reader.members(["executive"])) == ["c-ada"]
    writer.put(Contact("c-bo", "Bo", ("executive",), phone="+12025550102"))
    assert ids(reader.members(["executive"])) == ["c-ada", "c-bo"]
    writer.put(Contact("c-ada", "Ada", ("executive",), phone="+12025550101", labels=("b",)))
    assert ids(reader.members([], labels=["b"])) == ["c-ada"]  # a label asked for the first time
    writer.put(Contact("c-bo", "Bo", ("executive",), phone="+12025550102", labels=("b",)))
    assert ids(reader.members(["executive"], labels=["b"])) == ["c-ada", "c-bo"]


def test_someone_who_leaves_a_role_or_is_erased_is_not_reached(
    two_instances: tuple[Directory, Directory, list[str]],
) -> None:
    reader, writer, calls = two_instances
    ada = Contact("c-ada", "Ada", ("executive", "legal"), phone="+12025550101")
    bo = Contact("c-bo", "Bo", ("executive",), phone="+12025550102")
    writer.put(ada)
    writer.put(bo)
    assert ids(reader.members(["executive"])) == ["c-ada", "c-bo"]
    writer.put(Contact("c-ada", "Ada", ("legal",), phone="+12025550101"))
    writer.delete(bo)
    calls.clear()
    assert reader.members(["executive"]) == []
    assert calls == ["BatchGetItem"]  # nobody joined: the people's own records tell


def test_warm_more_people_than_one_batch_get_allows(
    two_instances: tuple[Directory, Directory, list[str]],
) -> None:
    reader, writer, _ = two_instances
    for n in range(150):
        writer.put(Contact(f"c-{n:03d}", "Many", ("many",), email=f"m{n}@example.com"))
    assert len(reader.members(["many"])) == 150
    assert len(reader.members(["many"])) == 150  # warm: 99 with the version, then the rest
    writer.put(Contact("c-150", "Many", ("many",), email="m150@example.com"))
    assert len(reader.members(["many"])) == 151
