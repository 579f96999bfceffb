"""Runbook usage from the audit log: last use and per-action outcome counts, by runbook id."""

from datetime import UTC, datetime

import pytest

from portal.store import open_database
from portal.store.audit import append, usage_per_runbook
from portal.store.db import transaction
from portal_dev.testdb import temporary_database_url

pytestmark = pytest.mark.db


@pytest.fixture()
def database(tmp_path):
    with temporary_database_url(tmp_path) as url:
        db = open_database(url)
        try:
            yield db
        finally:
            db.dispose()


def record(db, event, action, runbook_id, at):
    with transaction(db.sessions) as session:
        append(session, event=event, outcome=event, actor_sub="alice", action=action,
               runbook_id=runbook_id, at=at)


def test_usage_counts_final_outcomes_per_action_for_one_runbook(database):
    day = datetime(2026, 5, 1, tzinfo=UTC)
    record(database, "started", "workspace.revoke_access_tokens", "rb-a", day.replace(hour=1))
    record(database, "succeeded", "workspace.revoke_access_tokens", "rb-a", day.replace(hour=1))
    record(database, "started", "workspace.revoke_access_tokens", "rb-a", day.replace(hour=2))
    record(database, "failed", "workspace.revoke_access_tokens", "rb-a", day.replace(hour=2))
    record(database, "denied", "push.purge_invalid_tokens", "rb-a", day.replace(hour=3))
    # The log's time never goes backwards along its sequence (audit.append), so append in time order.
    record(database, "approval_requested", "workspace.rotate_client_secret", "rb-a", day.replace(hour=4))
    record(database, "succeeded", "push.send_test", "rb-b", day.replace(hour=9))
    record(database, "succeeded", "push.send_test", None, day.replace(hour=10))
    usages = usage_per_runbook(database.sessions, runbook_ids=["rb-a", "rb-b", "rb-never"])
    usage, unused = usages["rb-a"], usages["rb-never"]
    assert usage.outcomes == {
        "workspace.revoke_access_tokens": {"succeeded": 1, "failed": 1},
        "push.purge_invalid_tokens": {"denied": 1},
    }
    assert usage.total == 3  # the pending approval has no outcome yet
    assert usage.last_used == day.replace(hour=4)
    assert usages["rb-b"].outcomes == {"push.send_test": {"succeeded": 1}}
    assert usages["rb-b"].last_used == day.replace(hour=9)
    assert unused.last_used is None and unused.total == 0
