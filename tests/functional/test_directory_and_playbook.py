"""Contacts and their roles, and the playbook as stored, in DynamoDB."""

from __future__ import annotations

import boto3

from chalicelib.core.model import Contact
from chalicelib.settings import Settings
from chalicelib.storage.contacts import DynamoContactDirectory
from chalicelib.storage.playbooks import CachedPlaybookSource, DynamoPlaybookStore
from tests.conftest import PROJECT
from tocsin_cli.policies import read_policy_dir


def test_role_membership_follows_the_contact(aws: boto3.Session, settings: Settings) -> None:
    from local.bootstrap import create_resources

    create_resources(settings, aws)
    directory = DynamoContactDirectory(aws.client("dynamodb"), settings.contacts_table)
    directory.put(Contact("c-ada", "Ada", ("executive", "legal"), phone="+12025550101"))
    assert [c.contact_id for c in directory.contacts_with_roles(["legal"])] == ["c-ada"]
    directory.put(Contact("c-ada", "Ada", ("executive",), phone="+12025550101"))
    assert directory.contacts_with_roles(["legal"]) == []
    assert directory.get_contacts(["c-ada"])["c-ada"].roles == ("executive",)


def test_more_contacts_than_one_batch_get_allows(aws: boto3.Session, settings: Settings) -> None:
    from local.bootstrap import create_resources

    create_resources(settings, aws)
    directory = DynamoContactDirectory(aws.client("dynamodb"), settings.contacts_table)
    for number in range(150):
        directory.put(
            Contact(f"c-{number:03d}", "Person", ("all-staff",), email=f"p{number}@example.com")
        )
    assert len(directory.contacts_with_roles(["all-staff"])) == 150


def test_the_playbook_round_trips_and_saving_again_changes_nothing(
    aws: boto3.Session, settings: Settings
) -> None:
    from local.bootstrap import create_resources

    create_resources(settings, aws)
    store = DynamoPlaybookStore(aws.client("dynamodb"), settings.config_table)
    documents = read_policy_dir(PROJECT / "policies")
    saved = store.save(documents.rules, documents.plans, documents.roles)
    assert store.load() == saved
    store.save(documents.rules, documents.plans, documents.roles)
    assert store.load() == saved


def test_saving_a_smaller_playbook_removes_what_it_no_longer_has(
    aws: boto3.Session, settings: Settings
) -> None:
    from local.bootstrap import create_resources

    create_resources(settings, aws)
    store = DynamoPlaybookStore(aws.client("dynamodb"), settings.config_table)
    documents = read_policy_dir(PROJECT / "policies")
    store.save(documents.rules, documents.plans, documents.roles)
    store.save(documents.rules[:1], documents.plans, documents.roles)
    assert [rule.rule_id for rule in store.load().rules] == [documents.rules[0]["id"]]


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
