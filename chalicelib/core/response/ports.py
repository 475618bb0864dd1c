"""What answering needs: who was reached for an incident, and who owns a phone number."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chalicelib.core.model import (
    Channel,
    Contact,
)


class ReachedLedger(Protocol):
    def reached(self, incident_id: str) -> list[tuple[str, Channel]]:
        """(contact, channel) of every alert handed to AWS for the incident."""
        ...


class PhoneOwners(Protocol):
    """Who sent an SMS: the people with a number, and their opt-outs."""

    def owners_of(self, phone: str) -> list[str]: ...

    def opt_out(self, contact_id: str, channel: Channel) -> bool: ...

    def get_contacts(self, contact_ids: Sequence[str]) -> dict[str, Contact]: ...
