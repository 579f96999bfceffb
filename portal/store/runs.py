"""A run's life in the database: opened once per fingerprint, moved forward only, audited at each step.

Double execution is prevented by `action_gate`: one row per fingerprint (hash of action, target
and parameters). Opening a run inserts or locks that row in the same transaction that creates
the run, so of any number of identical requests, in any number of processes or replicas, exactly
one creates a run; the others get that run back.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlmodel import col

from portal.store import audit
from portal.store.db import transaction
from portal.store.models import ActionGate, ActionRun, AuditEvent, RunState, utcnow

# The only moves a run can make. Nothing moves a run back, and terminal states go nowhere.
FORWARD: dict[RunState, frozenset[RunState]] = {
    RunState.AWAITING_APPROVAL: frozenset({RunState.APPROVED, RunState.REJECTED, RunState.EXPIRED,
                                           RunState.WITHDRAWN}),
    RunState.APPROVED: frozenset({RunState.RUNNING, RunState.EXPIRED, RunState.WITHDRAWN}),
    RunState.RUNNING: frozenset({RunState.SUCCEEDED, RunState.FAILED, RunState.UNKNOWN, RunState.ABANDONED}),
}

# The audit event recorded when a run enters each state.
EVENT_FOR_STATE: dict[RunState, AuditEvent] = {
    RunState.AWAITING_APPROVAL: AuditEvent.APPROVAL_REQUESTED,
    RunState.APPROVED: AuditEvent.APPROVED,
    RunState.RUNNING: AuditEvent.STARTED,
    RunState.SUCCEEDED: AuditEvent.SUCCEEDED,
    RunState.FAILED: AuditEvent.FAILED,
    RunState.UNKNOWN: AuditEvent.UNKNOWN,
    RunState.ABANDONED: AuditEvent.ABANDONED,
    RunState.REJECTED: AuditEvent.REJECTED,
    RunState.EXPIRED: AuditEvent.EXPIRED,
    RunState.WITHDRAWN: AuditEvent.WITHDRAWN,
}


class StaleTransition(RuntimeError):
    """The run was no longer in the expected state (someone else moved it first)."""


@dataclass(frozen=True)
class Worker:
    """The process running actions: host, pid and a token unique to this process's life."""

    host: str
    pid: int
    token: str

    @classmethod
    def current(cls) -> Worker:
        return cls(socket.gethostname()[:120], os.getpid(), uuid.uuid4().hex[:12])

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"

    @classmethod
    def parse(cls, text: str | None) -> Worker | None:
        if not text:
            return None
        host, _, rest = text.rpartition(":")
        host, _, pid = host.rpartition(":")
        try:
            return cls(host, int(pid), rest)
        except ValueError:
            return None


def audit_run(session: Session, run: ActionRun, event: AuditEvent, *, actor: Mapping[str, str] | None = None,
              detail: Mapping[str, Any] | None = None) -> None:
    """Append the audit record for `run` entering its current state; `actor` defaults to the requester."""
    who = actor or {"sub": run.actor_sub, "email": run.actor_email, "roles": run.actor_roles}
    duration = None
    if run.started_at and run.finished_at:
        duration = int((run.finished_at - run.started_at).total_seconds() * 1000)
    audit.append(
        session,
        event=event.value,
        outcome=run.state,
        actor_sub=who["sub"],
        actor_email=who.get("email", ""),
        actor_roles=who.get("roles", ""),
        action=run.action,
        target=run.target,
        target_kind=run.target_kind,
        params=_json_object(run.params),
        preview=run.preview,
        approver=run.approver_email or run.approver_sub,
        runbook_id=run.runbook_id,
        run_id=run.id,
        service_status=run.service_status,
        request_id=run.request_id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_ms=duration,
        detail=detail,
    )


def _json_object(text: str) -> dict[str, Any]:
    value = json.loads(text or "{}")
    return value if isinstance(value, dict) else {"value": value}


