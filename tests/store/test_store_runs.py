"""Runs in the database: one run per fingerprint under contention, forward-only moves, crash recovery."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.store import audit
from portal.store.db import Database, transaction
from portal.store.models import ActionRun, AuditEvent, AuditRecord, RunState, utcnow
from portal.store.runs import (
    StaleTransition,
    Worker,
    audit_run,
    open_run,
    recover_abandoned,
    transition,
)

pytestmark = pytest.mark.db


def _candidate(fingerprint: str = "f" * 64, state: RunState = RunState.RUNNING, worker: str | None = None) -> ActionRun:
    return ActionRun(
        id=str(uuid.uuid4()), action="hosting.restart", target="ws_000001", target_kind="workspace",
        fingerprint=fingerprint, params="{}", preview="restart", danger="confirm", state=state.value,
        actor_sub="alice", actor_email="alice@example.com", actor_roles="oncall", created_at=utcnow(),
        worker=worker or str(Worker.current()),
    )


def _count(db: Database, model: type) -> int:
    with db.sessions() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_twenty_threads_open_one_run(database: Database) -> None:
    barrier = threading.Barrier(20)
    results: list[tuple[str, bool]] = []
    errors: list[BaseException] = []

    def fire() -> None:
        try:
            barrier.wait()
            run, created = open_run(database.sessions, _candidate(), window=timedelta(seconds=30))
            results.append((run.id, created))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=fire) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(results) == 20
    assert sum(created for _, created in results) == 1
    assert len({run_id for run_id, _ in results}) == 1
    assert _count(database, ActionRun) == 1
    assert audit.verify(database.sessions).ok


def test_concurrent_appends_never_fork_the_chain(database: Database) -> None:
    def writer(n: int) -> None:
        for i in range(10):
            with transaction(database.sessions) as session:
                audit.append(session, event="started", outcome="running", actor_sub=f"t{n}", action="x",
                             params={"i": i})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    result = audit.verify(database.sessions)
    assert result.ok, result.describe()
    assert result.checked == 80


def test_finished_run_stands_for_its_fingerprint_only_within_the_window(database: Database) -> None:
    first, created = open_run(database.sessions, _candidate(), window=timedelta(seconds=30))
    assert created
    with transaction(database.sessions) as session:
        transition(session, first.id, RunState.RUNNING, RunState.SUCCEEDED, finished_at=utcnow())
    again, created = open_run(database.sessions, _candidate(), window=timedelta(seconds=30))
    assert not created and again.id == first.id and again.state == RunState.SUCCEEDED
    later, created = open_run(database.sessions, _candidate(), window=timedelta(0))
    assert created and later.id != first.id


def test_other_parameters_are_another_fingerprint(database: Database) -> None:
    a, created_a = open_run(database.sessions, _candidate("a" * 64), window=timedelta(seconds=30))
    b, created_b = open_run(database.sessions, _candidate("b" * 64), window=timedelta(seconds=30))
    assert created_a and created_b and a.id != b.id


def test_runs_only_move_forward(database: Database) -> None:
    run, _ = open_run(database.sessions, _candidate(), window=timedelta(seconds=30))
    with transaction(database.sessions) as session:
        transition(session, run.id, RunState.RUNNING, RunState.FAILED, finished_at=utcnow())
    with pytest.raises(ValueError, match="cannot move"), transaction(database.sessions) as session:
        transition(session, run.id, RunState.FAILED, RunState.RUNNING)
    with pytest.raises(StaleTransition), transaction(database.sessions) as session:
        transition(session, run.id, RunState.RUNNING, RunState.SUCCEEDED)
    with database.sessions() as session:
        assert session.get(ActionRun, run.id).state == RunState.FAILED


def test_expired_approval_request_is_expired_when_found(database: Database) -> None:
    pending = _candidate(state=RunState.AWAITING_APPROVAL)
    pending.expires_at = utcnow() - timedelta(seconds=1)
    run, created = open_run(database.sessions, pending, window=timedelta(seconds=30))
    assert created
    # The same request again: the first is past its time limit, so it expires (recorded) and is replaced.
    # (Expired requests never ran, so even a long window does not keep them standing.)
    again, created = open_run(database.sessions, _candidate(state=RunState.AWAITING_APPROVAL),
                              window=timedelta(seconds=30))
    assert created and again.id != run.id
    with database.sessions() as session:
        assert session.get(ActionRun, run.id).state == RunState.EXPIRED
        events = [r.event for r in session.execute(select(AuditRecord).where(AuditRecord.run_id == run.id)).scalars()]
    assert events == ["approval_requested", "expired"]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_run_left_running_by_a_dead_process_is_abandoned_at_start(database: Database) -> None:
    me = Worker.current()
    dead = Worker(me.host, _dead_pid(), "deadbeef")
    alive_other = Worker(me.host, 1, "init")  # pid 1 is always alive
    remote_fresh = Worker("other-replica", 1234, "x")
    orphan, _ = open_run(database.sessions, _candidate("1" * 64, worker=str(dead)), window=timedelta(0))
    busy, _ = open_run(database.sessions, _candidate("2" * 64, worker=str(alive_other)), window=timedelta(0))
    remote, _ = open_run(database.sessions, _candidate("3" * 64, worker=str(remote_fresh)), window=timedelta(0))
    previous_life = Worker(me.host, me.pid, "previous-life")  # same pid after a container restart
    mine_before_restart, _ = open_run(
        database.sessions, _candidate("4" * 64, worker=str(previous_life)), window=timedelta(0)
    )

    recovered = recover_abandoned(database.sessions, me)

    assert set(recovered) == {orphan.id, mine_before_restart.id}
    with database.sessions() as session:
        assert session.get(ActionRun, orphan.id).state == RunState.ABANDONED
        assert session.get(ActionRun, busy.id).state == RunState.RUNNING
        assert session.get(ActionRun, remote.id).state == RunState.RUNNING
        record = session.execute(
            select(AuditRecord).where(AuditRecord.run_id == orphan.id, AuditRecord.event == "abandoned")
        ).scalar_one()
    assert record.outcome == "abandoned"
    assert "outcome unknown" in record.detail
    assert recover_abandoned(database.sessions, me) == []  # nothing twice
    assert audit.verify(database.sessions).ok


def test_remote_run_is_abandoned_when_its_heartbeat_is_stale(database: Database) -> None:
    run, _ = open_run(database.sessions, _candidate(worker="other-replica:77:tok"), window=timedelta(0))
    assert recover_abandoned(database.sessions, Worker.current(), stale_after=timedelta(minutes=10)) == []
    assert recover_abandoned(database.sessions, Worker.current(), stale_after=timedelta(0)) == [run.id]


def test_audit_run_copies_the_run(database: Database) -> None:
    run, _ = open_run(database.sessions, _candidate(), window=timedelta(0))
    with transaction(database.sessions) as session:
        moved = transition(session, run.id, RunState.RUNNING, RunState.SUCCEEDED, finished_at=utcnow(),
                           service_status=202, request_id="req-1")
        audit_run(session, moved, AuditEvent.SUCCEEDED)
    with database.sessions() as session:
        last = session.execute(select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(1)).scalar_one()
    assert (last.event, last.outcome, last.service_status, last.request_id) == ("succeeded", "succeeded", 202, "req-1")
    assert last.duration_ms is not None and last.duration_ms >= 0
