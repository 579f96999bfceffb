"""The reusable "run this action" widget: form → preview → confirm or approval → live progress → result.

Embedded by the Actions screen, runbooks and the workspace page. It holds no rules of its own:
everything goes through the executor. The executor runs in a worker thread so a rerun of the
page (another click, a navigation) cannot interrupt a call half way; the page only watches it.
"""

from __future__ import annotations

import queue
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, NoReturn

import streamlit as st
from pydantic import ValidationError

from portal.actions.errors import ActionRefused, ConfirmationMismatch, Denied
from portal.actions.executor import ActionRequest, Executor, Prepared, RunOutcome
from portal.actions.registry import UnknownAction
from portal.actions.spec import ActionSpec, Danger, InvalidRequest, fingerprint
from portal.identity import Principal

if TYPE_CHECKING:
    from portal.app_context import AppContext
    from portal.audit_log import AuditLog
from portal.actions.registry import default_registry
from portal.actions.states import ActionRun, RunState, look
from portal.ui.forms import render_fields
from portal.ui.live import live_cache, stop_page
from portal.ui.requests import request_status
from portal.ui.text import md

# Worker threads outlive page reruns; eight concurrent actions per portal process is plenty.
_WORKERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="portal-action")

DANGER_BADGES = {
    Danger.SAFE: ":green-badge[safe]",
    Danger.CONFIRM: ":orange-badge[confirm: type the name]",
    Danger.TWO_PERSON: ":red-badge[two-person: an admin approves]",
}
def _needs_database(ctx: AppContext, what: str) -> NoReturn:
    st.error(f"{what} unavailable: the portal's database could not be opened. {ctx.database_error or ''}",
             icon=":material/database_off:")
    stop_page()


def executor_or_stop(ctx: AppContext) -> Executor:
    """The process's executor; without a database, say why and stop the page."""
    return ctx.executor or _needs_database(ctx, "Actions are")


def audit_log_or_stop(ctx: AppContext) -> AuditLog:
    """The process's audit log; without a database, say why and stop the page."""
    return ctx.audit or _needs_database(ctx, "The audit log is")


def target_prefill(prefill: Mapping[str, Any]) -> str:
    """The target from a prefill: `target`, or `workspace` (the query parameter pages link with)."""
    return str(prefill.get("target") or prefill.get("workspace") or "")


def render_action(ctx: AppContext, principal: Principal, action_name: str, *, prefill: Mapping[str, Any],
                  runbook_id: str | None = None, key: str, lock_target: bool = False) -> RunOutcome | None:
    """Render the action's form and drive it through the executor; returns the outcome once run.

    Once a run ends, the cached answers of the service it changed (and every answer about its target)
    are forgotten and the page runs again, so what it shows is the new state; the Run button has
    become the outcome, and another run starts from a new preview. `lock_target`: the page is about
    that target (the workspace page), so it is shown, not editable."""
    executor = executor_or_stop(ctx)
    try:
        spec = executor.registry.get(action_name)
    except UnknownAction:
        st.error(f"Unknown action `{action_name}`.")
        return None
    memory: dict[str, Any] = st.session_state.setdefault(f"{key}-memory", {})
    st.markdown(f"**{spec.title}** · `{spec.name}` {DANGER_BADGES[spec.safeguard]}")
    st.caption(spec.description)

    with st.form(f"{key}-form", border=False):
        target = st.text_input(spec.target_kind.label + " *", value=target_prefill(prefill), key=f"{key}-target",
                               disabled=lock_target)
        if lock_target:
            target = target_prefill(prefill)
        values = render_fields(spec.json_schema(), key=key, prefill=prefill)
        asked = st.form_submit_button("Preview", icon=":material/visibility:")
    request = ActionRequest(spec.name, target.strip(), values, runbook_id=runbook_id)
    if asked:
        memory.pop("outcome", None)
        memory["prepared"] = _prepare(executor, principal, request)
    prepared = memory.get("prepared")
    if isinstance(prepared, Prepared):
        if (prepared.target, _comparable(prepared)) != (request.target, _comparable_values(executor, request)):
            st.info("The form changed since the preview: preview again.", icon=":material/refresh:")
        else:
            _show_preview(prepared)
            outcome = _decide_and_run(executor, principal, request, prepared, key)
            if outcome is not None:
                # Done with this preview: another run needs a fresh one. What the run changed is
                # asked again, by this page (rerun now) and by everyone else's on this replica.
                memory["outcome"] = outcome
                memory.pop("prepared", None)
                if outcome.state not in (RunState.AWAITING_APPROVAL, RunState.APPROVED, RunState.REJECTED):
                    live_cache().invalidate_where(services=[spec.service], mentioning=[outcome.run.target])
                st.rerun()
    if isinstance(memory.get("outcome"), RunOutcome):
        show_outcome(memory["outcome"], spec)
        return memory["outcome"]
    return None


