"""The run queries screens and the executor use, and the one de-duplication rule they share."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from portal.store import runs
from portal.store.db import Database, transaction
from portal.store.models import ActionRun, RunState, utcnow
from portal.store.runs import Worker, is_current, open_run, transition

pytestmark = pytest.mark.db
WINDOW = timedelta(seconds=30)


def _run(state: RunState, *, actor: str = "alice", fingerprint: str | None = None,
         expires_in: timedelta | None = None) -> ActionRun:
    now = utcnow()
    return ActionRun(
        id=str(uuid.uuid4()), action="workspace.suspend", target="ws_000001", target_kind="workspace",
        fingerprint=fingerprint or uuid.uuid4().hex * 2, params="{}", preview="suspend", danger="two-person",
        state=state.value, actor_sub=actor, actor_email=f"{actor}@example.com", actor_roles="oncall",
        created_at=now, worker=str(Worker.current()),
        expires_at=now + expires_in if expires_in is not None else None,
    )


@pytest.mark.parametrize(("state", "finished_ago", "expires_in", "current"), [
    (RunState.RUNNING, None, None, True),
    (RunState.AWAITING_APPROVAL, None, timedelta(minutes=5), True),
    (RunState.AWAITING_APPROVAL, None, timedelta(seconds=-1), False),  # past its limit: a new request
    (RunState.APPROVED, None, timedelta(seconds=-1), False),
    (RunState.SUCCEEDED, timedelta(seconds=5), None, True),
    (RunState.SUCCEEDED, timedelta(minutes=5), None, False),
    (RunState.FAILED, timedelta(seconds=5), None, True),
    (RunState.REJECTED, timedelta(seconds=1), None, False),  # never ran: never blocks asking again
    (RunState.EXPIRED, timedelta(seconds=1), None, False),
])
def test_the_de_duplication_rule(state, finished_ago, expires_in, current) -> None:
    run = _run(state, expires_in=expires_in)
    now = utcnow()
    if finished_ago is not None:
        run.finished_at = now - finished_ago
    assert is_current(run, now, WINDOW) is current


def test_current_for_follows_the_gate_and_the_rule(database: Database) -> None:
    run, created = open_run(database.sessions, _run(RunState.RUNNING, fingerprint="a" * 64), window=WINDOW)
    assert created
    assert runs.current_for(database.sessions, fingerprint="a" * 64, window=WINDOW).id == run.id
    assert runs.current_for(database.sessions, fingerprint="b" * 64, window=WINDOW) is None
    with transaction(database.sessions) as session:
        transition(session, run.id, RunState.RUNNING, RunState.SUCCEEDED, finished_at=utcnow() - timedelta(hours=1))
    assert runs.current_for(database.sessions, fingerprint="a" * 64, window=WINDOW) is None


def test_queries_for_people_and_approvers(database: Database) -> None:
    sessions = database.sessions
    mine = [open_run(sessions, _run(RunState.AWAITING_APPROVAL, expires_in=timedelta(minutes=5)),
                     window=WINDOW)[0] for _ in range(2)]
    overdue, _ = open_run(sessions, _run(RunState.AWAITING_APPROVAL, expires_in=timedelta(seconds=-1)), window=WINDOW)
    theirs, _ = open_run(sessions, _run(RunState.AWAITING_APPROVAL, actor="bob", expires_in=timedelta(minutes=5)),
                         window=WINDOW)
    assert [r.id for r in runs.recent_for(sessions, actor_sub="alice", limit=10)] == [
        overdue.id, mine[1].id, mine[0].id]
    assert [r.id for r in runs.recent_for(sessions, actor_sub="alice", limit=1)] == [overdue.id]
    expired = runs.expire_overdue(sessions)
    assert [r.id for r in expired] == [overdue.id] and expired[0].state == RunState.EXPIRED
    assert runs.expire_overdue(sessions) == []  # nothing twice
    assert [r.id for r in runs.awaiting_approval(sessions)] == [mine[0].id, mine[1].id, theirs.id]
    assert [r.id for r in runs.open_requests(sessions, actor_sub="alice")] == [mine[1].id, mine[0].id]
    assert runs.get_run(sessions, theirs.id).actor_sub == "bob"
    assert runs.get_run(sessions, "no-such-run") is None
