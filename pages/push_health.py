"""Push health: deliveries over time by platform and outcome, error rate, failing workspaces, invalid tokens."""

import streamlit as st

from portal import charts, timerange
from portal.app_context import app_context
from portal.livedata import ask_for
from portal.ui.gate import require_screen
from portal.ui.live import fetch_all, freshness
from portal.ui.timerange import time_range_picker

principal = require_screen("push")

clients = app_context().clients

st.title("Push health")
window = time_range_picker()
counts, failing, invalid = fetch_all(
    [ask_for("push", timerange.push_counts, clients.push, window),
     ask_for("push", timerange.push_top_failing, clients.push, window, limit=10),
     ask_for("push", timerange.invalid_token_trend, clients.push, window)],
    refresh_key="push-refresh",
)

if counts.value is not None:
    items = counts.value.items
    rate_figure, rate = charts.error_rate(items)
    total = sum(i.count for i in items)
    cols = st.columns(3)
    cols[0].metric(f"Deliveries ({window.label.lower()})", f"{total:,}")
    cols[1].metric("Failed", f"{sum(i.count for i in items if i.outcome != 'sent'):,}")
    cols[2].metric("Error rate", f"{rate:.2f} %" if rate is not None else "no deliveries")
    by = st.radio("Split by", ["outcome", "platform"], horizontal=True, key="push-split")
    st.plotly_chart(charts.push_over_time(items, by=by), width="stretch")
    st.subheader("Error rate")
    st.plotly_chart(rate_figure, width="stretch")
freshness(counts)

left, right = st.columns(2)
with left:
    st.subheader("Top failing workspaces")
    if failing.value:
        st.dataframe(
            [{"workspace": f"/workspace?workspace={f.workspace_id}", "failed": f.failed, "total": f.total,
              "failure rate %": round(100 * f.failed / f.total, 1) if f.total else None} for f in failing.value],
            column_config={"workspace": st.column_config.LinkColumn(display_text=r"workspace=(.*)$")},
            hide_index=True, width="stretch")
    elif failing.value is not None:
        st.info("No failed deliveries in this range.")
    freshness(failing)
with right:
    st.subheader("Invalid device tokens (406)")
    if invalid.value is not None:
        st.plotly_chart(charts.trend(invalid.value, label="tokens flagged"), width="stretch")
    freshness(invalid)
