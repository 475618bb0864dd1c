"""The playbook's ``settings`` section: how long Tocsin keeps each kind of record.

    settings:
      - id: retention
        incidents: 400d   # an incident with its timeline, send ledger and responders, together
        events: 90d       # received events and their decisions
        links: 30d        # link and reply-code lookups, after the link stops working
        message_ids: 30d  # AWS message id -> send ledger, for delivery events
        audit: 731d       # who read, saved or erased a contact

Every period is optional; an absent one keeps its default (below, and in policies/README.md).
All records of one incident carry the same expiry: the incident's, set when it opens from the
playbook version it starts with, so DynamoDB never deletes half an incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.errors import InvalidPolicies, InvalidPolicy
from chalicelib.core.fields import read_duration, read_identifier, read_object

RETENTION_ID = "retention"
# An incident must outlive the crisis it records: its expiry counts from when it opened.
MIN_INCIDENT_RETENTION = timedelta(days=30)
# The audit trail must outlive what it accounts for (a data subject may ask a year later).
MIN_AUDIT_RETENTION = timedelta(days=90)
MINIMUM = {"incidents": MIN_INCIDENT_RETENTION, "audit": MIN_AUDIT_RETENTION}  # others: 1d


@dataclass(frozen=True)
class Retention:
    """How long each kind of record is kept. The defaults are what an unconfigured Tocsin keeps."""

    incidents: timedelta = timedelta(days=400)
    events: timedelta = timedelta(days=90)
    links: timedelta = timedelta(days=30)
    message_ids: timedelta = timedelta(days=30)
    audit: timedelta = timedelta(days=731)

    def incident_expiry(self, opened_at: datetime) -> datetime:
        """When an incident opened at ``opened_at``, and every record of it, is gone."""
        return opened_at + self.incidents

    def describe(self) -> dict[str, str]:
        return {item.name: f"{getattr(self, item.name).days}d" for item in fields(self)}


KINDS = tuple(item.name for item in fields(Retention))


def parse_settings(documents: Sequence[Any], path: str = "settings") -> Retention:
    """The settings documents (only ``retention`` exists today), each at most once."""
    retention = Retention()
    seen: set[str] = set()
    errors: list[InvalidPolicy] = []
    for index, document in enumerate(documents):
        where = f"{path}[{index}]"
        try:
            fields_ = read_object(document, where, required={"id"}, optional=set(KINDS))
            settings_id = read_identifier(fields_["id"], f"{where}.id")
            if settings_id != RETENTION_ID:
                raise InvalidPolicy(
                    f"{where}.id", f"unknown settings {settings_id!r}; expected {RETENTION_ID!r}"
                )
            if settings_id in seen:
                raise InvalidPolicy(f"{where}.id", f"duplicate id {settings_id!r}")
            seen.add(settings_id)
            retention = _retention(fields_, where)
        except InvalidPolicies as invalid:
            errors += invalid.errors
        except InvalidPolicy as invalid:
            errors.append(invalid)
    if errors:
        raise InvalidPolicies(errors)
    return retention


def _retention(document: Any, path: str) -> Retention:
    periods: dict[str, timedelta] = {}
    errors: list[InvalidPolicy] = []
    for kind in KINDS:
        if kind not in document:
            continue
        try:
            period = read_duration(document[kind], f"{path}.{kind}")
        except InvalidPolicy as invalid:
            errors.append(invalid)
            continue
        minimum = MINIMUM.get(kind, timedelta(days=1))
        if period < minimum:
            errors.append(InvalidPolicy(f"{path}.{kind}", f"must be at least {minimum.days}d"))
        periods[kind] = period
    if errors:
        raise InvalidPolicies(errors)
    return Retention(**periods)
