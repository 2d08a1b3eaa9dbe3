"""How the ratings of a session log change: summary figures and an accessible SVG chart.

A log's scale columns are its series (``Section.series``), drawn in the order the content file gives them,
each with its own line and marker shape (``MARKERS``), so two series differ by more than colour.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import TYPE_CHECKING

from .dates import long_date, short_date

if TYPE_CHECKING:  # content reads the section kinds, whose log reads this module
    from .content import Section

# Slope, in points per session, below which a series counts as steady: a change of one point over ten
# sessions is noise in a self-rating, not a trend worth pointing out.
STEADY_SLOPE = 0.1
# Each series' marker, in order; the schema allows a log no more scale columns than there are shapes
# (site_tools.worksheet_schema.LIMITS["log_series"]), and site.css gives series N its colour and dashes.
MARKERS = ("circle", "square", "diamond", "triangle")
# The date labels' size in chart units at their largest (on a narrow phone the site's CSS draws them at 20 so
# that, with the chart scaled down to a 320 px screen, they are still 12 px). The chart scales as a whole, so
# labels placed apart for this size never overlap at any displayed width.
LABEL_FONT_UNITS = 20
# The width of one character of a date label at that size, generously (a digit is 0.55 em in the site's font),
# and the gap between two labels.
LABEL_CHAR_UNITS = LABEL_FONT_UNITS * 0.575
LABEL_GAP_UNITS = 8


def summarise(doc: dict, log: Section | None) -> dict:
    """Figures for a normalised document: sessions logged, first and latest, and per rating (``ratings``, by
    column id) its average, first, latest value and trend. A worksheet without a log has no sessions."""
    date = log.columns[0].id if log else "date"
    dated = [s for s in doc["sessions"] if s[date]]
    return {
        "sessions": len(doc["sessions"]),
        "first_date": dated[0][date] if dated else None,
        "latest_date": dated[-1][date] if dated else None,
        "ratings": {
            column.id: _series_summary([s[column.id] for s in dated if s[column.id] is not None])
            for column in (log.series if log else ())
        },
    }


def _series_summary(values: list[int]) -> dict | None:
    if not values:
        return None
    slope = _slope(values)
    trend = "steady" if abs(slope) < STEADY_SLOPE else ("rising" if slope > 0 else "falling")
    return {
        "count": len(values),
        "average": round(sum(values) / len(values), 1),
        "first": values[0],
        "latest": values[-1],
        "lowest": min(values),
        "highest": max(values),
        "trend": trend,
    }


def _slope(values: list[int]) -> float:
    """Least-squares slope of the values against their order."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    numerator = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    denominator = sum((x - mean_x) ** 2 for x in range(n))
    return numerator / denominator


def describe(summary: dict, log: Section | None) -> str:
    """The summary in words: the chart's text alternative and the exports' overview."""
    if not summary["first_date"]:
        return "No sessions with a date have been logged yet."
    count = summary["sessions"]
    first, latest = long_date(summary["first_date"]), long_date(summary["latest_date"])
    when = f"on {first}" if first == latest else f"from {first} to {latest}"
    parts = [f"{count} session{'s' if count != 1 else ''} logged, {when}."]
    for column in log.series if log else ():
        figures = summary["ratings"][column.id]
        if figures is None:
            parts.append(f"{column.series} has not been rated yet.")
            continue
        parts.append(
            f"{column.series}: average {figures['average']:g} out of {column.scale.high}, first {figures['first']}, "
            f"latest {figures['latest']}, {figures['trend']}."
        )
    return " ".join(parts)


