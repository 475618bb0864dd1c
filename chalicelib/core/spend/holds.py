"""Deciding about held messages: list the holds, release one (its messages are sent, once) or
cancel it (none is ever sent); resolving an incident cancels its hold.

    held ──release──▶ released ─▶ its messages queued, each marked with the hold ─▶ queued
      └───cancel───▶ cancelled ─▶ its ledger items 'held' -> 'cancelled'

Releasing moves the hold first, so a release and a cancel racing each other cannot both win. A
release that died before its messages were queued is finished by releasing again (the ledger
sends each message once); a hold released and queued, or cancelled, refuses both (409).
"""

from __future__ import annotations

from chalicelib.core.errors import Conflict, Forbidden, NotFound
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore
from chalicelib.core.spend.notes import resolved_entry, settled_entry
from chalicelib.core.spend.ports import Hold, HoldState, HoldStore, PageQueue


class HoldDesk:
    def __init__(
        self,
        holds: HoldStore,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        directory: ContactDirectory,
        queue: PageQueue,
        clock: Clock,
    ) -> None:
        self._holds = holds
        self._incidents = incidents
        self._playbooks = playbooks
        self._directory = directory
        self._queue = queue
        self._clock = clock

    def recent(self, state: HoldState | None = HoldState.HELD, limit: int = 100) -> list[Hold]:
        """Newest first. A hold nothing was added to (its incident resolved, or its invocation
        died, between opening it and holding) is not shown: there is nothing to decide."""
        return [hold for hold in self._holds.recent(state, limit) if hold.count]

    def release(self, hold_id: str, by: str, via: str) -> Hold:
        """Send what the hold holds, once. ``by``: the contact deciding (the release role)."""
        hold = self._found(hold_id)
        self._require_release_role(by)
        now = self._clock.now()
        if hold.state is HoldState.CANCELLED:
            raise Conflict(
                f"hold {hold_id} was cancelled{_when(hold)}: its messages will not be sent"
            )
        if hold.state is HoldState.RELEASED and hold.queued:
            raise Conflict(
                f"hold {hold_id} was already released{_when(hold)}; nothing is sent again"
            )
        if hold.state is HoldState.HELD:
            settled = self._holds.settle(hold_id, HoldState.RELEASED, by, now)
            if settled is None:
                return self._lost_race(hold_id, "released")
            self._incidents.append(
                hold.incident_id, [settled_entry(settled, by, via, released=True, now=now)]
            )
            hold = settled
        jobs = self._holds.held_jobs(hold_id)
        if jobs:
            self._queue.put_jobs(jobs)
        self._holds.mark_queued(hold_id, now)
        return self._found(hold_id)

    def cancel(self, hold_id: str, by: str, via: str) -> Hold:
        """None of the hold's messages is ever sent."""
        hold = self._found(hold_id)
        self._require_release_role(by)
        if hold.state is HoldState.CANCELLED:
            raise Conflict(f"hold {hold_id} was already cancelled{_when(hold)}")
        if hold.state is HoldState.RELEASED:
            raise Conflict(
                f"hold {hold_id} was released{_when(hold)}: its messages are sent or on their way"
            )
        now = self._clock.now()
        settled = self._holds.settle(hold_id, HoldState.CANCELLED, by, now)
        if settled is None:
            return self._lost_race(hold_id, "cancelled")
        self._holds.cancel_messages(hold_id, now)
        entry = settled_entry(settled, by, via, released=False, now=now)
        self._incidents.append(settled.incident_id, [entry])
        return settled

    def cancel_for_resolution(self, incident_id: str) -> Hold | None:
        """The incident is resolved: what it still holds is cancelled. Safe to repeat."""
        hold_id = self._holds.open_for(incident_id)
        if hold_id is None:
            return None
        now = self._clock.now()
        settled = self._holds.settle(hold_id, HoldState.CANCELLED, "resolution", now)
        if settled is None:
            return None  # settled by a person meanwhile
        self._holds.cancel_messages(hold_id, now)
        self._incidents.append(incident_id, [resolved_entry(settled, now)])
        return settled

    def _found(self, hold_id: str) -> Hold:
        hold = self._holds.get(hold_id)
        if hold is None:
            raise NotFound(f"no hold {hold_id!r}")
        return hold

    def _lost_race(self, hold_id: str, meant: str) -> Hold:
        hold = self._found(hold_id)
        raise Conflict(f"hold {hold_id} was {hold.state.value} meanwhile{_when(hold)}; not {meant}")

    def _require_release_role(self, contact_id: str) -> None:
        role = self._playbooks.load().spending.budget.release_role
        contact = self._directory.get_contacts([contact_id]).get(contact_id)
        if contact is None:
            raise Forbidden(f"{contact_id} is not a contact; only a person can release or cancel")
        if role is not None and role not in contact.roles:
            raise Forbidden(f"{contact_id} does not hold the release role {role!r}")


def _when(hold: Hold) -> str:
    when = f" at {hold.settled_at:%Y-%m-%d %H:%M} UTC" if hold.settled_at else ""
    return when + (f" by {hold.settled_by}" if hold.settled_by else "")
