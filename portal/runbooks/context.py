"""The context a runbook runs in: `{{ name }}` variables from the alert link, checked and filled in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from portal.runbooks.model import PLACEHOLDER, ActionBlock


@dataclass(frozen=True)
class ContextVariable:
    """A value a runbook may use as `{{ name }}`: where it comes from and what it may look like."""

    name: str
    description: str
    pattern: re.Pattern[str]
    example: str  # what lint substitutes before validating parameters


CONTEXT_VARIABLES: dict[str, ContextVariable] = {
    v.name: v
    for v in (
        ContextVariable("workspace", "workspace id (or uniqueId) from the link, e.g. ws_000042",
                        re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"), "ws_000001"),
        ContextVariable("delivery", "one push delivery id, e.g. d_1a2b3c",
                        re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"), "d_000001"),
        ContextVariable("since", "start of the incident window, ISO 8601 UTC (default: 24 h before until)",
                        re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:\d\d)?$"),
                        "2026-01-01T00:00:00Z"),
        ContextVariable("until", "end of the incident window, ISO 8601 UTC (default: now)",
                        re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:\d\d)?$"),
                        "2026-01-01T12:00:00Z"),
    )
}



TIMES = ("since", "until")
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


def moment(text: str) -> datetime | None:
    """An ISO 8601 time from a link, as an aware UTC datetime; None unless it is a real moment
    (`2026-02-30`, hour 24 or 99, an offset pushing it out of range are not) between 2000 and 2100."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return parsed if EARLIEST <= parsed < LATEST else None


def placeholders(text: str) -> list[str]:
    """The names used as `{{ name }}` in a text (in order, with repeats)."""
    return [m.group(1) for m in PLACEHOLDER.finditer(text)]


def clean_context(raw: Mapping[str, Any], *, now: datetime | None = None) -> dict[str, str]:
    """Keep the context values that are well-formed (from an untrusted link); fill the time window.

    `until` defaults to now and `since` to 24 h before `until` (both to the minute, so a rerun
    of the page does not change an action's parameters).
    """
    context: dict[str, str] = {}
    for name, variable in CONTEXT_VARIABLES.items():
        value = raw.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        text = str(value).strip() if value is not None else ""
        if text and variable.pattern.match(text) and (name not in TIMES or moment(text) is not None):
            context[name] = text
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    if "until" not in context:
        context["until"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if "since" not in context:
        until = moment(context["until"]) or now
        context["since"] = (until - timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return context


def substitute(value: Any, context: Mapping[str, str]) -> Any:
    """`value` with `{{ name }}` replaced from `context`; None when a name is missing from it.

    Recurses into lists and tables; a string that is exactly one placeholder becomes the value.
    """
    if isinstance(value, str):
        missing = [name for name in placeholders(value) if name not in context]
        if missing:
            return None
        return PLACEHOLDER.sub(lambda m: context[m.group(1)], value)
    if isinstance(value, list):
        return [substitute(item, context) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, context) for key, item in value.items()}
    return value


def prefill(block: ActionBlock, context: Mapping[str, str]) -> dict[str, Any]:
    """The parameters to prefill a block's form with; fields whose context is missing are left out."""
    filled = {key: substitute(value, context) for key, value in block.params.items()}
    return {key: value for key, value in filled.items() if value is not None}


def block_target(block: ActionBlock, context: Mapping[str, str]) -> str | None:
    """The block's target with the context filled in, or None when the context lacks it."""
    return substitute(block.target, context) or None


def render_text(text: str, context: Mapping[str, str]) -> str:
    """Markdown prose with known placeholders replaced; unknown or missing ones are left as written."""
    return PLACEHOLDER.sub(lambda m: context.get(m.group(1), m.group(0)), text)

