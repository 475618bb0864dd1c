"""Erasure by structure: exact values in id fields, whole tokens in free text, never substrings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
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
from chalicelib.storage.erasure_items import record_kind, scrub_config_item, scrub_item

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


def test_the_newer_stores_records_lose_the_person_and_keep_tocsins_words() -> None:
    hold = {"pk": "HOLDS", "sk": "HOLD#hld_1", "state": "released", "settled_by": "c-bo"}
    assert scrub_item(hold, BO) == {**hold, "settled_by": "erased-0bo"}
    assert scrub_item({**hold, "settled_by": "c-bob"}, BO)["settled_by"] == "c-bob"
    canary = {"pk": "CANARY#hourly", "sk": "ROUND#x", "expected": ["c-bo#sms", "c-bob#sms"]}
    assert scrub_item(canary, BO)["expected"] == ["erased-0bo#sms", "c-bob#sms"]
    state = {"paged_by_step": [["c-bo", "c-bob"], ["c-bo"]], "step": 1}
    item = {"pk": "INCIDENT#inc_1", "sk": "INCIDENT", "response_state": json.dumps(state)}
    assert json.loads(scrub_item(item, BO)["response_state"])["paged_by_step"] == [
        ["erased-0bo", "c-bob"],
        ["erased-0bo"],
    ]
    sender = {"pk": "KEYSENDER#ops#mail from bo@example.com", "sk": "SENDER", "sender": "ops"}
    assert scrub_item(sender, BO)["pk"] == "KEYSENDER#ops#mail from <erased-0bo>"
    # Someone whose id is one of Tocsin's words: an alert's own fields keep it, its text not.
    opened = Scrubber(Person("open"), "erased-0op")
    alert = {"status": "open", "alert_id": "open", "message": "open", "user": "open"}
    stored = {"pk": "OGALERTS#ops", "sk": "x", "sender": "open", "alert": json.dumps(alert)}
    cleaned = scrub_item(stored, opened)
    assert cleaned["sender"] == "open"
    assert json.loads(cleaned["alert"]) == {
        **alert,
        "message": "erased-0op",
        "user": "erased-0op",
    }
    change = {"change_id": "chg_1", "summary": "deployed by bo@example.com", "sender": "ops"}
    item = {"pk": "CHANGES#ops", "sk": "x", "change": json.dumps(change)}
    assert json.loads(scrub_item(item, BO)["change"])["summary"] == "deployed by <erased-0bo>"


REQUESTED = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def test_in_the_config_table_the_persons_keys_and_links_are_revoked_and_overrides_rebound() -> None:
    key = {"pk": "APIKEY#abc", "sk": "APIKEY", "name": "laptop", "contact_id": "c-bo"}
    assert scrub_config_item(key, BO, REQUESTED) == {
        **key,
        "contact_id": "erased-0bo",
        "revoked_at": REQUESTED.isoformat(),
    }
    listed = {**key, "pk": "APIKEYS", "sk": "NAME#laptop", "revoked_at": "2026-01-01T00:00:00"}
    assert scrub_config_item(listed, BO, REQUESTED) == {**listed, "contact_id": "erased-0bo"}
    for someone_else in ({**key, "contact_id": "c-bob"}, {**key, "contact_id": None}):
        assert scrub_config_item(someone_else, BO, REQUESTED) == someone_else
    link = {"pk": "CALENDAR#d1", "sk": "CALENDAR", "contact_id": "c-bo", "expires_at": "x"}
    assert scrub_config_item(link, BO, REQUESTED) == {
        **link,
        "contact_id": "erased-0bo",
        "revoked_at": REQUESTED.isoformat(),
    }
    assert scrub_config_item({"pk": "CALENDARS#c-bo", "sk": "CURRENT"}, BO, REQUESTED) is None
    theirs = {"pk": "CALENDARS#c-bob", "sk": "CURRENT", "digest": "d2"}
    assert scrub_config_item(theirs, BO, REQUESTED) == theirs
    override = {"pk": "OVERRIDE#it-duty", "sk": "2026#ovr_1", "override_id": "ovr_1",
                "contact_id": "c-bo", "covers": "c-bob", "created_by": "c-bo"}  # fmt: skip
    assert scrub_config_item(override, BO, REQUESTED) == {
        **override,
        "contact_id": "erased-0bo",
        "created_by": "erased-0bo",
    }
    # The playbook's documents are never rewritten (their digest, their source in git).
    document = {"pk": "PLAYBOOK#7#abc", "sk": "ONCALL#00000#it-duty", "document": '["c-bo"]'}
    assert scrub_config_item(document, BO, REQUESTED) == document


def test_the_newer_kinds_of_record_are_counted_by_their_keys() -> None:
    assert [
        record_kind(pk, sk)
        for pk, sk in [
            ("HOLDS", "HOLD#hld_1"),
            ("INCIDENT#inc_1", "HOLD#OPEN"),
            ("CANARY#hourly", "ROUND#x"),
            ("OGALERTS#ops", "x"),
            ("OGTINY", "COUNTER"),
            ("KEYSENDER#ops#k", "SENDER"),
            ("APIKEY#abc", "APIKEY"),
            ("APIKEYS", "NAME#laptop"),
            ("CALENDAR#d", "CALENDAR"),
            ("CALENDARS#c-bo", "CURRENT"),
            ("OVERRIDE#it-duty", "x"),
            ("PLAYBOOK", "CURRENT"),
        ]
    ] == [
        "holds",
        "holds",
        "canaries",
        "dropin",
        "dropin",
        "dropin",
        "credentials",
        "credentials",
        "calendars",
        "calendars",
        "overrides",
        "other",
    ]


def test_a_checklist_tick_names_its_person_only_where_erasure_reaches() -> None:
    from chalicelib.core.model import TimelineEntry
    from chalicelib.core.response.duties import TICKED
    from chalicelib.storage.codec import from_item
    from chalicelib.storage.incidents import timeline_put

    entry = TimelineEntry(
        datetime(2026, 12, 2, 3, 0, tzinfo=UTC),
        TICKED,
        "c-bo (communications) ticked: Draft the holding statement for staff and customers "
        "(by link)",
        {"item": "comms-holding-statement", "role": "communications", "contact_id": "c-bo"},
        key="checklist-comms-holding-statement",
    )
    item = from_item(timeline_put("t", "inc_1", entry, None)["Put"]["Item"])
    assert "c-bo" not in item["sk"]  # the key names the item, never the person
    scrubbed = scrub_item(item, BO)
    assert "c-bo" not in json.dumps(scrubbed)
    data = json.loads(scrubbed["data"])
    assert data == {
        "item": "comms-holding-statement",
        "role": "communications",
        "contact_id": "erased-0bo",
    }
    assert scrubbed["summary"].startswith("erased-0bo (communications) ticked: Draft")
    assert scrub_item(item, AL) == item  # another person's erasure leaves it alone
