"""Personal data never leaves in a log line; ids sort by time."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.ids import incident_id_for_event, new_event_id, new_ulid
from chalicelib.core.redaction import redact
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


def test_timestamps_and_ids_are_left_alone() -> None:
    text = "2026-11-23 18:05:00,123 evt_01M84STVCFS7F5J06PS8A3D6CA affected_people=1200"
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
