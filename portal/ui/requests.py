"""The requester's side of a two-person request: where it stands, who approved it and when, until
when it can run, a Withdraw button, and a notice as soon as it is approved or decided."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import streamlit as st

from portal.actions.errors import ApprovalRefused
from portal.actions.states import ActionRun, RunState, look
from portal.identity import Principal
from portal.ui.text import code, md

if TYPE_CHECKING:
    from portal.actions.executor import Executor

NOTICE_EVERY = 5.0  # seconds between checks for a decision on this person's requests
_SEEN = "portal.requests.seen"
_NEWS = "portal.requests.news"


def _at(moment: datetime | None) -> str:
    return f"{moment:%H:%M UTC}" if moment else "?"


def request_status(executor: Executor, principal: Principal, run: ActionRun, *, key: str) -> None:
    """Where one of this person's requests stands, with a Withdraw button while it is open."""
    state = RunState(run.state)
    if state == RunState.AWAITING_APPROVAL:
        st.info(f"Awaiting approval by an admin other than you since {_at(run.created_at)}; the request expires "
                f"at {_at(run.expires_at)}.", icon=look(state).icon)
    elif state == RunState.APPROVED:
        approver = code(run.approver_email or run.approver_sub or "an admin")
        st.success(f"Approved by {approver} at {_at(run.approved_at)}; run it before {_at(run.expires_at)}.",
                   icon=look(state).icon)
    if state in (RunState.AWAITING_APPROVAL, RunState.APPROVED) and run.actor_sub == principal.sub and \
            st.button("Withdraw", key=f"{key}-withdraw-{run.id}", icon=":material/undo:",
                      help="Take the request back: it will not run, and an admin can no longer approve it"):
        try:
            executor.withdraw(principal, run.id)
        except ApprovalRefused as exc:
            st.error(md(exc.reason), icon=":material/block:")
        else:
            st.toast(f"Withdrew {md(run.action)} on {md(run.target_name or run.target)}", icon=":material/undo:")
            st.rerun()


def approval_notices(executor: Executor, principal: Principal) -> None:
    """While this person has requests open, check every few seconds and say when one is decided."""
    for message, icon in st.session_state.pop(_NEWS, []):  # what the last check found, said once
        st.toast(message, icon=icon)
    open_now = {run.id: run.state for run in executor.open_requests(principal)}
    seen: dict[str, str] = st.session_state.setdefault(_SEEN, {})
    # This run of the page shows the requests as they are now: only what changes later is news.
    seen.clear()
    seen.update(open_now)
    if not seen:
        return

    @st.fragment(run_every=NOTICE_EVERY)
    def watch_requests() -> None:
        news: list[tuple[str, str]] = st.session_state.setdefault(_NEWS, [])
        changed = False
        for run_id, before in list(seen.items()):
            run = executor.get_run(run_id)
            if run is None or run.state == before:
                continue
            seen[run_id] = run.state
            changed = True
            if run.state == RunState.APPROVED:
                news.append((f"Approved by {code(run.approver_email or run.approver_sub)}: {md(run.action)} on "
                             f"{md(run.target_name or run.target)} can run until {_at(run.expires_at)}",
                             ":material/verified:"))
            elif RunState(run.state).terminal:
                news.append((f"{look(run.state).word}: {md(run.action)} on {md(run.target_name or run.target)}",
                             look(run.state).icon))
            if RunState(run.state).terminal:
                seen.pop(run_id, None)
        if changed:
            st.rerun()  # the whole page: it shows the request's new state, and the news as a toast

    watch_requests()


__all__ = ["approval_notices", "request_status"]
