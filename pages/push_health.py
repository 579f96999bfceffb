"""Push health: deliveries over time by platform and outcome, error rate, failing workspaces, invalid tokens."""

from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st

from portal import charts, timerange
from portal.app_context import app_context
from portal.livedata import ask, ask_for
from portal.ui.gate import require_screen
from portal.ui.layout import metric_cards
from portal.ui.live import fetch_all, freshness
from portal.ui.tables import names_for, workspace_column, workspace_link
from portal.ui.text import md
from portal.ui.timerange import time_range_picker

principal = require_screen("push")

clients = app_context().clients

def deliveries_list(window: timerange.TimeRange) -> None:
    """The deliveries behind a clicked bar (`?bucket=<start>&by=outcome|platform&value=…`), under the chart."""
    bucket, by, value = (st.query_params.get(k) for k in ("bucket", "by", "value"))
    if not (bucket and by in ("outcome", "platform") and value):
        return
    try:
        start = datetime.fromisoformat(bucket.replace("Z", "+00:00"))
    except ValueError:
        st.warning("Ignoring the bar in the link: its time is not a date.")
        return
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    end = start + (timedelta(hours=1) if window.bucket == "hour" else timedelta(days=1))
    [page] = fetch_all([ask(clients.push.deliveries, since=start, until=end, limit=50,
                            **{by: value})], refresh_key=None)
    rows = page.value.items if page.value is not None else []
    names = names_for(clients, [d.workspace_id for d in rows])
    with st.container(border=True):
        heading, clear = st.columns([5, 1], vertical_alignment="center")
        total = f" · {page.value.total:,} deliveries" if page.value is not None and page.value.total is not None else ""
        heading.markdown(f"**{md(by)} {md(value)}, {start:%Y-%m-%d %H:%M} UTC +{window.bucket}**{total}")
        if clear.button("Clear", key="push-clear", icon=":material/close:"):
            for name in ("bucket", "by", "value"):
                st.query_params.pop(name, None)
            st.rerun()
        if page.value is not None:
            st.dataframe([{"at": d.created_at, "workspace": workspace_link(d.workspace_id),
                           "name": names.get(d.workspace_id, ""), "platform": d.platform, "code": d.status_code,
                           "outcome": d.outcome, "error": d.error or "", "id": d.id} for d in rows],
                         column_config={"at": st.column_config.DatetimeColumn("At"), "workspace": workspace_column(),
                                        "name": "Name", "platform": "Platform", "code": "HTTP", "outcome": "Outcome",
                                        "error": "Error", "id": "Delivery"},
                         hide_index=True, width="stretch")
        freshness(page)


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
    metric_cards([(f"Deliveries ({window.label.lower()})", f"{total:,}"),
                  ("Failed", f"{sum(i.count for i in items if i.outcome != 'sent'):,}"),
                  ("Error rate", f"{rate:.2f} %" if rate is not None else "no deliveries")])
    by = st.radio("Split by", ["outcome", "platform"], horizontal=True, key="push-split")
    st.caption("Click a bar to list those deliveries.")
    series = sorted({getattr(i, by) for i in items})
    event: Any = st.plotly_chart(charts.push_over_time(items, by=by), width="stretch", key="chart-push",
                                 on_select="rerun", selection_mode="points")
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else \
        getattr(getattr(event, "selection", None), "points", [])
    if points:
        point = points[0]
        name = point.get("customdata") or (series[point["curve_number"]] if "curve_number" in point else None)
        if isinstance(name, list):
            name = name[0] if name else None
        if name and point.get("x"):
            wanted = {"bucket": str(point["x"]), "by": by, "value": str(name)}
            if {k: st.query_params.get(k) for k in wanted} != wanted:
                st.query_params.update(wanted)
                st.rerun()
    deliveries_list(window)
    st.subheader("Error rate")
    st.plotly_chart(rate_figure, width="stretch")
freshness(counts)

left, right = st.columns(2)
with left:
    st.subheader("Top failing workspaces")
    if failing.value:
        names = names_for(clients, [f.workspace_id for f in failing.value])
        st.dataframe(
            [{"workspace": workspace_link(f.workspace_id), "name": names.get(f.workspace_id, ""), "failed": f.failed,
              "total": f.total, "failure rate %": round(100 * f.failed / f.total, 1) if f.total else None}
             for f in failing.value],
            column_config={"workspace": workspace_column(), "name": "Name", "failed": "Failed", "total": "Total",
                           "failure rate %": st.column_config.NumberColumn("Failure rate", format="%.1f %%")},
            hide_index=True, width="stretch")
    elif failing.value is not None:
        st.info("No failed deliveries in this range.")
    freshness(failing)
with right:
    st.subheader("Invalid device tokens (406)")
    if invalid.value is not None:
        st.plotly_chart(charts.trend(invalid.value, label="tokens flagged"), width="stretch")
    freshness(invalid)
