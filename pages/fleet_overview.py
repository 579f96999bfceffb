"""Fleet health: versions and support status, deployments, registration, reporting, growth; drill into any number.

Every chart is a bar chart whose bars open the list behind them, right under the chart's row (the
drill-down lives in the URL: `?drill=minor&value=7.10&near=versions`); the list's total is the
number on the bar. Without Fleetcommand the page still shows what the statistics collector knows.
"""

from typing import Any

import streamlit as st

from portal import charts
from portal.app_context import app_context
from portal.drilldown import DIMENSIONS, Drill, fleet_filters, from_query, workspaces_csv
from portal.livedata import ask
from portal.releases import SupportStatus, load_catalog
from portal.ui.gate import require_screen
from portal.ui.layout import metric_cards
from portal.ui.live import fetch_all, freshness
from portal.ui.tables import workspace_link
from portal.ui.text import md

principal = require_screen("fleet")

ctx = app_context()
clients = ctx.clients
catalog = load_catalog()
PAGE_SIZE = 50
ROWS = {"versions": {"minor", "support"}, "deployments": {"deploy_method", "deploy_platform", "registration_state",
                                                          "hosting"}, "growth": {"created_month", "silent"}}


def drill_to(dimension: str, value: str, near: str | None = None) -> None:
    st.query_params.update({"drill": dimension, "value": value})
    if near:
        st.query_params["near"] = near
    else:
        st.query_params.pop("near", None)
    st.query_params.pop("cursor", None)


def clickable(figure: Any, key: str, dimension: str, row: str, *, axis: str = "x") -> None:
    """A chart whose bars open the list behind them."""
    event: Any = st.plotly_chart(figure, width="stretch", key=key, on_select="rerun", selection_mode="points")
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else \
        getattr(getattr(event, "selection", None), "points", [])
    if points:
        value = points[0].get(axis)
        if dimension == "created_month" and isinstance(value, str):
            value = value[:7]  # Plotly reads a month axis as dates: "2018-06" comes back as "2018-06-01"
        if value is not None and (st.query_params.get("drill"), st.query_params.get("value")) != (dimension, value):
            drill_to(dimension, str(value), row)
            st.rerun()


