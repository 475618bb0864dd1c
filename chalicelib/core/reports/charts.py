"""Chart geometry for the HTML reports, drawn as inline SVG by the templates. Pure.

Each chart is a value with its title, a one-sentence description (the SVG's ``<title>`` and
``<desc>``) and its shapes in the SVG's own coordinates; the page shows the same numbers in a
table beside it, so nothing is only in the picture.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 36
# Told apart by a colour-blind reader too (Okabe-Ito), each line also named in the legend.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


@dataclass(frozen=True)
class Tick:
    at: float  # pixels along its axis
    label: str


@dataclass(frozen=True)
class Line:
    name: str
    colour: str
    points: str  # the polyline's "x,y x,y ..." (a step line: counts change at each moment)


@dataclass(frozen=True)
class Bar:
    y: float
    x: float
    width: float
    colour: str
    label: str


@dataclass(frozen=True)
class Chart:
    chart_id: str
    title: str
    description: str
    lines: tuple[Line, ...] = ()
    bars: tuple[Bar, ...] = ()
    x_ticks: tuple[Tick, ...] = ()
    y_ticks: tuple[Tick, ...] = ()
    x_label: str = ""
    legend: tuple[tuple[str, str], ...] = ()  # (name, colour) of each line or measure
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    bottom_y: int = HEIGHT - BOTTOM
    right_x: int = WIDTH - RIGHT

    @property
    def empty(self) -> bool:
        return not self.lines and not self.bars


def step_chart(
    chart_id: str,
    title: str,
    description: str,
    series: Mapping[str, Sequence[tuple[float, float]]],
    x_label: str,
    x_text: Callable[[float], str],
) -> Chart:
    """Cumulative counts over time: each series a step line from (0, 0) to its last point,
    held flat to the right edge. ``x_text`` formats an x value (seconds, days) for a tick."""
    # A tenth more than the last moment, so a step at the end is seen as a step.
    longest = 1.1 * max((x for points in series.values() for x, _ in points), default=0.0) or 1.0
    highest = max((y for points in series.values() for _, y in points), default=0.0) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return round(LEFT + plot_w * x / longest, 1)

    def py(y: float) -> float:
        return round(TOP + plot_h * (1 - y / highest), 1)

    lines = []
    for index, (name, points) in enumerate(sorted(series.items())):
        path = [(px(0), py(0))]
        level = 0.0
        for x, y in sorted(points):
            path += [(px(x), py(level)), (px(x), py(y))]
            level = y
        path.append((px(longest), py(level)))
        text = " ".join(f"{x},{y}" for x, y in path)
        lines.append(Line(name, PALETTE[index % len(PALETTE)], text))
    return Chart(
        chart_id,
        title,
        description,
        lines=tuple(lines),
        x_ticks=tuple(Tick(px(longest * i / 4), x_text(longest * i / 4)) for i in range(5)),
        y_ticks=_count_ticks(highest, py),
        x_label=x_label,
        legend=tuple((line.name, line.colour) for line in lines),
    )


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, Sequence[tuple[str, float | None]]]],
    x_label: str,
    x_text: Callable[[float], str],
) -> Chart:
    """Horizontal bars, a group per row (a role), one bar per measure (median, p90, slowest);
    the y ticks name the rows."""
    longest = max((v for _, bars in rows for _, v in bars if v is not None), default=0.0) or 1.0
    plot_w = WIDTH - LEFT - RIGHT - 96
    left = LEFT + 96
    row_h = 14 * max((len(bars) for _, bars in rows), default=1) + 10
    height = TOP + BOTTOM + row_h * max(len(rows), 1)
    bars, ticks = [], []
    names = [label for label, _ in rows[0][1]] if rows else []
    for index, (name, measures) in enumerate(rows):
        top = TOP + index * row_h
        ticks.append(Tick(top + row_h / 2, name))
        for offset, (label, value) in enumerate(measures):
            if value is None:
                continue
            width = round(plot_w * value / longest, 1)
            colour = PALETTE[offset % len(PALETTE)]
            bars.append(Bar(top + 4 + offset * 14, left, width, colour, f"{label} {x_text(value)}"))
    return Chart(
        chart_id,
        title,
        description,
        bars=tuple(bars),
        x_ticks=tuple(
            Tick(round(left + plot_w * i / 4, 1), x_text(longest * i / 4)) for i in range(5)
        ),
        y_ticks=tuple(ticks),
        x_label=x_label,
        legend=tuple((name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(names)),
        height=height,
        left=left,
        bottom_y=height - BOTTOM,
    )


def _count_ticks(highest: float, py: Callable[[float], float]) -> tuple[Tick, ...]:
    step = max(1, round(highest / 4))
    return tuple(Tick(py(v), str(v)) for v in range(0, int(highest) + 1, step))
