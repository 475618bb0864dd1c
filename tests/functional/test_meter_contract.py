"""The meter, fake and the functions' own (Powertools' embedded metric format, read back as
CloudWatch reads it) alike: counts add up per dimension value, durations keep every value, and
a figure is recorded by its own dimension only."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from chalicelib.core.telemetry import (
    EVENTS_ACCEPTED,
    EVENTS_DECIDED,
    MESSAGES_SENT,
    TIME_TO_ACKNOWLEDGE,
    Meter,
)
from fakes import RecordingMeter
from tests.functional.conftest import BACKENDS


@dataclass(frozen=True)
class Readings:
    """What was recorded, as one reads it back: counts per (name, value) and every duration."""

    counts: dict[tuple[str, str | None], float]
    durations: dict[str, list[float]]


@dataclass(frozen=True)
class Backend:
    meter: Meter
    read: Callable[[], Readings]


def _from_fake(meter: RecordingMeter) -> Readings:
    counts: dict[tuple[str, str | None], float] = {}
    durations: dict[str, list[float]] = {}
    for name, value, by in meter.records:
        if name == TIME_TO_ACKNOWLEDGE.name:
            durations.setdefault(name, []).append(value)
        else:
            counts[(name, by)] = counts.get((name, by), 0) + value
    return Readings(counts, durations)


def _from_emf(text: str) -> Readings:
    counts: dict[tuple[str, str | None], float] = {}
    durations: dict[str, list[float]] = {}
    for line in text.splitlines():
        document = json.loads(line)
        [directive] = document["_aws"]["CloudWatchMetrics"]
        by = document.get("channel") or document.get("outcome")
        for metric in directive["Metrics"]:
            name = metric["Name"]
            values = document[name] if isinstance(document[name], list) else [document[name]]
            if metric["Unit"] == "Seconds":
                durations.setdefault(name, []).extend(values)
            else:
                counts[(name, by)] = counts.get((name, by), 0) + sum(values)
    return Readings(counts, durations)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> Backend:
    if request.param == "fake":
        fake = RecordingMeter()
        return Backend(fake, lambda: _from_fake(fake))
    from chalicelib.observability import EmfMeter

    emf = EmfMeter()

    def read() -> Readings:
        capsys.readouterr()  # only what the flush writes
        emf.flush("test")
        return _from_emf(capsys.readouterr().out)

    return Backend(emf, read)


def test_counts_add_up_per_value_and_durations_keep_every_value(backend: Backend) -> None:
    meter = backend.meter
    meter.record(EVENTS_ACCEPTED, 2)
    meter.record(EVENTS_ACCEPTED)
    meter.record(MESSAGES_SENT, by="sms")
    meter.record(MESSAGES_SENT, 3, by="sms")
    meter.record(MESSAGES_SENT, by="email")
    meter.record(EVENTS_DECIDED, by="suppressed")
    meter.record(TIME_TO_ACKNOWLEDGE, 330.0)
    meter.record(TIME_TO_ACKNOWLEDGE, 12.5)
    readings = backend.read()
    assert readings.counts == {
        ("EventsAccepted", None): 3,
        ("MessagesSent", "sms"): 4,
        ("MessagesSent", "email"): 1,
        ("EventsDecided", "suppressed"): 1,
    }
    assert readings.durations == {"TimeToAcknowledge": [330.0, 12.5]}


def test_a_figure_is_recorded_by_its_own_dimension_only(backend: Backend) -> None:
    with pytest.raises(ValueError, match="MessagesSent is recorded by channel"):
        backend.meter.record(MESSAGES_SENT)
    with pytest.raises(ValueError, match="EventsAccepted is recorded by nothing"):
        backend.meter.record(EVENTS_ACCEPTED, by="sms")
    assert backend.read() == Readings({}, {})
