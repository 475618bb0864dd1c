"""Where the playbook comes from, fake and DynamoDB (and its cache) alike: the version in force,
and every applied version, which never changes. Applying the same documents again changes
nothing; before the first apply the playbook is empty."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.core.errors import NotFound
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.storage.playbooks import CachedPlaybookSource
from fakes import MemoryPlaybookSource
from tests.conftest import PROJECT
from tocsin_cli.policies import read_policy_dir

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
Documents = Mapping[str, Sequence[Any]]


@dataclass(frozen=True)
class Source:
    playbooks: PlaybookSource
    apply: Callable[[Documents], int]  # the version now in force


@pytest.fixture(params=["fake", "aws", "aws-cached"])
def source(request: pytest.FixtureRequest) -> Source:
    if request.param == "fake":
        fake = MemoryPlaybookSource()
        return Source(fake, fake.apply)
    from chalicelib.storage.playbooks import DynamoPlaybookStore

    client = request.getfixturevalue("tables").client("dynamodb")
    store = DynamoPlaybookStore(client, request.getfixturevalue("settings").config_table)
    playbooks = store if request.param == "aws" else CachedPlaybookSource(store, ttl_seconds=0)
    return Source(playbooks, lambda documents: store.apply(documents, NOW).version)


def example() -> dict[str, list[Any]]:
    return {
        name: list(docs) for name, docs in read_policy_dir(PROJECT / "policies").sections.items()
    }


def test_before_the_first_apply_the_playbook_is_empty(source: Source) -> None:
    playbook = source.playbooks.load()
    assert (playbook.version, playbook.rules, dict(playbook.plans)) == (0, (), {})
    with pytest.raises(NotFound):
        source.playbooks.load_version(1)


def test_each_change_is_a_new_version_and_the_same_documents_are_not(source: Source) -> None:
    documents = example()
    assert source.apply(documents) == 1
    parsed = read_policy_dir(PROJECT / "policies").validate()
    assert source.playbooks.load() == replace(parsed, version=1)
    assert source.apply(documents) == 1
    changed = {**documents, "maintenance": []}
    assert source.apply(changed) == 2
    assert source.playbooks.load().version == 2
    assert source.playbooks.load().maintenance == ()
    assert source.playbooks.load_version(1) == replace(parsed, version=1)  # never changes
    with pytest.raises(NotFound):
        source.playbooks.load_version(3)


def test_the_cache_reads_the_source_once_per_ttl() -> None:
    counted = MemoryPlaybookSource()
    counted.apply(example())
    clock = [0.0]
    cached = CachedPlaybookSource(counted, ttl_seconds=30, monotonic=lambda: clock[0])
    for clock[0] in (0.0, 10.0, 29.9, 30.0, 45.0):
        cached.load()
    assert counted.loads == 2
    cached.load_version(1)
    cached.load_version(1)
    assert cached.load_version(1).version == 1
