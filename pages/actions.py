"""Actions: pick an action, fill its form (prefilled from the URL), preview, confirm or ask approval, run."""

import json

import streamlit as st

from portal import policy
from portal.actions.executor import ActionRequest
from portal.actions.spec import secret_fields
from portal.actions.states import RunState, look
from portal.app_context import app_context
from portal.runbooks import load_library
from portal.ui.actions import describe_run, executor_or_stop, render_action, run_live, show_outcome
from portal.ui.gate import require_screen
from portal.ui.live import stop_page
from portal.ui.requests import request_status
from portal.ui.text import code, md

principal = require_screen("actions")  # before anything else: pages can be run directly
ctx = app_context()
executor = executor_or_stop(ctx)

st.title(":material/bolt: Actions")
st.caption("Every action takes the same path: preview, confirmation or a second admin's approval, "
           "one run however often it is clicked, and a record in the audit log.")

# Offer what the policy would let this person run (it decides again, with the parameters, on submit).
offered = [spec for spec in executor.registry if policy.may_offer(principal, spec.name).allowed]
if not offered:
    st.info("Your role cannot run any action.")
    stop_page()

# Requests waiting on a second admin, or approved and ready to run.
for run in executor.open_requests(principal):
    with st.container(border=True):
        title = executor.registry.get(run.action).title if run.action in executor.registry else run.action
        st.markdown(f"{look(run.state).icon} **{md(title)}** on {md(run.target_name or run.target)} "
                    f"({code(run.target)})")
        st.caption(md(run.preview))
        request_status(executor, principal, run, key="open-request")
        describe_run(run)
        if run.state == RunState.APPROVED:
            if secret_fields(executor.registry.get(run.action).params_model):
                st.caption("Re-enter its secret parameters in the form below to run it.")
            elif st.button("Run now", key=f"run-approved-{run.id}", type="primary", icon=":material/play_arrow:"):
                # The approved parameters, submitted again: the executor runs the approved request.
                request = ActionRequest(run.action, run.target, json.loads(run.params), runbook_id=run.runbook_id)
                outcome = run_live(executor, principal, request)
                if outcome is not None:
                    show_outcome(outcome, executor.registry.get(run.action))

names = [spec.name for spec in offered]
wanted = st.query_params.get("action")
index = names.index(wanted) if wanted in names else 0
if wanted and wanted not in names:
    st.warning(f"`{wanted}` is not an action you can run here; pick one below.")
titles = {spec.name: f"{spec.title} ({spec.name})" for spec in offered}
chosen: str = st.selectbox("Action", names, index=index, format_func=lambda name: titles.get(name, name),
                           key="actions-chosen") or names[0]
if chosen != wanted:
    st.query_params["action"] = chosen

prefill = {name: value for name, value in st.query_params.items() if name not in ("action", "runbook")}
# Only a runbook that exists is recorded as the one used: `?runbook=` is anyone's text.
linked_runbook = st.query_params.get("runbook") or None
runbook_id = linked_runbook if linked_runbook in load_library().runbooks else None
if linked_runbook and runbook_id is None:
    st.caption("The link names no runbook of this portal: the run is recorded without one.")
with st.container(border=True):
    render_action(ctx, principal, chosen, prefill=prefill, runbook_id=runbook_id, key=f"actions-{chosen}")

with st.expander("Your recent runs"):
    for run in executor.recent_runs(principal, limit=10):
        st.markdown(f"{look(run.state).icon} `{run.action}` on `{run.target}` · {run.state} "
                    f"· {run.created_at:%Y-%m-%d %H:%M UTC}")
