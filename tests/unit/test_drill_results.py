"""The register judged on the fakes: each drill's targets from its report (pending while it
runs and the target's time has not passed, then pass or fail for good), the change since the
plan's previous drill in the drill's report, and the analytics' pass rate from real drills."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from chalicelib.core.credentials import Answerer
from chalicelib.core.drills.kinds import Drill
from chalicelib.core.drills.register import CSV_COLUMNS, drill_document, register_csv
from chalicelib.core.playbook.drill_request import parse_drill_request
from chalicelib.core.reports.period import AnalyticsDesk
from chalicelib.core.reports.report_desk import ReportFormat
from chalicelib.core.reports.targets import TargetVerdict
from fakes import MemoryWorld

TARGETS = [
    {"role": "executive", "acknowledged": "100%", "within": "5m"},  # Ada
    {"acknowledged": "60%", "within": "10m"},  # of those asked: Ada and Chen (Bo is informed)
]


def start(org: MemoryWorld, **fields: Any) -> Drill:
    document = {"plan": "crisis-cell", "kind": "simulation", "roster": ["c-ada", "c-bo", "c-chen"],
                "targets": TARGETS} | fields  # fmt: skip
    drill = org.drills.run(parse_drill_request(document, org.clock.now()), "c-ada").drill
    org.run_queues()
    return drill


def answer(org: MemoryWorld, drill: Drill, contact_id: str, after: timedelta) -> None:
    assert drill.started_at is not None and drill.incident_id is not None
    org.clock.current = drill.started_at + after
    org.responses.acknowledge(drill.incident_id, Answerer.by_personal_key("k", contact_id))


def shown(org: MemoryWorld, drill: Drill) -> dict[str, Any]:
    judged = org.drill_review.judged(org.drills.get(drill.drill_id))
    return drill_document(judged.drill, judged.counts, judged.results)


def verdicts(document: dict[str, Any]) -> list[str]:
    return [r["verdict"] for r in document["results"]]


def test_a_running_drill_is_pending_until_each_target_is_met_or_its_time_has_passed(
    org: MemoryWorld,
) -> None:
    drill = start(org)
    assert verdicts(shown(org, drill)) == ["pending", "pending"]
    answer(org, drill, "c-ada", timedelta(minutes=2))
    document = shown(org, drill)
    assert verdicts(document) == ["pass", "pending"] and document["verdict"] == "pending"
    roster = document["results"][1]
    assert (roster["asked"], roster["in_time"], roster["needed"]) == (2, 1, 2)
    assert roster["achieved_share"] == 0.5 and roster["reached_after_seconds"] is None
    assert document["results"][0]["reached_after_seconds"] == 120.0
    org.clock.current = drill.started_at + timedelta(minutes=10, seconds=1)  # type: ignore[operator]
    assert verdicts(shown(org, drill)) == ["pass", "fail"]  # it still runs: fail for good
    answer(org, drill, "c-chen", timedelta(minutes=11))  # too late for the roster's target
    org.responses.resolve(drill.incident_id or "", Answerer.by_personal_key("k", "c-ada"))
    document = shown(org, drill)
    assert document["state"] == "finished" and verdicts(document) == ["pass", "fail"]
    assert document["verdict"] == "fail"
    assert document["results"][1]["reached_after_seconds"] == 660.0  # 60 %: Chen, at 11 minutes
    assert document["counts"]["acknowledged"] == 2  # the raw counts stay beside the results


def test_a_drill_that_ended_before_a_targets_time_fails_what_it_did_not_meet(
    org: MemoryWorld,
) -> None:
    drill = start(org)
    answer(org, drill, "c-ada", timedelta(minutes=1))
    org.responses.resolve(drill.incident_id or "", Answerer.by_personal_key("k", "c-ada"))
    assert verdicts(shown(org, drill)) == ["pass", "fail"]


def test_a_waiting_surprise_is_pending_and_a_tabletop_is_not_judged(org: MemoryWorld) -> None:
    window = {"from": "02:00", "to": "05:00", "within": "30d"}
    surprise = start(org, kind="surprise", window=window)
    assert shown(org, surprise)["state"] == "scheduled"
    assert verdicts(shown(org, surprise)) == ["pending", "pending"]
    tabletop = start(org, kind="tabletop", plan="site-emergency", roster=["c-fay"], targets=[])
    assert shown(org, tabletop)["results"] == [] and shown(org, tabletop)["verdict"] is None


def two_drills(org: MemoryWorld) -> tuple[Drill, Drill]:
    first = start(org)
    answer(org, first, "c-ada", timedelta(minutes=4))
    org.responses.resolve(first.incident_id or "", Answerer.by_personal_key("k", "c-ada"))
    org.clock.advance(days=7)
    second = start(org)
    answer(org, second, "c-ada", timedelta(minutes=1))
    answer(org, second, "c-chen", timedelta(minutes=3))
    org.responses.resolve(second.incident_id or "", Answerer.by_personal_key("k", "c-ada"))
    return first, second


def test_the_report_of_a_drill_judges_it_and_compares_it_with_the_plans_previous_drill(
    org: MemoryWorld,
) -> None:
    first, second = two_drills(org)
    document = org.reports.rendered(second.incident_id or "", ReportFormat.JSON).body
    assert isinstance(document, dict)
    assert [t["verdict"] for t in document["targets"]] == ["pass", "pass"]
    assert document["drill_verdict"] == "pass"
    change = document["since_previous_drill"]
    assert change["previous_drill_id"] == first.drill_id
    assert change["previous_incident_id"] == first.incident_id
    figures = {f["figure"]: (f["previous"], f["now"]) for f in change["figures"]}
    assert figures["people asked"] == (2.0, 2.0)  # on the roster: Dina and Fay are not
    assert figures["acknowledged share"] == (0.5, 1.0)
    assert figures["silent"] == (1.0, 0.0)
    assert figures["median time to acknowledge"] == (240.0, 120.0)
    assert figures["first acknowledgement after the start"] == (240.0, 60.0)
    assert figures["targets passed"] == (1.0, 2.0)
    markdown = org.reports.rendered(second.incident_id or "", ReportFormat.MD).body
    assert isinstance(markdown, str)
    assert "## Since the previous drill of this plan" in markdown
    assert "| acknowledged share | 50% | 100% |" in markdown
    assert "| first acknowledgement after the start | 4m 00s | 1m 00s |" in markdown
    roster_row = (
        "| the whole roster: 60% acknowledged within 600s | 2 of 2 | 2 | 100% | 3m 00s | pass |"
    )
    assert roster_row in markdown
    page = org.reports.rendered(second.incident_id or "", ReportFormat.HTML).body
    assert isinstance(page, str) and "Since the previous drill of this plan" in page
    assert '<td class="pass">pass</td>' in page
    rows = list(csv.reader(io.StringIO(str(
        org.reports.rendered(second.incident_id or "", ReportFormat.CSV).body
    ))))  # fmt: skip
    assert ["drill", second.drill_id, "verdict", "pass"] in rows
    assert ["since_previous_drill", first.drill_id, "acknowledged share: now", "1.0"] in rows
    # The first drill has nothing before it; an incident that is no drill is not judged.
    earlier = org.reports.rendered(first.incident_id or "", ReportFormat.JSON).body
    assert isinstance(earlier, dict) and earlier["since_previous_drill"] is None
    assert earlier["drill_verdict"] == "fail"


def test_the_previous_drill_is_of_the_same_plan_and_reached_someone(org: MemoryWorld) -> None:
    _, second = two_drills(org)
    org.clock.advance(days=1)
    start(org, kind="tabletop", roster=["c-ada"])  # same plan, sends nothing: skipped
    other = start(org, plan="site-emergency", roster=["c-fay"], targets=[])
    org.responses.resolve(other.incident_id or "", Answerer.by_personal_key("k", "c-fay"))
    third = start(org)
    context = org.reports._drills.context(third.drill_id)  # type: ignore[union-attr]
    assert context is not None and context.previous is not None
    assert context.previous.drill_id == second.drill_id
    assert org.reports._drills.context("drl_01M8TBCTV0FSB6B6FSVJPGZ06W") is None  # type: ignore[union-attr]


def test_the_register_csv_shows_each_targets_result_beside_the_raw_counts(
    org: MemoryWorld,
) -> None:
    first, second = two_drills(org)
    rows = [
        (j.drill, j.counts, j.results)
        for j in (org.drill_review.judged(org.drills.get(d.drill_id)) for d in (second, first))
    ]
    table = list(csv.DictReader(io.StringIO(register_csv(rows))))
    assert list(table[0]) == list(CSV_COLUMNS)
    assert [(r["verdict"], r["acknowledged"]) for r in table] == [("pass", "2"), ("fail", "1")]
    assert table[1]["target_results"] == (
        "executive 100% within 300s: pass (1 of 1 in time, 100%; 100% reached after 4m 00s); "
        "roster 60% within 600s: fail (1 of 2 in time, 50%; 60% reached after -)"
    )


def test_the_analytics_pass_rate_counts_the_registers_finished_drills(org: MemoryWorld) -> None:
    first, second = two_drills(org)
    org.clock.advance(days=40)
    running = start(org)  # still pending: not counted yet
    results = org.drill_review.results_since(org.clock.now() - timedelta(days=90))
    assert [(r.at, r.passed) for r in results] == [
        (first.started_at, False),
        (second.started_at, True),
    ]
    desk = AnalyticsDesk(
        org.lists,
        org.incidents,
        org.directory,
        org.clock,
        retention=lambda: timedelta(days=365),
        drills=org.drill_review.results_since,
    )
    figures = desk.analytics(timedelta(days=90))
    assert sum(rate.drills for rate in figures.drill_pass_rate) == 2
    assert sum(rate.passed for rate in figures.drill_pass_rate) == 1
    assert running.drill_id not in {r.plan_id for r in results}
    assert org.drill_review.results_since(org.clock.now()) == []
    assert TargetVerdict.PENDING.value == "pending"


def test_a_drills_report_asks_only_its_roster_those_a_level_would_have_paged_off_it_are_gaps(
    org: MemoryWorld,
) -> None:
    drill = start(org)  # the crisis cell's levels page Dina and Fay too: off the roster
    incident_id = drill.incident_id or ""
    timeline = org.incidents.timeline(incident_id)
    assert any(e.kind == "unreachable" and "roster" in e.summary for e in timeline)
    document = org.reports.rendered(incident_id, ReportFormat.JSON).body
    assert isinstance(document, dict)
    asked = {person["contact_id"] for person in document["people"]}
    assert asked == {"c-ada", "c-chen"}  # Bo is only informed
    everyone = document["confirmation"]["everyone"]
    assert (everyone["asked"], everyone["silent"]) == (2, 2)
