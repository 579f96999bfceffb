"""Fleet health: versions and support status, deployments, registration, reporting, growth; drill into any number."""

from typing import Any

import streamlit as st

from portal import charts
from portal.app_context import app_context
from portal.drilldown import DIMENSIONS, fleet_filters, from_query, workspaces_csv
from portal.livedata import ask
from portal.releases import SupportStatus, load_catalog
from portal.ui.gate import require_screen
from portal.ui.live import fetch_all, freshness, stop_page

principal = require_screen("fleet")

ctx = app_context()
clients = ctx.clients
catalog = load_catalog()
PAGE_SIZE = 50


def drill_to(dimension: str, value: str) -> None:
    st.query_params.update({"drill": dimension, "value": value})
    st.query_params.pop("cursor", None)


def clickable(figure: Any, key: str, dimension: str, *, axis: str = "x") -> None:
    """A chart whose bars open the list behind them."""
    event: Any = st.plotly_chart(figure, width="stretch", key=key, on_select="rerun", selection_mode="points")
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else \
        getattr(getattr(event, "selection", None), "points", [])
    if points:
        point = points[0]
        value = point.get(axis) if dimension != "support" else point.get("label")
        if value is not None and (st.query_params.get("drill"), st.query_params.get("value")) != (dimension, value):
            drill_to(dimension, str(value))
            st.rerun()


st.title("Fleet overview")
fleet, stats = fetch_all([ask(clients.fleet.summary), ask(clients.stats.freshness)], refresh_key="fleet-refresh")
summary = fleet.value
if summary is None:
    freshness(fleet)
    stop_page()

totals = charts.counts_by_support_status(summary.by_minor, catalog)
cards = st.columns(5)
cards[0].metric("Workspaces", f"{summary.total:,}")
cards[1].metric("Cloud-hosted", f"{summary.hosted:,}")
cards[2].metric("Self-managed", f"{summary.self_managed:,}")
cards[3].metric("Out of support", f"{totals[SupportStatus.OUT_OF_SUPPORT]:,}",
               help="Their push gateway and marketplace access has stopped.")
cards[4].metric("Silent > 48 h", f"{summary.stats_silent_48h:,}",
               help="No statistics received for more than 48 hours (or never).")
freshness(fleet)
st.caption("Click a bar or a slice to list the workspaces behind it.")

left, right = st.columns([2, 1])
with left:
    st.subheader("Versions by support status")
    clickable(charts.versions_by_support(summary.by_minor, catalog), "chart-versions", "minor")
with right:
    st.subheader("Support status")
    clickable(charts.support_status_donut(totals), "chart-support", "support")
if totals[SupportStatus.NEWER_UNKNOWN]:
    st.info(f"{totals[SupportStatus.NEWER_UNKNOWN]:,} workspaces run a version newer than the releases file knows; "
            "they are counted as supported until the file is updated.", icon=":material/new_releases:")

cols = st.columns(4)
for col, (title, dimension, counts) in zip(cols, (
        ("Deploy methods", "deploy_method", summary.by_deploy_method),
        ("Deploy platforms", "deploy_platform", summary.by_deploy_platform),
        ("Registration", "registration_state", summary.by_registration_state),
        ("Hosting", "hosting", {"cloud-hosted": summary.hosted, "self-managed": summary.self_managed})),
        strict=True):
    with col:
        st.subheader(title)
        clickable(charts.horizontal_counts(counts, label="workspaces"), f"chart-{dimension}", dimension, axis="y")

left, right = st.columns([2, 1])
with left:
    st.subheader("Growth")
    clickable(charts.growth(summary.created_by_month), "chart-growth", "created_month")
with right:
    st.subheader("Statistics reporting")
    if stats.value is not None:
        s = stats.value
        st.metric("Reported in the last 24 h", f"{s.reported_24h:,}")
        st.metric("Silent for more than 48 h", f"{s.silent_48h:,}")
        st.metric("Never reported", f"{s.never_reported:,}")
        if st.button("List the silent workspaces", key="drill-silent"):
            drill_to("silent", "yes")
            st.rerun()
    freshness(stats)

st.subheader("Workspaces")
try:
    drill = from_query({k: st.query_params.get(k) for k in ("drill", "value")})
except ValueError as exc:
    st.warning(f"Ignoring the drill-down in the link: {exc}.")
    drill = None
pickers = st.columns([2, 3, 1], vertical_alignment="bottom")
dimension = pickers[0].selectbox("List by", ["all", *DIMENSIONS], format_func=lambda d: DIMENSIONS.get(d, "All"),
                              index=([*DIMENSIONS].index(drill.dimension) + 1) if drill else 0)
value = pickers[1].text_input("Value", value=drill.value if drill else "", disabled=dimension == "all",
                           help="e.g. 7.10, out_of_support, docker, deregistered, hosted")
if pickers[2].button("List", key="drill-apply"):
    if dimension == "all":
        for name in ("drill", "value", "cursor"):
            st.query_params.pop(name, None)
    else:
        drill_to(dimension, value.strip())
    st.rerun()

try:
    filters = fleet_filters(drill, by_minor=summary.by_minor, catalog=catalog) if drill else {}
except ValueError as exc:
    st.warning(str(exc))
    stop_page()
cursor = st.query_params.get("cursor")
[page] = fetch_all([ask(clients.fleet.search_workspaces, limit=PAGE_SIZE, cursor=cursor, **filters)],
                   refresh_key="fleet-list-refresh")
if page.value is not None:
    st.caption(f"{page.value.total:,} workspaces" + (f" · {drill.label}" if drill else ""))
    st.dataframe(
        [{"workspace": f"/workspace?workspace={w.id}", "name": w.name, "version": w.version,
          "support": catalog.support(w.version).status.label, "deploy": f"{w.deploy_method}/{w.deploy_platform}",
          "hosted": w.hosted, "registration": w.registration_state, "last statistics": w.last_stats_at}
         for w in page.value.items],
        column_config={"workspace": st.column_config.LinkColumn(display_text=r"workspace=(.*)$")},
        hide_index=True, width="stretch")
    nav = st.columns([1, 1, 4])
    if cursor and nav[0].button("First page", key="page-first"):
        st.query_params.pop("cursor", None)
        st.rerun()
    if page.value.next_cursor and nav[1].button("Next page", key="page-next"):
        st.query_params["cursor"] = page.value.next_cursor
        st.rerun()
    nav[2].download_button(
        "Export CSV", data=lambda: workspaces_csv(clients.fleet.iter_workspaces(**filters)),
        file_name=f"workspaces-{drill.dimension}-{drill.value}.csv" if drill else "workspaces.csv",
        mime="text/csv", key="export-csv", help="Up to 20,000 rows; narrow the list for more.")
freshness(page)
