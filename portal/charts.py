"""Data in, Plotly figure out. Pure functions: no service calls, no Streamlit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

import plotly.graph_objects as go

from portal.clients.models import PushCount
from portal.releases import ReleaseCatalog, SupportStatus, parse_minor

STATUS_COLOURS = {
    SupportStatus.LTS: "#1d74f5",
    SupportStatus.SUPPORTED: "#2de0a5",
    SupportStatus.NEWER_UNKNOWN: "#a0d8ff",
    SupportStatus.OUT_OF_SUPPORT: "#f5455c",
    SupportStatus.UNKNOWN: "#9ea2a8",
}
STATUS_ORDER = [
    SupportStatus.LTS,
    SupportStatus.SUPPORTED,
    SupportStatus.NEWER_UNKNOWN,
    SupportStatus.OUT_OF_SUPPORT,
    SupportStatus.UNKNOWN,
]


def _minor_sort_key(minor: str) -> tuple[int, int, str]:
    parsed = parse_minor(minor)
    return (parsed[0], parsed[1], "") if parsed else (-1, -1, minor)


def counts_by_support_status(
    by_minor: Mapping[str, int], catalog: ReleaseCatalog, *, today: date | None = None
) -> dict[SupportStatus, int]:
    """Fold per-minor counts into counts per support status (every status present, maybe 0)."""
    totals = dict.fromkeys(STATUS_ORDER, 0)
    for minor, count in by_minor.items():
        totals[catalog.support(minor, today=today).status] += int(count)
    return totals


def versions_by_support(
    by_minor: Mapping[str, int], catalog: ReleaseCatalog, *, today: date | None = None
) -> go.Figure:
    """One bar per minor version, coloured by its support status, oldest left."""
    minors = sorted(by_minor, key=_minor_sort_key)
    figure = go.Figure()
    for status in STATUS_ORDER:
        xs = [m for m in minors if catalog.support(m, today=today).status is status]
        if xs:
            figure.add_bar(
                x=xs, y=[by_minor[m] for m in xs], name=status.label, marker_color=STATUS_COLOURS[status],
                hovertemplate="%{x}: %{y} workspaces<extra>" + status.label + "</extra>",
            )
    figure.update_layout(
        barmode="stack", xaxis={"type": "category", "categoryorder": "array", "categoryarray": minors,
                                "title": "version"},
        yaxis={"title": "workspaces"}, legend={"orientation": "h", "y": -0.25}, margin={"t": 10, "b": 10},
        height=360,
    )
    return figure


def support_status_bars(totals: Mapping[SupportStatus, int]) -> go.Figure:
    """Workspaces per support status, one bar each (a bar can be clicked; a pie slice cannot)."""
    statuses = [s for s in reversed(STATUS_ORDER) if totals.get(s)]
    figure = go.Figure(go.Bar(
        x=[totals[s] for s in statuses], y=[s.label for s in statuses], orientation="h",
        marker_color=[STATUS_COLOURS[s] for s in statuses],
        hovertemplate="%{y}: %{x} workspaces<extra></extra>",
    ))
    figure.update_layout(xaxis={"title": "workspaces"}, yaxis={"automargin": True}, margin={"t": 10, "b": 10},
                         height=_bar_height(len(statuses)))
    return figure


MAX_BARS = 15  # a longer list is shown as its largest 15 (each still opens its own list)


def _bar_height(bars: int) -> int:
    return min(420, max(180, 26 * bars + 70))


def horizontal_counts(counts: Mapping[str, int], *, label: str, colour: str = "#1d74f5") -> go.Figure:
    """Categories as horizontal bars, largest on top; at most MAX_BARS of them, so the chart stays short."""
    largest = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)[:MAX_BARS]
    items = list(reversed(largest))
    figure = go.Figure(go.Bar(x=[v for _, v in items], y=[k or "(not set)" for k, _ in items], orientation="h",
                              marker_color=colour, hovertemplate="%{y}: %{x}<extra></extra>"))
    title = label if len(counts) <= MAX_BARS else f"{label} (the largest {MAX_BARS} of {len(counts)})"
    figure.update_layout(xaxis={"title": title}, yaxis={"automargin": True, "type": "category"},
                         margin={"t": 10, "b": 10}, height=_bar_height(len(items)))
    return figure


OUTCOME_COLOURS = {
    "sent": "#2de0a5", "invalid_token": "#f5a623", "rejected": "#9b59b6", "unauthorized": "#f5455c",
    "error": "#6c727a",
}


def push_over_time(items: Sequence[PushCount], *, by: str = "outcome") -> go.Figure:
    """Deliveries per time bucket, stacked by outcome (or platform)."""
    totals: dict[tuple[datetime, str], int] = {}
    for item in items:
        totals[(item.start, getattr(item, by))] = totals.get((item.start, getattr(item, by)), 0) + item.count
    starts = sorted({start for start, _ in totals})
    figure = go.Figure()
    for series in sorted({name for _, name in totals}):
        figure.add_bar(x=starts, y=[totals.get((s, series), 0) for s in starts], name=series,
                       customdata=[series] * len(starts),  # a clicked bar says which series it belongs to
                       marker_color=OUTCOME_COLOURS.get(series) if by == "outcome" else None)
    figure.update_layout(barmode="stack", height=320, margin={"t": 10, "b": 10}, legend={"orientation": "h"},
                         yaxis={"title": "deliveries"})
    return figure


def error_rate(items: Sequence[PushCount]) -> tuple[go.Figure, float | None]:
    """Share of deliveries that did not succeed, per bucket, and over the whole range."""
    per_bucket: dict[datetime, list[int]] = {}
    for item in items:
        failed, total = per_bucket.setdefault(item.start, [0, 0])
        per_bucket[item.start] = [failed + (item.count if item.outcome != "sent" else 0), total + item.count]
    starts = sorted(per_bucket)
    figure = go.Figure(go.Scatter(
        x=starts, y=[100 * per_bucket[s][0] / per_bucket[s][1] if per_bucket[s][1] else 0 for s in starts],
        mode="lines+markers", line_color="#f5455c"))
    figure.update_layout(height=240, margin={"t": 10, "b": 10}, yaxis={"title": "% failed", "rangemode": "tozero"})
    failed = sum(v[0] for v in per_bucket.values())
    total = sum(v[1] for v in per_bucket.values())
    return figure, (100 * failed / total if total else None)


def trend(points: list, *, label: str, colour: str = "#f5a623") -> go.Figure:
    """A simple count-per-bucket line. `points`: objects with `start` and `count`."""
    figure = go.Figure(go.Scatter(x=[p.start for p in points], y=[p.count for p in points], mode="lines+markers",
                                  line_color=colour))
    figure.update_layout(height=240, margin={"t": 10, "b": 10}, yaxis={"title": label, "rangemode": "tozero"})
    return figure


def growth(created_by_month: Mapping[str, int]) -> go.Figure:
    """Workspaces created per month (bars) and the running total (line)."""
    months = sorted(created_by_month)
    running, total = [], 0
    for month in months:
        total += created_by_month[month]
        running.append(total)
    figure = go.Figure()
    figure.add_bar(x=months, y=[created_by_month[m] for m in months], name="new", marker_color="#a0d8ff")
    figure.add_scatter(x=months, y=running, name="total", mode="lines", line_color="#1d74f5", yaxis="y2")
    figure.update_layout(height=300, margin={"t": 10, "b": 10}, legend={"orientation": "h"},
                         yaxis={"title": "new per month"},
                         yaxis2={"title": "total", "overlaying": "y", "side": "right", "rangemode": "tozero"})
    return figure
