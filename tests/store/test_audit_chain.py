"""The audit chain: intact logs verify; an edited, deleted or truncated record is found and named."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from portal.store import audit
from portal.store.cli import main as audit_cli
from portal.store.db import Database, transaction
from portal.store.models import AuditRecord

pytestmark = pytest.mark.db


def _append(db: Database, n: int, **fields: object) -> None:
    for i in range(n):
        with transaction(db.sessions) as session:
            audit.append(
                session, event="started", outcome="running",
                actor_sub=f"user{i % 3}", actor_email=f"u{i % 3}@example.com",
                action="hosting.restart", target=f"ws_{i:06d}", params={"n": i},
                started_at=datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC), **fields,
            )


def test_hashed_fields_cover_every_column_but_the_hash() -> None:
    columns = {c.name for c in AuditRecord.__table__.columns}
    assert set(audit.HASHED_FIELDS) == columns - {"hash"}


def test_untouched_log_verifies(database: Database) -> None:
    _append(database, 25)
    result = audit.verify(database.sessions, batch=7)  # several batches
    assert result.ok, result.describe()
    assert result.checked == 25 and result.head_seq == 25


def test_empty_log_verifies(database: Database) -> None:
    assert audit.verify(database.sessions).ok


def test_records_are_chained_in_order(database: Database) -> None:
    _append(database, 3)
    with database.sessions() as session:
        rows = list(session.query(AuditRecord).order_by(AuditRecord.seq))
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == "0" * 64
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert rows[0].started_at == datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("UPDATE audit_record SET outcome = 'succeeded' WHERE seq = 4", "edited"),
        ("UPDATE audit_record SET params = replace(params, '3', '99') WHERE seq = 4", "edited"),
        ("UPDATE audit_record SET actor_sub = 'someone-else' WHERE seq = 4", "edited"),
        ("UPDATE audit_record SET started_at = NULL WHERE seq = 4", "edited"),
        ("DELETE FROM audit_record WHERE seq = 4", "missing"),
    ],
)
def test_direct_edit_is_detected_and_named(database: Database, statement: str, reason: str) -> None:
    _append(database, 8)
    with database.engine.begin() as connection:
        connection.execute(text(statement))
    result = audit.verify(database.sessions)
    assert not result.ok
    assert result.first_bad_seq == 4
    assert reason in result.reason
    assert "#4" in result.describe()


def test_rehashing_an_edited_record_still_breaks_the_next_link(database: Database) -> None:
    _append(database, 6)
    with database.sessions() as session:
        record = session.get(AuditRecord, 3)
        fields = {name: getattr(record, name) for name in audit.HASHED_FIELDS}
    fields["outcome"] = "succeeded"
    forged = audit.record_hash(fields)
    with database.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_record SET outcome = 'succeeded', hash = :h WHERE seq = 3"), {"h": forged}
        )
    result = audit.verify(database.sessions)
    assert not result.ok and result.first_bad_seq == 4
    assert "prev_hash" in result.reason


def test_truncated_tail_is_detected(database: Database) -> None:
    _append(database, 5)
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_record WHERE seq >= 4"))
    result = audit.verify(database.sessions)
    assert not result.ok and result.first_bad_seq == 4


def test_long_text_is_clipped_before_hashing(database: Database) -> None:
    with transaction(database.sessions) as session:
        audit.append(session, event="started", outcome="running", actor_sub="u", action="a", preview="x" * 5000)
    assert audit.verify(database.sessions).ok
    with database.sessions() as session:
        assert len(session.get(AuditRecord, 1).preview) == 2000


def test_cli_verify_exit_codes(database: Database, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    _append(database, 4)
    assert audit_cli(["verify", "--database-url", database_url]) == 0
    assert "OK" in capsys.readouterr().out
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE audit_record SET target = 'ws_other' WHERE seq = 2"))
    assert audit_cli(["verify", "--database-url", database_url]) == 1
    assert "record #2" in capsys.readouterr().err


def test_python_dash_m_portal_audit_verify(database: Database, database_url: str) -> None:
    _append(database, 2)
    env_run = [sys.executable, "-m", "portal", "audit", "verify"]
    ok = subprocess.run(env_run, capture_output=True, text=True, timeout=60,
                        env={"PORTAL_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"})
    assert ok.returncode == 0, ok.stderr
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE audit_record SET detail = '{}' , event = 'succeeded' WHERE seq = 1"))
    bad = subprocess.run(env_run, capture_output=True, text=True, timeout=60,
                         env={"PORTAL_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"})
    assert bad.returncode == 1
    assert "record #1" in bad.stderr
