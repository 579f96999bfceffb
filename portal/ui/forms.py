"""A form from a pydantic JSON schema: one widget per property, the model does the validation.

The widgets only collect raw values (prefilled from a runbook or the URL); the parameter model
is the one place that says what is valid, so the form never disagrees with the executor.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import streamlit as st

# Schema hint (json_schema_extra) for time fields: a default relative to now, e.g. "now-24h".
DEFAULT_HINT = "x-default"


def resolve(schema: Mapping[str, Any], prop: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """A property's effective schema (refs and `X | None` unwrapped) and whether it may be empty."""
    optional = False
    current = dict(prop)
    if "anyOf" in current:
        options = [o for o in current["anyOf"] if o.get("type") != "null"]
        optional = len(options) < len(current["anyOf"])
        merged = {k: v for k, v in current.items() if k != "anyOf"}
        current = {**(options[0] if options else {}), **merged}
    if "$ref" in current:
        name = current.pop("$ref").rsplit("/", 1)[-1]
        current = {**schema.get("$defs", {}).get(name, {}), **current}
    return current, optional


def relative_default(hint: str | None, now: datetime | None = None) -> str | None:
    """"now" or "now-24h" / "now-7d" as an ISO timestamp rounded to the minute (stable across reruns)."""
    if not hint or not hint.startswith("now"):
        return None
    moment = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    rest = hint[3:]
    if rest:
        amount, unit = int(rest[1:-1]), rest[-1]
        delta = timedelta(hours=amount) if unit == "h" else timedelta(days=amount)
        moment = moment - delta if rest[0] == "-" else moment + delta
    return moment.isoformat().replace("+00:00", "Z")


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _as_number(value: Any, integer: bool) -> float | int | None:
    if value in (None, ""):
        return None
    try:
        return int(value) if integer else float(value)
    except (TypeError, ValueError):
        return None


def _moment(value: Any) -> datetime | None:
    moment: datetime | None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")) if value else None
        except ValueError:
            return None
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def moment_input(label: str, initial: Any, *, key: str, help_text: str | None, disabled: bool) -> str:
    """A date and a time (UTC) for a date-time parameter; the chosen moment as ISO 8601, or ""."""
    start = _moment(initial)
    day_column, time_column = st.columns(2)
    picked_day = day_column.date_input(label, value=start.date() if start else None, key=f"{key}-day",
                                       help=help_text, disabled=disabled)
    picked_time = time_column.time_input(f"{label}: time (UTC)", value=start.time() if start else None,
                                         key=f"{key}-time", step=timedelta(minutes=5), disabled=disabled)
    if not isinstance(picked_day, date):
        return ""
    when = datetime.combine(picked_day, picked_time or time.min, tzinfo=UTC)
    return when.isoformat().replace("+00:00", "Z")


def render_fields(schema: Mapping[str, Any], *, key: str, prefill: Mapping[str, Any] | None = None,
                  disabled: bool = False) -> dict[str, Any]:
    """Render one widget per property of `schema`; returns the raw values (empty optionals left out)."""
    prefill = prefill or {}
    required = set(schema.get("required", []))
    values: dict[str, Any] = {}
    for name, raw in schema.get("properties", {}).items():
        prop, optional = resolve(schema, raw)
        optional = optional or name not in required
        label = prop.get("title") or name.replace("_", " ").capitalize()
        if name in required:
            label += " *"
        help_text = prop.get("description")
        widget_key = f"{key}-{name}"
        initial = prefill.get(name, prop.get("default"))
        if initial is None:
            initial = relative_default(prop.get(DEFAULT_HINT))
        kind = prop.get("type")
        if prop.get("secret"):
            value: Any = st.text_input(label, type="password", key=widget_key, help=help_text, disabled=disabled,
                                       placeholder="never stored or shown again")
        elif "enum" in prop:
            options = ([""] if optional else []) + [str(option) for option in prop["enum"]]
            index = options.index(str(initial)) if initial is not None and str(initial) in options else 0
            value = st.selectbox(label, options, index=index, key=widget_key, help=help_text, disabled=disabled)
        elif kind == "boolean":
            value = st.checkbox(label, value=_as_bool(initial), key=widget_key, help=help_text, disabled=disabled)
        elif kind in ("integer", "number"):
            integer = kind == "integer"
            # Streamlit's overloads cannot express "int or float, maybe empty, bounds maybe unset".
            bounds: dict[str, Any] = {"min_value": prop.get("minimum"), "max_value": prop.get("maximum"),
                                      "step": 1 if integer else None, "value": _as_number(initial, integer)}
            value = st.number_input(label, key=widget_key, help=help_text, disabled=disabled, **bounds)
        elif prop.get("format") == "date-time":
            value = moment_input(label, initial, key=widget_key, help_text=help_text, disabled=disabled)
        else:
            text = "" if initial is None else str(initial)
            placeholder = None
            limit = prop.get("maxLength")
            if limit and limit > 240:
                value = st.text_area(label, value=text, max_chars=limit, key=widget_key, help=help_text,
                                     disabled=disabled, height=80)
            else:
                value = st.text_input(label, value=text, max_chars=limit, key=widget_key, help=help_text,
                                      disabled=disabled, placeholder=placeholder)
        if value in (None, "") and optional:
            continue
        values[name] = value
    return values
