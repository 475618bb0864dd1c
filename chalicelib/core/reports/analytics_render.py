"""Analytics as JSON, CSV (one figure a row), Markdown and HTML with inline SVG charts. Pure."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from chalicelib.core.reports.analytics import Analytics, Durations, PersonPages, Responsiveness
from chalicelib.core.reports.charts import Chart, bar_chart
from chalicelib.core.reports.report_documents import duration_text, safe_cell
from chalicelib.core.reports.report_page import environment, stylesheet

DEFINITIONS = {
    "mtta": "trigger to the first acknowledgement that counted; incidents nobody acknowledged "
    "are left out and counted as unacknowledged",
    "mttr": "trigger to resolution; incidents still open (or cancelled at the gate) are left "
    "out and counted apart; resolution times are skewed, so read the median before the mean",
    "percentile": "p90 by the nearest-rank method (always one of the measured values)",
    "page": "a person alerted at one escalation step of one incident, however many channels "
    "carried it; out of hours when it went out outside every window of their working hours",
}


def _durations(d: Durations) -> dict[str, Any]:
    return {"count": d.count, "median": d.median, "p90": d.p90, "mean": d.mean}


def _group(r: Responsiveness) -> dict[str, Any]:
    return {
        "incidents": r.incidents,
        "mtta_seconds": _durations(r.mtta),
        "mttr_seconds": _durations(r.mttr),
        "unacknowledged": r.unacknowledged,
        "still_open": r.still_open,
        "cancelled": r.cancelled,
    }


def _pages(pages: tuple[PersonPages, ...]) -> list[dict[str, Any]]:
    return [
        {
            "contact_id": p.contact_id,
            "pages": p.pages,
            "out_of_hours": p.out_of_hours if p.hours_known else None,
        }
        for p in pages
    ]


def analytics_document(a: Analytics) -> dict[str, Any]:
    return {
        "since": a.since.isoformat(),
        "until": a.until.isoformat(),
        "complete": a.complete,
        "definitions": DEFINITIONS,
        "real": {
            **_group(a.real),
            "by_type": {k: _group(v) for k, v in a.real_by_type.items()},
            "by_severity": {k: _group(v) for k, v in a.real_by_severity.items()},
            "pages": _pages(a.pages),
        },
        "exercises": {
            **_group(a.exercises),
            "by_type": {k: _group(v) for k, v in a.exercises_by_type.items()},
            "pages": _pages(a.exercise_pages),
        },
        "drill_pass_rate": [
            {"month": r.month, "passed": r.passed, "drills": r.drills} for r in a.drill_pass_rate
        ],
    }


def analytics_csv(a: Analytics) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["section", "subject", "figure", "value"])
    for row in _rows(a):
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def _rows(a: Analytics) -> Iterator[tuple[str, str, str, str]]:
    yield "period", "", "since", a.since.isoformat()
    yield "period", "", "until", a.until.isoformat()
    yield "period", "", "complete", "true" if a.complete else "false"
    groups = [("real", "all", a.real), ("exercises", "all", a.exercises)]
    groups += [("real type", k, v) for k, v in a.real_by_type.items()]
    groups += [("real severity", k, v) for k, v in a.real_by_severity.items()]
    groups += [("exercises type", k, v) for k, v in a.exercises_by_type.items()]
    for section, subject, r in groups:
        for name, value in _flat(_group(r)):
            yield section, subject, name, "" if value is None else str(value)
    for section, pages in (("pages", a.pages), ("exercise pages", a.exercise_pages)):
        for p in pages:
            yield section, p.contact_id, "pages", str(p.pages)
            yield (
                section,
                p.contact_id,
                "out_of_hours",
                str(p.out_of_hours) if p.hours_known else "",
            )
    for rate in a.drill_pass_rate:
        yield "drills", rate.month, "passed", f"{rate.passed} of {rate.drills}"


def _flat(document: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, value in document.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", value


def analytics_charts(a: Analytics) -> tuple[Chart, Chart, Chart]:
    severities = list(a.real_by_severity.items())
    by_severity = bar_chart(
        "by-severity",
        "Time to acknowledge and to resolve, by severity",
        "Median MTTA and MTTR of real incidents per severity: "
        + (
            "; ".join(
                f"{k} MTTA {duration_text(v.mtta.median)}, MTTR {duration_text(v.mttr.median)}"
                for k, v in severities
            )
            or "no real incidents"
        )
        + ".",
        [
            (k, [("MTTA median", v.mtta.median), ("MTTR median", v.mttr.median)])
            for k, v in severities
        ],
        "time from the trigger",
        duration_text,
    )
    top = a.pages[:15]
    pages = bar_chart(
        "pages",
        "Pages per person",
        "Pages of real incidents per person (the 15 most paged), and how many fell outside "
        "their working hours.",
        [(p.contact_id, [("pages", p.pages), ("out of hours", p.out_of_hours)]) for p in top],
        "pages",
        lambda v: f"{v:.0f}",
    )
    drills = bar_chart(
        "drills",
        "Drill pass rate per month",
        "Drills that passed all their targets, per month: "
        + (", ".join(f"{r.month} {r.passed} of {r.drills}" for r in a.drill_pass_rate) or "none")
        + ".",
        [(r.month, [("drills", r.drills), ("passed", r.passed)]) for r in a.drill_pass_rate],
        "drills",
        lambda v: f"{v:.0f}",
    )
    return by_severity, pages, drills


def render_analytics_html(a: Analytics) -> str:
    by_severity, pages, drills = analytics_charts(a)
    return (
        environment()
        .get_template("analytics.html")
        .render(
            a=a,
            groups=[("Real incidents", a.real), ("Exercises", a.exercises)]
            + [(f"Real: {k}", v) for k, v in a.real_by_type.items()]
            + [(f"Real: {k}", v) for k, v in a.real_by_severity.items()]
            + [(f"Exercise: {k}", v) for k, v in a.exercises_by_type.items()],
            definitions=DEFINITIONS,
            by_severity=by_severity,
            pages_chart=pages,
            drills_chart=drills,
            duration=duration_text,
            css=stylesheet(),
        )
    )


def render_analytics_markdown(a: Analytics) -> str:
    lines = [
        f"# Analytics {a.since:%Y-%m-%d %H:%M} to {a.until:%Y-%m-%d %H:%M} UTC",
        "",
        *(f"- **{k}**: {v}" for k, v in DEFINITIONS.items()),
        *([] if a.complete else ["", "Not every incident of the period was read: narrow it."]),
        "",
        "| Group | Incidents | MTTA median | MTTA p90 | MTTR median | MTTR p90 | MTTR mean "
        "| Unacknowledged | Still open |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in [("real", a.real), ("exercises", a.exercises)] + [
        (f"real {k}", v) for k, v in (*a.real_by_type.items(), *a.real_by_severity.items())
    ]:
        lines.append(
            f"| {name} | {r.incidents} | {duration_text(r.mtta.median)} | "
            f"{duration_text(r.mtta.p90)} | {duration_text(r.mttr.median)} | "
            f"{duration_text(r.mttr.p90)} | {duration_text(r.mttr.mean)} | "
            f"{r.unacknowledged} | {r.still_open} |"
        )
    lines += ["", "| Person | Pages | Out of hours |", "| --- | ---: | ---: |"]
    for p in a.pages:
        lines.append(
            f"| `{p.contact_id}` | {p.pages} | {p.out_of_hours if p.hours_known else '-'} |"
        )
    lines += [
        "",
        "Drill pass rate: "
        + (
            ", ".join(f"{r.month} {r.passed} of {r.drills}" for r in a.drill_pass_rate)
            or "no drill results"
        ),
    ]
    return "\n".join(lines) + "\n"
