"""Requests by ``Idempotency-Key``, fake and DynamoDB alike: one claim at a time per key and
scope; the answer kept for later requests; a failed request's claim dropped; a claim whose
request died taken over after its lease, and its first owner no longer able to touch it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.activation.ports import IdempotencyStore, KeptAnswer, KeptRequest
from fakes import MemoryIdempotencyStore
from tests.functional.conftest import BACKENDS

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)
KEEP = timedelta(hours=24)
ANSWER = KeptAnswer(
    202, '{"event_id":"evt_1","status":"pending"}', {"Location": "/v1/events/evt_1"}
)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> IdempotencyStore:
    if request.param == "fake":
        return MemoryIdempotencyStore()
    from chalicelib.storage.idempotency import DynamoIdempotencyStore

    client = request.getfixturevalue("tables").client("dynamodb")
    return DynamoIdempotencyStore(client, request.getfixturevalue("settings").incidents_table)


def begin(
    store: IdempotencyStore,
    claim: str,
    at: datetime = NOW,
    fingerprint: str = "fp-1",
    scope: str = "grafana-prod",
    key: str = "retry-me",
) -> KeptRequest | None:
    return store.begin(scope, key, claim, fingerprint, at, at - LEASE, at + KEEP)


def test_a_key_is_claimed_once_and_then_answers_with_what_was_kept(
    store: IdempotencyStore,
) -> None:
    assert begin(store, "c1") is None
    assert begin(store, "c2", NOW + timedelta(seconds=5)) == KeptRequest("fp-1", None)
    store.complete("grafana-prod", "retry-me", "c1", ANSWER)
    later = begin(store, "c3", NOW + timedelta(hours=23), fingerprint="fp-other")
    assert later == KeptRequest("fp-1", ANSWER)  # the caller compares the fingerprints


def test_a_failed_request_drops_its_claim_so_a_retry_runs(store: IdempotencyStore) -> None:
    assert begin(store, "c1") is None
    store.abandon("grafana-prod", "retry-me", "c1")
    assert begin(store, "c2", fingerprint="fp-2") is None


def test_keys_are_per_scope(store: IdempotencyStore) -> None:
    assert begin(store, "c1", scope="grafana-prod") is None
    assert begin(store, "c2", scope="prometheus-prod") is None


def test_a_claim_whose_request_died_is_taken_over_after_its_lease(
    store: IdempotencyStore,
) -> None:
    assert begin(store, "c1") is None
    assert begin(store, "c2", NOW + LEASE) is not None  # not older than the lease yet
    assert begin(store, "c2", NOW + LEASE + timedelta(seconds=1)) is None
    # The first request, waking up, can neither answer for the key nor drop it.
    store.complete("grafana-prod", "retry-me", "c1", ANSWER)
    store.abandon("grafana-prod", "retry-me", "c1")
    assert begin(store, "c3", NOW + LEASE + timedelta(seconds=2)) == KeptRequest("fp-1", None)


def test_an_answer_is_kept_24_hours_and_an_answered_request_is_never_taken_over(
    store: IdempotencyStore,
) -> None:
    assert begin(store, "c1") is None
    store.complete("grafana-prod", "retry-me", "c1", ANSWER)
    assert begin(store, "c2", NOW + timedelta(hours=2)) == KeptRequest("fp-1", ANSWER)
    assert begin(store, "c3", NOW + KEEP + timedelta(seconds=1), fingerprint="fp-2") is None
