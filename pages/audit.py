"""Audit log: every request, denial, approval and outcome; filter, page, export, verify the chain."""

import csv
import io
from datetime import UTC, datetime, time, timedelta

import pandas as pd
import streamlit as st

from portal.actions.states import RunState
from portal.app_context import app_context
from portal.audit_log import AuditEvent, AuditFilter
from portal.ui.actions import audit_log_or_stop, executor_or_stop
from portal.ui.gate import require_screen

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
COLUMNS = ["seq", "at", "event", "outcome", "actor_email", "actor_sub", "actor_roles", "action", "target",
           "target_kind", "approver", "runbook_id", "service_status", "request_id", "duration_ms", "preview",
           "params", "detail", "run_id", "started_at", "finished_at", "hash"]

require_screen("audit")  # before anything else: pages can be run directly
ctx = app_context()
executor = executor_or_stop(ctx)
log = audit_log_or_stop(ctx)

st.title(":material/receipt_long: Audit log")
st.caption("Append-only and hash-chained: each record's hash covers its content and the previous record's "
           "hash. Secret parameters are never stored. *Abandoned* means the portal process stopped while the "
           "call was in flight: the outcome is unknown; check the service before repeating it.")

query = st.query_params
with st.form("audit-filters"):
    row1 = st.columns(4)
    actor = row1[0].text_input("Actor (sub or e-mail)", value=query.get("actor", ""))
    actions = ["", *executor.registry.names()]
    action = row1[1].selectbox("Action", actions, index=actions.index(query.get("action", ""))
                               if query.get("action", "") in actions else 0)
    target = row1[2].text_input("Target", value=query.get("target", ""))
    outcomes = ["", "denied", *[state.value for state in RunState]]
    outcome = row1[3].selectbox("Outcome", outcomes, index=outcomes.index(query.get("outcome", ""))
                                if query.get("outcome", "") in outcomes else 0)
    row2 = st.columns(4)
    since = row2[0].date_input("From (UTC)", value=None)
    until = row2[1].date_input("To (UTC, inclusive)", value=None)
    run_id = row2[2].text_input("Run id", value=query.get("run", ""))
    row2[3].caption(f"Events: {', '.join(e.value for e in AuditEvent)}")
    st.form_submit_button("Apply filters", icon=":material/filter_alt:")

flt = AuditFilter(
    actor=actor or None, action=action or None, target=target or None, outcome=outcome or None,
    since=datetime.combine(since, time.min, tzinfo=UTC) if since else None,
    until=datetime.combine(until, time.min, tzinfo=UTC) + timedelta(days=1) if until else None,
    run_id=run_id or None,
)

if flt.run_id:  # one run's story, readable at a glance (a link from an action's result lands here)
    trail = log.trail(flt.run_id)
    st.subheader(f"Run `{flt.run_id}`")
    for record in trail:
        by = record.actor_email or record.actor_sub
        extra = f" · HTTP {record.service_status}" if record.service_status is not None else ""
        extra += f" · request `{record.request_id}`" if record.request_id else ""
        st.markdown(f"- {record.at:%Y-%m-%d %H:%M:%S} UTC · **{record.event}** → {record.outcome} · "
                    f"`{record.action}` on `{record.target}` by {by}{extra}")
    if not trail:
        st.info("No records for this run.")

# Keyset pagination: a stack of "before" cursors; a new filter starts again at the newest record.
cursors = st.session_state.setdefault("audit-cursors", {"filter": None, "stack": [None]})
if cursors["filter"] != flt:
    cursors.update(filter=flt, stack=[None])
result = log.page(flt, before=cursors["stack"][-1], limit=PAGE_SIZE)

frame = pd.DataFrame([{name: getattr(record, name) for name in COLUMNS} for record in result.records],
                     columns=COLUMNS)
st.dataframe(frame, hide_index=True, width="stretch", column_config={
    "at": st.column_config.DatetimeColumn("At (UTC)", format="YYYY-MM-DD HH:mm:ss"),
    "hash": st.column_config.TextColumn("Hash", width="small"),
})
nav = st.columns([1, 1, 4])
page_number = len(cursors["stack"])
if nav[0].button("← Newer", disabled=page_number == 1):
    cursors["stack"].pop()
    st.rerun()
if nav[1].button("Older →", disabled=result.next_before is None):
    cursors["stack"].append(result.next_before)
    st.rerun()
nav[2].caption(f"Page {page_number} · {len(result.records)} records shown, newest first")


def export_csv() -> str:
    """The filtered records (at most EXPORT_LIMIT), newest first, as CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for count, record in enumerate(log.export(flt)):
        if count >= EXPORT_LIMIT:
            break
        writer.writerow([getattr(record, name) for name in COLUMNS])
    return out.getvalue()


left, right = st.columns(2)
left.download_button("Export CSV", data=export_csv, file_name="audit-log.csv", mime="text/csv",
                     icon=":material/download:", help=f"the filtered records, at most {EXPORT_LIMIT:,}")
if right.button("Verify the chain", icon=":material/verified_user:"):
    with st.spinner("Checking every record's hash…"):
        verification = log.verify()
    if verification.ok:
        st.success(verification.describe(), icon=":material/verified_user:")
    else:
        st.error(verification.describe(), icon=":material/gpp_bad:")
