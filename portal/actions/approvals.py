"""The two-person rule: request, approve (another admin, in time), then the requester runs it.

An approval is bound to the request's fingerprint, i.e. to the exact action, target and
parameters: running it with anything else is refused, as are approving one's own request and
using an approval after its time limit. Every refusal is recorded in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from portal import policy
from portal.actions.errors import ApprovalRefused
from portal.actions.outcomes import ActionRequest, Prepared, RunOutcome, candidate_run
from portal.actions.recording import Recorder, actor_of
from portal.actions.running import Runner
from portal.actions.spec import ProgressCallback, masked_params
from portal.identity import Principal
from portal.store import runs
from portal.store.db import Database, transaction
from portal.store.models import ActionRun, AuditEvent, RunState, utcnow
from portal.store.runs import StaleTransition, Worker, audit_run, expire_if_due, open_run, transition


class Approvals:
    """Two-person requests: open them, approve or reject them, and start an approved one once."""

    def __init__(self, database: Database, recorder: Recorder, runner: Runner, *, approval_ttl: timedelta,
                 dedupe_window: timedelta, worker: Worker) -> None:
        self.sessions = database.sessions
        self.recorder = recorder
        self.runner = runner
        self.approval_ttl = approval_ttl
        self.dedupe_window = dedupe_window
        self.worker = worker

    def request_or_run(self, principal: Principal, request: ActionRequest, prepared: Prepared,
                       progress: ProgressCallback | None) -> RunOutcome:
        """Open an approval request; or, when this exact request is already approved for this
        person, run it; or return the request that already stands (pending, running, done)."""
        candidate = candidate_run(principal, request, prepared, RunState.AWAITING_APPROVAL, worker=self.worker,
                                  approval_ttl=self.approval_ttl)
        run, created = open_run(self.sessions, candidate, window=self.dedupe_window,
                                detail={"policy": prepared.reason, "expires_at": candidate.expires_at})
        if created:
            self.recorder.notify(run)
            return RunOutcome(run, True, prepared.preview)
        if run.state == RunState.APPROVED:
            self._only_the_requester(principal, run)
            return self._start(run, prepared, progress)
        self.recorder.asked_again(principal, run, request.runbook_id)
        return RunOutcome(run, False, prepared.preview)

    def run_approved(self, principal: Principal, run_id: str, prepare: Callable[[ActionRequest], Prepared],
                     params: dict[str, object], progress: ProgressCallback | None) -> RunOutcome:
        """Run an approved request; `params` must be exactly the approved ones (secrets re-entered)."""
        run = runs.get_run(self.sessions, run_id)
        if run is None:
            raise ApprovalRefused(f"no request {run_id}")
        prepared = prepare(ActionRequest(run.action, run.target, params, runbook_id=run.runbook_id))
        if prepared.fingerprint != run.fingerprint:
            reason = "the parameters differ from the approved ones; request approval for the new ones"
            self.recorder.refusal(principal, run, reason, AuditEvent.REFUSED, masked_params(prepared.params))
            raise ApprovalRefused(reason)
        self._only_the_requester(principal, run)
        with transaction(self.sessions) as session:
            fresh = session.get(ActionRun, run_id, populate_existing=True)
            assert fresh is not None
            run = expire_if_due(session, fresh, utcnow())
        if run.state == RunState.EXPIRED:
            raise ApprovalRefused("the approval expired before the run; request approval again")
        if run.state == RunState.AWAITING_APPROVAL:
            raise ApprovalRefused("not approved yet")
        if run.state != RunState.APPROVED:
            return RunOutcome(run, False, prepared.preview)  # already running or done: never twice
        return self._start(run, prepared, progress)

    def _only_the_requester(self, principal: Principal, run: ActionRun) -> None:
        if run.actor_sub != principal.sub:
            reason = f"this approval was granted to {run.actor_email or run.actor_sub}; only they may run it"
            self.recorder.refusal(principal, run, reason, AuditEvent.REFUSED)
            raise ApprovalRefused(reason)

    def _start(self, run: ActionRun, prepared: Prepared, progress: ProgressCallback | None) -> RunOutcome:
        now = utcnow()
        started: ActionRun | None = None
        with transaction(self.sessions) as session:
            try:
                moved = transition(session, run.id, RunState.APPROVED, RunState.RUNNING, started_at=now,
                                   heartbeat_at=now, worker=str(self.worker))
            except StaleTransition:
                pass  # a double click: the other one started it
            else:
                audit_run(session, moved, AuditEvent.STARTED,
                          detail={"policy": prepared.reason, "preview_at_start": prepared.preview.summary})
                started = moved
        if started is None:
            current = runs.get_run(self.sessions, run.id)
            assert current is not None
            return RunOutcome(current, False, prepared.preview)
        return self.runner.execute(started, prepared, progress)

    def _request_for(self, approver: Principal, run_id: str) -> ActionRun:
        """The request `approver` may decide on; a refusal (e.g. their own request) is recorded first."""
        run = runs.get_run(self.sessions, run_id)
        if run is None:
            raise ApprovalRefused(f"no request {run_id}")
        decision = policy.may_approve(approver, requested_by=run.actor_sub)
        if not decision.allowed:
            self.recorder.refusal(approver, run, decision.reason, AuditEvent.APPROVAL_DENIED)
            raise ApprovalRefused(decision.reason)
        return run

    def approve(self, approver: Principal, run_id: str) -> ActionRun:
        """Approve a pending request; the requester may then run it until the approval expires."""
        run = self._request_for(approver, run_id)
        now = utcnow()
        with transaction(self.sessions) as session:
            fresh = session.get(ActionRun, run_id, populate_existing=True)
            assert fresh is not None
            run = expire_if_due(session, fresh, now)
            if run.state == RunState.AWAITING_APPROVAL:
                try:
                    run = transition(session, run_id, RunState.AWAITING_APPROVAL, RunState.APPROVED,
                                     approver_sub=approver.sub, approver_email=approver.email, approved_at=now,
                                     expires_at=now + self.approval_ttl)
                except StaleTransition:  # a concurrent approval (a double click) won; report on it below
                    reread = session.get(ActionRun, run_id, populate_existing=True)
                    assert reread is not None
                    run = reread
                else:
                    audit_run(session, run, AuditEvent.APPROVED, actor=actor_of(approver),
                              detail={"run_before": (now + self.approval_ttl).isoformat()})
            # Anything else is refused below, after this transaction kept a just-recorded expiry.
        if run.state == RunState.EXPIRED:
            raise ApprovalRefused("the request expired before it was approved; ask for a new one")
        if run.state != RunState.APPROVED or run.approver_sub != approver.sub:
            raise ApprovalRefused(f"the request is {run.state}, not awaiting approval")
        self.recorder.notify(run)
        return run

    def reject(self, approver: Principal, run_id: str, reason: str) -> ActionRun:
        """Refuse a pending request (an admin other than the requester), saying why."""
        self._request_for(approver, run_id)
        note = (reason or "").strip()[:500] or "no reason given"
        with transaction(self.sessions) as session:
            try:
                run = transition(session, run_id, RunState.AWAITING_APPROVAL, RunState.REJECTED,
                                 approver_sub=approver.sub, approver_email=approver.email, finished_at=utcnow(),
                                 error=f"rejected by {approver.email or approver.sub}: {note}")
            except StaleTransition:
                raise ApprovalRefused("the request is no longer awaiting approval") from None
            audit_run(session, run, AuditEvent.REJECTED, actor=actor_of(approver), detail={"reason": note})
        self.recorder.notify(run)
        return run

    def withdraw(self, requester: Principal, run_id: str) -> ActionRun:
        """The requester takes back a request (pending, or approved and not yet run); nothing runs."""
        run = runs.get_run(self.sessions, run_id)
        if run is None:
            raise ApprovalRefused(f"no request {run_id}")
        if run.actor_sub != requester.sub:
            reason = f"only {run.actor_email or run.actor_sub}, who asked, may withdraw this request"
            self.recorder.refusal(requester, run, reason, AuditEvent.REFUSED)
            raise ApprovalRefused(reason)
        with transaction(self.sessions) as session:
            try:
                run = transition(session, run_id, (RunState.AWAITING_APPROVAL, RunState.APPROVED), RunState.WITHDRAWN,
                                 finished_at=utcnow(), error=f"withdrawn by {requester.email or requester.sub}")
            except StaleTransition:
                raise ApprovalRefused("the request is no longer open: it ran, expired or was decided") from None
            audit_run(session, run, AuditEvent.WITHDRAWN, detail={"reason": "withdrawn by the requester"})
        self.recorder.notify(run)
        return run

    def expire_overdue(self) -> int:
        """Record every request or approval past its time limit as expired; returns how many."""
        return len(runs.expire_overdue(self.sessions))

    def pending(self) -> list[ActionRun]:
        """Requests awaiting an approver, oldest first (overdue ones are expired first)."""
        self.expire_overdue()
        return runs.awaiting_approval(self.sessions)

    def open_requests(self, principal: Principal) -> list[ActionRun]:
        """This person's requests awaiting approval or approved and not yet run, newest first."""
        self.expire_overdue()
        return runs.open_requests(self.sessions, actor_sub=principal.sub)