def _comparable(prepared: Prepared) -> str:
    return prepared.fingerprint


def _comparable_values(executor: Executor, request: ActionRequest) -> str | None:
    # The preview stands only for the exact values it was made from (same fingerprint).
    try:
        params = executor.registry.get(request.action).validate(request.params)
    except ValidationError:
        return None
    return fingerprint(request.action, request.target, params)


def _prepare(executor: Executor, principal: Principal, request: ActionRequest) -> Prepared | None:
    try:
        return executor.prepare(principal, request)
    except InvalidRequest as exc:
        st.error("\n".join(f"- **{e.field}**: {e.message} (rule `{e.rule}`)" for e in exc.errors),
                 icon=":material/edit_off:")
    except Denied as exc:
        st.error(f"Not allowed: {exc.reason}. This refusal is recorded in the audit log.", icon=":material/block:")
    except ActionRefused as exc:
        st.warning(exc.reason, icon=":material/cloud_off:")
    return None


def _show_preview(prepared: Prepared) -> None:
    with st.container(border=True):
        st.markdown(f":material/preview: **Preview:** {md(prepared.preview.summary)}")
        if prepared.preview.counts:
            columns = st.columns(len(prepared.preview.counts))
            for column, (name, count) in zip(columns, prepared.preview.counts.items(), strict=True):
                column.metric(name.replace("_", " ").capitalize(), f"{count:,}")
        for warning in prepared.preview.warnings:
            st.warning(md(warning), icon=":material/warning:")
        if prepared.preview.nothing_to_do:
            st.info(f"Nothing to do: {md(prepared.preview.nothing_to_do)}.",
                    icon=":material/do_not_disturb_on:")


def _decide_and_run(executor: Executor, principal: Principal, request: ActionRequest, prepared: Prepared,
                    key: str) -> RunOutcome | None:
    current = prepared.current
    if prepared.preview.nothing_to_do:
        return None
    if prepared.needs_approval:
        if current is not None and current.state == RunState.APPROVED and current.actor_sub == principal.sub:
            request_status(executor, principal, current, key=key)
            if st.button("Run approved request", key=f"{key}-run-approved", type="primary"):
                return run_live(executor, principal, request)
            return None
        if current is not None and current.state == RunState.AWAITING_APPROVAL:
            request_status(executor, principal, current, key=key)
            return None
        if st.button("Request approval", key=f"{key}-request", type="primary", icon=":material/how_to_reg:"):
            return run_live(executor, principal, request)
        return None
    if prepared.needs_confirmation:
        expected = prepared.expected_confirmation
        typed = st.text_input(f"Type **{expected}** to confirm", key=f"{key}-confirm")
        clicked = st.button("Run", key=f"{key}-run", type="primary", icon=":material/play_arrow:",
                            disabled=typed.strip() != expected.strip())
        if clicked:
            confirmed = ActionRequest(request.action, request.target, request.params, confirmation=typed,
                                      runbook_id=request.runbook_id)
            return run_live(executor, principal, confirmed)
        return None
    if st.button("Run", key=f"{key}-run", type="primary", icon=":material/play_arrow:"):
        return run_live(executor, principal, request)
    return None


