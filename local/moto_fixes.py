"""One fix to moto's DynamoDB wherever Tocsin runs on moto in process or as the local stack's
server (the tests, ``make run``, ``make chaos``); never deployed.

moto 5.2.5's ``TransactWriteItems`` backs a table up before a transaction (to put it back if
the transaction is refused) by deep-copying the whole table once for *every action* naming it,
not once per table: a 99-action transaction (the dispatcher claims a dispatch's jobs in one)
copied the table 99 times, and the fault harness on moto spent 90 % of its time copying. The
copies of one table within one call are identical (nothing writes between them) and moto keeps
only the last, so copying each table once per call gives the same rollback. ``apply`` is
idempotent; a moto without the method or the module attribute is left as it is.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from typing import Any


class _OncePerTransaction(threading.local):
    """moto's ``copy`` module as its DynamoDB backend sees it: inside one transaction, the
    same table object deep-copied once (per thread: the server answers in threads)."""

    copies: dict[int, Any] | None = None

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        from moto.dynamodb.models.table import Table

        if self.copies is None or not isinstance(value, Table):
            return copy.deepcopy(value, memo)
        if id(value) not in self.copies:
            self.copies[id(value)] = copy.deepcopy(value)
        return self.copies[id(value)]

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def apply() -> None:
    """Make moto's ``TransactWriteItems`` copy each table once per call."""
    from moto.dynamodb import models

    original: Callable[..., Any] | None = getattr(
        models.DynamoDBBackend, "transact_write_items", None
    )
    if original is None or getattr(models, "copy", None) is not copy:
        return  # applied already, or a moto that works otherwise
    shim = _OncePerTransaction()
    models.copy = shim  # type: ignore[assignment,attr-defined]

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        shim.copies = {}
        try:
            original(self, transact_items)
        finally:
            shim.copies = None

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
