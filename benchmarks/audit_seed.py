"""A million audit records, loaded fast: generated rows, bulk-inserted with the secondary indexes dropped
and rebuilt afterwards (executemany on SQLite, COPY on PostgreSQL). Not through the executor.

The rows look like a busy year of the portal (60 people, the 12 actions, workspaces of a 100k fleet,
every event and outcome) but their hash chain is NOT valid: `hash` and `prev_hash` are placeholders,
because the benchmark measures the Audit screen's queries, not `verify`.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text, update

from portal.store.models import AuditHead, AuditRecord

START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=365)
PEOPLE = [f"person{k:02d}" for k in range(60)]
PEOPLE_WEIGHTS = [1 / (k + 1) for k in range(60)]
ACTIONS = {
    "push.send_test": 30, "push.resend": 15, "push.purge_invalid_tokens": 8,
    "workspace.revoke_access_tokens": 10, "workspace.rotate_client_secret": 3, "workspace.force_license_sync": 8,
    "workspace.suspend": 2, "workspace.unsuspend": 2, "marketplace.resync_subscriptions": 6, "hosting.restart": 10,
    "hosting.set_maintenance": 4, "hosting.upgrade": 2,
}
# (event, outcome, weight): a run's records are mostly "started" and its outcome.
EVENTS = [("started", "running", 38), ("succeeded", "succeeded", 40), ("failed", "failed", 6),
          ("unknown", "unknown", 1), ("denied", "denied", 6), ("approval_requested", "awaiting_approval", 4),
          ("approved", "approved", 3), ("rejected", "rejected", 1), ("expired", "expired", 0.7),
          ("abandoned", "abandoned", 0.3)]
COLUMNS = [column.name for column in AuditRecord.__table__.columns]  # type: ignore[attr-defined]


def rows(count: int, seed: int, *, sqlite: bool) -> Iterator[tuple[Any, ...]]:
    """`count` records in column order, oldest first; SQLite gets its DateTime text format."""
    rng = random.Random(seed)
    step = SPAN / count
    people = rng.choices(PEOPLE, PEOPLE_WEIGHTS, k=count)
    actions = rng.choices(list(ACTIONS), list(ACTIONS.values()), k=count)
    events = rng.choices(EVENTS, [w for _, _, w in EVENTS], k=count)

    def when(value: datetime | None) -> Any:
        if value is None or not sqlite:
            return value
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    for seq in range(1, count + 1):
        person, action, (event, outcome, _) = people[seq - 1], actions[seq - 1], events[seq - 1]
        at = START + step * seq
        target = f"ws_{int(100_000 * rng.random() ** 3):06d}"  # some workspaces far busier than others
        denied = event == "denied"
        finished = event in ("succeeded", "failed", "unknown")
        record = {
            "seq": seq, "at": when(at), "event": event,
            "run_id": None if denied else str(uuid.UUID(int=rng.getrandbits(128))),
            "actor_sub": person, "actor_email": f"{person}@example.com", "actor_roles": "oncall",
            "action": action, "target": target, "target_kind": "workspace",
            "params": '{"title":"Portal test"}', "preview": f"{action} on {target}",
            "approver": "person00@example.com" if event == "approved" else None, "runbook_id": None,
            "outcome": outcome, "service_status": 200 if finished else None,
            "request_id": f"req_{rng.getrandbits(64):016x}" if finished else None,
            "started_at": when(at - timedelta(milliseconds=250)) if finished else None,
            "finished_at": when(at) if finished else None, "duration_ms": 250 if finished else None,
            "detail": '{"reason":"policy"}' if denied else "{}",
            "prev_hash": f"{seq - 1:064x}", "hash": f"{seq:064x}",  # placeholders: the chain is not valid
        }
        yield tuple(record[name] for name in COLUMNS)


def seed(engine: Engine, count: int, seed_value: int) -> None:
    """Load `count` records into an empty, migrated audit log."""
    if engine.dialect.name == "sqlite":
        _load_sqlite(engine, count, seed_value)
    else:
        _load_postgres(engine, count, seed_value)
    with engine.begin() as connection:
        connection.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=count, hash=f"{count:064x}"))


def _load_sqlite(engine: Engine, count: int, seed_value: int) -> None:
    raw = engine.raw_connection()
    try:
        db = raw.driver_connection  # autocommit mode (the portal's connect hook): explicit BEGIN/COMMIT
        assert db is not None
        indexes = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                             "AND tbl_name = 'audit_record' AND sql IS NOT NULL").fetchall()
        db.execute("BEGIN")
        for name, _ in indexes:
            db.execute(f'DROP INDEX "{name}"')
        marks = ", ".join("?" for _ in COLUMNS)
        db.executemany(f"INSERT INTO audit_record ({', '.join(COLUMNS)}) VALUES ({marks})",  # noqa: S608
                       rows(count, seed_value, sqlite=True))
        for _, sql in indexes:
            db.execute(sql)
        db.execute("COMMIT")
    finally:
        raw.close()


def _load_postgres(engine: Engine, count: int, seed_value: int) -> None:
    with engine.begin() as connection:
        indexes = connection.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_record' "
            "AND schemaname = current_schema() AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = 'audit_record'::regclass)")).all()
        for name, _ in indexes:
            connection.execute(text(f'DROP INDEX "{name}"'))
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY audit_record ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows(count, seed_value, sqlite=False):
                copy.write_row(row)
        for _, sql in indexes:
            connection.execute(text(sql))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # What autovacuum does within a minute of a bulk load; the planner needs the statistics.
        connection.execute(text("VACUUM ANALYZE audit_record"))