def run_live(executor: Executor, principal: Principal, request: ActionRequest) -> RunOutcome | None:
    """Submit in a worker thread and show its progress in `st.status` until it finishes."""
    updates: queue.Queue[tuple[int | None, str]] = queue.Queue()
    future = _WORKERS.submit(executor.submit, principal, request,
                             progress=lambda percent, message: updates.put((percent, message)))
    title = executor.registry.get(request.action).title if request.action in executor.registry else request.action
    with st.status(f"Running {md(title)} on {md(request.target)}…", expanded=True) as status:
        bar = st.progress(0.0)
        while not (future.done() and updates.empty()):
            try:
                percent, message = updates.get(timeout=0.2)
            except queue.Empty:
                continue
            bar.progress(max(0, min(percent or 0, 100)) / 100, text=message)
        try:
            outcome = future.result()
        except ConfirmationMismatch as exc:
            status.update(label=md(exc.reason), state="error")
            return None
        except (ActionRefused, InvalidRequest) as exc:
            status.update(label=f"Refused: {md(exc)}", state="error")
            return None
        if outcome.state == RunState.RUNNING:  # an identical request is running: watch it instead
            status.update(label=f"Already running since {outcome.run.started_at:%H:%M:%S UTC}; waiting for it…")
            outcome = RunOutcome(executor.wait_for(outcome.run.id), False, outcome.preview)
        good = look(outcome.state).good
        status.update(label=md(headline(outcome)), state="complete" if good else "error", expanded=not good)
    return outcome


def headline(outcome: RunOutcome) -> str:
    """One line saying what happened, including when it was a repeat of an identical request."""
    run = outcome.run
    title = default_registry().get(run.action).title if run.action in default_registry() else run.action
    text = f"{look(run.state).word}: {title} on {run.target_name or run.target}"
    if not outcome.created:
        text += " (an identical request a moment ago; not run again)"
    return text


def show_outcome(outcome: RunOutcome, spec: ActionSpec | None = None) -> None:
    """The result of a run, with where to find it in the audit log."""
    run = outcome.run
    state = RunState(run.state)
    box = st.success if state == RunState.SUCCEEDED else st.info if state in (
        RunState.AWAITING_APPROVAL, RunState.APPROVED) else st.error
    box(md(headline(outcome)), icon=look(state).icon)
    if state in (RunState.UNKNOWN, RunState.ABANDONED) and spec is not None:
        if spec.repeat_harmless:
            st.caption("Running it again is harmless.")
        else:
            st.warning("The service may have acted. Check its state before running this again: "
                       "a repeat is not harmless.", icon=":material/warning:")
    describe_run(run)


def describe_run(run: ActionRun) -> None:
    """A run's facts in one caption line, and its answer when there is one."""
    facts = [f"run `{run.id}`", f"by {run.actor_email or run.actor_sub}"]
    if run.approver_sub:
        facts.append(f"approved by {run.approver_email or run.approver_sub}")
    if run.service_status is not None:
        facts.append(f"HTTP {run.service_status}")
    if run.request_id:
        facts.append(f"request id `{run.request_id}`")
    if run.started_at and run.finished_at:
        facts.append(f"{(run.finished_at - run.started_at).total_seconds():.1f} s")
    st.caption(" · ".join(facts))
    if run.error:
        st.code(run.error, language=None)
    if run.result:
        with st.expander("Service answer"):
            st.code(run.result, language="json")
    audit_link(run.id)


def audit_link(run_id: str) -> None:
    """A link to the run's records in the Audit screen."""
    try:
        st.page_link("pages/audit.py", label="Find it in the audit log", icon=":material/receipt_long:",
                     query_params={"run": run_id})
    except Exception:  # the page is not in this navigation (a page rendered on its own, in tests)
        st.markdown(f"[Find it in the audit log](/audit?run={run_id})")