def workspace_list(drill: Drill | None, summary: Any) -> None:
    """The workspaces behind a drill-down (or all), paged, with a CSV export."""
    try:
        filters = fleet_filters(drill, by_minor=summary.by_minor, catalog=catalog) if drill else {}
    except ValueError as exc:
        st.warning(md(exc))
        return
    cursor = st.query_params.get("cursor")
    [page] = fetch_all([ask(clients.fleet.search_workspaces, limit=PAGE_SIZE, cursor=cursor, **filters)],
                       refresh_key=None)
    with st.container(border=True):
        heading, clear = st.columns([5, 1], vertical_alignment="center")
        heading.markdown(f"**{md(drill.label) if drill else 'All workspaces'}**" +
                         (f" · {page.value.total:,} workspaces" if page.value is not None else ""))
        if drill and clear.button("Clear", key="drill-clear", icon=":material/close:"):
            for name in ("drill", "value", "cursor", "near"):
                st.query_params.pop(name, None)
            st.rerun()
        if page.value is not None:
            st.dataframe(
                [{"workspace": workspace_link(w.id), "name": w.name, "version": w.version,
                  "support": catalog.support(w.version).status.label,
                  "deploy": f"{w.deploy_method}/{w.deploy_platform}", "hosted": w.hosted,
                  "registration": w.registration_state, "last statistics": w.last_stats_at}
                 for w in page.value.items],
                column_config={"workspace": st.column_config.LinkColumn("Workspace", display_text=r"workspace=(.*)$"),
                               "name": "Name", "version": "Version", "support": "Support", "deploy": "Deploy",
                               "hosted": "Hosted", "registration": "Registration",
                               "last statistics": st.column_config.DatetimeColumn("Last statistics")},
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


st.title("Fleet overview")
fleet, stats = fetch_all([ask(clients.fleet.summary), ask(clients.stats.freshness)], refresh_key="fleet-refresh")
summary = fleet.value
try:
    drill = from_query({k: st.query_params.get(k) for k in ("drill", "value")})
except ValueError as exc:
    st.warning(f"Ignoring the drill-down in the link: {md(exc)}.")
    drill = None
near = st.query_params.get("near")
if near not in ROWS or (drill and drill.dimension not in ROWS.get(near, set())):
    near = None

if summary is not None:
    totals = charts.counts_by_support_status(summary.by_minor, catalog)
    metric_cards([
        ("Workspaces", f"{summary.total:,}"), ("Cloud-hosted", f"{summary.hosted:,}"),
        ("Self-managed", f"{summary.self_managed:,}"),
        ("Out of support", f"{totals[SupportStatus.OUT_OF_SUPPORT]:,}",
         "Their push gateway and marketplace access has stopped."),
        ("Silent > 48 h", f"{summary.stats_silent_48h:,}",
         "Registered workspaces with no statistics for more than 48 hours, or never."),
    ])
freshness(fleet)
if summary is not None:
    st.caption("Click any bar to list the workspaces behind it.")

    left, right = st.columns([2, 1])
    with left:
        st.subheader("Versions by support status")
        clickable(charts.versions_by_support(summary.by_minor, catalog), "chart-versions", "minor", "versions")
    with right:
        st.subheader("Support status")
        clickable(charts.support_status_bars(totals), "chart-support", "support", "versions", axis="y")
    if totals[SupportStatus.NEWER_UNKNOWN]:
        st.info(f"{totals[SupportStatus.NEWER_UNKNOWN]:,} workspaces run a version newer than the releases file "
                "knows; they are counted as supported until the file is updated.", icon=":material/new_releases:")
    if drill and near == "versions":
        workspace_list(drill, summary)

    cols = [*st.columns(2), *st.columns(2)]  # two by two: each chart keeps a readable width
    for col, (title, dimension, counts) in zip(cols, (
            ("Deploy methods", "deploy_method", summary.by_deploy_method),
            ("Deploy platforms", "deploy_platform", summary.by_deploy_platform),
            ("Registration", "registration_state", summary.by_registration_state),
            ("Hosting", "hosting", {"cloud-hosted": summary.hosted, "self-managed": summary.self_managed})),
            strict=True):
        with col:
            st.subheader(title)
            clickable(charts.horizontal_counts(counts, label="workspaces"), f"chart-{dimension}", dimension,
                      "deployments", axis="y")
    if drill and near == "deployments":
        workspace_list(drill, summary)

left, right = st.columns([2, 1])
if summary is not None:
    with left:
        st.subheader("Growth")
        clickable(charts.growth(summary.created_by_month), "chart-growth", "created_month", "growth")
with right:
    st.subheader("Statistics reporting")
    if summary is not None:
        st.metric("Silent > 48 h or never", f"{summary.stats_silent_48h:,}",
                  help="Registered workspaces (Fleetcommand): the same number as the card above.")
        if st.button("List them", key="drill-silent"):
            drill_to("silent", "yes", "growth")
            st.rerun()
    if stats.value is not None:
        s = stats.value
        st.metric("Reported in the last 24 h", f"{s.reported_24h:,}", help="Every reporter, registered or not.")
        st.caption(f"The collector, counting every workspace that reports (also those known only from their "
                   f"statistics): {s.silent_48h:,} silent for more than 48 h, {s.never_reported:,} registered ones "
                   "that never reported.")
    freshness(stats)
if summary is not None and drill and near == "growth":
    workspace_list(drill, summary)

if summary is not None:
    st.subheader("Workspaces")
    pickers = st.columns([2, 3, 1], vertical_alignment="bottom")
    dimension = pickers[0].selectbox("List by", ["all", *DIMENSIONS], format_func=lambda d: DIMENSIONS.get(d, "All"),
                                     index=([*DIMENSIONS].index(drill.dimension) + 1) if drill else 0)
    value = pickers[1].text_input("Value", value=drill.value if drill else "", disabled=dimension == "all",
                                  help="e.g. 7.10, out_of_support, docker, deregistered, hosted")
    if pickers[2].button("List", key="drill-apply"):
        if dimension == "all":
            for name in ("drill", "value", "cursor", "near"):
                st.query_params.pop(name, None)
        else:
            drill_to(dimension, value.strip())
        st.rerun()
    if not (drill and near):
        workspace_list(drill, summary)
