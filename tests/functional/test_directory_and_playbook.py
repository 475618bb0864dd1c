"""Contacts and their roles, and the playbook as stored, in DynamoDB."""

from __future__ import annotations

import boto3

from chalicelib.core.model import Channel, Contact
from chalicelib.settings import Settings
from chalicelib.storage.contacts import DynamoContactDirectory
from chalicelib.storage.playbooks import CachedPlaybookSource, DynamoPlaybookStore


def test_role_membership_follows_the_contact(aws: boto3.Session, settings: Settings) -> None:
    from local.bootstrap import create_resources

    create_resources(settings, aws)
    directory = DynamoContactDirectory(aws.client("dynamodb"), settings.contacts_table)
    directory.put(Contact("c-ada", "Ada", ("executive", "legal"), phone="+12025550101"))
    assert [c.contact_id for c in directory.members(["legal"])] == ["c-ada"]
    directory.put(Contact("c-ada", "Ada", ("executive",), phone="+12025550101"))
    assert directory.members(["legal"]) == []
    assert directory.get_contacts(["c-ada"])["c-ada"].roles == ("executive",)


def test_more_contacts_than_one_batch_get_allows(aws: boto3.Session, settings: Settings) -> None:
    from local.bootstrap import create_resources

    create_resources(settings, aws)
    directory = DynamoContactDirectory(aws.client("dynamodb"), settings.contacts_table)
    for number in range(150):
        directory.put(
            Contact(f"c-{number:03d}", "Person", ("all-staff",), email=f"p{number}@example.com")
        )
    assert len(directory.members(["all-staff"])) == 150


def test_team_membership_follows_the_contact(aws: boto3.Session, settings: Settings) -> None:
    from local.bootstrap import create_resources

    create_resources(settings, aws)
    directory = DynamoContactDirectory(aws.client("dynamodb"), settings.contacts_table)
    directory.put(Contact("c-ada", "Ada", ("hr",), email="a@example.com", teams=("site-oslo",)))
    assert [c.contact_id for c in directory.members([], ["site-oslo"])] == ["c-ada"]
    directory.put(Contact("c-ada", "Ada", ("hr",), email="a@example.com", teams=("site-bergen",)))
    assert directory.members([], ["site-oslo"]) == []
    assert [c.contact_id for c in directory.members(["hr"], ["site-bergen"])] == ["c-ada"]


def test_every_field_of_a_contact_round_trips(aws: boto3.Session, settings: Settings) -> None:
    from local.bootstrap import create_resources

    create_resources(settings, aws)
    directory = DynamoContactDirectory(aws.client("dynamodb"), settings.contacts_table)
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
    )
    directory.put(full)
    assert directory.get_contacts(["c-ada"])["c-ada"] == full


def test_the_cache_reads_dynamodb_once_per_ttl(world: boto3.Session, settings: Settings) -> None:
    store = DynamoPlaybookStore(world.client("dynamodb"), settings.config_table)
    clock = [0.0]
    reads = []
    original = store.load

    def counting_load() -> object:
        reads.append(clock[0])
        return original()

    store.load = counting_load  # type: ignore[method-assign]
    cached = CachedPlaybookSource(store, ttl_seconds=30, monotonic=lambda: clock[0])
    for clock[0] in (0.0, 10.0, 29.9, 30.0, 45.0):
        cached.load()
    assert reads == [0.0, 30.0]
