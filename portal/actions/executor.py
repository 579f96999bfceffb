"""The executor: the one path every action takes, from a form, a runbook or a script.

validate → ask the policy (a denial is recorded) → preview → confirm (type the target's name) or
request approval (two-person) → open the run in the database (an identical request gets the
first run back) → record it as started → call the service with an idempotency key derived from
the run id → record the outcome (succeeded; failed with the service's error; unknown when the
call timed out) → tell the chat webhook, if one is configured.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from portal import policy
from portal.actions.approvals import ApprovalsMixin
from portal.actions.capture import capture_exchanges, decisive
from portal.actions.errors import ApprovalRefused, ConfirmationMismatch, Denied, PreviewUnavailable
from portal.actions.outcomes import ActionRequest, Prepared, RunOutcome
from portal.actions.registry import Registry, default_registry
from portal.actions.spec import (
    ActionFailed,
    ActionParams,
    ActionSpec,
    FieldError,
    InvalidRequest,
    PreviewContext,
    ProgressCallback,
    RunContext,
    field_errors,
    fingerprint,
    masked_params,
    params_for_policy,
)
from portal.actions.webhook import ChatWebhook
from portal.clients.errors import ServiceError, ServiceTimeout
from portal.identity import Principal
from portal.store import audit
from portal.store.db import Database, transaction
from portal.store.models import ActionGate, ActionRun, AuditEvent, RunState, utcnow
from portal.store.runs import (
    EVENT_FOR_STATE,
    StaleTransition,
    Worker,
    audit_run,
    heartbeat,
    open_run,
    recover_abandoned,
    transition,
)

log = logging.getLogger("portal.actions")

_TARGET_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:")
_HEARTBEAT_EVERY = 10.0  # seconds between heartbeats while a long operation runs


def _actor(principal: Principal) -> dict[str, str]:
    return {"sub": principal.sub, "email": principal.email, "roles": ",".join(principal.roles)}


class Executor(ApprovalsMixin):
    """Runs actions for people; built once per process in the composition root."""

    def __init__(
        self,
        database: Database,
        clients: Any,
        *,
        registry: Registry | None = None,
        webhook: ChatWebhook | None = None,
        dedupe_window: timedelta = timedelta(seconds=10),
        approval_ttl: timedelta = timedelta(minutes=30),
        poll_interval: float = 0.5,
        poll_timeout: float = 900.0,
        worker: Worker | None = None,
    ) -> None:
        self.database = database
        self.sessions = database.sessions
        self.clients = clients
        self.registry = registry or default_registry()
        self.webhook = webhook
        self.dedupe_window = dedupe_window
        self.approval_ttl = approval_ttl
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout
        self.worker = worker or Worker.current()

    # -- the path --------------------------------------------------------------------------

    def prepare(self, principal: Principal, request: ActionRequest) -> Prepared:
        """Validate, ask the policy (recording a denial), and preview; nothing runs."""
        spec = self.registry.get(request.action)
        target = _checked_target(request.target)
        try:
            params = spec.validate(request.params)
        except ValidationError as exc:
            raise InvalidRequest(field_errors(exc)) from None
        decision = policy.decide_action(principal, spec.name, target=target, params=params_for_policy(params))
        if not decision.allowed:
            self._record_denial(principal, spec, target, params, decision.reason, request.runbook_id)
            raise Denied(decision.reason)
        try:
            preview = spec.preview(PreviewContext(self.clients), target, params)
        except ServiceError as exc:
            raise PreviewUnavailable(f"cannot preview {spec.name}: {exc}") from exc
        key = fingerprint(spec.name, target, params)
        return Prepared(spec, target, params, key, preview, decision.reason,
                        policy.needs_approval(spec.name), self.current_run(key))

    def submit(self, principal: Principal, request: ActionRequest, *,
               progress: ProgressCallback | None = None) -> RunOutcome:
        """Run (or request approval for) an action; an identical request returns the first run."""
        prepared = self.prepare(principal, request)
        if prepared.needs_approval:
            return self._request_approval_or_run(principal, request, prepared, progress)
        if prepared.needs_confirmation:
            typed = (request.confirmation or "").strip()
            if typed != prepared.expected_confirmation.strip():
                raise ConfirmationMismatch(prepared.expected_confirmation)
        candidate = self._new_run(principal, request, prepared, RunState.RUNNING)
        run, created = open_run(self.sessions, candidate, window=self.dedupe_window,
                                detail={"policy": prepared.reason})
        if not created:
            return RunOutcome(run, False, prepared.preview)
        return self._execute(run, prepared, progress)

    def _new_run(self, principal: Principal, request: ActionRequest, prepared: Prepared,
                 state: RunState) -> ActionRun:
        now = utcnow()
        return ActionRun(
            id=str(uuid.uuid4()), action=prepared.spec.name, target=prepared.target,
            target_kind=prepared.spec.target_kind.value, target_name=prepared.preview.target_name[:200],
            fingerprint=prepared.fingerprint, params=audit.canonical_json(masked_params(prepared.params)),
            preview=prepared.preview.summary[:2000], danger=prepared.spec.safeguard.value, state=state.value,
            actor_sub=principal.sub, actor_email=principal.email, actor_roles=",".join(principal.roles),
            runbook_id=request.runbook_id, created_at=now, worker=str(self.worker),
            expires_at=now + self.approval_ttl if state == RunState.AWAITING_APPROVAL else None,
        )

    def _execute(self, run: ActionRun, prepared: Prepared, progress: ProgressCallback | None) -> RunOutcome:
        """Call the handler for a run already recorded as running, then record how it ended."""
        alive = self._liveness(run.id)
        ctx = RunContext(self.clients, idempotency_key=f"portal-run-{run.id}",
                         progress=self._progress(progress, alive), alive=alive,
                         poll_interval=self.poll_interval, poll_timeout=self.poll_timeout)
        state, status, request_id, error, result = RunState.FAILED, None, None, None, None
        detail: dict[str, Any] = {}
        with capture_exchanges() as exchanges:
            try:
                answer = prepared.spec.handler(ctx, run.target, prepared.params)
                state, result, detail = RunState.SUCCEEDED, answer.detail, {"summary": answer.summary}
            except ServiceTimeout as exc:
                state, error = RunState.UNKNOWN, str(exc)
            except ServiceError as exc:
                # Once the service accepted the write, a later error (while polling) says nothing about it.
                accepted = any(e.method.upper() != "GET" and e.status < 400 for e in exchanges)
                state, error = (RunState.UNKNOWN if accepted else RunState.FAILED), str(exc)
                status, request_id = exc.status, exc.request_id
            except ActionFailed as exc:
                state, error, result = RunState.FAILED, str(exc), exc.detail
            except Exception as exc:
                log.exception("action %s run %s raised", run.action, run.id)
                state, error = RunState.UNKNOWN, f"portal error during the call: {type(exc).__name__}: {exc}"
            except BaseException:
                self._finish(run, RunState.UNKNOWN, None, None, "interrupted while running; outcome unknown",
                             None, {})
                raise
        answer_seen = decisive(exchanges)
        if answer_seen is not None:
            status = status if status is not None else answer_seen.status
            request_id = request_id or answer_seen.request_id
        final = self._finish(run, state, status, request_id, error, result, detail)
        return RunOutcome(final, True, prepared.preview)

    def _finish(self, run: ActionRun, state: RunState, status: int | None, request_id: str | None,
                error: str | None, result: Mapping[str, Any] | None, detail: Mapping[str, Any]) -> ActionRun:
        values = {"finished_at": utcnow(), "service_status": status, "request_id": request_id,
                  "error": error[:2000] if error else None,
                  "result": json.dumps(result, default=str) if result is not None else None}
        with transaction(self.sessions) as session:
            try:
                moved = transition(session, run.id, RunState.RUNNING, state, **values)
            except StaleTransition:
                # Another replica declared this run abandoned meanwhile; the run stays so (forward
                # only), but the real outcome still goes into the log.
                late = session.get(ActionRun, run.id, populate_existing=True)
                assert late is not None
                audit_run(session, late, EVENT_FOR_STATE[state],
                          detail={**detail, "late_outcome": state.value, "error": error})
                moved = late
            else:
                audit_run(session, moved, EVENT_FOR_STATE[state], detail={**detail, "error": error})
        self._notify(moved)
        return moved

    def _liveness(self, run_id: str) -> Any:
        """A callable noting, at most every few seconds, that this process still runs `run_id`."""
        last_beat = time.monotonic()

        def alive() -> None:
            nonlocal last_beat
            if time.monotonic() - last_beat >= _HEARTBEAT_EVERY:
                heartbeat(self.sessions, run_id)
                last_beat = time.monotonic()

        return alive

    def _progress(self, callback: ProgressCallback | None, alive: Any) -> ProgressCallback:
        def report(percent: int | None, message: str) -> None:
            if callback is not None:
                callback(percent, message)
            alive()

        return report

    # -- records and lookups ------------------------------------------------------------------

    def _record_denial(self, principal: Principal, spec: ActionSpec, target: str, params: ActionParams,
                       reason: str, runbook_id: str | None) -> None:
        actor = _actor(principal)
        with transaction(self.sessions) as session:
            audit.append(session, event=AuditEvent.DENIED.value, outcome="denied", actor_sub=actor["sub"],
                         actor_email=actor["email"], actor_roles=actor["roles"], action=spec.name, target=target,
                         target_kind=spec.target_kind.value, params=masked_params(params), runbook_id=runbook_id,
                         detail={"reason": reason})
        log.info("denied %s on %s for %s: %s", spec.name, target, principal.sub, reason)

    def _record_refusal(self, actor: Principal, run: ActionRun, reason: str, event: AuditEvent,
                        params: Mapping[str, Any] | None = None) -> None:
        who = _actor(actor)
        with transaction(self.sessions) as session:
            audit.append(session, event=event.value, outcome=run.state, actor_sub=who["sub"],
                         actor_email=who["email"], actor_roles=who["roles"], action=run.action, target=run.target,
                         target_kind=run.target_kind, params=params if params is not None else json.loads(run.params),
                         preview=run.preview, run_id=run.id, runbook_id=run.runbook_id, detail={"reason": reason})

    def _notify(self, run: ActionRun) -> None:
        if self.webhook is not None:
            self.webhook.notify(run)

    def current_run(self, key: str) -> ActionRun | None:
        """The run that stands for a fingerprint now (in progress, approval pending, or just finished)."""
        with self.sessions() as session:
            gate = session.get(ActionGate, key)
            run = session.get(ActionRun, gate.run_id) if gate else None
        if run is None:
            return None
        now = utcnow()
        if run.state in (RunState.REJECTED, RunState.EXPIRED):
            return None  # never ran: asking again is a new request
        if RunState(run.state).terminal and (run.finished_at is None or now - run.finished_at >= self.dedupe_window):
            return None
        if run.expires_at is not None and run.state in (RunState.AWAITING_APPROVAL, RunState.APPROVED) \
                and now >= run.expires_at:
            return None  # past its time limit: expired the next time anyone touches it
        return run

    def get_run(self, run_id: str) -> ActionRun | None:
        """A run as the database has it now."""
        with self.sessions() as session:
            return session.get(ActionRun, run_id)

    def recent_runs(self, principal: Principal, *, limit: int = 10) -> list[ActionRun]:
        """This person's latest runs and requests, newest first."""
        with self.sessions() as session:
            return list(session.execute(
                select(ActionRun).where(ActionRun.actor_sub == principal.sub)
                .order_by(ActionRun.created_at.desc()).limit(limit)).scalars())

    def wait_for(self, run_id: str, *, timeout: float = 900.0, interval: float = 0.5) -> ActionRun:
        """Poll until the run is no longer running (for a duplicate request that got a running run back)."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.get_run(run_id)
            if run is None:
                raise KeyError(run_id)
            if run.state != RunState.RUNNING or time.monotonic() > deadline:
                return run
            time.sleep(interval)

    def recover_abandoned(self) -> list[str]:
        """At start: mark runs left running by a dead process as abandoned (outcome unknown)."""
        recovered = recover_abandoned(self.sessions, self.worker)
        for run_id in recovered:
            run = self.get_run(run_id)
            if run is not None:
                self._notify(run)
        return recovered


def _checked_target(target: str | None) -> str:
    text = (target or "").strip()
    if not text:
        raise InvalidRequest([FieldError("target", "required", "give the id of what to act on")])
    if len(text) > 200:
        raise InvalidRequest([FieldError("target", "max_length", "at most 200 characters")])
    if not set(text) <= _TARGET_CHARS:
        raise InvalidRequest([FieldError("target", "one_id", "one id: letters, digits and _ - . : only "
                                                             "(no spaces, lists or wildcards)")])
    return text




def build_executor(settings: Any, database: Database, clients: Any) -> Executor:
    """The executor for a portal process: the chat webhook when `PORTAL_CHAT_WEBHOOK_URL` is set."""
    webhook = ChatWebhook(settings.chat_webhook_url) if getattr(settings, "chat_webhook_url", None) else None
    return Executor(database, clients, webhook=webhook)


__all__ = [
    "ActionRequest", "ApprovalRefused", "ConfirmationMismatch", "Denied", "Executor", "InvalidRequest",
    "Prepared", "PreviewUnavailable", "RunOutcome", "build_executor",
]
