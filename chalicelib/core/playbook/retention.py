"""The ``retention`` document of the playbook's ``settings``: how long Tocsin keeps each kind of
record (policies/settings.yaml). Pure.

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

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.errors import InvalidPolicies, InvalidPolicy
from chalicelib.core.fields import read_duration, read_object

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


def parse_retention(document: Any, where: str) -> Retention:
    """One ``retention`` document; every bad period is reported at once."""
    found = read_object(document, where, required={"id"}, optional=set(KINDS))
    periods: dict[str, timedelta] = {}
    errors: list[InvalidPolicy] = []
    for kind in KINDS:
        if kind not in found:
            continue
        try:
            period = read_duration(found[kind], f"{where}.{kind}")
        except InvalidPolicy as invalid:
            errors.append(invalid)
            continue
        minimum = MINIMUM.get(kind, timedelta(days=1))
        if period < minimum:
            errors.append(InvalidPolicy(f"{where}.{kind}", f"must be at least {minimum.days}d"))
        periods[kind] = period
    if errors:
        raise InvalidPolicies(errors)
    return Retention(**periods)
