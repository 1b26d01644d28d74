"""Simple SVG charts drawn on the server (the PDF has no JavaScript, and ECharts' server-side
rendering needs Node): the geometry of grouped bars and of lines over periods, for the templates
``reports/_bars.svg.html`` and ``reports/_lines.svg.html`` to draw. Values are percentages, 0–100.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# ECharts' default palette, so that the page, the dashboard and the PDF agree.
PALETTE = ("#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de")
WIDTH, HEIGHT = 680, 230
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 30, 44
MAX_GROUPS = 15
LABEL_CHARS = 8


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    text: str

    @property
    def text_x(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def text_y(self) -> float:
        return self.y - 2


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Legend:
    x: float
    colour: str
    text: str

    @property
    def text_x(self) -> float:
        return self.x + 14


@dataclass(frozen=True)
class Series:
    colour: str
    segments: list[str]  # "x,y x,y …" for each unbroken run of values
    dots: list[tuple[float, float]]


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    ticks: list[Text] = field(default_factory=list)  # the y axis: 0, 25, 50, 75, 100 %
    grid: list[float] = field(default_factory=list)
    labels: list[Text] = field(default_factory=list)  # the x axis
    legend: list[Legend] = field(default_factory=list)
    bars: list[Rect] = field(default_factory=list)
    lines: list[Series] = field(default_factory=list)
    left: int = LEFT
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM


def _y(value: float) -> float:
    return round(TOP + (HEIGHT - TOP - BOTTOM) * (1 - max(0.0, min(value, 100.0)) / 100), 1)


def _width(text: str) -> int:
    """Roughly how wide ``text`` is at the charts' 10 px: a Chinese character is square."""
    return sum(10 if ord(ch) > 0x2E80 else 6 for ch in text)


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _frame(names: Sequence[str]) -> Chart:
    chart = Chart()
    for value in (0, 25, 50, 75, 100):
        chart.grid.append(_y(value))
        chart.ticks.append(Text(LEFT - 4, _y(value) + 3, f"{value}%"))
    x = float(LEFT)
    for n, name in enumerate(names):
        chart.legend.append(Legend(x, PALETTE[n % len(PALETTE)], name))
        x += 14 + _width(name) + 16
    return chart


def bars(x: Sequence[str], series: Mapping[str, Sequence[float | None]]) -> Chart:
    """Grouped bars: one group per label of ``x`` (at most ``MAX_GROUPS``), a bar per series."""
    x = list(x)[:MAX_GROUPS]
    chart = _frame(list(series))
    plot = WIDTH - LEFT - RIGHT
    group = plot / max(len(x), 1)
    width = min(group * 0.8 / max(len(series), 1), 26)
    for i, name in enumerate(x):
        start = LEFT + i * group + (group - width * len(series)) / 2
        chart.labels.append(Text(round(LEFT + (i + 0.5) * group, 1), HEIGHT - BOTTOM + 14, _short(name)))
        for k, values in enumerate(series.values()):
            value = values[i] if i < len(values) else None
            if value is None:
                continue
            top = _y(value)
            chart.bars.append(
                Rect(
                    round(start + k * width, 1),
                    top,
                    round(width - 1, 1),
                    round(HEIGHT - BOTTOM - top, 1),
                    PALETTE[k % len(PALETTE)],
                    f"{value:.0f}",
                )
            )
    return chart


def lines(x: Sequence[str], series: Mapping[str, Sequence[float | None]]) -> Chart:
    """Lines over the periods of ``x``; a missing value (no denominator) breaks its line."""
    chart = _frame(list(series))
    plot = WIDTH - LEFT - RIGHT
    step = plot / max(len(x) - 1, 1)
    every = max(1, len(x) // 10)  # at most ten labels under the axis
    for i, name in enumerate(x):
        if i % every == 0 or i == len(x) - 1:
            # The first and the last label stay inside the chart.
            anchor = "start" if i == 0 else "end" if i == len(x) - 1 else "middle"
            chart.labels.append(Text(round(LEFT + i * step, 1), HEIGHT - BOTTOM + 14, name, anchor))
    for k, values in enumerate(series.values()):
        segments: list[list[str]] = [[]]
        dots = []
        for i, value in enumerate(values):
            if value is None:
                segments.append([])
                continue
            point = (round(LEFT + i * step, 1), _y(value))
            segments[-1].append(f"{point[0]},{point[1]}")
            dots.append(point)
        chart.lines.append(
            Series(PALETTE[k % len(PALETTE)], [" ".join(s) for s in segments if len(s) >= 2], dots)
        )
    return chart


def from_data(data: Mapping[str, object], labels: Mapping[str, str]) -> dict[str, Chart]:
    """The SVG charts of ``presentation.charts`` data: ``trend`` as lines, ``bars`` as bars."""
    out: dict[str, Chart] = {}
    for key, draw in (("trend", lines), ("bars", bars)):
        part = data.get(key)
        if isinstance(part, Mapping):
            series = {labels.get(name, name): values for name, values in part["series"].items()}
            out[key] = draw(part["x"], series)
    return out
