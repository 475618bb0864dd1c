"""Reach per channel, read from the timeline: every change of the send ledger is written with
its timeline entry in one transaction (``storage/ledger.py``), so the timeline is the ledger's
history. Only alerts count here (resolution notices, updates and approval requests do not).

A job is one alert to one person on one channel at one escalation step:
- planned: declared by the ``planned``, ``paged`` and ``escalated`` entries (``channels``), and
  one more for each fallback to a channel; never fewer than the jobs the timeline names;
- handed: a ``notification_sent`` entry; then delivered or failed by the last final receipt
  (``delivery_delivered``; ``delivery_failed``, ``_bounced``, ``_complained``), else unknown
  (no receipt, or only ``delivery_delayed``);
- failed: refused by AWS when sending (``notification_failed``, never sent after), or a
  failure receipt after it was handed over; the reason is AWS's code or the receipt's words;
- not sent: planned but neither handed over nor refused (held past the budget, cancelled once
  someone acknowledged, still queued).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.core.messaging.uncertain import OUTCOME_UNKNOWN
from chalicelib.core.model import Notice, TimelineEntry
from chalicelib.core.reports.figures import ChannelReach, Point

JobKey = tuple[str, str, int]  # contact, channel, step
_FAILURES = {"delivery_failed", "delivery_bounced", "delivery_complained"}
_DECLARING = {"planned", "paged", "escalated"}


@dataclass
class Job:
    contact_id: str
    channel: str
    handed_at: datetime | None = None
    refused: str | None = None  # AWS's error code when it refused the message
    receipt: str | None = None  # delivered | failed, by the last final receipt
    receipt_at: datetime | None = None
    reason: str | None = None  # why it failed (the receipt's words or the error code)

    @property
    def outcome(self) -> str:
        """delivered | failed | unknown | not_sent."""
        if self.handed_at is None:
            return "failed" if self.refused else "not_sent"
        return self.receipt or "unknown"


@dataclass
class Jobs:
    by_key: dict[JobKey, Job] = field(default_factory=dict)
    declared: Counter[str] = field(default_factory=Counter)

    def job(self, data: dict[str, object], channel_field: str = "channel") -> Job:
        key = (str(data["contact_id"]), str(data[channel_field]), _int(data.get("step", 0)))
        if key not in self.by_key:
            self.by_key[key] = Job(key[0], key[1])
        return self.by_key[key]

    def of(self, contact_id: str) -> list[Job]:
        return [job for (contact, _, _), job in self.by_key.items() if contact == contact_id]


def read_jobs(timeline: Sequence[TimelineEntry]) -> Jobs:
    jobs = Jobs()
    for entry in timeline:
        data = entry.data
        if entry.kind in _DECLARING and isinstance(data.get("channels"), dict):
            jobs.declared.update({str(k): _int(v) for k, v in data["channels"].items()})
        if not _is_alert(entry) or "contact_id" not in data:
            continue
        if entry.kind == "notification_sent" and "channel" in data:
            job = jobs.job(data)
            job.handed_at = job.handed_at or entry.at
        elif entry.kind == "notification_failed" and "channel" in data:
            jobs.job(data).refused = str(data.get("error") or "failed")
        elif entry.kind == "fallback" and "to" in data:
            jobs.job(data, "from")
            jobs.job({**data, "channel": data["to"]})
            jobs.declared[str(data["to"])] += 1
        elif entry.kind == OUTCOME_UNKNOWN and "channel" in data:
            jobs.job(data)
        elif entry.kind.startswith("delivery_") and "channel" in data:
            _receipt(jobs.job(data), entry)
    return jobs


def _receipt(job: Job, entry: TimelineEntry) -> None:
    if entry.kind == "delivery_delayed":
        return
    if job.receipt_at is not None and entry.at < job.receipt_at:
        return  # an older receipt arriving late changes nothing
    job.receipt_at = entry.at
    if entry.kind == "delivery_delivered":
        job.receipt, job.reason = "delivered", None
    elif entry.kind in _FAILURES:
        status = entry.kind.removeprefix("delivery_")
        job.receipt, job.reason = "failed", f"{status}: {entry.data.get('detail', '')}".strip()


def channel_reach(jobs: Jobs) -> tuple[ChannelReach, ...]:
    seen: dict[str, list[Job]] = defaultdict(list)
    for job in jobs.by_key.values():
        seen[job.channel].append(job)
    reach = []
    for channel in sorted(set(seen) | set(jobs.declared)):
        listed = seen.get(channel, [])
        outcomes = Counter(job.outcome for job in listed)
        failures = Counter(
            job.reason or job.refused or "failed" for job in listed if job.outcome == "failed"
        )
        planned = max(jobs.declared.get(channel, 0), len(listed))
        handed = sum(1 for job in listed if job.handed_at is not None)
        refused = sum(1 for job in listed if job.handed_at is None and job.refused)
        reach.append(
            ChannelReach(
                channel=channel,
                planned=planned,
                handed=handed,
                delivered=outcomes["delivered"],
                failed=outcomes["failed"],
                unknown=outcomes["unknown"],
                not_sent=planned - handed - refused,
                failures=dict(sorted(failures.items())),
            )
        )
    return tuple(reach)


def deliveries_over_time(jobs: Jobs, start: datetime) -> dict[str, tuple[Point, ...]]:
    """Per channel, the cumulative count of alerts delivered, at each receipt."""
    moments: dict[str, list[datetime]] = defaultdict(list)
    for job in jobs.by_key.values():
        if job.receipt == "delivered" and job.receipt_at is not None:
            moments[job.channel].append(job.receipt_at)
    return {
        channel: tuple(
            Point((at - start).total_seconds(), count)
            for count, at in enumerate(sorted(times), start=1)
        )
        for channel, times in sorted(moments.items())
    }


def _is_alert(entry: TimelineEntry) -> bool:
    return str(entry.data.get("notice", Notice.ALERT.value)) == Notice.ALERT.value


def _int(value: object) -> int:
    return value if isinstance(value, int) else int(str(value))
