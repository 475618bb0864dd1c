"""The dispatcher claims a batch's jobs in one ledger call before sending any, and closes what
AWS accepted in one call at the end of the round, even when the round fails part-way; so one
crash leaves at most one batch's outcomes unknown (docs/ARCHITECTURE.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from chalicelib.core.messaging.ports import Claim
from chalicelib.core.model import (
    Channel,
    Message,
    NotificationJob,
    SendReceipt,
    TimelineEntry,
)
from fakes import MemoryIncidentStore, MemorySendLedger, MemoryWorld, RecordingChannel
from tests.unit.conftest import NIGHT
from tests.unit.test_dispatcher import INCIDENT_ID, job, open_incident

PEOPLE = ("c-ada", "c-chen", "c-fay")


class CountingLedger(MemorySendLedger):
    def __init__(self, incidents: MemoryIncidentStore) -> None:
        super().__init__(incidents)
        self.batches: list[tuple[str, int]] = []

    def claim_all(
        self, jobs: Sequence[NotificationJob], now: datetime, stale_before: datetime
    ) -> list[Claim]:
        self.batches.append(("claim_all", len(jobs)))
        return super().claim_all(jobs, now, stale_before)

    def mark_all_sent(
        self, sent: Sequence[tuple[NotificationJob, SendReceipt, TimelineEntry]], now: datetime
    ) -> None:
        self.batches.append(("mark_all_sent", len(sent)))
        super().mark_all_sent(sent, now)


class Crashing(RecordingChannel):
    """Accepts ``accepted`` messages, then fails as no SendError would (a bug, a kill)."""

    def __init__(self, accepted: int) -> None:
        super().__init__(Channel.SMS)
        self.accepted = accepted

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        if len(self.sent) == self.accepted:
            raise RuntimeError("the invocation dies here")
        return super().send(destination, message, incident_id)


def test_a_batch_is_claimed_in_one_call_and_closed_in_one() -> None:
    org = MemoryWorld.example(NIGHT, ledger=CountingLedger)
    open_incident(org)
    jobs = [job(person, channel) for person in PEOPLE for channel in (Channel.SMS, Channel.EMAIL)]
    report = org.dispatcher.dispatch(INCIDENT_ID, jobs)
    assert report.sent == 6 and not report.unrecorded
    assert isinstance(org.ledger, CountingLedger)
    assert org.ledger.batches == [("claim_all", 6), ("mark_all_sent", 6)]
    assert {org.ledger.status(each) for each in jobs} == {"sent"}


def test_a_round_that_fails_part_way_still_closes_what_aws_accepted() -> None:
    org = MemoryWorld.example(NIGHT, senders={Channel.SMS: Crashing(accepted=2)})
    open_incident(org)
    jobs = [job(person) for person in PEOPLE]
    with pytest.raises(RuntimeError):
        org.dispatcher.dispatch(INCIDENT_ID, jobs)
    assert [org.ledger.status(each) for each in jobs] == ["sent", "sent", "sending"]


class Killed(BaseException):
    """The Lambda instance dies (no handler catches it, no code runs after it)."""


def test_a_crash_mid_batch_leaves_at_most_the_batch_unknown_each_said_once() -> None:
    from chalicelib.core import checkpoints
    from fakes.world import CLAIM_TIMEOUT

    org = MemoryWorld.example(NIGHT)
    open_incident(org)
    jobs = [job(person, channel) for person in PEOPLE for channel in (Channel.SMS, Channel.EMAIL)]
    accepted = []

    def die_at_the_fourth_acceptance(name: str) -> None:
        if name == checkpoints.CHANNEL_ACCEPTED:
            accepted.append(name)
            if len(accepted) == 4:
                raise Killed(name)

    checkpoints.install_hook(die_at_the_fourth_acceptance)
    try:
        with pytest.raises(Killed):
            org.dispatcher.dispatch(INCIDENT_ID, jobs)
    finally:
        checkpoints.install_hook(None)
    # Nothing of the batch was closed: all six claims are open, four of them already sent.
    assert [org.ledger.status(each) for each in jobs] == ["sending"] * 6
    assert len(org.sent()) == 4
    org.clock.advance(CLAIM_TIMEOUT + timedelta(seconds=1))
    again = org.dispatcher.dispatch(INCIDENT_ID, jobs)
    assert again.sent == 6 and again.unknown_outcomes == 6  # the batch, and no more
    unknown = [e for e in org.incidents.timeline(INCIDENT_ID) if e.kind == "outcome_unknown"]
    assert len(unknown) == 6  # each said once on the timeline
    assert len(org.sent()) - 6 == 4 <= again.unknown_outcomes  # twice: within the unknown
