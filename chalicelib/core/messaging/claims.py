"""One dispatch's claims in the send ledger, made before each message is sent.

    CLAIMED ─▶ send
    TAKEN_OVER ─▶ send, with an ``outcome_unknown`` entry on the timeline (it may arrive twice)
    BUSY (another invocation's claim is fresh) ─▶ kept aside, then put back on the queue once,
         delayed until that claim would be stale: never dropped (``uncertain.py``)
    DONE (sent, failed for good, held past the budget, cancelled) ─▶ nothing

The dispatcher makes one :class:`Claims` per dispatch and reads its counts into its report;
:func:`still_wanted` says whether a job is worth claiming at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.core.checkpoints import CLAIMED, RECORDED_SENT, checkpoint
from chalicelib.core.errors import TransientError
from chalicelib.core.messaging.passes import AckLinks, ResponderPass
from chalicelib.core.messaging.ports import (
    Claim,
    ClaimOutcome,
    DispatchQueue,
    SendLedger,
    batch_ledger,
    passing_ledger,
)
from chalicelib.core.messaging.uncertain import requeue_delay, taken_over_entry
from chalicelib.core.model import (
    Channel,
    Incident,
    IncidentStatus,
    Notice,
    NotificationJob,
    SendReceipt,
    Stop,
    TimelineEntry,
)
from chalicelib.core.ports import Clock, IncidentStore


@dataclass
class Claims:
    """``passes``: the people's passes, registered with the first jobs claimed (``links``
    registers them when the ledger cannot), so every link and reply code in a message works
    before it is sent."""

    ledger: SendLedger
    incidents: IncidentStore
    clock: Clock
    timeout: timedelta  # a claim older than this belongs to an invocation that died
    passes: list[ResponderPass] = field(default_factory=list)
    links: AckLinks | None = None
    taken_over: int = 0
    done: int = 0
    busy: list[tuple[NotificationJob, datetime]] = field(default_factory=list)  # (job, stale at)

    def claim(self, job: NotificationJob) -> bool:
        """Whether to send ``job`` now: claimed, or taken over (said on the timeline)."""
        now = self.clock.now()
        return self._note(job, self.ledger.claim(job, now, now - self.timeout), now)

    def claim_all(self, jobs: Sequence[NotificationJob]) -> list[bool]:
        """:meth:`claim` for each job, in as few ledger calls as the ledger allows (a batch
        ledger: one per 100 jobs): all claimed before any is sent, so one crash leaves at most
        these jobs' outcomes unknown."""
        now = self.clock.now()
        now = self.clock.now()
        passes: list[ResponderPass] = []
        if jobs:  # the passes go with the first jobs claimed, once
            passes, self.passes = self.passes, []
        stale = now - self.timeout
        if passes and passing_ledger(self.ledger):
            found = self.ledger.claim_all_registering(jobs, now, stale, passes)
        else:
            self._register(passes)
            found = (
                self.ledger.claim_all(jobs, now, stale)
                if batch_ledger(self.ledger)
                else [self.ledger.claim(job, now, stale) for job in jobs]
            )
        return [self._note(job, claim, now) for job, claim in zip(jobs, found, strict=True)]

    def _register(self, passes: list[ResponderPass]) -> None:
        if passes and self.links is not None:
            self.links.register(passes)

    def _note(self, job: NotificationJob, claim: Claim, now: datetime) -> bool:
        if claim.outcome is ClaimOutcome.TAKEN_OVER:
            assert claim.since is not None
            self.incidents.append(job.incident_id, [taken_over_entry(job, claim.since, now)])
            self.taken_over += 1
        elif claim.outcome is ClaimOutcome.BUSY:
            assert claim.since is not None
            self.busy.append((job, claim.since + self.timeout))
        elif claim.outcome is ClaimOutcome.DONE:
            self.done += 1
        if claim.granted:
            checkpoint(CLAIMED)
        return claim.granted

    def put_back(self, queue: DispatchQueue | None) -> tuple[int, list[NotificationJob]]:
        """The busy jobs back on ``queue`` until their claims are stale (if their invocation
        finishes, they are done then; if it died, they are taken over): how many went back,
        and the jobs that could not (without a queue: for the caller to retry)."""
        jobs = [job for job, _ in self.busy]
        if not jobs or queue is None:
            return 0, jobs
        queue.put_jobs(jobs, requeue_delay((at for _, at in self.busy), self.clock.now()))
        return len(jobs), []


RECORD_SENT_ATTEMPTS = 3  # each one the SDK's own attempts


def record_sent(
    ledger: SendLedger, job: NotificationJob, receipt: SendReceipt, entry: TimelineEntry
) -> None:
    """Close a claim whose message AWS accepted. This write is all that keeps the message
    from going out again, and the invocation knows the outcome: a transient failure is tried
    again (the write sets the same values, so a try that landed unseen is harmless) before
    the job is given up to a takeover, which sends it twice. Found by the fault harness: one
    failed write, after the SDK's retries, sent a message twice whose outcome was known."""
    for attempt in range(RECORD_SENT_ATTEMPTS):
        try:
            ledger.mark_sent(job, receipt, entry.at, entry)
            return
        except TransientError:
            if attempt + 1 == RECORD_SENT_ATTEMPTS:
                raise


def record_all_sent(
    ledger: SendLedger,
    sent: Sequence[tuple[NotificationJob, SendReceipt, TimelineEntry]],
    now: datetime,
) -> None:
    """:func:`record_sent` for many (a batch ledger: 33 a transaction), tried as often; a
    write given up leaves its jobs to a takeover, each said on the timeline."""
    if not batch_ledger(ledger):
        for job, receipt, entry in sent:
            record_sent(ledger, job, receipt, entry)
    else:
        for attempt in range(RECORD_SENT_ATTEMPTS):
            try:
                ledger.mark_all_sent(sent, now)
                break
            except TransientError:
                if attempt + 1 == RECORD_SENT_ATTEMPTS:
                    raise
    checkpoint(RECORDED_SENT)


def still_wanted(job: NotificationJob, incident: Incident) -> bool:
    """Alerts go out while the incident is open, and escalation steps only until someone
    acknowledged; resolution notices only once it is resolved; updates (and reminders that
    one is due) while it is open; pages about held messages whatever the incident's state
    (they are about every incident of the hour). Nothing goes to the stakeholder topic here:
    only approved statements reach audiences (the statement desk), so a broadcast job
    (queued before statements existed) is dropped. A drill's incident sends to its roster
    only: every message of every kind passes here, so this one check is the guarantee."""
    if job.channel is Channel.BROADCAST:
        return False
    if incident.roster is not None and job.contact_id not in incident.roster:
        return False
    if job.notice is Notice.BUDGET:
        return True
    if job.notice is Notice.APPROVAL:  # asks to approve only while the gate still waits
        return incident.status is IncidentStatus.AWAITING_APPROVAL
    if job.notice is Notice.RESOLVED:
        return incident.status is IncidentStatus.RESOLVED
    if job.notice in (Notice.UPDATE, Notice.UPDATE_DUE):  # its step numbers the update
        return incident.status is IncidentStatus.OPEN
    if incident.status is not IncidentStatus.OPEN:
        return False
    return job.step == 0 or incident.response.stopped is not Stop.ACKNOWLEDGED
