"""Marketplace: most installed apps, subscriptions by status, failing installs.

Click a bar to list the installs behind it (`?app=<app id>` or `?subscription=<status>` in the URL),
right under the charts; the list's total is the bar's number. Workspaces are named next to their ids.
"""

from typing import Any

import streamlit as st

from portal import charts
from portal.app_context import app_context
from portal.livedata import ask
from portal.ui.gate import require_screen
from portal.ui.layout import metric_cards
from portal.ui.live import fetch_all, freshness
from portal.ui.tables import names_for, workspace_column, workspace_link
from portal.ui.text import md

principal = require_screen("marketplace")

clients = app_context().clients
PAGE_SIZE = 50


def picked(key: str, figure: Any) -> str | None:
    """Draw a clickable bar chart; the category of the bar just clicked, if any."""
    event: Any = st.plotly_chart(figure, width="stretch", key=key, on_select="rerun", selection_mode="points")
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else \
        getattr(getattr(event, "selection", None), "points", [])
    return str(points[0]["y"]) if points and points[0].get("y") is not None else None


def drill(name: str, value: str) -> None:
    for other in ("app", "subscription", "cursor"):
        st.query_params.pop(other, None)
    st.query_params[name] = value
    st.rerun()


st.title("Marketplace")
summary, failed = fetch_all(
    [ask(clients.marketplace.summary), ask(clients.marketplace.failed_installs, limit=100)],
    refresh_key="marketplace-refresh",
)
app_filter, status_filter = st.query_params.get("app"), st.query_params.get("subscription")
cursor = st.query_params.get("cursor") or None

if summary.value is not None:
    s = summary.value
    apps_by_name = {a.name: a.app_id for a in s.top_apps}
    metric_cards([("Apps in the top list", f"{len(s.top_apps):,}"),
                  ("Subscriptions", f"{sum(s.subscriptions_by_status.values()):,}"),
                  ("Failed installs", f"{s.failed_installs:,}")])
    st.caption("Click a bar to list the installs behind it.")
    left, right = st.columns(2)
    with left:
        st.subheader("Most installed apps")
        name = picked("chart-apps", charts.horizontal_counts({a.name: a.installs for a in s.top_apps},
                                                              label="installs"))
        if name and apps_by_name.get(name) and apps_by_name[name] != app_filter:
            drill("app", apps_by_name[name])
    with right:
        st.subheader("Subscriptions by status")
        status = picked("chart-subscriptions", charts.horizontal_counts(s.subscriptions_by_status,
                                                                        label="subscriptions", colour="#f5a623"))
        if status and status != status_filter:
            drill("subscription", status)
freshness(summary)

if app_filter or status_filter:
    [installs] = fetch_all([ask(clients.marketplace.installs, app_id=app_filter, subscription_status=status_filter,
                                limit=PAGE_SIZE, cursor=cursor)], refresh_key=None)
    rows = installs.value.items if installs.value is not None else []
    names = names_for(clients, [i.workspace_id for i in rows])
    with st.container(border=True):
        heading, clear = st.columns([5, 1], vertical_alignment="center")
        what = f"app {app_filter}" if app_filter else f"subscriptions {status_filter}"
        total = f" · {installs.value.total:,} installs" if installs.value is not None and installs.value.total else ""
        heading.markdown(f"**Installs: {md(what)}**{total}")
        if clear.button("Clear", key="market-clear", icon=":material/close:"):
            for other in ("app", "subscription", "cursor"):
                st.query_params.pop(other, None)
            st.rerun()
        if installs.value is not None:
            st.dataframe([{"workspace": workspace_link(i.workspace_id), "name": names.get(i.workspace_id, ""),
                           "app": i.name, "version": i.version, "status": i.status,
                           "subscription": i.subscription.status if i.subscription else ""} for i in rows],
                         column_config={"workspace": workspace_column(), "name": "Name", "app": "App",
                                        "version": "Version", "status": "Status", "subscription": "Subscription"},
                         hide_index=True, width="stretch")
            nav = st.columns([1, 1, 4])
            if cursor and nav[0].button("First page", key="market-first"):
                st.query_params.pop("cursor", None)
                st.rerun()
            if installs.value.next_cursor and nav[1].button("Next page", key="market-next"):
                st.query_params["cursor"] = installs.value.next_cursor
                st.rerun()
        freshness(installs)

st.subheader("Failing installs")
if failed.value is not None:
    if failed.value.items:
        names = names_for(clients, [f.workspace_id for f in failed.value.items])
        st.dataframe([{"workspace": workspace_link(f.workspace_id), "name": names.get(f.workspace_id, ""),
                       "app": f.name, "error": f.error or "", "at": f.at} for f in failed.value.items],
                     column_config={"workspace": workspace_column(), "name": "Name", "app": "App", "error": "Error",
                                    "at": st.column_config.DatetimeColumn("At")},
                     hide_index=True, width="stretch")
    else:
        st.info("No failed installs.")
freshness(failed)
