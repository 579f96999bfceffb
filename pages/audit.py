"""Audit log: every request, denial, approval and outcome; filter, page, export, verify the chain."""

import contextlib
import json
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice

import pandas as pd
import streamlit as st

from portal.actions.states import RunState
from portal.app_context import app_context
from portal.audit_log import AuditEvent, AuditFilter
from portal.csv_export import write_csv
from portal.ui.actions import audit_log_or_stop, executor_or_stop
from portal.ui.gate import require_screen
from portal.ui.text import code, md

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
FIELDS = ("actor", "action", "target", "outcome", "since", "until", "run")


def day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        st.warning(f"Ignoring the date in the link: {md(text)} is not a date like 2026-11-28.")
        return None


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
    since = row2[0].date_input("From (UTC)", value=day(query.get("since")))
    until = row2[1].date_input("To (UTC, inclusive)", value=day(query.get("until")))
    run_id = row2[2].text_input("Run id", value=query.get("run", ""))
    row2[3].caption(f"Events: {', '.join(e.value for e in AuditEvent)}")
    if st.form_submit_button("Apply filters", icon=":material/filter_alt:"):
        # The filters live in the address, so the view can be shared (and the sidebar starts afresh).
        values = {"actor": actor.strip(), "action": action, "target": target.strip(), "outcome": outcome,
                  "since": since.isoformat() if isinstance(since, date) else "",
                  "until": until.isoformat() if isinstance(until, date) else "", "run": run_id.strip()}
        for name in (*FIELDS, "before"):
            query.pop(name, None)
        query.update({name: value for name, value in values.items() if value})
        st.rerun()

since_day, until_day = day(query.get("since")), day(query.get("until"))
flt = AuditFilter(
    actor=query.get("actor") or None, action=query.get("action") or None, target=query.get("target") or None,
    outcome=query.get("outcome") or None,
    since=datetime.combine(since_day, time.min, tzinfo=UTC) if since_day else None,
    until=datetime.combine(until_day, time.min, tzinfo=UTC) + timedelta(days=1) if until_day else None,
    run_id=query.get("run") or None,
)

if flt.run_id:  # one run's story, readable at a glance (a link from an action's result lands here)
    trail = log.trail(flt.run_id)
    st.subheader(f"Run {code(flt.run_id)}")
    for record in trail:
        by = record.actor_email or record.actor_sub
        extra = f" · HTTP {record.service_status}" if record.service_status is not None else ""
        extra += f" · request {code(record.request_id)}" if record.request_id else ""
        st.markdown(f"- {record.at:%Y-%m-%d %H:%M:%S} UTC · **{record.event}** → {record.outcome} · "
                    f"{code(record.action)} on {code(record.target)} by {md(by)}{extra}")
    if not trail:
        st.info("No records for this run.")

# Keyset pagination: the page's cursor is in the address (`before`); "Newer" goes back along the
# cursors this session followed (or to the newest records).
try:
    before = int(query["before"]) if query.get("before") else None
except ValueError:
    before = None
cursors = st.session_state.setdefault("audit-cursors", {"filter": None, "stack": []})
if cursors["filter"] != flt:
    cursors.update(filter=flt, stack=[])
result = log.page(flt, before=before, limit=PAGE_SIZE)

frame = pd.DataFrame([{
    "seq": r.seq, "at": r.at, "event": r.event, "outcome": r.outcome, "who": r.actor_email or r.actor_sub,
    "action": r.action, "target": r.target, "runbook": r.runbook_id or "", "http": r.service_status,
    "request_id": r.request_id or "", "run_id": r.run_id or ""} for r in result.records],
    columns=["seq", "at", "event", "outcome", "who", "action", "target", "runbook", "http", "request_id", "run_id"])
picked = st.dataframe(frame, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                      key="audit-table", column_config={
                          "seq": st.column_config.NumberColumn("#", width="small"),
                          "at": st.column_config.DatetimeColumn("At (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                          "event": "Event", "outcome": "Outcome", "who": "Who", "action": "Action",
                          "target": "Target", "runbook": "Runbook",
                          "http": st.column_config.NumberColumn("HTTP", width="small", format="%d"),
                          "request_id": "Request id", "run_id": None})
nav = st.columns([1, 1, 4])
if nav[0].button("← Newer", disabled=before is None):
    previous = cursors["stack"].pop() if cursors["stack"] else None
    if previous is None:
        query.pop("before", None)
    else:
        query["before"] = str(previous)
    st.rerun()
if nav[1].button("Older →", disabled=result.next_before is None):
    cursors["stack"].append(before)
    query["before"] = str(result.next_before)
    st.rerun()
nav[2].caption(f"{len(result.records)} records shown, newest first" + (" (older page)" if before else "")
               + " · select a row for everything it records")
rows = getattr(getattr(picked, "selection", None), "rows", []) if picked is not None else []
if rows and rows[0] < len(result.records):
    record = result.records[rows[0]]
    with st.container(border=True):
        st.markdown(f"**Record #{record.seq}** · {md(record.event)} → {md(record.outcome)} · "
                    f"by {md(record.actor_email or record.actor_sub)} ({md(record.actor_roles)})")
        fields = {name: getattr(record, name) for name in COLUMNS}
        for name in ("params", "detail"):
            with contextlib.suppress(TypeError, ValueError):
                fields[name] = json.loads(fields[name])
        st.json({name: value.isoformat() if isinstance(value, datetime) else value for name, value in fields.items()},
                expanded=True)


def export_csv() -> str:
    """The filtered records (at most EXPORT_LIMIT), newest first, as CSV safe in spreadsheets."""
    return write_csv(COLUMNS, ([getattr(record, name) for name in COLUMNS]
                               for record in islice(log.export(flt), EXPORT_LIMIT)))


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
