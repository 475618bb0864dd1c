"""The local runner fires an app's rate() schedules on time, with EventBridge's event."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.app import Chalice, Cron, Rate

from local.runner import ScheduleBinding, Scheduler, schedule_bindings, scheduled_event


def test_rate_schedules_are_found_with_their_interval() -> None:
    app = Chalice(app_name="t")

    @app.schedule(Rate(1, unit=Rate.MINUTES))
    def tick(event: Any) -> None: ...

    @app.schedule("rate(2 hours)")
    def report(event: Any) -> None: ...

    assert schedule_bindings(app) == [ScheduleBinding("tick", 60), ScheduleBinding("report", 7200)]


def test_a_cron_schedule_is_refused_rather_than_never_fired() -> None:
    app = Chalice(app_name="t")

    @app.schedule(Cron(0, 9, "?", "*", "MON", "*"))
    def weekly(event: Any) -> None: ...

    with pytest.raises(ValueError, match="rate\\(\\) schedules only"):
        schedule_bindings(app)


def test_due_after_each_interval_and_a_missed_beat_fires_once() -> None:
    scheduler = Scheduler([ScheduleBinding("tick", 60), ScheduleBinding("slow", 300)], start=0)
    assert scheduler.due(59.9) == []
    assert scheduler.due(60) == ["tick"]
    assert scheduler.due(61) == []
    assert scheduler.seconds_until_next(61) == pytest.approx(59)
    assert scheduler.due(300) == ["slow", "tick"]  # tick missed 180 and 240: fires once
    assert scheduler.due(359) == []
    assert scheduler.due(360) == ["tick"]


def test_the_event_has_eventbridges_scheduled_event_shape() -> None:
    event = scheduled_event("tick", "us-east-1")
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/tick"]
