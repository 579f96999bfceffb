"""Marketplace: most installed apps, subscriptions by status, failing installs."""

import streamlit as st

from portal import charts
from portal.app_context import app_context
from portal.livedata import ask
from portal.ui.gate import require_screen
from portal.ui.live import fetch_all, freshness

principal = require_screen("marketplace")

clients = app_context().clients

st.title("Marketplace")
summary, failed = fetch_all(
    [ask(clients.marketplace.summary), ask(clients.marketplace.failed_installs, limit=100)],
    refresh_key="marketplace-refresh",
)

if summary.value is not None:
    s = summary.value
    cols = st.columns(3)
    cols[0].metric("Apps in the top list", f"{len(s.top_apps):,}")
    cols[1].metric("Subscriptions", f"{sum(s.subscriptions_by_status.values()):,}")
    cols[2].metric("Failed installs", f"{s.failed_installs:,}")
    left, right = st.columns(2)
    with left:
        st.subheader("Most installed apps")
        st.plotly_chart(charts.horizontal_counts({a.name: a.installs for a in s.top_apps}, label="installs"),
                        width="stretch")
    with right:
        st.subheader("Subscriptions by status")
        st.plotly_chart(charts.horizontal_counts(s.subscriptions_by_status, label="subscriptions",
                                                 colour="#f5a623"), width="stretch")
freshness(summary)

st.subheader("Failing installs")
if failed.value is not None:
    if failed.value.items:
        st.dataframe([{"workspace": f"/workspace?workspace={f.workspace_id}", "app": f.name, "error": f.error or "",
                       "at": f.at} for f in failed.value.items],
                     column_config={"workspace": st.column_config.LinkColumn(display_text=r"workspace=(.*)$")},
                     hide_index=True, width="stretch")
    else:
        st.info("No failed installs.")
freshness(failed)
