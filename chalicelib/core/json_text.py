"""JSON in and out: read what callers send without letting it hurt, write what Tocsin stores and
queues as compactly as it came.

Reading (:func:`read_json`): JSON nested deeper than :data:`MAX_DEPTH` is refused before it can
exhaust the interpreter's stack (``[[[[...`` 100,000 times raised ``RecursionError``), and so is
text holding a lone UTF-16 surrogate (``"\\ud800"``): it is not text, and no AWS API can carry it.

Writing (:func:`compact_json`): no spaces, and non-ASCII characters as themselves (UTF-8), so
``é`` costs two bytes as in the body that was accepted, not the six of ``\\u00e9``. What was
accepted within the size limit then fits where it is stored. The characters SQS refuses
(U+FFFE, U+FFFF, surrogates) are written as escapes, so whatever a payload holds can be queued.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64  # objects and arrays inside one another; real payloads need fewer than ten

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_UNQUEUEABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")


class UnreadableJson(ValueError):
    """The text is not JSON Tocsin reads; the message says why and where, never the value."""


def read_json(data: str | bytes) -> Any:
    """The value in ``data`` (bytes: UTF-8, -16 or -32, as ``json.loads`` detects them)."""
    try:
        value = json.loads(data)
    except UnicodeDecodeError:
        raise UnreadableJson("is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise UnreadableJson(
            f"is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise UnreadableJson(_too_deep()) from None
    check_value(value)
    return value


def _too_deep() -> str:
    return f"is nested too deeply: objects and arrays may be nested at most {MAX_DEPTH} levels deep"


def check_value(value: Any) -> None:
    """What :func:`read_json` checks, on a value read some other way (AWS's own events): at
    most :data:`MAX_DEPTH` deep, no lone surrogates. Without recursion: it may be deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                raise UnreadableJson(
                    "holds a lone UTF-16 surrogate (an escape such as \\ud800 without its pair): "
                    "that is not text"
                )
            continue
        if isinstance(item, dict):
            children: list[Any] = [*item.keys(), *item.values()]
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            raise UnreadableJson(_too_deep())
        stack.extend((child, depth + 1) for child in children)


def compact_json(value: Any) -> str:
    """``value`` as JSON for storage and queues: compact, UTF-8 as it came, always queueable."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return _UNQUEUEABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def stored_size(value: Any) -> int:
    """The bytes ``value`` takes once stored or queued by :func:`compact_json`."""
    return len(compact_json(value).encode("utf-8"))
