"""Cloud hosting: instances by status, region and version; operations in progress; the instance list.

Click a bar to filter the instance list by it (the filters live in the URL); the list's total is the
bar's number. Workspaces are named (from Fleetcommand) next to their ids.
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

principal = require_screen("hosting")

clients = app_context().clients
FILTERS = ("status", "region", "version")
PAGE_SIZE = 50


def set_filter(name: str, value: str | None) -> None:
    if value:
        st.query_params[name] = value
    else:
        st.query_params.pop(name, None)
    st.query_params.pop("cursor", None)


st.title("Cloud hosting")
filters = {name: st.query_params.get(name) or None for name in FILTERS}
cursor = st.query_params.get("cursor") or None
summary, running, instances = fetch_all(
    [ask(clients.hosting.summary), ask(clients.hosting.operations, state="running", limit=50),
     ask(clients.hosting.instances, limit=PAGE_SIZE, cursor=cursor, **filters)],
    refresh_key="hosting-refresh",
)
ops = running.value.items if running.value is not None else []
listed = instances.value.items if instances.value is not None else []
names = names_for(clients, [o.workspace_id for o in ops] + [i.workspace_id for i in listed])

if summary.value is not None:
    s = summary.value
    metric_cards([
        ("Hosted workspaces", f"{s.total:,}"), ("Running", f"{s.by_status.get('running', 0):,}"),
        ("Degraded or stopped", f"{s.by_status.get('degraded', 0) + s.by_status.get('stopped', 0):,}"),
        ("Upgrading or maintenance", f"{s.by_status.get('upgrading', 0) + s.by_status.get('maintenance', 0):,}"),
    ])
    st.caption("Click a bar to list those instances below.")
    charts_cols = st.columns(3)
    for col, (name, title, counts) in zip(charts_cols, (
            ("status", "By status", s.by_status), ("region", "By region", s.by_region),
            ("version", "By version", s.by_version)), strict=True):
        with col:
            st.subheader(title)
            event: Any = st.plotly_chart(charts.horizontal_counts(counts, label="instances"), width="stretch",
                                         key=f"chart-hosting-{name}", on_select="rerun", selection_mode="points")
            points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else \
                getattr(getattr(event, "selection", None), "points", [])
            if points and points[0].get("y") is not None and str(points[0]["y"]) != filters[name]:
                set_filter(name, str(points[0]["y"]))
                st.rerun()
freshness(summary)

st.subheader("Operations in progress")
if running.value is not None:
    if ops:
        st.dataframe([{"workspace": workspace_link(o.workspace_id), "name": names.get(o.workspace_id, ""),
                       "operation": o.kind, "state": o.state, "progress": o.progress, "started": o.started_at,
                       "id": o.id} for o in ops],
                     column_config={"workspace": workspace_column(), "name": "Name", "operation": "Operation",
                                    "state": "State", "started": st.column_config.DatetimeColumn("Started"),
                                    "id": "Operation id",
                                    "progress": st.column_config.ProgressColumn("Progress", min_value=0,
                                                                                max_value=100)},
                     hide_index=True, width="stretch")
    else:
        st.info("No hosting operation is running.")
freshness(running)

st.subheader("Instances")
choices = summary.value
pickers = st.columns(3)
for col, name, options in zip(pickers, FILTERS, (
        sorted(choices.by_status) if choices else [], sorted(choices.by_region) if choices else [],
        sorted(choices.by_version) if choices else []), strict=True):
    # The address is the truth (a clicked bar sets it too); the picker shows it and, changed, writes it.
    st.session_state[f"hosting-{name}"] = filters[name] if filters[name] in options else "any"
    col.selectbox(name.capitalize(), ["any", *options], key=f"hosting-{name}",
                  on_change=lambda name=name: set_filter(name, None if st.session_state[f"hosting-{name}"] == "any"
                                                         else st.session_state[f"hosting-{name}"]))
if instances.value is not None:
    shown = ", ".join(f"{name} {value}" for name, value in filters.items() if value) or "all"
    count = instances.value.total if instances.value.total is not None else len(listed)
    st.caption(f"{count:,} instance{'' if count == 1 else 's'} ({shown})")
    st.dataframe([{"workspace": workspace_link(i.workspace_id), "name": names.get(i.workspace_id, ""),
                   "status": i.status, "version": i.version, "region": i.region, "size": i.size,
                   "last deploy": i.last_deploy_at} for i in listed],
                 column_config={"workspace": workspace_column(), "name": "Name", "status": "Status",
                                "version": "Version", "region": "Region", "size": "Size",
                                "last deploy": st.column_config.DatetimeColumn("Last deploy")},
                 hide_index=True, width="stretch")
    nav = st.columns([1, 1, 4])
    if cursor and nav[0].button("First page", key="hosting-first"):
        st.query_params.pop("cursor", None)
        st.rerun()
    if instances.value.next_cursor and nav[1].button("Next page", key="hosting-next"):
        st.query_params["cursor"] = instances.value.next_cursor
        st.rerun()
freshness(instances)
