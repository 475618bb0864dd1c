"""One fix to moto's DynamoDB wherever Tocsin runs on moto in process or as the local stack's
server (the tests, ``make run``, ``make chaos``, ``make bench``); never deployed.

moto 5.2.5's ``TransactWriteItems`` backs a table up before a transaction (to put it back if
the transaction is refused) by deep-copying the whole table once for *every action* naming it:
a 99-action transaction (the dispatcher claims a dispatch's jobs in one) copied the table 99
times, and the fault harness on moto spent 90 % of its time copying; copied once a table, a
transaction still cost 20 ms on a table of a few hundred items, most of the time from an alert
to its first page on the local stack. A transaction can change only the items it names, so the
fix keeps those items as they were (at most 100, each copied once) and, if moto refuses the
transaction, puts exactly them back: the same rollback, whatever the table's size. ``apply`` is
idempotent; a moto without the method or the module attribute is left as it is.
"""

from __future__ import annotations

import copy
import functools
import json
import threading
from collections.abc import Callable
from typing import Any


class _NoTableCopies(threading.local):
    """moto's ``copy`` module as its DynamoDB backend sees it: inside a transaction this fix
    runs, a table is not deep-copied (the fix keeps the named items instead)."""

    active = False

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        from moto.dynamodb.models.table import Table

        if self.active and isinstance(value, Table):
            return value  # moto's "rollback" then puts back the live table: a no-op
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


Snapshot = dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any] | None]]


def _named_items(backend: Any, transact_items: list[dict[str, Any]]) -> Snapshot:
    """Each item the transaction names, as it is now: {(table, key): (key, attributes or
    None)}. A malformed action is skipped: moto refuses it before it changes anything."""
    kept: Snapshot = {}
    for action in transact_items:
        try:
            _, op = next(iter(action.items()))
            table = backend.get_table(op["TableName"])
            if "Key" in op:
                key = dict(op["Key"])
            else:
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            ident = (table.name, json.dumps(key, sort_keys=True))
            if ident not in kept:
                current = backend.get_item(table.name, key)
                kept[ident] = (
                    key,
                    copy.deepcopy(current.to_json()["Attributes"]) if current else None,
                )
        except Exception:  # noqa: S112 - moto answers for it in the transaction itself
            continue
    return kept


def _put_back(backend: Any, kept: Snapshot) -> None:
    for (table_name, _), (key, attributes) in kept.items():
        if attributes is None:
            backend.delete_item(table_name, key)
        else:
            backend.put_item(table_name, attributes)


def apply() -> None:
    """Make moto's ``TransactWriteItems`` keep only the items it names for its rollback."""
    from moto.dynamodb import models

    original: Callable[..., Any] | None = getattr(
        models.DynamoDBBackend, "transact_write_items", None
    )
    if original is None or getattr(models, "copy", None) is not copy:
        return  # applied already, or a moto that works otherwise
    shim = _NoTableCopies()
    models.copy = shim  # type: ignore[assignment,attr-defined]

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        kept = _named_items(self, transact_items)
        shim.active = True
        try:
            original(self, transact_items)
        except BaseException:
            _put_back(self, kept)
            raise
        finally:
            shim.active = False

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
