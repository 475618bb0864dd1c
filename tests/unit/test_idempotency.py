"""``Idempotency-Key`` on the fakes: the same key and request get the first answer and queue
nothing; another request with the key is 422; one still in flight is 409; a failed request
leaves nothing behind; keys are per API key, short and plain, and kept 24 hours."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib.core.activation.idempotency import (
    IN_FLIGHT_LEASE,
    Answer,
    fingerprint,
)
from chalicelib.core.errors import Conflict, IdempotencyKeyReused, InvalidInput, InvalidRequest
from fakes import MemoryWorld
from tests.unit.conftest import OUTAGE, SENDER

BODY = json.dumps(OUTAGE).encode()
REQUEST = fingerprint("POST", "/v1/events", BODY)


def accept(org: MemoryWorld) -> Answer:
    received = org.ingest.accept(OUTAGE, SENDER)
    return Answer(202, json.dumps({"event_id": received.event_id}), {"Location": "/x"})


def test_a_retry_with_the_same_key_gets_the_first_answer_and_queues_nothing(
    org: MemoryWorld,
) -> None:
    first = org.idempotency.run("prometheus", "alert-42", REQUEST, lambda: accept(org))
    org.clock.advance(hours=23)
    again = org.idempotency.run("prometheus", "alert-42", REQUEST, lambda: accept(org))
    assert (again.status, again.body, dict(again.headers)) == (
        first.status,
        first.body,
        {"Location": "/x"},
    )
    assert again.replayed and not first.replayed
    assert len(org.event_queue.take()) == 1


def test_the_same_key_for_another_request_is_refused(org: MemoryWorld) -> None:
    org.idempotency.run("prometheus", "alert-42", REQUEST, lambda: accept(org))
    other = fingerprint("POST", "/v1/events", BODY + b" ")
    with pytest.raises(IdempotencyKeyReused, match="'alert-42' was used within 24 hours"):
        org.idempotency.run("prometheus", "alert-42", other, lambda: accept(org))
    assert len(org.event_queue.take()) == 1


def test_a_request_still_in_flight_is_a_conflict_until_its_lease_runs_out(
    org: MemoryWorld,
) -> None:
    def retried_meanwhile() -> Answer:
        with pytest.raises(Conflict, match="still being handled"):
            org.idempotency.run("prometheus", "alert-42", REQUEST, lambda: accept(org))
        return accept(org)

    org.idempotency.run("prometheus", "alert-42", REQUEST, retried_meanwhile)
    assert len(org.event_queue.take()) == 1


def test_a_request_whose_process_died_is_taken_over_after_the_lease(org: MemoryWorld) -> None:
    now = org.clock.now()
    org.requests.begin("prometheus", "alert-42", "dead", REQUEST, now, now, now + timedelta(1))
    with pytest.raises(Conflict):
        org.idempotency.run("prometheus", "alert-42", REQUEST, lambda: accept(org))
    org.clock.advance(IN_FLIGHT_LEASE + timedelta(seconds=1))
    assert org.idempotency.run("prometheus", "alert-42", REQUEST, lambda: accept(org)).status == 202


def test_a_failed_request_leaves_nothing_so_the_corrected_retry_runs(org: MemoryWorld) -> None:
    def refused() -> Answer:
        raise InvalidInput("severity: must be one of ...")

    with pytest.raises(InvalidInput):
        org.idempotency.run("prometheus", "alert-42", REQUEST, refused)
    other = fingerprint("POST", "/v1/events", b"{corrected}")
    assert org.idempotency.run("prometheus", "alert-42", other, lambda: accept(org)).status == 202


def test_an_answer_that_is_not_a_success_is_not_kept(org: MemoryWorld) -> None:
    unavailable = org.idempotency.run("prometheus", "k", REQUEST, lambda: Answer(503, "{}"))
    assert unavailable.status == 503
    assert org.idempotency.run("prometheus", "k", REQUEST, lambda: accept(org)).status == 202


def test_keys_are_per_api_key_and_kept_24_hours(org: MemoryWorld) -> None:
    org.idempotency.run("prometheus", "alert-42", REQUEST, lambda: accept(org))
    org.idempotency.run("grafana", "alert-42", REQUEST, lambda: accept(org))
    assert len(org.event_queue.take()) == 2
    org.clock.advance(hours=24, seconds=1)
    assert not org.idempotency.run("prometheus", "alert-42", REQUEST, lambda: accept(org)).replayed
    assert len(org.event_queue.take()) == 1


def test_without_a_key_every_request_runs(org: MemoryWorld) -> None:
    for _ in range(2):
        org.idempotency.run("prometheus", None, REQUEST, lambda: accept(org))
    assert len(org.event_queue.take()) == 2


@pytest.mark.parametrize(
    "key",
    ["", "x" * 256, "with space", "tab\tinside", "ünïcode", "new\nline"],
    ids=["empty", "too-long", "space", "tab", "non-ascii", "newline"],
)
def test_a_key_that_is_not_1_to_255_visible_ascii_characters_is_refused(
    org: MemoryWorld, key: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        org.idempotency.run("prometheus", key, REQUEST, lambda: accept(org))
    assert refused.value.field == "Idempotency-Key"
    assert "1 to 255 visible ASCII characters" in refused.value.message
    assert org.event_queue.take() == []


def test_the_longest_key_and_every_visible_character_are_accepted(org: MemoryWorld) -> None:
    for key in ("k" * 255, "".join(chr(c) for c in range(0x21, 0x7F))):
        assert org.idempotency.run("prometheus", key, REQUEST, lambda: accept(org)).status == 202


def test_a_fingerprint_tells_the_method_path_and_body_apart() -> None:
    prints = {
        fingerprint("POST", "/v1/events", b"{}"),
        fingerprint("POST", "/v1/integrations/grafana", b"{}"),
        fingerprint("PUT", "/v1/events", b"{}"),
        fingerprint("POST", "/v1/events", b"{} "),
        fingerprint("POST", "/v1/event", b"s{}"),  # a shifted boundary is another request
    }
    assert len(prints) == 5
