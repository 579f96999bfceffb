"""Approvals: two-person requests waiting for an admin other than the requester."""

import json

import streamlit as st

from portal import policy
from portal.actions.errors import ApprovalRefused
from portal.app_context import app_context
from portal.ui.actions import DANGER_BADGES, executor_or_stop
from portal.ui.gate import require_screen

principal = require_screen("approvals")  # before anything else: pages can be run directly
ctx = app_context()
executor = executor_or_stop(ctx)

st.title(":material/how_to_reg: Approvals")
st.caption(f"Approving lets the requester run exactly these parameters within "
           f"{executor.approval_ttl.total_seconds() / 60:g} minutes. Nobody approves their own request.")

flash = st.session_state.pop("approvals-flash", None)
if flash:
    st.success(flash, icon=":material/check:")

pending = executor.pending_approvals()
if not pending:
    st.info("No request is waiting for approval.", icon=":material/inbox:")

for run in pending:
    spec = executor.registry.get(run.action)
    with st.container(border=True):
        st.markdown(f"**{spec.title}** · `{run.action}` {DANGER_BADGES[spec.safeguard]}")
        st.markdown(f"on **{run.target_name or run.target}** (`{run.target}`), asked by "
                    f"**{run.actor_email or run.actor_sub}** ({run.actor_roles}) at {run.created_at:%Y-%m-%d %H:%M UTC}"
                    f"; expires {run.expires_at:%H:%M UTC}")
        st.markdown(f":material/preview: **Preview:** {run.preview}")
        params = json.loads(run.params)
        if params:
            st.json(params)
        if run.runbook_id:
            st.caption(f"From runbook `{run.runbook_id}`")
        decision = policy.may_approve(principal, requested_by=run.actor_sub)
        reason = st.text_input("Reason (for a rejection)", key=f"reason-{run.id}")
        left, right = st.columns(2)
        approve = left.button("Approve", key=f"approve-{run.id}", type="primary", icon=":material/check:",
                              disabled=not decision.allowed, help=None if decision.allowed else decision.reason)
        reject = right.button("Reject", key=f"reject-{run.id}", icon=":material/close:",
                              disabled=not decision.allowed, help=None if decision.allowed else decision.reason)
        if not decision.allowed:
            st.caption(decision.reason)
        try:
            if approve:
                executor.approve(principal, run.id)
                st.session_state["approvals-flash"] = (f"Approved {run.action} on {run.target} for "
                                                       f"{run.actor_email or run.actor_sub}.")
                st.rerun()
            if reject:
                executor.reject(principal, run.id, reason)
                st.session_state["approvals-flash"] = f"Rejected {run.action} on {run.target}."
                st.rerun()
        except ApprovalRefused as exc:
            st.error(exc.reason, icon=":material/block:")
