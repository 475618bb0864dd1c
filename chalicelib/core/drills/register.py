"""The register as the API and the command show it: a page of drills (``GET /v1/drills``,
``?limit``, ``?cursor``, ``?format=csv``), each with kind, plan, date, roster size, state and,
once its incident opened, the raw counts and each target's result (pass, fail or pending,
with the share acknowledged in time and when the target's share was reached: ``review.py``
says what each state shows). A surprise's moment is never shown before it fired: only its
window is. Pure."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.core.cursors import Position, make_cursor, read_cursor
from chalicelib.core.drills.kinds import Drill, RawCounts
from chalicelib.core.errors import InvalidRequest
from chalicelib.core.reports.report_documents import duration_text, target_document
from chalicelib.core.reports.targets import TargetResult, all_passed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_PARAMETERS = ("limit", "cursor", "format")
_NO_FILTERS: Mapping[str, str | None] = {}
CSV_COLUMNS = (
    "drill_id",
    "kind",
    "plan",
    "state",
    "created_at",
    "started_at",
    "finished_at",
    "roster_size",
    "targets",
    "reached",
    "delivered",
    "acknowledged",
    "declined",
    "silent",
    "median_ack_seconds",
    "verdict",
    "target_results",
    "incident_id",
)


@dataclass(frozen=True)
class RegisterQuery:
    limit: int = DEFAULT_LIMIT
    after: Position | None = None
    csv: bool = False


def register_query(params: Mapping[str, Sequence[str]], accept: str = "") -> RegisterQuery:
    """``accept``: the request's Accept header (``text/csv`` asks for CSV as ``format`` does)."""
    for name, values in params.items():
        if name not in _PARAMETERS:
            raise InvalidRequest(
                name, f"is not a parameter of the register ({', '.join(_PARAMETERS)})"
            )
        if len(values) != 1:
            raise InvalidRequest(name, "was given more than once")
    value = {name: values[0] for name, values in params.items()}
    limit_text = value.get("limit", str(DEFAULT_LIMIT))
    if not (limit_text.isascii() and limit_text.isdigit()) or not 1 <= int(limit_text) <= MAX_LIMIT:
        raise InvalidRequest("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    wanted = value.get("format", "csv" if "text/csv" in accept else "json")
    if wanted not in ("json", "csv"):
        raise InvalidRequest("format", f"must be json or csv; got {wanted[:20]!r}")
    after = None
    if "cursor" in value:
        found = read_cursor(value["cursor"], "drills")
        if found is None:
            raise InvalidRequest("cursor", "is not a cursor this API gave for the drill register")
        after = found[0]
    return RegisterQuery(int(limit_text), after, wanted == "csv")


def next_cursor(position: Position | None) -> str | None:
    return make_cursor("drills", _NO_FILTERS, position) if position is not None else None


def drill_document(
    drill: Drill, counts: RawCounts | None, results: Sequence[TargetResult] = ()
) -> dict[str, Any]:
    """``results``: its targets' (none before it is judged, for a tabletop, or without any)."""
    window = drill.window
    verdict = all_passed(results)
    return {
        "drill_id": drill.drill_id,
        "kind": drill.kind.value,
        "plan": drill.plan_id,
        "state": drill.state.value,
        "created_at": drill.created_at.isoformat(),
        "created_by": drill.created_by,
        "started_at": drill.started_at.isoformat() if drill.started_at else None,
        "finished_at": drill.finished_at.isoformat() if drill.finished_at else None,
        "roster_size": len(drill.roster),
        "targets": [
            {"role": t.role, "acknowledged": t.share, "within_seconds": t.within_seconds}
            for t in drill.targets
        ],
        "window": window.describe() if window else None,  # never the moment itself
        "incident_id": drill.incident_id,
        "counts": _counts(counts),
        "results": [target_document(r) for r in results],
        "verdict": verdict.value if verdict else None,
        "note": drill.note,
    }


def _counts(counts: RawCounts | None) -> dict[str, Any] | None:
    if counts is None:
        return None
    return {
        "roster": counts.roster,
        "reached": counts.reached,
        "delivered": counts.delivered,
        "acknowledged": counts.acknowledged,
        "declined": counts.declined,
        "silent": counts.silent,
        "median_ack_seconds": counts.median_ack_seconds,
    }


def result_text(result: TargetResult) -> str:
    """``executive 50% within 900s: pass (1 of 1 in time, 100%; 50% reached after 12s)``."""
    t = result.target
    share = "-" if result.achieved is None else f"{result.achieved:.0%}"
    return (
        f"{t.role or 'roster'} {t.share:.0%} within {t.within_seconds}s: {result.verdict.value} "
        f"({result.in_time} of {result.asked} in time, {share}; {t.share:.0%} reached after "
        f"{duration_text(result.reached_after)})"
    )


def register_csv(rows: Sequence[tuple[Drill, RawCounts | None, Sequence[TargetResult]]]) -> str:
    """One line per drill, for auditors: no names, no contact details."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for drill, counts, results in rows:
        document = drill_document(drill, counts, results)
        figures = document["counts"] or {}
        targets = "; ".join(
            f"{t.role or 'roster'} {t.share:.0%} within {t.within_seconds}s" for t in drill.targets
        )
        writer.writerow(
            [
                drill.drill_id,
                drill.kind.value,
                drill.plan_id,
                drill.state.value,
                document["created_at"],
                document["started_at"] or "",
                document["finished_at"] or "",
                len(drill.roster),
                targets,
                *(
                    "" if figures.get(name) is None else figures[name]
                    for name in ("reached", "delivered", "acknowledged", "declined", "silent")
                ),
                "" if figures.get("median_ack_seconds") is None else figures["median_ack_seconds"],
                document["verdict"] or "",
                "; ".join(result_text(r) for r in results),
                drill.incident_id or "",
            ]
        )
    return out.getvalue()
