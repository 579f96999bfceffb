"""The time range picker: presets or custom days, kept in the URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from portal.timerange import PRESETS, TimeRange, from_query


def time_range_picker(key: str = "range") -> TimeRange:
    """Render the picker and return the chosen range; a bad URL shows why and falls back to the last day."""
    params = {k: st.query_params.get(k) for k in ("range", "since", "until")}
    try:
        chosen = from_query({k: v for k, v in params.items() if v})
    except ValueError as exc:
        st.warning(f"Ignoring the time range in the link: {exc}.", icon=":material/schedule:")
        chosen = from_query({})
    options = [*PRESETS, "custom"]
    labels = {name: label for name, (label, _, _) in PRESETS.items()} | {"custom": "Custom"}
    picked = st.segmented_control("Time range", options, default=chosen.name,
                                  format_func=lambda name: labels.get(name, name), key=key)
    picked = picked or chosen.name
    if picked == "custom":
        today = datetime.now(UTC).date()
        start = chosen.since.date() if chosen.name == "custom" else today - timedelta(days=7)
        days = st.date_input("Days", value=(start, min(chosen.until.date(), today)), max_value=today,
                             key=f"{key}-days")
        if isinstance(days, tuple) and len(days) == 2:
            st.query_params.update({"range": "custom", "since": days[0].isoformat(), "until": days[1].isoformat()})
    else:
        st.query_params["range"] = picked
        for name in ("since", "until"):
            st.query_params.pop(name, None)
    try:
        return from_query({k: v for k in ("range", "since", "until") if (v := st.query_params.get(k))})
    except ValueError as exc:
        st.warning(str(exc))
        return from_query({})
