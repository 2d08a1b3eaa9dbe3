"""How trust and safety change over the session log: summary figures and an accessible SVG chart."""

from __future__ import annotations

import datetime as dt
from html import escape

from .content import SAFETY_SCALE, TRUST_SCALE
from .dates import long_date, short_date

# Slope, in points per session, below which a series counts as steady: a change of one point over ten
# sessions is noise in a self-rating, not a trend worth pointing out.
STEADY_SLOPE = 0.1
SERIES = (("trust", "Trust", TRUST_SCALE), ("safety", "Safety", SAFETY_SCALE))
# The date labels' size in chart units at their largest (on a narrow phone the site's CSS draws them at 20 so
# that, with the chart scaled down to a 320 px screen, they are still 12 px). The chart scales as a whole, so
# labels placed apart for this size never overlap at any displayed width.
LABEL_FONT_UNITS = 20
# The width of one character of a date label at that size, generously (a digit is 0.55 em in the site's font),
# and the gap between two labels.
LABEL_CHAR_UNITS = LABEL_FONT_UNITS * 0.575
LABEL_GAP_UNITS = 8


def summarise(doc: dict) -> dict:
    """Figures for a normalised document: sessions logged, first and latest, and per rating its average,
    first, latest value and trend."""
    dated = [s for s in doc["sessions"] if s["date"]]
    summary: dict = {
        "sessions": len(doc["sessions"]),
        "first_date": dated[0]["date"] if dated else None,
        "latest_date": dated[-1]["date"] if dated else None,
    }
    for key, _label, _scale in SERIES:
        values = [s[key] for s in dated if s[key] is not None]
        summary[key] = _series_summary(values)
    return summary


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


def describe(summary: dict) -> str:
    """The summary in words: the chart's text alternative and the exports' overview."""
    if not summary["first_date"]:
        return "No sessions with a date have been logged yet."
    count = summary["sessions"]
    first, latest = long_date(summary["first_date"]), long_date(summary["latest_date"])
    when = f"on {first}" if first == latest else f"from {first} to {latest}"
    parts = [f"{count} session{'s' if count != 1 else ''} logged, {when}."]
    for key, label, _scale in SERIES:
        figures = summary[key]
        if figures is None:
            parts.append(f"{label} has not been rated yet.")
            continue
        parts.append(
            f"{label}: average {figures['average']:g} out of 10, first {figures['first']}, "
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


def chart_svg(doc: dict, summary: dict) -> str:
    """An SVG line chart of trust and safety per session, with a title and description for screen readers.

    Trust is a solid line with round markers and safety a dashed line with square markers, so the two
    series differ by more than colour. Colours come from CSS custom properties, so they follow the
    light or dark palette and print in black and white.
    """
    sessions = sorted((s for s in doc["sessions"] if s["date"]), key=lambda s: s["date"])
    width, height = 480, 260
    left, right, top, bottom = 36, 30, 12, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    # Spaced by time, as their dates say: January to May is drawn four times as wide as May to June.
    days = [dt.date.fromisoformat(s["date"]) for s in sessions]
    span = (days[-1] - days[0]).days if days else 0
    xs = [left + (plot_w * (day - days[0]).days / span if span else plot_w / 2) for day in days]

    def y(value: int) -> float:
        return top + plot_h * (10 - value) / 9

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="progress-chart" viewBox="0 0 {width} {height}" '
        'role="img" aria-labelledby="progress-chart-title progress-chart-desc">',
        '<title id="progress-chart-title">Trust and safety over your sessions</title>',
        f'<desc id="progress-chart-desc">{escape(describe(summary))}</desc>',
    ]
    for value in (1, 5, 10):
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>')
        parts.append(f'<text class="axis" x="{left - 8}" y="{y(value) + 4:.1f}" text-anchor="end">{value}</text>')
    for index, text, anchor in _date_labels(days, xs, width):
        parts.append(
            f'<text class="axis date" x="{xs[index]:.1f}" y="{height - bottom + 20}" text-anchor="{anchor}">{text}</text>'
        )
    for key, _label, _scale in SERIES:
        points = [(xs[i], y(s[key])) for i, s in enumerate(sessions) if s[key] is not None]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            parts.append(f'<polyline class="series {key}" points="{path}"/>')
        for px, py in points:
            if key == "trust":
                parts.append(f'<circle class="marker {key}" cx="{px:.1f}" cy="{py:.1f}" r="4"/>')
            else:
                parts.append(f'<rect class="marker {key}" x="{px - 4:.1f}" y="{py - 4:.1f}" width="8" height="8"/>')
    legend_y = height - 12
    parts.append(f'<line class="series trust" x1="{left}" x2="{left + 24}" y1="{legend_y - 4}" y2="{legend_y - 4}"/>')
    parts.append(f'<text class="legend" x="{left + 30}" y="{legend_y}">Trust</text>')
    parts.append(f'<line class="series safety" x1="{left + 100}" x2="{left + 124}" y1="{legend_y - 4}" y2="{legend_y - 4}"/>')
    parts.append(f'<text class="legend" x="{left + 130}" y="{legend_y}">Safety</text>')
    parts.append("</svg>")
    return "".join(parts)
