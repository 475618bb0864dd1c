"""Properties of the activation engine, over generated events and histories (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.core.activation.decide import evaluate
from chalicelib.core.events import parse_event
from chalicelib.core.model import Severity
from chalicelib.core.playbook.document import Playbook
from chalicelib.core.verdicts import Activation, History
from tests.conftest import PROJECT
from tocsin_cli.policies import read_policy_dir

PLAYBOOK: Playbook = read_policy_dir(PROJECT / "policies").validate()
CODES = {
    "matched",
    "no_rule_for_type",
    "source_not_covered",
    "label_mismatch",
    "status_not_covered",
    "below_severity",
    "below_threshold",
    "metric_missing",
    "outside_time_window",
    "held",
    "maintenance",
    "duplicate",
    "flapping",
    "rate_limited",
}
TYPES = st.sampled_from(
    [
        "cyber.data_breach",
        "cyber.ransomware",
        "it.outage",
        "it.alarm",
        "natural.flood",
        "health.outbreak",
        "supply.port_closure",
        "reputation.media",
        "tocsin.path_test",
        "x.y",
    ]
)
METRICS = st.dictionaries(
    st.sampled_from(["affected_people", "staff_absent_percent", "sites_affected"])
    | st.sampled_from(["estimated_reach", "sentiment_score"]),
    st.floats(min_value=-1e6, max_value=1e7, allow_nan=False),
    max_size=4,
)
INSTANTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@st.composite
def events(draw: st.DrawFn) -> Any:
    return parse_event(
        {
            "source": draw(st.sampled_from(["aws.cloudwatch:1:eu", "prometheus:api", "cap"])),
            "type": draw(TYPES),
            "severity": draw(st.sampled_from([s.value for s in Severity])),
            "status": draw(st.sampled_from(["actual", "exercise", "test"])),
            "summary": "generated",
            "metrics": draw(METRICS),
            "labels": draw(st.dictionaries(st.just("env"), st.sampled_from(["prod", "dev"]))),
        }
    )


@st.composite
def histories(draw: st.DrawFn, at: datetime) -> History:
    minutes = st.lists(st.integers(min_value=0, max_value=180), max_size=6)
    return History(
        rule=tuple(Activation(at - timedelta(minutes=m), f"r{m}") for m in draw(minutes)),
        key=tuple(Activation(at - timedelta(minutes=m), f"k{m}") for m in draw(minutes)),
    )


@settings(max_examples=300, deadline=None)
@given(event=events(), at=INSTANTS, data=st.data())
def test_same_inputs_same_decision_with_a_known_code_and_a_reason(
    event: Any, at: datetime, data: st.DataObject
) -> None:
    past = data.draw(histories(at))
    first = evaluate(event, PLAYBOOK, at, lambda rule: past)
    again = evaluate(event, PLAYBOOK, at, lambda rule: past)
    assert first == again
    assert first.code in CODES
    assert first.reason
    assert first.activate == (first.code == "matched")
    if first.activate:
        assert first.plan_id in PLAYBOOK.plans


@settings(max_examples=200, deadline=None)
@given(
    affected=st.integers(min_value=0, max_value=100_000),
    more=st.integers(min_value=0, max_value=100_000),
    at=INSTANTS,
)
def test_a_threshold_that_activates_keeps_activating_for_larger_values(
    affected: int, more: int, at: datetime
) -> None:
    def breach(people: int) -> bool:
        event = parse_event(
            {
                "source": "s",
                "type": "cyber.data_breach",
                "severity": "high",
                "summary": "x",
                "metrics": {"affected_people": people},
            }
        )
        return (
            evaluate(event, PLAYBOOK, at).rule_id in ("data-breach-500", "data-breach-50000")
            and evaluate(event, PLAYBOOK, at).activate
        )

    if breach(affected):
        assert breach(affected + more)
    assert breach(affected) == (affected >= 500)


@settings(max_examples=200, deadline=None)
@given(event=events(), at=INSTANTS, data=st.data())
def test_more_history_never_turns_a_hold_back_into_an_activation(
    event: Any, at: datetime, data: st.DataObject
) -> None:
    past = data.draw(histories(at))
    extra = data.draw(histories(at))
    fuller = History(rule=past.rule + extra.rule, key=past.key + extra.key)
    if not evaluate(event, PLAYBOOK, at, lambda rule: past).activate:
        assert not evaluate(event, PLAYBOOK, at, lambda rule: fuller).activate