def is_current(run: ActionRun, now: datetime, window: timedelta) -> bool:
    """The de-duplication rule: does `run` still stand for its fingerprint? Yes while it runs or
    waits for (or holds) an approval within its time limit, and for `window` after it finished.
    A rejected, expired or withdrawn request never ran, so it never blocks asking again."""
    state = RunState(run.state)
    if state in (RunState.AWAITING_APPROVAL, RunState.APPROVED):
        return run.expires_at is None or now < run.expires_at  # past it: expired when next touched
    if not state.terminal:
        return True
    if state in (RunState.REJECTED, RunState.EXPIRED, RunState.WITHDRAWN):
        return False
    return run.finished_at is not None and now - run.finished_at < window


def expire_if_due(session: Session, run: ActionRun, now: datetime) -> ActionRun:
    """Move an approval request or approval past its deadline to `expired` (recorded); else unchanged."""
    state = RunState(run.state)
    if state in (RunState.AWAITING_APPROVAL, RunState.APPROVED) and run.expires_at and now >= run.expires_at:
        run = transition(session, run.id, state, RunState.EXPIRED, finished_at=now)
        audit_run(session, run, AuditEvent.EXPIRED, detail={"reason": "the approval's time limit passed"})
    return run


def open_run(sessions: sessionmaker[Session], candidate: ActionRun, *, window: timedelta,
             detail: Mapping[str, Any] | None = None) -> tuple[ActionRun, bool]:
    """Create `candidate` (and its first audit record) unless a current run has its fingerprint.

    Returns (run, created). When not created, `run` is the run that already stands for the
    fingerprint: in progress, awaiting or holding an approval, or finished within `window`.
    """
    for _ in range(10):
        try:
            with transaction(sessions) as session:
                now = utcnow()
                gate = session.execute(
                    select(ActionGate).where(col(ActionGate.fingerprint) == candidate.fingerprint).with_for_update()
                ).scalar_one_or_none()
                if gate is not None:
                    existing = session.get(ActionRun, gate.run_id, populate_existing=True)
                    if existing is not None:
                        existing = expire_if_due(session, existing, now)
                        if is_current(existing, now, window):
                            return existing, False
                    session.execute(
                        update(ActionGate).where(col(ActionGate.fingerprint) == candidate.fingerprint)
                        .values(run_id=candidate.id, updated_at=now)
                    )
                else:
                    session.add(ActionGate(fingerprint=candidate.fingerprint, run_id=candidate.id, updated_at=now))
                    # Flush now: a concurrent identical request fails here, before doing anything else.
                    session.flush()
                candidate.created_at = now
                if candidate.state == RunState.RUNNING:
                    candidate.started_at = candidate.heartbeat_at = now
                session.add(candidate)
                session.flush()
                audit_run(session, candidate, EVENT_FOR_STATE[RunState(candidate.state)], detail=detail)
                return candidate, True
        except IntegrityError:
            # Another request inserted the gate row first; go round and find its run.
            continue
    raise RuntimeError(f"could not open a run for fingerprint {candidate.fingerprint} after 10 attempts")


