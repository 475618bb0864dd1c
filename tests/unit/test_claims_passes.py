"""The people's passes (link, reply code) are registered with the first jobs claimed, before any
message is sent; a ledger that cannot take them in its own write has them registered first."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.core.messaging.claims import Claims
from chalicelib.core.model import Channel, NotificationJob
from fakes import MemoryWorld
from tests.unit.test_notifier import opened


def test_passes_are_registered_with_the_first_jobs_claimed_and_only_then(
    org: MemoryWorld,
) -> None:
    incident = opened(org, "crisis-cell")
    jobs = [NotificationJob(incident.incident_id, c, Channel.SMS) for c in ("c-ada", "c-bo")]
    acks, passes = org.links.for_jobs(incident, jobs, {"c-ada", "c-bo"}, org.clock.now())
    assert sorted(acks) == ["c-ada", "c-bo"]
    assert org.responders.find(incident.incident_id, "c-ada") is None  # not yet: not claimed
    claims = Claims(org.ledger, org.incidents, org.clock, timedelta(minutes=2), passes, org.links)
    assert claims.claim_all([]) == []  # nothing to claim in a round: the passes wait
    assert org.responders.find(incident.incident_id, "c-ada") is None
    assert claims.claim_all(jobs[:1]) == [True]  # the first claims: the passes with them
    assert [org.responders.find(incident.incident_id, c) for c in ("c-ada", "c-bo")] == passes
    assert claims.passes == []  # once
