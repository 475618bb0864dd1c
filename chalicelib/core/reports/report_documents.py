"""A report as JSON (the document the API answers), CSV and Markdown. Pure.

The CSV is long and flat, one figure a row (``section, subject, figure, value``), so every
figure of the JSON is in it and a spreadsheet can pivot it; a cell that a spreadsheet would
run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) starts with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from chalicelib.core.reports.drill_change import DrillChange, Unit
from chalicelib.core.reports.figures import AckStats, GroupConfirmation, Report
from chalicelib.core.reports.targets import TargetResult, all_passed


def duration_text(seconds: float | None) -> str:
    """``1h 02m 05s``, ``4m 30s``, ``12s``, ``0.4s``; ``-`` for nothing."""
    if seconds is None:
        return "-"
    if 0 < abs(seconds) < 10 and seconds != int(seconds):
        return f"{seconds:.1f}s"  # a local stack's answers come within the second
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def figure_text(unit: Unit, value: float | None) -> str:
    """A compared figure as people read it: ``3``, ``75%``, ``4m 10s``; ``-`` for nothing."""
    if value is None:
        return "-"
    if unit == Unit.SHARE:  # the page passes the plain value
        return f"{value:.0%}"
    return duration_text(value) if unit == Unit.SECONDS else f"{value:g}"


def change_document(change: DrillChange | None) -> dict[str, Any] | None:
    if change is None:
        return None
    return {
        "previous_drill_id": change.previous_drill_id,
        "previous_incident_id": change.previous_incident_id,
        "previous_started_at": change.previous_started_at,
        "figures": [
            {
                "figure": f.figure,
                "unit": f.unit.value,
                "previous": f.previous,
                "now": f.now,
                "change": f.change,
            }
            for f in change.figures
        ],
    }


def target_document(r: TargetResult) -> dict[str, Any]:
    return {
        "role": r.target.role,
        "share": r.target.share,
        "within_seconds": r.target.within_seconds,
        "asked": r.asked,
        "in_time": r.in_time,
        "needed": r.needed,
        "achieved_share": r.achieved,
        "reached_after_seconds": r.reached_after,
        "verdict": r.verdict.value,
        "passed": r.passed,
    }


def report_document(
    report: Report, results: Sequence[TargetResult] = (), change: DrillChange | None = None
) -> dict[str, Any]:
    t = report.timings
    overall = all_passed(results)
    return {
        "incident_id": report.incident_id,
        "title": report.title,
        "type": report.type,
        "severity": report.severity,
        "status": report.status,
        "exercise": report.exercise,
        "plan_id": report.plan_id,
        "drill_id": report.drill_id,
        "timings": {
            "triggered_at": t.triggered_at.isoformat(),
            **{
                name: _iso(at)
                for name, at in (
                    ("decided_at", t.decided_at),
                    ("first_message_at", t.first_message_at),
                    ("last_message_at", t.last_message_at),
                    ("first_acknowledged_at", t.first_acknowledged_at),
                    ("resolved_at", t.resolved_at),
                )
            },
            "seconds_to_decision": t.since_trigger(t.decided_at),
            "seconds_to_first_message": t.since_trigger(t.first_message_at),
            "seconds_to_last_message": t.since_trigger(t.last_message_at),
            "seconds_to_first_acknowledgement": t.since_trigger(t.first_acknowledged_at),
            "seconds_to_resolution": t.since_trigger(t.resolved_at),
        },
        "reach": [
            {
                "channel": r.channel,
                "planned": r.planned,
                "handed_to_aws": r.handed,
                "delivered": r.delivered,
                "failed": r.failed,
                "unknown": r.unknown,
                "not_sent": r.not_sent,
                "failures": r.failures,
            }
            for r in report.reach
        ],
        "confirmation": {
            "everyone": _group(report.overall),
            "roles": [_group(g) for g in report.roles],
            "teams": [_group(g) for g in report.teams],
        },
        "people": [
            {
                "contact_id": p.contact_id,
                "roles": list(p.roles),
                "teams": list(p.teams),
                "confirmation": p.confirmation.value,
                "first_alert_at": _iso(p.first_alert_at),
                "answered_at": _iso(p.answered_at),
                "seconds_to_acknowledge": p.seconds_to_acknowledge,
                "reached_on": list(p.reached_on),
                "unreachable": list(p.unreachable),
                "not_counted": list(p.not_counted),
            }
            for p in report.people
        ],
        "never_answered": [p.contact_id for p in report.never_answered],
        "escalations": [
            {"at": e.at.isoformat(), "step": e.step, "outcome": e.outcome, "paged": list(e.paged)}
            for e in report.escalations
        ],
        "approvals": [
            {
                "at": a.at.isoformat(),
                "contact_id": a.contact_id,
                "outcome": a.outcome,
                "seconds_waited": a.seconds_waited,
            }
            for a in report.approvals
        ],
        "statements": [
            {
                "statement_id": s.statement_id,
                "audience": s.audience,
                "language": s.language,
                "kind": s.kind,
                "drafted_at": _iso(s.drafted_at),
                "approved_at": _iso(s.approved_at),
                "published_at": _iso(s.published_at),
                "sent": [{"outlet": o, "at": at.isoformat()} for o, at in s.sent],
            }
            for s in report.statements
        ],
        "targets": [target_document(r) for r in results],
        "drill_verdict": overall.value if overall else None,
        "since_previous_drill": change_document(change),
        "charts": {
            "acknowledgements_over_time": [
                [p.seconds, p.value] for p in report.acknowledgements_over_time
            ],
            "deliveries_over_time": {
                c: [[p.seconds, p.value] for p in points]
                for c, points in report.deliveries_over_time.items()
            },
        },
    }


def _group(group: GroupConfirmation) -> dict[str, Any]:
    return {
        "name": group.name,
        "asked": group.asked,
        "acknowledged": group.acknowledged,
        "declined": group.declined,
        "silent": group.silent,
        **_times(group.times),
    }


def _times(times: AckStats) -> dict[str, Any]:
    return {
        "median_seconds_to_acknowledge": times.median,
        "p90_seconds_to_acknowledge": times.p90,
        "slowest_seconds_to_acknowledge": times.slowest,
    }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def report_csv(
    report: Report, results: Sequence[TargetResult] = (), change: DrillChange | None = None
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["section", "subject", "figure", "value"])
    for row in _rows(report_document(report, results, change)):
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def _rows(document: dict[str, Any]) -> Iterator[tuple[str, str, str, str]]:
    for name in ("incident_id", "title", "type", "severity", "status", "exercise", "plan_id"):
        yield "incident", document["incident_id"], name, _cell(document[name])
    for name, value in document["timings"].items():
        yield "timings", document["incident_id"], name, _cell(value)
    for reach in document["reach"]:
        for name, value in reach.items():
            if name == "failures":
                for reason, count in value.items():
                    yield "reach", reach["channel"], f"failed: {reason}", str(count)
            elif name != "channel":
                yield "reach", reach["channel"], name, _cell(value)
    everyone = document["confirmation"]["everyone"]
    for name, value in everyone.items():
        if name != "name":
            yield "confirmation", "everyone", name, _cell(value)
    for section in ("roles", "teams"):
        for group in document["confirmation"][section]:
            for name, value in group.items():
                if name != "name":
                    yield section[:-1], group["name"], name, _cell(value)
    for person in document["people"]:
        for name, value in person.items():
            if name != "contact_id":
                yield "person", person["contact_id"], name, _cell(value)
    for step in document["escalations"]:
        yield "escalation", str(step["step"]), step["outcome"], step["at"]
    for approval in document["approvals"]:
        yield "approval", approval["contact_id"] or "", approval["outcome"], approval["at"]
    for s in document["statements"]:
        for name in ("drafted_at", "approved_at", "published_at"):
            yield "statement", s["statement_id"], name, _cell(s[name])
    for target in document["targets"]:
        subject = target["role"] or "roster"
        yield "target", subject, "verdict", target["verdict"]
        yield "target", subject, "passed", _cell(target["passed"])
        yield "target", subject, "in_time", f"{target['in_time']} of {target['asked']}"
        yield "target", subject, "achieved_share", _cell(target["achieved_share"])
        yield "target", subject, "reached_after_seconds", _cell(target["reached_after_seconds"])
    if document["drill_verdict"] is not None:
        yield "drill", document["drill_id"] or "", "verdict", document["drill_verdict"]
    change = document["since_previous_drill"]
    if change is not None:
        previous = change["previous_drill_id"]
        for f in change["figures"]:
            yield "since_previous_drill", previous, f"{f['figure']}: previous", _cell(f["previous"])
            yield "since_previous_drill", previous, f"{f['figure']}: now", _cell(f["now"])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