def _date_labels(days: list[dt.date], xs: list[float], width: float) -> list[tuple[int, str, str]]:
    """Which sessions get a date label, what it says and how it is anchored: left to right, each that fits
    clear of the one before; the last always (dropping the labels it would touch). A label carries its year
    where the log spans more than one: the first, and wherever the year changes."""
    years = len({day.year for day in days}) > 1
    chosen: list[tuple[int, str, str, float, float]] = []  # index, text, anchor, left edge, right edge
    for index, (day, x) in enumerate(zip(days, xs, strict=True)):
        shown_year = years and (not chosen or days[chosen[-1][0]].year != day.year)
        text = short_date(day, with_year=shown_year)
        size = len(text) * LABEL_CHAR_UNITS
        # Ends are anchored inwards, so the outermost labels stay inside the chart.
        anchor, left = "middle", x - size / 2
        if left < 0:
            anchor, left = "start", x - 4
        if left + size > width:
            anchor, left = "end", x + 4 - size
        placed = (index, text, anchor, left, left + size)
        if index == len(days) - 1:
            while chosen and chosen[-1][4] + LABEL_GAP_UNITS > left:
                chosen.pop()
            chosen.append(placed)
        elif not chosen or chosen[-1][4] + LABEL_GAP_UNITS <= left:
            chosen.append(placed)
    return [(index, text, anchor) for index, text, anchor, _, _ in chosen]


def chart_svg(doc: dict, summary: dict, log: Section) -> str:
    """An SVG line chart of the log's ratings per session, with a title and description for screen readers.

    The first series is a solid line with round markers, the second a dashed line with square markers, and
    so on (``MARKERS``), so the series differ by more than colour. Colours come from the site's CSS, so they
    follow the light or dark palette and print in black and white.
    """
    date = log.columns[0].id
    sessions = sorted((s for s in doc["sessions"] if s[date]), key=lambda s: s[date])
    width, height = 480, 260
    left, right, top, bottom = 36, 30, 12, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    # Spaced by time, as their dates say: January to May is drawn four times as wide as May to June.
    days = [dt.date.fromisoformat(s[date]) for s in sessions]
    span = (days[-1] - days[0]).days if days else 0
    xs = [left + (plot_w * (day - days[0]).days / span if span else plot_w / 2) for day in days]
    # One vertical axis for every series: from the lowest low to the highest high of their scales.
    low = min((column.scale.low for column in log.series), default=0)
    high = max((column.scale.high for column in log.series), default=10)

    def y(value: int) -> float:
        return top + plot_h * (high - value) / (high - low)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="progress-chart" viewBox="0 0 {width} {height}" '
        'role="img" aria-labelledby="progress-chart-title progress-chart-desc">',
        f'<title id="progress-chart-title">{escape(log.chart_title)}</title>',
        f'<desc id="progress-chart-desc">{escape(describe(summary, log))}</desc>',
    ]
    for value in sorted({low, (low + high) // 2, high}):
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>')
        parts.append(f'<text class="axis" x="{left - 8}" y="{y(value) + 4:.1f}" text-anchor="end">{value}</text>')
    for index, text, anchor in _date_labels(days, xs, width):
        parts.append(
            f'<text class="axis date" x="{xs[index]:.1f}" y="{height - bottom + 20}" text-anchor="{anchor}">{text}</text>'
        )
    legend_x, legend_y = left, height - 12
    for number, (column, marker) in enumerate(zip(log.series, MARKERS, strict=False), start=1):
        key = f"series-{number}"
        points = [(xs[i], y(s[column.id])) for i, s in enumerate(sessions) if s[column.id] is not None]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(f'<polyline class="series {key}" points="{path}"/>')
        parts += [_marker(marker, key, px, py) for px, py in points]
        parts.append(f'<line class="series {key}" x1="{legend_x}" x2="{legend_x + 24}" y1="{legend_y - 4}" y2="{legend_y - 4}"/>')
        parts.append(f'<text class="legend" x="{legend_x + 30}" y="{legend_y}">{escape(column.series)}</text>')
        legend_x += 30 + len(column.series) * LABEL_CHAR_UNITS * 0.75 + 24
    parts.append("</svg>")
    return "".join(parts)


def _marker(shape: str, key: str, x: float, y: float) -> str:
    """One point of a series, in its series' shape."""
    if shape == "circle":
        return f'<circle class="marker {key}" cx="{x:.1f}" cy="{y:.1f}" r="4"/>'
    if shape == "square":
        return f'<rect class="marker {key}" x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8"/>'
    if shape == "diamond":
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
    else:
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
    return f'<polygon class="marker {key}" points="{points}"/>'
