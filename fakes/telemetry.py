"""The figures in memory: what the use cases recorded, in order, by the rule of the meter the
functions publish through (``observability.EmfMeter``; its contract suite,
``tests/functional/test_meter_contract.py``, runs against both): a figure with a dimension is
recorded for one of its values, a figure without one for none."""

from __future__ import annotations

from chalicelib.core.telemetry import Figure


class RecordingMeter:
    def __init__(self) -> None:
        self.records: list[tuple[str, float, str | None]] = []  # (name, value, by)

    def record(self, figure: Figure, value: float = 1, by: str | None = None) -> None:
        if (figure.dimension is None) != (by is None):
            raise ValueError(f"{figure.name} is recorded by {figure.dimension or 'nothing'}")
        self.records.append((figure.name, float(value), by))

    def total(self, name: str, by: str | None = None) -> float:
        """The sum of a count (for one dimension value, or over all of them)."""
        return sum(v for n, v, b in self.records if n == name and (by is None or b == by))

    def values(self, name: str) -> list[float]:
        """Every value recorded for a figure (a duration's samples), in order."""
        return [v for n, v, _ in self.records if n == name]
