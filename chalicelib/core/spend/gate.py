"""The budget gate: every message is counted before it is sent, and past the budget it is held.

    ready messages ─▶ priced ─▶ released from a hold? ───────────────────────▶ sent
                              ─▶ a page about held messages ─▶ the reserve ─▶ sent (or refused)
                              ─▶ the channel's budget this hour ─▶ fits ─────▶ sent
                                                                ─▶ past it ─▶ release role paged
                                                                              (once an hour),
                                                                              then held

The page is queued before the messages are held: a crash between the two leaves their ledger
claims in 'sending', so the redelivered batch takes them over once they are stale
(``messaging/claims.py``) and counts, pages (the ledger sends the page once) and holds again.
Counting is one atomic, conditional update per meter and window (:class:`SpendCounters`), so
any number of dispatchers together never pass the budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.core.errors import TransientError
from chalicelib.core.model import Channel, Incident, Message, Notice, NotificationJob
from chalicelib.core.playbook.budget import Budget, ChannelBudget
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore
from chalicelib.core.spend.meter import Charge, charge, hour_of
from chalicelib.core.spend.notes import held_entry, page_entry, unreleasable_entry
from chalicelib.core.spend.ports import (
    MAX_HELD_PER_ADD,
    AddOutcome,
    HeldMessage,
    HoldStore,
    PageQueue,
    SpendCounters,
    Take,
)

_ATTEMPTS = 5


@dataclass(frozen=True)
class Outgoing:
    """A message claimed in the ledger and rendered, ready to go."""

    job: NotificationJob
    destination: str
    message: Message


@dataclass(frozen=True)
class Cleared:
    outgoing: Outgoing
    charge: Charge

    @property
    def job(self) -> NotificationJob:
        return self.outgoing.job


@dataclass
class Admission:
    cleared: list[Cleared] = field(default_factory=list)
    held: int = 0
    refused: list[tuple[Outgoing, str]] = field(default_factory=list)  # reserve spent: why


class SpendGate:
    """Lets through what the budget allows, holds the rest, and pages the release role."""

    def __init__(
        self,
        playbooks: PlaybookSource,
        counters: SpendCounters,
        holds: HoldStore,
        directory: ContactDirectory,
        queue: PageQueue,
        incidents: IncidentStore,
        clock: Clock,
    ) -> None:
        self._playbooks = playbooks
        self._counters = counters
        self._holds = holds
        self._directory = directory
        self._queue = queue
        self._incidents = incidents
        self._clock = clock

    def admit(self, incident: Incident, ready: Sequence[Outgoing]) -> Admission:
        admission = Admission()
        if not ready:
            return admission
        spending = self._playbooks.load().spending  # the budget and prices in force
        budget = spending.budget
        now = self._clock.now()
        window = hour_of(now)
        priced = [
            Cleared(item, charge(item.job.channel, item.destination, item.message, spending.prices))
            for item in ready
        ]
        meters: dict[tuple[str, Channel], list[int]] = {}
        passed: set[int] = set()
        for index, item in enumerate(priced):
            job = item.job
            if job.hold is not None:
                passed.add(index)  # released by a person: not counted against the budget
                continue
            kind = "reserve" if job.notice is Notice.BUDGET else "budget"
            meters.setdefault((kind, job.channel), []).append(index)
        held: list[int] = []
        takes = [
            Take(
                f"{kind}#{channel.value}",
                [priced[index].charge.units for index in indexes],
                ChannelBudget(budget.reserve) if kind == "reserve" else budget.limit(channel),
            )
            for (kind, channel), indexes in meters.items()
        ]
        counted = self._counters.take_all(window, takes) if takes else []
        for ((kind, channel), indexes), granted in zip(meters.items(), counted, strict=True):
            passed.update(indexes[:granted])
            if kind == "budget":
                held += indexes[granted:]
                continue
            why = f"the reserve of {budget.reserve} {channel.value} messages an hour is spent"
            admission.refused += [(priced[index].outgoing, why) for index in indexes[granted:]]
        if held:
            admission.held = self._hold(incident, [priced[i] for i in sorted(held)], budget, now)
        admission.cleared = [priced[index] for index in sorted(passed)]
        return admission

    def _hold(self, incident: Incident, items: list[Cleared], budget: Budget, now: datetime) -> int:
        self._page(incident, budget, now)
        held = 0
        for start in range(0, len(items), MAX_HELD_PER_ADD):
            chunk = items[start : start + MAX_HELD_PER_ADD]
            held += self._hold_chunk(incident, chunk, budget, now)
        return held

    def _hold_chunk(
        self, incident: Incident, items: list[Cleared], budget: Budget, now: datetime
    ) -> int:
        messages = [HeldMessage(item.job, item.charge) for item in items]
        alerts = any(item.job.notice is Notice.ALERT for item in items)
        for _ in range(_ATTEMPTS):
            hold_id = self._holds.open_hold(incident.incident_id, now)
            entry = held_entry(hold_id, messages, budget, hour_of(now), now)
            outcome = self._holds.add(hold_id, incident.incident_id, messages, entry, alerts)
            if outcome is AddOutcome.ADDED:
                return len(messages)
            if outcome is AddOutcome.INCIDENT_CLOSED:
                return 0  # resolved meanwhile: its alerts are no longer wanted, nor held
        raise TransientError(f"incident {incident.incident_id}: holds kept changing; will retry")

    def _page(self, incident: Incident, budget: Budget, now: datetime) -> None:
        """Page the release role, once a window, from the first incident that holds anything."""
        window = hour_of(now)
        if budget.release_role is None:
            self._incidents.append(incident.incident_id, [unreleasable_entry(window, now)])
            return
        if self._counters.claim_page(window, incident.incident_id) != incident.incident_id:
            return
        people = self._directory.members([budget.release_role])
        jobs = [
            NotificationJob(incident.incident_id, person.contact_id, channel, notice=Notice.BUDGET)
            for person in sorted(people, key=lambda person: person.contact_id)
            for channel in budget.release_channels
            if person.unreachable_on(channel) is None
        ]
        if jobs:
            self._queue.put_jobs(jobs)
        entry = page_entry(budget.release_role, len(people), jobs, window, now)
        self._incidents.append(incident.incident_id, [entry])
