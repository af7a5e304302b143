"""Charts drawn by the server as SVG: no script and no CDN, readable when printed.

A chart is plain markup with classes (colours come from the stylesheet, so a printed page
uses the print palette) and says what it shows in its ``<title>`` and ``<desc>``, with a
``<title>`` on each point for the exact value on hover.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

Number = int | float | Decimal


@dataclass(frozen=True)
class Point:
    """One bucket of a series: its label on the x axis and its value (None: no value)."""

    label: str
    value: Number | None


def nice_ticks(top: float, *, most: int = 4) -> list[float]:
    """Round tick values from 0 up to at least ``top``: steps of 1, 2 or 5 × 10ⁿ."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / most
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(factor * magnitude for factor in (1, 2, 2.5, 5, 10) if factor * magnitude >= raw)
    count = math.ceil(top / step - 1e-9)
    return [step * i for i in range(count + 1)]


def _plain(value: float) -> str:
    """A tick label: 1,500 or 0.25, never 1500.0."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _at(coordinate: float) -> str:
    return f"{coordinate:.1f}"


def line_chart(
    points: Sequence[Point],
    *,
    title: str,
    describe: Callable[[Number], str] = lambda value: _plain(float(value)),
    width: int = 640,
    height: int = 220,
    chart_id: str = "chart",
) -> SafeString:
    """A line chart of one series with its y axis from zero, as safe SVG markup.

    Buckets without a value break the line rather than pretend to be zero.
    """
    # The right margin leaves room for the last x label, centred on the last point.
    left, right, top, bottom = 56, 28, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(p.value) for p in points if p.value is not None]
    ticks = nice_ticks(max(values, default=0.0))
    scale_top = ticks[-1] or 1.0
    count = len(points)

    def x(i: int) -> float:
        return left + (plot_w / 2 if count == 1 else plot_w * i / (count - 1))

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / scale_top

    grid = format_html_join(
        "",
        '<line class="chart__grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="chart__tick" x="{}" y="{}" text-anchor="end">{}</text>',
        (
            (left, width - right, _at(y(t)), _at(y(t)), left - 6, _at(y(t) + 4), _plain(t))
            for t in ticks
        ),
    )
    every = max(1, math.ceil(count / 8))
    labels = format_html_join(
        "",
        '<text class="chart__tick" x="{}" y="{}" text-anchor="middle">{}</text>',
        ((_at(x(i)), height - 8, p.label) for i, p in enumerate(points) if i % every == 0),
    )
    runs: list[list[tuple[float, float]]] = [[]]
    for i, p in enumerate(points):
        if p.value is None:
            runs.append([])
        else:
            runs[-1].append((x(i), y(float(p.value))))
    lines = format_html_join(
        "",
        '<polyline class="chart__line" points="{}"/>',
        ((" ".join(f"{px:.1f},{py:.1f}" for px, py in run),) for run in runs if len(run) > 1),
    )
    dots = format_html_join(
        "",
        '<circle class="chart__dot" cx="{}" cy="{}" r="3"><title>{}: {}</title></circle>',
        (
            (_at(x(i)), _at(y(float(p.value))), p.label, describe(p.value))
            for i, p in enumerate(points)
            if p.value is not None
        ),
    )
    shown = [p for p in points if p.value is not None]
    if shown:
        low = min(shown, key=lambda p: float(p.value or 0))
        high = max(shown, key=lambda p: float(p.value or 0))
        summary = (
            f"{len(points)} periods from {points[0].label} to {points[-1].label}; "
            f"lowest {describe(low.value or 0)} ({low.label}), "
            f"highest {describe(high.value or 0)} ({high.label}), "
            f"last {describe(shown[-1].value or 0)}."
        )
    else:
        summary = "No values in this range."
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMidYMid meet">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{summary}</desc>'
        '<line class="chart__axis" x1="{l}" x2="{r}" y1="{b}" y2="{b}"/>'
        "{grid}{lines}{dots}{labels}</svg>",
        w=width,
        h=height,
        id=chart_id,
        title=title,
        summary=summary,
        l=left,
        r=width - right,
        b=top + plot_h,
        grid=grid,
        lines=lines or mark_safe(""),
        dots=dots or mark_safe(""),
        labels=labels,
    )