def transition(session: Session, run_id: str, from_state: RunState | tuple[RunState, ...], to_state: RunState,
               **values: Any) -> ActionRun:
    """Move a run forward, atomically: only if it is still in `from_state` (compare and set)."""
    sources = from_state if isinstance(from_state, tuple) else (from_state,)
    for source in sources:
        if to_state not in FORWARD.get(source, frozenset()):
            raise ValueError(f"a run cannot move from {source} to {to_state}")
    result = session.execute(
        update(ActionRun)
        .where(col(ActionRun.id) == run_id, col(ActionRun.state).in_([s.value for s in sources]))
        .values(state=to_state.value, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleTransition(f"run {run_id} is no longer {' or '.join(sources)}")
    run = session.get(ActionRun, run_id, populate_existing=True)
    assert run is not None
    return run


def heartbeat(sessions: sessionmaker[Session], run_id: str) -> None:
    """Note that the process running `run_id` is alive (long operations call this while polling)."""
    with transaction(sessions) as session:
        session.execute(
            update(ActionRun).where(col(ActionRun.id) == run_id, col(ActionRun.state) == RunState.RUNNING.value)
            .values(heartbeat_at=utcnow()).execution_options(synchronize_session=False)
        )


# -- queries ------------------------------------------------------------------------------------


def get_run(sessions: sessionmaker[Session], run_id: str) -> ActionRun | None:
    """The run as the database has it now."""
    with sessions() as session:
        return session.get(ActionRun, run_id)


def current_for(sessions: sessionmaker[Session], *, fingerprint: str, window: timedelta,
                now: datetime | None = None) -> ActionRun | None:
    """The run that stands for `fingerprint` now (see `is_current`), or None: asking is a new request."""
    with sessions() as session:
        gate = session.get(ActionGate, fingerprint)
        run = session.get(ActionRun, gate.run_id) if gate else None
    return run if run is not None and is_current(run, now or utcnow(), window) else None


def recent_for(sessions: sessionmaker[Session], *, actor_sub: str, limit: int = 10) -> list[ActionRun]:
    """One person's latest runs and requests, newest first."""
    with sessions() as session:
        return list(session.execute(
            select(ActionRun).where(col(ActionRun.actor_sub) == actor_sub)
            .order_by(col(ActionRun.created_at).desc()).limit(limit)).scalars())


_PENDING = (RunState.AWAITING_APPROVAL.value, RunState.APPROVED.value)


def awaiting_approval(sessions: sessionmaker[Session]) -> list[ActionRun]:
    """Requests waiting for an approver, oldest first."""
    with sessions() as session:
        return list(session.execute(
            select(ActionRun).where(col(ActionRun.state) == RunState.AWAITING_APPROVAL.value)
            .order_by(col(ActionRun.created_at))).scalars())


def open_requests(sessions: sessionmaker[Session], *, actor_sub: str) -> list[ActionRun]:
    """One person's requests awaiting approval, or approved and not yet run, newest first."""
    with sessions() as session:
        return list(session.execute(
            select(ActionRun).where(col(ActionRun.actor_sub) == actor_sub, col(ActionRun.state).in_(_PENDING))
            .order_by(col(ActionRun.created_at).desc())).scalars())


def expire_overdue(sessions: sessionmaker[Session], *, now: datetime | None = None) -> list[ActionRun]:
    """Record every request or approval past its time limit as expired; returns the runs expired."""
    now = now or utcnow()
    with sessions() as session:
        overdue = list(session.execute(select(col(ActionRun.id)).where(
            col(ActionRun.state).in_(_PENDING), col(ActionRun.expires_at) <= now)).scalars())
    expired: list[ActionRun] = []
    for run_id in overdue:
        with transaction(sessions) as session:
            fresh = session.get(ActionRun, run_id, populate_existing=True)
            if fresh is not None:
                moved = expire_if_due(session, fresh, now)
                if moved.state == RunState.EXPIRED:
                    expired.append(moved)
    return expired


def running(sessions: sessionmaker[Session]) -> list[ActionRun]:
    """Every run recorded as running (by any process or replica)."""
    with sessions() as session:
        return list(session.execute(
            select(ActionRun).where(col(ActionRun.state) == RunState.RUNNING.value)).scalars())


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_abandoned(run: ActionRun, me: Worker, now: datetime, stale_after: timedelta) -> bool:
    """Is the process that was running `run` gone?

    On this host we can ask the OS (a reused pid is told apart by the token); for another host
    (another replica) only a heartbeat older than `stale_after` says so.
    """
    owner = Worker.parse(run.worker)
    if owner is not None and owner.host == me.host:
        if owner.pid == me.pid:
            return owner.token != me.token
        return not _pid_alive(owner.pid)
    last_sign = run.heartbeat_at or run.started_at or run.created_at
    return now - last_sign > stale_after


def recover_abandoned(sessions: sessionmaker[Session], me: Worker, *,
                      stale_after: timedelta = timedelta(minutes=10)) -> list[str]:
    """Mark runs left `running` by a dead process as abandoned (outcome unknown); returns their ids."""
    now = utcnow()
    recovered: list[str] = []
    for run in running(sessions):
        if not is_abandoned(run, me, now, stale_after):
            continue
        with transaction(sessions) as session:
            try:
                moved = transition(session, run.id, RunState.RUNNING, RunState.ABANDONED, finished_at=utcnow(),
                                   error="abandoned: the process running it stopped; outcome unknown")
            except StaleTransition:
                continue  # it finished, or another replica recovered it first
            audit_run(session, moved, AuditEvent.ABANDONED,
                      detail={"worker": run.worker, "recovered_by": str(me),
                              "reason": "process stopped while running; outcome unknown"})
        recovered.append(run.id)
    return recovered
