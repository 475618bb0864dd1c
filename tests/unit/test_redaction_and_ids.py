"""Personal data never leaves in a log line; ids sort by time."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.ids import incident_id_for_event, new_event_id, new_ulid
from chalicelib.core.redaction import redact, withhold_secrets
from chalicelib.observability import RedactingFormatter


@pytest.mark.parametrize(
    "text",
    [
        "call +12025550101 now",
        "call +1 202-555-0101 now",
        "mail ada@example.com now",
        "mail Ada.Example+crisis@sub.example.com now",
    ],
)
def test_phone_numbers_and_addresses_are_masked(text: str) -> None:
    masked = redact(text)
    assert "0101" not in masked and "example.com" not in masked
    assert masked.startswith(("call <phone>", "mail <email>"))


@pytest.mark.parametrize(
    "number",
    ["202-555-0101", "(202) 555-0101", "(202)555-0101", "202.555.0101", "202 555 0101"],
)
@pytest.mark.parametrize("where", ["call {} now", "{}", "to={},", '"phone": "{}"'])
def test_national_format_numbers_are_masked(number: str, where: str) -> None:
    masked = redact(where.format(number))
    assert "555" not in masked and "0101" not in masked
    assert masked == where.format("<phone>")


@pytest.mark.parametrize(
    "secret",
    [
        "tcs_" + "Q7uR2-xVb_9kLm3NpZ4sT8wY1aC6dE0fGhJ5iKoPqUv",  # an API key's shape
        "tss_" + "a" * 43,  # a signing secret's
        "tcs_shortish",
    ],
)
@pytest.mark.parametrize("where", ["key {} refused", "{}", "routing_key={}&x=1", '"k":"{}"'])
def test_bare_tocsin_keys_and_signing_secrets_are_masked(secret: str, where: str) -> None:
    masked = redact(where.format(secret))
    assert secret not in masked and secret[4:] not in masked
    assert masked == where.format("<secret>")


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23 18:05:00,123 evt_01M84STVCFS7F5J06PS8A3D6CA affected_people=1200",
        "request 8f14e45f-ceea-4672-a9a1-12345678abcd took 202.5550 ms",
        "version 1.34.0 at 10.0.12.200 port 5000; 1200 of 5000 reached",
        "dedup_key=payments/api-latency sent_at=1763861100 count=555",
        "tcs_ is the prefix of keys; stcs_abcdefghijkl is not one",
    ],
)
def test_timestamps_ids_and_measurements_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_bearer_and_genie_keys_are_masked() -> None:
    assert redact("Authorization: Bearer tcs_abc.DEF-123") == "Authorization: Bearer <secret>"
    assert redact("Authorization: GenieKey tcs_abc") == "Authorization: GenieKey <secret>"


def test_the_log_formatter_masks_whatever_a_call_carries() -> None:
    record = logging.LogRecord(
        "tocsin", logging.INFO, __file__, 1, "sent to %s", ("+12025550101",), None
    )
    line = json.loads(RedactingFormatter().format(record))
    assert line["message"] == "sent to <phone>"


def test_ulids_sort_by_time() -> None:
    start = datetime(2026, 11, 23, tzinfo=UTC)
    ids = [new_ulid(start + timedelta(milliseconds=step)) for step in range(50)]
    assert ids == sorted(ids)
    assert all(len(value) == 26 for value in ids)


def test_an_event_always_maps_to_the_same_incident_id() -> None:
    event_id = new_event_id(datetime.now(UTC))
    assert incident_id_for_event(event_id) == incident_id_for_event(event_id)
    assert incident_id_for_event(event_id).startswith("inc_")


def test_withholding_masks_named_fields_the_presented_key_and_any_tocsin_secret() -> None:
    key = "tcs_Q7uR2-xVb_9kLm3NpZ4sT8wY1aC6dE0fGhJ5iKoPqUv"
    payload = {
        "routing_key": key,
        "ROUTING_KEY": "local-dev-key",
        "payload": {
            "summary": f"db down; key local-dev-key and {key} pasted here",
            "custom_details": {
                "apiKey": "opsgenie-style",
                "tss_abcdefghijkl": ["tss_mnopqrstuvwx"],
            },
        },
        "count": 3,
    }
    kept = withhold_secrets(payload, secrets=["local-dev-key"], fields={"routing_key", "apikey"})
    assert kept == {
        "routing_key": "<secret>",
        "ROUTING_KEY": "<secret>",
        "payload": {
            "summary": "db down; key <secret> and <secret> pasted here",
            "custom_details": {"apiKey": "<secret>", "<secret>": ["<secret>"]},
        },
        "count": 3,
    }
    assert payload["routing_key"] == key  # the caller's document is not changed


def test_withholding_leaves_text_alone_when_a_secret_is_too_short_to_be_a_key() -> None:
    assert withhold_secrets("a b c", secrets=["a", ""]) == "a b c"
    assert withhold_secrets("<alert>x</alert>", secrets=["local-dev-key"]) == "<alert>x</alert>"
