"""Bar charts as inline SVG, drawn at build time.

No JavaScript and no chart library: the chart is part of the page, prints,
works offline and is the same bytes for the same data. Colours come from CSS
classes (``pmt-c1``..``pmt-c5`` for severities, ``pmt-m1``..``pmt-m3`` for
measures), so the light and dark palettes restyle the chart. Every bar group
carries a ``<title>`` (a tooltip, and what screen readers read); the pages
also show the same numbers in a table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 960
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 12, 26
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM

COUNT_STEPS = (1, 2, 5)
DURATION_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
                  172800, 432000, 864000, 1728000)


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    css: str
    """Class of the series' bars and legend swatch."""


def _num(value: float) -> str:
    """Coordinates with at most two decimals, no trailing zeros: stable text."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _step(top: float, steps: Sequence[float], max_ticks: int = 5) -> float:
    """The smallest "nice" step that draws at most ``max_ticks`` ticks above zero."""
    if top <= 0:
        return steps[0]
    if steps is COUNT_STEPS:
        magnitude = 1
        while True:
            for base in steps:
                step = base * magnitude
                if top / step <= max_ticks:
                    return step
            magnitude *= 10
    for step in steps:
        if top / step <= max_ticks:
            return step
    step = steps[-1]
    while top / step > max_ticks:
        step *= 2
    return step


def _axis(top: float, steps: Sequence[float], fmt: Callable[[float], str]) -> tuple[float, str]:
    """The y-axis maximum and the grid lines with their labels."""
    step = _step(top, steps)
    ticks = max(1, -(-top // step)) if top > 0 else 1
    y_max = ticks * step
    parts = []
    for n in range(int(ticks) + 1):
        value = n * step
        y = TOP + PLOT_H - PLOT_H * value / y_max
        parts.append(
            f'<line class="pmt-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_num(y)}" '
            f'y2="{_num(y)}"/><text class="pmt-tick" x="{LEFT - 6}" y="{_num(y + 4)}" '
            f'text-anchor="end">{escape(fmt(value))}</text>'
        )
    return y_max, "".join(parts)


def _frame(title: str, body: str) -> Markup:
    return Markup(
        f'<svg class="pmt-chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def _x_label(x: float, text: str) -> str:
    return (f'<text class="pmt-tick" x="{_num(x)}" y="{HEIGHT - 8}" '
            f'text-anchor="middle">{escape(text)}</text>')


def stacked_bars(
    title: str,
    categories: Sequence[str],
    x_labels: Sequence[str],
    series: Sequence[Series],
    values: Mapping[str, Mapping[str, int]],
) -> Markup:
    """One bar per category, stacked by series (counts). ``x_labels`` may hold blanks."""
    totals = [sum(values.get(c, {}).values()) for c in categories]
    y_max, grid = _axis(max(totals, default=0), COUNT_STEPS, lambda v: str(int(v)))
    slot = PLOT_W / max(len(categories), 1)
    bar = max(slot * 0.8, 0.5)
    parts = [grid]
    for index, category in enumerate(categories):
        x = LEFT + index * slot + (slot - bar) / 2
        counts = values.get(category, {})
        if x_labels[index]:
            parts.append(_x_label(x + bar / 2, x_labels[index]))
        if not totals[index]:
            continue
        described = ", ".join(f"{counts[s.key]} {s.label}" for s in series if counts.get(s.key))
        rects = []
        base = TOP + PLOT_H
        for s in series:
            count = counts.get(s.key, 0)
            if not count:
                continue
            height = PLOT_H * count / y_max
            base -= height
            rects.append(f'<rect class="{s.css}" x="{_num(x)}" y="{_num(base)}" '
                         f'width="{_num(bar)}" height="{_num(height)}"/>')
        parts.append(f"<g><title>{escape(category)}: {escape(described)}</title>"
                     f'{"".join(rects)}</g>')
    parts.append(_baseline())
    return _frame(title, "".join(parts))


def grouped_bars(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    values: Mapping[str, Mapping[str, float | None]],
    fmt: Callable[[float], str],
    *,
    duration: bool = True,
    no_data: str = "no data",
) -> Markup:
    """Side-by-side bars per category; a missing value leaves a gap (described as
    ``no_data``, in the site's language)."""
    top = max((v for c in categories for v in values.get(c, {}).values() if v is not None),
              default=0)
    y_max, grid = _axis(top, DURATION_STEPS if duration else COUNT_STEPS, fmt)
    slot = PLOT_W / max(len(categories), 1)
    group = slot * 0.8
    bar = max(group / max(len(series), 1), 0.5)
    every = max(1, -(-len(categories) * 64 // PLOT_W))  # about 64 px per label
    parts = [grid]
    for index, category in enumerate(categories):
        x0 = LEFT + index * slot + (slot - group) / 2
        if index % every == 0:
            parts.append(_x_label(x0 + group / 2, category))
        rects = []
        described = []
        for n, s in enumerate(series):
            value = values.get(category, {}).get(s.key)
            if value is None:
                described.append(f"{s.label}: {no_data}")
                continue
            described.append(f"{s.label} {fmt(value)}")
            # A negative median (detection before impact, format 1.1) draws no bar; its
            # label still says it.
            height = PLOT_H * max(value, 0) / y_max
            rects.append(f'<rect class="{s.css}" x="{_num(x0 + n * bar)}" '
                         f'y="{_num(TOP + PLOT_H - height)}" width="{_num(bar)}" '
                         f'height="{_num(height)}"/>')
        parts.append(f"<g><title>{escape(category)}: {escape(', '.join(described))}</title>"
                     f'{"".join(rects)}</g>')
    parts.append(_baseline())
    return _frame(title, "".join(parts))


def _baseline() -> str:
    y = TOP + PLOT_H
    return f'<line class="pmt-axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"/>'


def month_labels(months: Sequence[str]) -> list[str]:
    """Labels for ``YYYY-MM`` categories that fit under the bars: quarters, or years."""
    if len(months) <= 36:
        return [m if m[5:] in ("01", "04", "07", "10") else "" for m in months]
    years = len(months) / 12
    every = 1 if years <= 12 else 2 if years <= 24 else 5
    return [m[:4] if m[5:] == "01" and int(m[:4]) % every == 0 else "" for m in months]


def month_range(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last`` inclusive."""
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    out = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


# -- distributions ----------------------------------------------------------------
LOG_TICKS = ((60, "1 min"), (300, "5 min"), (900, "15 min"), (3600, "1 h"), (14400, "4 h"),
             (86400, "1 d"), (604800, "1 w"), (2592000, "30 d"))
STRIP_ROW = 34


@dataclass(frozen=True)
class Spread:
    """p25, median and p75 of one group, and how many values they rest on."""

    n: int
    p25: float
    median: float
    p75: float


def spread(values: Sequence[float]) -> Spread | None:
    """Quartiles by linear interpolation between order statistics (Hyndman & Fan type 7,
    ``statistics.quantiles(method="inclusive")``); None for no values."""
    import statistics

    if not values:
        return None
    if len(values) == 1:
        return Spread(1, values[0], values[0], values[0])
    p25, median, p75 = statistics.quantiles(values, n=4, method="inclusive")
    return Spread(len(values), p25, median, p75)


def strip_plot(
    title: str,
    groups: Sequence[tuple[str, Sequence[float]]],
    fmt: Callable[[float], str],
    *,
    no_data: str = "no data",
    median: str = "median",
) -> Markup:
    """One row per group: every value a dot (seconds, log scale), the p25–p75 box, the
    median as a bar, and ``n`` at the right. Skewed durations spread out on a log
    scale; a mean would be pulled by the few long outages, so none is drawn. ``no_data``
    and ``median`` are those words in the site's language."""
    import math

    every = [v for _, values in groups for v in values]
    if not every:
        return Markup("")
    low = min(60.0, max(1.0, min(every)))
    high = max(max(every), low * 10)
    left, right = 120, 64
    plot_w = WIDTH - left - right
    span = math.log10(high) - math.log10(low)

    def x(value: float) -> float:
        return left + plot_w * (math.log10(max(value, low)) - math.log10(low)) / span

    height = TOP + STRIP_ROW * len(groups) + BOTTOM
    parts = []
    for seconds, text in LOG_TICKS:
        if low <= seconds <= high:
            parts.append(f'<line class="pmt-grid" x1="{_num(x(seconds))}" x2="{_num(x(seconds))}" '
                         f'y1="{TOP}" y2="{height - BOTTOM}"/><text class="pmt-tick" '
                         f'x="{_num(x(seconds))}" y="{height - 8}" text-anchor="middle">'
                         f"{escape(text)}</text>")
    for row, (group, values) in enumerate(groups):
        y = TOP + STRIP_ROW * row + STRIP_ROW / 2
        parts.append(f'<text class="pmt-tick" x="{left - 8}" y="{_num(y + 4)}" '
                     f'text-anchor="end">{escape(group)}</text>')
        stats = spread(values)
        if stats is None:
            parts.append(f'<text class="pmt-tick" x="{left + 4}" y="{_num(y + 4)}">'
                         f"{escape(no_data)}</text>")
            continue
        described = (f"{group}: n = {stats.n}, p25 {fmt(stats.p25)}, {median} "
                     f"{fmt(stats.median)}, p75 {fmt(stats.p75)}")
        dots = []
        for n, value in enumerate(sorted(values)):
            # A fixed spread of heights (not random) so close values stay visible
            # and the bytes stay the same.
            dy = ((n * 7) % 5 - 2) * 3
            dots.append(f'<circle class="pmt-dot" cx="{_num(x(value))}" cy="{_num(y + dy)}" '
                        f'r="2.5"/>')
        x25, x75, xm = x(stats.p25), x(stats.p75), x(stats.median)
        parts.append(
            f"<g><title>{escape(described)}</title>"
            f'<rect class="pmt-box" x="{_num(x25)}" y="{_num(y - 10)}" '
            f'width="{_num(max(x75 - x25, 1))}" height="20"/>{"".join(dots)}'
            f'<line class="pmt-median" x1="{_num(xm)}" x2="{_num(xm)}" y1="{_num(y - 12)}" '
            f'y2="{_num(y + 12)}"/><text class="pmt-tick" x="{WIDTH - right + 6}" '
            f'y="{_num(y + 4)}">n = {stats.n}</text></g>'
        )
    return Markup(
        f'<svg class="pmt-chart-svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}'
        "</svg>"
    )
