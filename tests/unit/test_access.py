"""The pure rules of access: event type patterns, the string a signature covers, and dedup
keys scoped so that no two namespaces can meet."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.core.access import (
    ApiKey,
    SignedRequest,
    canonical_query,
    is_type_pattern,
    signature,
    string_to_sign,
    type_matches,
    verify_signature,
)
from chalicelib.core.errors import AuthenticationFailed, Forbidden
from chalicelib.core.model import scope_dedup_key


@pytest.mark.parametrize(
    ("pattern", "event_type", "matches"),
    [
        ("it.*", "it.outage", True),
        ("it.*", "it.db.down", True),
        ("it.*", "it", False),
        ("it.*", "itx.outage", False),
        ("it.outage", "it.outage", True),
        ("it.outage", "it.outage.partial", False),
        ("cyber.data_breach", "cyber.data_breach_drill", False),
    ],
)
def test_type_patterns_match_a_type_or_a_family(
    pattern: str, event_type: str, matches: bool
) -> None:
    assert type_matches(pattern, event_type) is matches


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("it.*", True),
        ("it.outage", True),
        ("it", False),
        ("*", False),
        ("it.*.x", False),
        ("IT.*", False),
    ],
)
def test_only_types_and_families_are_patterns(value: str, valid: bool) -> None:
    assert is_type_pattern(value) is valid


def test_a_key_without_an_allow_list_may_send_any_type_and_one_with_it_only_those() -> None:
    ApiKey("any", frozenset()).require_type("cyber.data_breach")
    with pytest.raises(Forbidden, match=r"'cyber\.data_breach'"):
        ApiKey("it", frozenset(), allowed_types=("it.*",)).require_type("cyber.data_breach")


def test_a_key_bound_to_an_unknown_integration_may_call_nothing() -> None:
    with pytest.raises(Forbidden, match="may call nothing"):
        ApiKey("future", frozenset(), integrations=frozenset({"nagios"})).require_path("/v1/events")


def test_the_query_is_sorted_and_percent_encoded() -> None:
    query = {"to": ["2026-12-02T00:00:00+01:00"], "from": ["b", "a"], "ø": ["x y"]}
    assert canonical_query(query) == (
        "from=a&from=b&to=2026-12-02T00%3A00%3A00%2B01%3A00&%C3%B8=x%20y"
    )
    assert canonical_query({}) == ""


def test_the_string_to_sign_is_timestamp_method_path_query_and_body_on_lines() -> None:
    request = SignedRequest("post", "/v1/events", {}, b'{"a": 1}\n')
    assert string_to_sign("1764547200", request) == b'1764547200\nPOST\n/v1/events\n\n{"a": 1}\n'


def test_a_signature_verifies_once_for_its_own_request_only() -> None:
    now = datetime.fromtimestamp(1764547200, UTC)
    request = SignedRequest("GET", "/v1/events/evt_1", {}, b"")
    made = signature("s3cret-value", "1764547200", request)
    verify_signature(("other", "s3cret-value"), "1764547200", made, request, now)
    for changed in (
        SignedRequest("GET", "/v1/events/evt_2", {}, b""),
        SignedRequest("DELETE", "/v1/events/evt_1", {}, b""),
        SignedRequest("GET", "/v1/events/evt_1", {"x": ["1"]}, b""),
        SignedRequest("GET", "/v1/events/evt_1", {}, b" "),
    ):
        with pytest.raises(AuthenticationFailed, match="does not match"):
            verify_signature(("s3cret-value",), "1764547200", made, changed, now)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("key:a#b", "c"), ("key:a", "b#c")),
        (("key:a%23b", "c"), ("key:a#b", "c")),
    ],
)
def test_two_namespaces_never_share_a_scoped_dedup_key(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    assert scope_dedup_key(*first) != scope_dedup_key(*second)


def test_without_a_namespace_the_dedup_key_is_stored_as_it_was() -> None:
    assert scope_dedup_key("", "breach-2026-crm-export") == "breach-2026-crm-export"
    assert scope_dedup_key("key:soc", "breach") == "key:soc#breach"
