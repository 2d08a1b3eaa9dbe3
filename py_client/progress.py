"""How trust and safety change over the session log: summary figures and an accessible SVG chart."""

from __future__ import annotations

import datetime as dt
import math
from html import escape

from .content import SAFETY_SCALE, TRUST_SCALE

# Slope, in points per session, below which a series counts as steady: a change of one point over ten
# sessions is noise in a self-rating, not a trend worth pointing out.
STEADY_SLOPE = 0.1
SERIES = (("trust", "Trust", TRUST_SCALE), ("safety", "Safety", SAFETY_SCALE))
# Room one date label ("28 Sep" at the axis' 15 px) needs on the x axis, with a gap, in chart units. The
# chart scales as a whole, so labels this far apart never overlap at any displayed width.
DATE_LABEL_SPACE = 60


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
    first, latest = _long_date(summary["first_date"]), _long_date(summary["latest_date"])
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


def _long_date(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


def _labelled(count: int, step: float) -> list[int]:
    """Which sessions get a date label: evenly spaced ones at least DATE_LABEL_SPACE apart, always the
    first and the last (the last replaces its neighbour when the two would be too close)."""
    if count <= 1:
        return list(range(count))
    every = math.ceil(DATE_LABEL_SPACE / step)
    indices = list(range(0, count, every))
    if indices[-1] != count - 1:
        if len(indices) > 1 and (count - 1 - indices[-1]) * step < DATE_LABEL_SPACE:
            indices.pop()
        indices.append(count - 1)
    return indices


def chart_svg(doc: dict, summary: dict) -> str:
    """An SVG line chart of trust and safety per session, with a title and description for screen readers.

    Trust is a solid line with round markers and safety a dashed line with square markers, so the two
    series differ by more than colour. Colours come from CSS custom properties, so they follow the
    light or dark palette and print in black and white.
    """
    sessions = [s for s in doc["sessions"] if s["date"]]
    width, height = 480, 260
    # The margins hold half a date label on each side, so the outermost labels are centred too.
    left, right, top, bottom = 36, 30, 12, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(sessions) - 1, 1)

    def x(index: int) -> float:
        return left + (index * step if len(sessions) > 1 else plot_w / 2)

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
    for index in _labelled(len(sessions), step):
        day = dt.date.fromisoformat(sessions[index]["date"])
        parts.append(
            f'<text class="axis date" x="{x(index):.1f}" y="{height - bottom + 18}" text-anchor="middle">'
            f"{day.day} {day:%b}</text>"
        )
    for key, _label, _scale in SERIES:
        points = [(x(i), y(s[key])) for i, s in enumerate(sessions) if s[key] is not None]
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
