"""Cloud hosting: instances by status, region and version; operations in progress; the instance list."""

import streamlit as st

from portal import charts
from portal.app_context import app_context
from portal.livedata import ask
from portal.ui.gate import require_screen
from portal.ui.live import fetch_all, freshness

principal = require_screen("hosting")

clients = app_context().clients
FILTERS = ("status", "region", "version")

st.title("Cloud hosting")
filters = {name: st.query_params.get(name) or None for name in FILTERS}
summary, running, instances = fetch_all(
    [ask(clients.hosting.summary), ask(clients.hosting.operations, state="running", limit=50),
     ask(clients.hosting.instances, limit=100, **filters)],
    refresh_key="hosting-refresh",
)

if summary.value is not None:
    s = summary.value
    cols = st.columns(4)
    cols[0].metric("Hosted workspaces", f"{s.total:,}")
    cols[1].metric("Running", f"{s.by_status.get('running', 0):,}")
    cols[2].metric("Degraded or stopped", f"{s.by_status.get('degraded', 0) + s.by_status.get('stopped', 0):,}")
    cols[3].metric("Upgrading or in maintenance",
                   f"{s.by_status.get('upgrading', 0) + s.by_status.get('maintenance', 0):,}")
    charts_cols = st.columns(3)
    for col, (title, counts) in zip(charts_cols, (("By status", s.by_status), ("By region", s.by_region),
                                                  ("By version", s.by_version)), strict=True):
        col.subheader(title)
        col.plotly_chart(charts.horizontal_counts(counts, label="instances"), width="stretch")
freshness(summary)

st.subheader("Operations in progress")
if running.value is not None:
    if running.value.items:
        st.dataframe([{"workspace": o.workspace_id, "operation": o.kind, "state": o.state, "progress": o.progress,
                       "started": o.started_at, "id": o.id} for o in running.value.items],
                     column_config={"progress": st.column_config.ProgressColumn(min_value=0, max_value=100)},
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
    current = filters[name]
    picked = col.selectbox(name.capitalize(), ["any", *options],
                           index=(options.index(current) + 1) if current in options else 0, key=f"hosting-{name}")
    if (picked if picked != "any" else None) != current:
        if picked == "any":
            st.query_params.pop(name, None)
        else:
            st.query_params[name] = picked
        st.rerun()
if instances.value is not None:
    st.caption(f"{instances.value.total:,} instances" + (", showing 100" if instances.value.total > 100 else ""))
    st.dataframe([{"workspace": f"/workspace?workspace={i.workspace_id}", "status": i.status, "version": i.version,
                   "region": i.region, "size": i.size, "last deploy": i.last_deploy_at}
                  for i in instances.value.items],
                 column_config={"workspace": st.column_config.LinkColumn(display_text=r"workspace=(.*)$")},
                 hide_index=True, width="stretch")
freshness(instances)
