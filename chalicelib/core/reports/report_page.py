"""A report as an HTML page with inline SVG charts and no scripts, and as Markdown. Pure.

Rendered by Jinja2 with autoescape on and undefined names an error: titles, summaries and
reasons are text, never markup. Every chart has a title and a description, and the same
numbers in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from chalicelib.core.reports.charts import Chart, bar_chart, step_chart
from chalicelib.core.reports.drill_change import DrillChange, Unit
from chalicelib.core.reports.figures import Report
from chalicelib.core.reports.report_documents import duration_text, figure_text, report_document
from chalicelib.core.reports.targets import TargetResult

_TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def stylesheet() -> str:
    return (_TEMPLATES / "style.css").read_text(encoding="utf-8")


def report_charts(report: Report) -> tuple[Chart, Chart, Chart]:
    acks = [(p.seconds, float(p.value)) for p in report.acknowledgements_over_time]
    acknowledged = step_chart(
        "acks",
        "Acknowledgements over time",
        f"Cumulative acknowledgements after the trigger: {len(acks)} of "
        f"{report.overall.asked} people asked.",
        {"acknowledged": acks},
        "time after the trigger",
        duration_text,
    )
    deliveries = step_chart(
        "deliveries",
        "Deliveries per channel over time",
        "Cumulative alerts delivered per channel after the trigger: "
        + (
            ", ".join(f"{c} {len(p)}" for c, p in report.deliveries_over_time.items())
            or "no delivery receipts"
        )
        + ".",
        {
            c: [(p.seconds, float(p.value)) for p in points]
            for c, points in report.deliveries_over_time.items()
        },
        "time after the trigger",
        duration_text,
    )
    roles = [g for g in report.roles if g.times.count]
    by_role = bar_chart(
        "by-role",
        "Time to acknowledge per role",
        "Median, p90 and slowest time to acknowledge for each role with acknowledgements: "
        + (
            "; ".join(f"{g.name} median {duration_text(g.times.median)}" for g in roles)
            or "nobody acknowledged"
        )
        + ".",
        [
            (
                g.name,
                [("median", g.times.median), ("p90", g.times.p90), ("slowest", g.times.slowest)],
            )
            for g in roles
        ],
        "time to acknowledge",
        duration_text,
    )
    return acknowledged, deliveries, by_role


def render_report_html(
    report: Report, results: Sequence[TargetResult] = (), change: DrillChange | None = None
) -> str:
    document = report_document(report, results, change)
    timings = document["timings"]
    times = [
        ("Trigger", timings["triggered_at"], 0.0),
        ("Decision (incident opened)", timings["decided_at"], timings["seconds_to_decision"]),
        (
            "First alert handed to AWS",
            timings["first_message_at"],
            timings["seconds_to_first_message"],
        ),
        (
            "Last alert handed to AWS",
            timings["last_message_at"],
            timings["seconds_to_last_message"],
        ),
        (
            "First acknowledgement",
            timings["first_acknowledged_at"],
            timings["seconds_to_first_acknowledgement"],
        ),
        ("Resolution", timings["resolved_at"], timings["seconds_to_resolution"]),
    ]
    acknowledged, deliveries, by_role = report_charts(report)
    return (
        environment()
        .get_template("report.html")
        .render(
            r=report,
            d=document,
            results=list(results),
            change=change,
            figure=figure_text,
            times=times,
            groups=[report.overall, *report.roles, *report.teams],
            acknowledgements=acknowledged,
            deliveries=deliveries,
            by_role=by_role,
            duration=duration_text,
            css=stylesheet(),
        )
    )


def render_report_markdown(
    report: Report, results: Sequence[TargetResult] = (), change: DrillChange | None = None
) -> str:
    t = report.timings
    lines = [
        f"# After-action report: {_md(report.title)}",
        "",
        f"- Incident: `{report.incident_id}` ({_md(report.type)}, {report.severity}, "
        f"{report.status}){' — exercise' if report.exercise else ''}",
        f"- Plan: `{report.plan_id}`" + (f"; drill `{report.drill_id}`" if report.drill_id else ""),
        f"- Triggered: {t.triggered_at.isoformat()}",
        "",
        "## How fast",
        "",
        "| Moment | After the trigger |",
        "| --- | ---: |",
    ]
    for label, at in (
        ("Decision", t.decided_at),
        ("First alert handed to AWS", t.first_message_at),
        ("Last alert handed to AWS", t.last_message_at),
        ("First acknowledgement", t.first_acknowledged_at),
        ("Resolution", t.resolved_at),
    ):
        lines.append(f"| {label} | {duration_text(t.since_trigger(at))} |")
    lines += [
        "",
        "## Reach per channel",
        "",
        "| Channel | Planned | Handed to AWS | Delivered | Failed | Unknown | Not sent |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in report.reach:
        lines.append(
            f"| {c.channel} | {c.planned} | {c.handed} | {c.delivered} | {c.failed} | "
            f"{c.unknown} | {c.not_sent} |"
        )
    for c in report.reach:
        for reason, count in c.failures.items():
            lines.append(f"\n- {c.channel} failed: {_md(reason)} ({count})")
    lines += [
        "",
        "## Confirmation",
        "",
        "| Group | Asked | Acknowledged | Declined | Silent | Median | p90 | Slowest |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for g in (report.overall, *report.roles, *report.teams):
        label = _md(g.name) if g.kind == "all" else f"{g.kind}: {_md(g.name)}"
        lines.append(
            f"| {label} | {g.asked} | {g.acknowledged} | {g.declined} | "
            f"{g.silent} | {duration_text(g.times.median)} | {duration_text(g.times.p90)} | "
            f"{duration_text(g.times.slowest)} |"
        )
    lines += ["", "## Never answered", ""]
    for p in report.never_answered:
        why = "; ".join(p.unreachable) or "reached; no answer"
        lines.append(f"- `{p.contact_id}`: {_md(why)}")
    if not report.never_answered:
        lines.append("Everyone asked answered.")
    lines += target_lines(results) + change_lines(change)
    lines += ["", "## Escalations, approvals, statements", ""]
    lines += [f"- step {e.step} {e.outcome} at {e.at.isoformat()}" for e in report.escalations]
    lines += [
        f"- {a.outcome} by {a.contact_id or '-'} after {duration_text(a.seconds_waited)}"
        for a in report.approvals
    ]
    lines += [
        f"- statement `{s.statement_id}` to {_md(s.audience)}: published "
        f"{s.published_at.isoformat() if s.published_at else 'never'}"
        for s in report.statements
    ]
    return "\n".join(lines) + "\n"


def target_lines(results: Sequence[TargetResult]) -> list[str]:
    if not results:
        return []
    lines = [
        "",
        "## Drill targets",
        "",
        "| Target | In time | Needed | Share in time | Share reached after | Result |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        lines.append(
            f"| {_md(r.target.describe())} | {r.in_time} of {r.asked} | {r.needed} | "
            f"{figure_text(Unit.SHARE, r.achieved)} | {duration_text(r.reached_after)} | "
            f"{r.verdict.value} |"
        )
    return lines


def change_lines(change: DrillChange | None) -> list[str]:
    if change is None:
        return []
    lines = [
        "",
        "## Since the previous drill of this plan",
        "",
        f"Previous: drill `{change.previous_drill_id}` (incident "
        f"`{change.previous_incident_id}`), started {change.previous_started_at}.",
        "",
        "| Figure | Previous | Now |",
        "| --- | ---: | ---: |",
    ]
    for f in change.figures:
        lines.append(
            f"| {f.figure} | {figure_text(f.unit, f.previous)} | {figure_text(f.unit, f.now)} |"
        )
    return lines


def _md(text: str) -> str:
    """Text that Markdown shows as written: no table breaks, links, emphasis or HTML."""
    out = text.replace("\\", "\\\\").replace("\n", " ").replace("\r", " ")
    for mark in "|*_`[]<>#":
        out = out.replace(mark, "\\" + mark)
    return out
