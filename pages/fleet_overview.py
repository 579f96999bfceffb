"""Fleet overview: how many workspaces, on which versions, how they are deployed, who went silent."""

import streamlit as st

from portal import charts
from portal.app_context import app_context
from portal.livedata import Request
from portal.releases import SupportStatus, load_catalog
from portal.ui.live import fetch_all, freshness

ctx = app_context()
catalog = load_catalog()

st.title("Fleet overview")
data = fetch_all(
    [
        Request(("fleet", "summary"), "fleet", ctx.clients.fleet.summary),
        Request(("stats", "freshness"), "stats", ctx.clients.stats.freshness),
    ],
    refresh_key="fleet-refresh",
)
fleet, stats = data[("fleet", "summary")], data[("stats", "freshness")]
summary = fleet.value

if summary is None:
    freshness(fleet)
    st.stop()

totals = charts.counts_by_support_status(summary.by_minor, catalog)
out_of_support = totals[SupportStatus.OUT_OF_SUPPORT]
newer = totals[SupportStatus.NEWER_UNKNOWN]

cols = st.columns(5)
cols[0].metric("Workspaces", f"{summary.total:,}")
cols[1].metric("Cloud-hosted", f"{summary.hosted:,}")
cols[2].metric("Self-managed", f"{summary.self_managed:,}")
cols[3].metric("Out of support", f"{out_of_support:,}",
               help="Their push gateway and marketplace access has stopped.")
cols[4].metric("Silent > 48 h", f"{summary.stats_silent_48h:,}",
               help="No statistics received for more than 48 hours (or never).")
freshness(fleet)

left, right = st.columns([2, 1])
with left:
    st.subheader("Versions by support status")
    st.plotly_chart(charts.versions_by_support(summary.by_minor, catalog), width="stretch")
with right:
    st.subheader("Support status")
    st.plotly_chart(charts.support_status_donut(totals), width="stretch")
if newer:
    st.info(f"{newer:,} workspaces run a version newer than the releases file knows; "
            "they are counted as supported until the file is updated.", icon=":material/new_releases:")

left, right = st.columns(2)
with left:
    st.subheader("Deploy methods")
    st.plotly_chart(charts.horizontal_counts(summary.by_deploy_method, label="workspaces"), width="stretch")
with right:
    st.subheader("Registration")
    st.plotly_chart(charts.horizontal_counts(summary.by_registration_state, label="workspaces", colour="#f5a623"),
                    width="stretch")

st.subheader("Statistics reporting")
if stats.value is not None:
    s = stats.value
    cols = st.columns(3)
    cols[0].metric("Reported in the last 24 h", f"{s.reported_24h:,}")
    cols[1].metric("Silent for more than 48 h", f"{s.silent_48h:,}")
    cols[2].metric("Never reported", f"{s.never_reported:,}")
freshness(stats)
