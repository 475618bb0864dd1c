"""Reading JSON that may hurt, writing JSON that fits: depth, lone surrogates, stored sizes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.core.json_text import (
    MAX_DEPTH,
    UnreadableJson,
    compact_json,
    read_json,
    stored_size,
)


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def test_nesting_up_to_the_limit_is_read_and_beyond_it_is_refused_naming_the_limit() -> None:
    assert read_json(nested(MAX_DEPTH)) is not None
    for levels in (MAX_DEPTH + 1, 5_000, 100_000):
        with pytest.raises(UnreadableJson) as refused:
            read_json(nested(levels))
        assert f"nested at most {MAX_DEPTH} levels deep" in str(refused.value)


def test_depth_counts_objects_and_arrays_alike_wherever_they_are() -> None:
    def alternating(levels: int) -> Any:
        value: Any = 1
        for level in range(levels):
            value = {"k": value} if level % 2 else [value]
        return value

    inside = {"ok": "shallow", "deep": alternating(MAX_DEPTH - 1)}
    assert read_json(json.dumps(inside)) == inside
    with pytest.raises(UnreadableJson):
        read_json(json.dumps({"ok": "shallow", "deep": alternating(MAX_DEPTH)}))


def test_a_lone_surrogate_is_refused_and_a_pair_is_read() -> None:
    with pytest.raises(UnreadableJson, match="lone UTF-16 surrogate"):
        read_json('{"summary": "\\ud83d"}')
    with pytest.raises(UnreadableJson, match="lone UTF-16 surrogate"):
        read_json('{"\\udc00": "in a key"}')
    assert read_json('{"summary": "\\ud83d\\ude92"}') == {"summary": "\U0001f692"}


def test_syntax_and_encoding_errors_say_where_or_what() -> None:
    with pytest.raises(UnreadableJson, match="Expecting ',' delimiter at line 2 column 5"):
        read_json('{"a":\n  1 + }')
    with pytest.raises(UnreadableJson, match="not UTF-8 text"):
        read_json(b'{"a": "\xff"}')


def test_stored_text_costs_what_it_cost_in_the_body() -> None:
    body = '{"summary":"Lækage på Ærø","details":{"note":"' + "é" * 1000 + '"}}'
    value = read_json(body.encode())
    assert stored_size(value) == len(body.encode())
    assert json.loads(compact_json(value)) == value


@pytest.mark.parametrize("character", ["\ufffe", "\uffff", "\ud800", "\udfff"])
def test_characters_sqs_refuses_are_written_as_escapes_and_read_back_the_same(
    character: str,
) -> None:
    value = {f"key{character}": f"a{character}b", "list": [character]}
    text = compact_json(value)
    assert character not in text
    text.encode("utf-8")  # a lone surrogate would raise here
    assert json.loads(text) == value
