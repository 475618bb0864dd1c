"""On-call overrides: someone covers for a while. Pure.

Two kinds share one value. Most are entered at short notice through the API or the CLI and kept in
DynamoDB (at most 31 days each). Some are known when the playbook is written, such as the swaps a
team had planned in the tool it leaves (``tocsin import`` brings them over): those are declared in
the schedule's ``overrides`` list and travel with the playbook version::

    overrides:
      - contact: c-dina                   # who is on call instead
        from: "2026-12-24T09:00"          # in the schedule's time zone unless an offset is given
        to: "2026-12-27T09:00"
        covers: c-chen                    # optional: only while c-chen would be on call
        id: christmas-swap                # optional: named in coverage (default playbook-<n>)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.fields import (
    Collector,
    read_identifier,
    read_instant,
    read_list,
    read_object,
)


@dataclass(frozen=True)
class Override:
    """``contact_id`` is on call from ``start`` to ``end`` instead of ``covers`` (or anyone)."""

    override_id: str
    schedule_id: str
    contact_id: str
    start: datetime
    end: datetime
    covers: str | None = None
    created_by: str | None = None

    def applies(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


PLAYBOOK_AUTHOR = "playbook"  # ``created_by`` of the overrides a playbook declares


def parse_planned_overrides(
    document: Any, path: str, schedule_id: str, timezone: str, members: Sequence[str]
) -> tuple[Override, ...]:
    """The ``overrides`` a schedule declares; every error at once, each at its path."""
    found = Collector()
    items = read_list(document, path)
    overrides = [
        found.read(
            partial(
                _parse_override, item, f"{path}[{index}]", index, schedule_id, timezone, members
            ),
            None,
        )
        for index, item in enumerate(items)
    ]
    names = [override.override_id for override in overrides if override is not None]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        found.errors.append(InvalidPolicy(path, f"two overrides have the id {repeated[0]!r}"))
    found.check()
    return tuple(override for override in overrides if override is not None)


def _parse_override(
    document: Any, path: str, index: int, schedule_id: str, timezone: str, members: Sequence[str]
) -> Override:
    fields = read_object(
        document, path, required={"contact", "from", "to"}, optional={"covers", "id"}
    )
    start = read_instant(fields["from"], f"{path}.from", timezone).astimezone(UTC)
    end = read_instant(fields["to"], f"{path}.to", timezone).astimezone(UTC)
    if end <= start:
        raise InvalidPolicy(f"{path}.to", "must be after 'from'")
    covers = None
    if fields.get("covers") is not None:
        covers = read_identifier(fields["covers"], f"{path}.covers")
        if covers not in members:
            raise InvalidPolicy(f"{path}.covers", f"{covers} is not a member of any layer")
    name = f"playbook-{index + 1}"
    if fields.get("id") is not None:
        name = read_identifier(fields["id"], f"{path}.id")
    return Override(
        override_id=name,
        schedule_id=schedule_id,
        contact_id=read_identifier(fields["contact"], f"{path}.contact"),
        start=start,
        end=end,
        covers=covers,
        created_by=PLAYBOOK_AUTHOR,
    )
