"""Erasure by structure: exact values in id fields, whole tokens in free text, never substrings."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core.privacy.scrubbing import (
    EVENT,
    FREE,
    RESPONSE_STATE,
    TIMELINE_DATA,
    Person,
    Scrubber,
    new_pseudonym,
)
from chalicelib.storage.erasure import record_kind, scrub_item

BO = Scrubber(Person("c-bo", "+12025550102", "bo@example.com"), "erased-0bo")
AL = Scrubber(Person("al", "+12025550108", "al@example.com"), "erased-0a1")


@pytest.mark.parametrize(
    "text",
    [
        "c-bob",  # an id the person's id is a prefix of
        "x-c-bo",  # ... a suffix of
        "c-bo_2",
        "C-BO",  # ids are case-sensitive
        "bobo@example.com",  # an address that ends with theirs
        "bo@example.community",  # ... that starts with theirs
        "call +1 202 555 0103",  # a number one digit away
        "+120255501021",  # a longer number that starts with theirs
        "ref 2025550102999",
    ],
)
def test_text_that_only_contains_the_person_as_a_substring_is_left_alone(text: str) -> None:
    assert BO.text(text) == text


@pytest.mark.parametrize(
    "text",
    ["critical", "severity: critical", "normal", "final", "valid", "al_pha", "al-x", "bob.al"],
)
def test_an_id_that_is_part_of_ordinary_words_leaves_those_words_alone(text: str) -> None:
    assert AL.text(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("c-bo", "erased-0bo"),
        ("paged c-bo.", "paged erased-0bo."),
        ("c-bo, c-bob and c-bo", "erased-0bo, c-bob and erased-0bo"),
        ("(c-bo)", "(erased-0bo)"),
        ("sms handed to AWS for c-bo", "sms handed to AWS for erased-0bo"),
        ("write to Bo@Example.com now", "write to <erased-0bo> now"),
        ("mailto:bo@example.com?subject=x", "mailto:<erased-0bo>?subject=x"),
        ("ring +1 (202) 555-0102 or +1 202-555-0102", "ring <erased-0bo> or <erased-0bo>"),
        (
            "Invalid parameter: PhoneNumber 12025550102",
            "Invalid parameter: PhoneNumber <erased-0bo>",
        ),
        ("tel:+12025550102;ext=1", "tel:<erased-0bo>"),  # an extension is theirs too
        ("(202) 555-0102 is Bo's desk", "<erased-0bo> is Bo's desk"),
        ("bo@example.com and bobo@example.com", "<erased-0bo> and bobo@example.com"),
    ],
)
def test_free_text_loses_the_person_as_whole_tokens(text: str, expected: str) -> None:
    assert BO.text(text) == expected


def test_an_id_fields_value_is_replaced_only_when_it_is_exactly_the_persons() -> None:
    assert BO.exact("c-bo") == "erased-0bo"
    assert BO.exact("c-bob") == "c-bob"
    assert BO.exact("paged c-bo") == "paged c-bo"  # an id field holds one id, not text
    assert BO.exact("+12025550102") == "<erased-0bo>"
    assert BO.exact("BO@example.com") == "<erased-0bo>"
    assert BO.exact("") == ""


def test_tocsins_own_words_are_kept_even_when_the_persons_id_is_that_word() -> None:
    sms = Scrubber(Person("sms"), "erased-5m5")
    data = {"contact_id": "sms", "channel": "sms", "to": "sms", "summary": "sms to sms failed"}
    assert sms.document(data, TIMELINE_DATA) == {
        "contact_id": "erased-5m5",
        "channel": "sms",
        "to": "sms",
        "summary": "erased-5m5 to erased-5m5 failed",
    }
    critical = Scrubber(Person("critical"), "erased-c41")
    event = {"severity": "critical", "summary": "critical: critical is paged", "type": "x.y"}
    assert critical.document(event, EVENT)["severity"] == "critical"


def test_documents_follow_their_layout_and_free_json_is_text_at_every_depth() -> None:
    state = {"paged": ["c-bo", "c-bob"], "acknowledged_by": ["c-bo"], "step": 0, "policy_id": "p"}
    assert BO.document(state, RESPONSE_STATE) == {
        "paged": ["erased-0bo", "c-bob"],
        "acknowledged_by": ["erased-0bo"],
        "step": 0,
        "policy_id": "p",
    }
    payload: Any = {
        "responders": [{"id": "c-bo", "mail": "bo@example.com"}, {"id": "c-bob"}],
        "c-bo": {"status": "c-bo is on call", "to": "+1 202 555 0102"},  # a foreign "status"
        "count": 3,
    }
    assert BO.document(payload, FREE) == {
        "responders": [{"id": "erased-0bo", "mail": "<erased-0bo>"}, {"id": "c-bob"}],
        "erased-0bo": {"status": "erased-0bo is on call", "to": "<erased-0bo>"},
        "count": 3,
    }


def test_key_parts_of_a_record_about_the_person_lose_them_between_separators() -> None:
    assert BO.key_part("sent-c-bo-sms-0") == "sent-erased-0bo-sms-0"
    assert BO.key_part("sent-c-bob-sms-0") == "sent-c-bob-sms-0"
    assert BO.key_part("ack-BO@example.com") == "ack-<erased-0bo>"
    assert BO.key_part("decline-c-bo-2") == "decline-erased-0bo-2"


def test_a_record_of_someone_else_keeps_its_key_and_every_attribute() -> None:
    bob = {
        "pk": "INCIDENT#inc_1",
        "sk": "TL#K#sent-c-bob-sms-0",
        "kind": "notification_sent",
        "summary": "sms handed to AWS for c-bob",
        "data": '{"contact_id": "c-bob", "channel": "sms"}',
    }
    assert scrub_item(bob, BO) == bob
    ledger = {"pk": "INCIDENT#inc_1", "sk": "SEND#c-bob#sms#0", "contact_id": "c-bob"}
    assert scrub_item(ledger, BO) == ledger


def test_the_persons_records_are_rewritten_by_their_keys_layout() -> None:
    sent = {
        "pk": "INCIDENT#inc_1",
        "sk": "TL#K#sent-c-bo-sms-0",
        "summary": "sms handed to AWS for c-bo",
        "data": '{"contact_id": "c-bo", "channel": "sms"}',
    }
    assert scrub_item(sent, BO) == {
        "pk": "INCIDENT#inc_1",
        "sk": "TL#K#sent-erased-0bo-sms-0",
        "summary": "sms handed to AWS for erased-0bo",
        "data": '{"contact_id": "erased-0bo", "channel": "sms"}',
    }
    ledger = {"pk": "INCIDENT#inc_1", "sk": "SEND#c-bo#sms#0#resolved", "channel": "sms"}
    assert scrub_item(ledger, BO)["sk"] == "SEND#erased-0bo#sms#0#resolved"
    paged = {"pk": "PAGED#c-bo", "sk": "INCIDENT#inc_1", "contact_id": "c-bo", "code": "1234"}
    assert scrub_item(paged, BO) == {
        "pk": "PAGED#erased-0bo",
        "sk": "INCIDENT#inc_1",
        "contact_id": "erased-0bo",
        "code": "1234",
    }
    dedup = {"pk": "DEDUP#mail from bo@example.com", "sk": "OPEN", "incident_id": "inc_1"}
    assert scrub_item(dedup, BO)["pk"] == "DEDUP#mail from <erased-0bo>"


def test_an_unknown_attribute_is_scrubbed_as_text_rather_than_forgotten() -> None:
    item = {"pk": "INCIDENT#inc_1", "sk": "INCIDENT", "note_added_later": "ask c-bo"}
    assert scrub_item(item, BO)["note_added_later"] == "ask erased-0bo"


def test_each_kind_of_record_is_counted_by_its_key() -> None:
    assert [
        record_kind(pk, sk)
        for pk, sk in [
            ("EVENT#evt_1", "EVENT"),
            ("INCIDENT#inc_1", "INCIDENT"),
            ("INCIDENT#inc_1", "TL#T#x"),
            ("INCIDENT#inc_1", "SEND#c-bo#sms#0"),
            ("INCIDENT#inc_1", "RESPONDER#c-bo"),
            ("ACKLINK#abc", "LINK"),
            ("MSG#m-1", "SEND"),
            ("DEDUP#k", "OPEN"),
            ("RATE#x", "RATE"),
        ]
    ] == [
        "events",
        "incidents",
        "timeline",
        "sends",
        "passes",
        "passes",
        "message_ids",
        "dedup",
        "other",
    ]


def test_a_pseudonym_is_a_valid_contact_id_and_new_every_time() -> None:
    from chalicelib.core.people import is_contact_id

    first, second = new_pseudonym(), new_pseudonym()
    assert is_contact_id(first) and first.startswith("erased-") and first != second


def test_a_pages_rewrites_share_transactions_within_dynamodbs_limits() -> None:
    from chalicelib.storage.erasure import _batches

    def rewrite(sk: str, moved: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        item = {"pk": "INCIDENT#inc_1", "sk": sk, "summary": "c-bo"}
        return item, {**item, "sk": sk + "-moved" if moved else sk, "summary": "erased-0bo"}

    in_place = [rewrite(f"TL#T#{n}", moved=False) for n in range(120)]
    assert [len(batch) for batch in _batches(in_place)] == [99, 21]  # 99 + the count = 100
    moved = [rewrite(f"SEND#c-bo#sms#{n}", moved=True) for n in range(60)]
    assert [len(batch) for batch in _batches(moved)] == [49, 11]  # a Put and a Delete each
    big = [({**item, "data": "x" * 400_000}, cleaned) for item, cleaned in in_place[:10]]
    assert max(len(batch) for batch in _batches(big)) <= 2  # well under 4 MB a transaction
