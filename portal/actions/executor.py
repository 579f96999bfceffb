"""The executor: the one path every action takes, from a form, a runbook or a script.

validate → ask the policy (a denial is recorded) → preview → confirm (type the target's name) or
request approval (two-person) → open the run in the database (an identical request gets the
first run back) → record it as started → call the service with an idempotency key derived from
the run id → record the outcome (succeeded; failed with the service's error; unknown when the
call timed out) → tell the chat webhook, if one is configured.

The executor composes three collaborators: the `Recorder` (audit records and chat notices), the
`Runner` (the handler call and its outcome) and `Approvals` (the two-person rule).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from portal import policy
from portal.actions.approvals import Approvals
from portal.actions.errors import ApprovalRefused, ConfirmationMismatch, Denied, NothingToDo, PreviewUnavailable
from portal.actions.outcomes import ActionRequest, Prepared, RunOutcome, candidate_run
from portal.actions.recording import Recorder
from portal.actions.registry import Registry, default_registry
from portal.actions.running import Runner
from portal.actions.spec import (
    FieldError,
    InvalidRequest,
    PreviewContext,
    ProgressCallback,
    field_errors,
    fingerprint,
    params_for_policy,
)
from portal.actions.webhook import ChatWebhook
from portal.clients.errors import ServiceError
from portal.identity import Principal
from portal.store import runs
from portal.store.db import Database
from portal.store.models import ActionRun, RunState
from portal.store.runs import Worker, open_run, recover_abandoned

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from portal.clients import Clients
    from portal.settings import Settings

_TARGET_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:")


class Executor:
    """Runs actions for people; built once per process in the composition root."""

    def __init__(
        self,
        database: Database,
        clients: Clients,
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
        self.clients = clients
        self.registry = registry or default_registry()
        self.worker = worker or Worker.current()
        self.recorder = Recorder(database, webhook)
        self.runner = Runner(database, clients, self.recorder, poll_interval=poll_interval,
                             poll_timeout=poll_timeout)
        self.approvals = Approvals(database, self.recorder, self.runner, approval_ttl=approval_ttl,
                                   dedupe_window=dedupe_window, worker=self.worker)

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.database.sessions

    @property
    def approval_ttl(self) -> timedelta:
        """How long a request waits for approval, and an approval for its run."""
        return self.approvals.approval_ttl

    @approval_ttl.setter
    def approval_ttl(self, value: timedelta) -> None:
        self.approvals.approval_ttl = value

    @property
    def dedupe_window(self) -> timedelta:
        """How long a finished run still stands for an identical request."""
        return self.approvals.dedupe_window

    @dedupe_window.setter
    def dedupe_window(self, value: timedelta) -> None:
        self.approvals.dedupe_window = value

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
            self.recorder.denial(principal, spec, target, params, decision.reason, request.runbook_id)
            raise Denied(decision.reason)
        try:
            preview = spec.preview(PreviewContext(self.clients), target, params)
        except ServiceError as exc:
            raise PreviewUnavailable(f"cannot preview {spec.name}: {exc}") from exc
        key = fingerprint(spec.name, target, params)
        return Prepared(spec, target, params, key, preview, decision.reason, policy.needs_approval(spec.name),
                        self.current_run(key))

    def submit(self, principal: Principal, request: ActionRequest, *,
               progress: ProgressCallback | None = None) -> RunOutcome:
        """Run (or request approval for) an action; an identical request returns the first run."""
        prepared = self.prepare(principal, request)
        if prepared.preview.nothing_to_do:
            raise NothingToDo(prepared.preview.nothing_to_do)
        if prepared.needs_approval:
            return self.approvals.request_or_run(principal, request, prepared, progress)
        if prepared.needs_confirmation:
            typed = (request.confirmation or "").strip()
            if typed != prepared.expected_confirmation.strip():
                raise ConfirmationMismatch(prepared.expected_confirmation)
        candidate = candidate_run(principal, request, prepared, RunState.RUNNING, worker=self.worker,
                                  approval_ttl=self.approval_ttl)
        run, created = open_run(self.sessions, candidate, window=self.dedupe_window,
                                detail={"policy": prepared.reason})
        if not created:
            self.recorder.asked_again(principal, run, request.runbook_id)
            return RunOutcome(run, False, prepared.preview)
        return self.runner.execute(run, prepared, progress)

    def run_approved(self, principal: Principal, run_id: str, params: Mapping[str, Any], *,
                     progress: ProgressCallback | None = None) -> RunOutcome:
        """Run an approved request; `params` must be exactly the approved ones (secrets re-entered)."""
        return self.approvals.run_approved(principal, run_id, lambda request: self.prepare(principal, request),
                                           dict(params), progress)

    # -- two-person requests (the `Approvals` collaborator) ---------------------------------

    def approve(self, approver: Principal, run_id: str) -> ActionRun:
        """Approve a pending request (an admin other than the requester)."""
        return self.approvals.approve(approver, run_id)

    def reject(self, approver: Principal, run_id: str, reason: str) -> ActionRun:
        """Refuse a pending request, saying why."""
        return self.approvals.reject(approver, run_id, reason)

    def withdraw(self, requester: Principal, run_id: str) -> ActionRun:
        """The requester takes back a two-person request before it runs."""
        return self.approvals.withdraw(requester, run_id)

    def pending_approvals(self) -> list[ActionRun]:
        """Requests awaiting an approver, oldest first."""
        return self.approvals.pending()

    def open_requests(self, principal: Principal) -> list[ActionRun]:
        """This person's requests awaiting approval or approved and not yet run, newest first."""
        return self.approvals.open_requests(principal)

    def expire_overdue(self) -> int:
        """Record every request or approval past its time limit as expired; returns how many."""
        return self.approvals.expire_overdue()

    # -- lookups ------------------------------------------------------------------------------

    def current_run(self, key: str) -> ActionRun | None:
        """The run that stands for a fingerprint now (in progress, approval pending, or just finished)."""
        return runs.current_for(self.sessions, fingerprint=key, window=self.dedupe_window)

    def get_run(self, run_id: str) -> ActionRun | None:
        """A run as the database has it now."""
        return runs.get_run(self.sessions, run_id)

    def recent_runs(self, principal: Principal, *, limit: int = 10) -> list[ActionRun]:
        """This person's latest runs and requests, newest first."""
        return runs.recent_for(self.sessions, actor_sub=principal.sub, limit=limit)

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
        self.recorder.notify_ids(recovered)
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


def build_executor(settings: Settings, database: Database, clients: Clients) -> Executor:
    """The executor for a portal process: the chat webhook when `PORTAL_CHAT_WEBHOOK_URL` is set."""
    webhook = ChatWebhook(settings.chat_webhook_url) if settings.chat_webhook_url else None
    return Executor(database, clients, webhook=webhook)


__all__ = [
    "ActionRequest", "ApprovalRefused", "ConfirmationMismatch", "Denied", "Executor", "InvalidRequest",
    "Prepared", "PreviewUnavailable", "RunOutcome", "build_executor",
]
