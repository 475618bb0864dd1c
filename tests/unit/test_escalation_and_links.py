"""Escalation policies and state, acknowledgement tokens and SMS replies. Pure."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.errors import InvalidEvent, InvalidPolicies, InvalidPolicy
from chalicelib.core.messaging.passes import (
    genuine,
    issue_pass,
    link_token,
    reply_code,
    well_formed,
)
from chalicelib.core.model import ResponseState, Stop
from chalicelib.core.playbook.escalations import parse_escalation
from chalicelib.core.response.replies import parse_inbound_sms, parse_reply
from chalicelib.core.response.state import quorum, with_acknowledgement, with_decline
from tests.conftest import SHARED_SAMPLES

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
KNOWN = {"role": {"exec", "sec"}, "team": {"site"}, "schedule": {"duty"}}
POLICY = {
    "id": "core",
    "repeat": 1,
    "levels": [
        {"notify": [{"schedule": "duty"}], "chain": ["push", "sms"], "timeout": "5m"},
        {
            "notify": [{"role": "exec"}, {"contact": "c-x"}],
            "channels": ["sms"],
            "timeout": "10m",
            "quorum": 2,
        },
    ],
}


def test_a_policy_counts_its_steps_with_repeats_and_names_them() -> None:
    policy = parse_escalation(POLICY, "escalations[0]", KNOWN)
    assert policy.steps == 4
    assert policy.level(3).quorum == 2 and policy.level(2).chain
    assert policy.describe_step(0) == "level 1 of 2 (core)"
    assert policy.describe_step(3) == "level 2 of 2 (core), repeat 1"


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"levels": []}, "escalations[0].levels", "at least one level"),
        (
            {"levels": [{"notify": [{"role": "ceo"}], "channels": ["sms"], "timeout": "5m"}]},
            "escalations[0].levels[0].notify[0].role",
            "unknown role 'ceo'",
        ),
        (
            {
                "levels": [
                    {
                        "notify": [{"role": "exec", "team": "site"}],
                        "channels": ["sms"],
                        "timeout": "5m",
                    }
                ]
            },
            "escalations[0].levels[0].notify[0]",
            "exactly one of",
        ),
        (
            {
                "levels": [
                    {"notify": [{"role": "exec"}], "channels": ["broadcast"], "timeout": "5m"}
                ]
            },
            "escalations[0].levels[0].channels[0]",
            "reaches people",
        ),
        (
            {"levels": [{"notify": [{"role": "exec"}], "channels": ["sms"], "timeout": "30s"}]},
            "escalations[0].levels[0].timeout",
            "between 1m and 24h",
        ),
        (
            {
                "levels": [
                    {
                        "notify": [{"role": "exec"}],
                        "channels": ["sms"],
                        "chain": ["sms"],
                        "timeout": "5m",
                    }
                ]
            },
            "escalations[0].levels[0]",
            "channels (all at once) or a chain",
        ),
        ({"repeat": -1}, "escalations[0].repeat", "at least 0"),
    ],
)
def test_policy_errors_name_the_field(change: dict[str, object], path: str, words: str) -> None:
    with pytest.raises(InvalidPolicy) as caught:
        parse_escalation({**POLICY, **change}, "escalations[0]", KNOWN)
    errors = caught.value.errors if isinstance(caught.value, InvalidPolicies) else [caught.value]
    assert any(e.path == path and words in e.message for e in errors), errors


def test_a_quorum_counts_distinct_people_and_only_then_stops_escalation() -> None:
    policy = parse_escalation(POLICY, "escalations[0]", KNOWN)
    state = ResponseState("core", step=1, due_at=NOW, paged=("a", "b", "c"))
    assert quorum(policy, state) == 2
    one = with_acknowledgement(state, "a", policy)
    assert one.stopped is None and one.due_at == NOW and one.version == 1
    two = with_acknowledgement(one, "b", policy)
    assert two.stopped is Stop.ACKNOWLEDGED and two.due_at is None
    assert quorum(None, ResponseState()) == 1


def test_when_everyone_paged_declines_the_next_step_is_due_now() -> None:
    later = NOW + timedelta(minutes=5)
    state = ResponseState("core", step=0, due_at=later, paged=("a", "b"))
    first = with_decline(state, "a", NOW)
    assert first.due_at == later
    assert with_decline(first, "b", NOW).due_at == NOW


def test_the_state_round_trips_through_its_document() -> None:
    from chalicelib.storage.incidents import state_document, state_from_document

    history = (("c",), (), ("a",))
    state = ResponseState("core", 2, NOW, ("a",), ("a",), ("b",), Stop.ACKNOWLEDGED, 7, history)
    document = json.loads(json.dumps(state_document(state)))
    assert state_from_document(document, 7) == state
    assert not state.is_due(NOW) and ResponseState("p", due_at=NOW).is_due(NOW)
    # Stored before steps were kept: its current step's people, the earlier steps nobody.
    del document["paged_by_step"]
    legacy = state_from_document(document, 7)
    assert legacy.paged_by_step == ((), (), ("a",)) and legacy.paged_so_far == {"a"}


def test_tokens_are_short_bound_to_one_person_and_unforgeable_without_the_secret() -> None:
    secret = b"s3cret"
    token = link_token(secret, "inc_1", "c-a")
    assert well_formed(token) and len(token) == 16
    assert token == link_token(secret, "inc_1", "c-a")  # retries render the same link
    assert token != link_token(secret, "inc_1", "c-b") != link_token(b"other", "inc_1", "c-a")
    found = issue_pass(secret, "inc_1", "c-a", NOW)
    assert genuine(secret, found, token) and not genuine(b"other", found, token)
    assert found.expired(NOW + timedelta(days=3)) and not found.expired(NOW)
    assert len(reply_code(secret, "inc_1", "c-a")) == 4
    assert not well_formed("../../etc/passwd") and not well_formed(token.upper())


@pytest.mark.parametrize(
    ("body", "intent", "code"),
    [
        ("1234 ACK", "ack", "1234"),
        ("ack 1234", "ack", "1234"),
        ("  Ok. ", "ack", None),
        ("1234 no", "decline", "1234"),
        ("NEJ", "decline", None),
        ("STOP", "stop", None),
        ("hjælp", "help", None),
        ("12345 ACK", "unknown", None),
        ("please call me", "unknown", None),
        ("", "unknown", None),
    ],
)
def test_sms_replies_are_read_in_either_order(body: str, intent: str, code: str | None) -> None:
    assert (parse_reply(body).intent, parse_reply(body).code) == (intent, code)


def test_the_published_two_way_sms_sample_parses() -> None:
    sample = SHARED_SAMPLES / "end-user-messaging-sms-two-way-inbound.json"
    if not sample.exists():
        pytest.skip("../shared/samples is not beside the project")
    sms = parse_inbound_sms(sample.read_text())
    assert sms.origination == "+14255550182" and sms.body == "EXAMPLE"
    assert sms.replying_to == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert parse_reply(sms.body).intent == "unknown"


@pytest.mark.parametrize(
    ("payload", "field"),
    [("not json", "message"), ("[]", "message"), ('{"messageBody": "ACK"}', "originationNumber")],
)
def test_an_inbound_sms_that_is_not_one_is_refused_clearly(payload: str, field: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_inbound_sms(payload)
    assert caught.value.field == field
