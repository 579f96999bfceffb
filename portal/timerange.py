"""Time ranges for dashboards, read from and written to the URL so any view can be shared."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from portal.clients.models import FailingWorkspace, PushCounts, StatsPoint, TrendPoint
    from portal.clients.push import PushClient
    from portal.clients.stats import StatsClient

PRESETS: dict[str, tuple[str, timedelta, str]] = {
    "hour": ("Last hour", timedelta(hours=1), "hour"),
    "day": ("Last day", timedelta(days=1), "hour"),
    "week": ("Last week", timedelta(days=7), "day"),
}
MAX_CUSTOM = timedelta(days=31)


@dataclass(frozen=True)
class TimeRange:
    name: str  # a preset name or "custom"
    since: datetime
    until: datetime
    bucket: str  # hour | day

    def cache_identity(self) -> tuple[str, ...]:
        """How a cache key names this range: by preset name while a preset window slides, so its
        cached (and last good) answers survive the next minute; a custom range by its dates."""
        if self.name != "custom":
            return (self.name,)
        return (self.name, self.since.isoformat(), self.until.isoformat())

    @property
    def label(self) -> str:
        if self.name in PRESETS:
            return PRESETS[self.name][0]
        return f"{self.since:%Y-%m-%d} to {self.until:%Y-%m-%d}"


def _day(text: str | None, field: str) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise ValueError(f"{field} must be a date like 2026-11-28, not {text!r}") from None


def from_query(params: Mapping[str, str], *, now: datetime | None = None) -> TimeRange:
    """`?range=hour|day|week`, or `?range=custom&since=YYYY-MM-DD&until=YYYY-MM-DD` (inclusive days).

    Raises ValueError naming the field and the rule when the URL is wrong.
    """
    # Round to the minute so that reruns within a minute share cached answers.
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    name = params.get("range") or "day"
    if name in PRESETS:
        _, span, bucket = PRESETS[name]
        return TimeRange(name, now - span, now, bucket)
    if name != "custom":
        raise ValueError(f"range must be one of {', '.join([*PRESETS, 'custom'])}, not {name!r}")
    since_day, until_day = _day(params.get("since"), "since"), _day(params.get("until"), "until")
    if since_day > until_day:
        raise ValueError("since must be on or before until")
    since = datetime.combine(since_day, time.min, UTC)
    until = min(datetime.combine(until_day + timedelta(days=1), time.min, UTC), now)
    if until - since > MAX_CUSTOM:
        raise ValueError(f"a custom range may span at most {MAX_CUSTOM.days} days")
    bucket = "hour" if until - since <= timedelta(days=2) else "day"
    return TimeRange("custom", since, until, bucket)


# -- push queries over a range (a live-data request passes the range, so its key is the range's) ----


def trailing(span: timedelta, *, bucket: str, now: datetime | None = None) -> TimeRange:
    """The sliding window of `span` up to now (to the minute), e.g. a workspace's last 7 days."""
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    return TimeRange(f"last-{span.total_seconds() / 3600:g}h", now - span, now, bucket)


def push_counts(push: PushClient, window: TimeRange, workspace_id: str | None = None) -> PushCounts:
    """Deliveries per bucket, platform and outcome in the range (gateway-wide, or one workspace's)."""
    return push.counts(since=window.since, until=window.until, bucket=window.bucket, workspace_id=workspace_id)


def stats_history(stats: StatsClient, unique_id: str, window: TimeRange) -> list[StatsPoint]:
    """A workspace's statistics reports since the range's start, newest first."""
    return stats.history(unique_id, since=window.since)


def push_top_failing(push: PushClient, window: TimeRange, limit: int = 10) -> list[FailingWorkspace]:
    """The workspaces with the most failed deliveries in the range."""
    return push.top_failing(since=window.since, until=window.until, limit=limit)


def invalid_token_trend(push: PushClient, window: TimeRange) -> list[TrendPoint]:
    """Tokens flagged invalid per bucket in the range."""
    return push.invalid_token_trend(since=window.since, until=window.until, bucket=window.bucket)
