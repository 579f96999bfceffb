"""Time ranges for dashboards, read from and written to the URL so any view can be shared."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

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

    @property
    def cache_key(self) -> tuple[str, ...]:
        """Stable while a preset window slides, so the last good answer survives the next minute."""
        if self.name in PRESETS:
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
