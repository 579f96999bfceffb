"""A throw-away database for tests: a unique PostgreSQL schema when `PORTAL_TEST_DATABASE_URL` is set,
else a SQLite file in a temporary directory.

The PostgreSQL URL carries the schema in its `options` (search_path), so a subprocess or the CLI
given the URL sees the same tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, text, update
from sqlalchemy.engine import make_url

TEST_URL_VARIABLE = "PORTAL_TEST_DATABASE_URL"


@contextmanager
def temporary_database_url(directory: Path) -> Iterator[str]:
    """Yield the URL of an empty database that is removed afterwards."""
    base = os.environ.get(TEST_URL_VARIABLE)
    if not base:
        yield f"sqlite:///{directory / 'portal.db'}"
        return
    schema = f"portal_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def is_postgres(url: str) -> bool:
    """True for a PostgreSQL URL."""
    return make_url(url).get_backend_name() == "postgresql"


def fill_audit_log(engine: Engine, count: int, *, batch: int = 20_000) -> None:
    """Append `count` well-formed, correctly chained records straight into an empty log (fast, for
    size tests): 40 actors, the 12 actions, 5,000 targets, outcomes and times spread over a year."""
    from datetime import UTC, datetime, timedelta

    from portal.store.audit import canonical_json, record_hash
    from portal.store.models import GENESIS_HASH, AuditHead, AuditRecord

    actions = ("push.send_test", "push.resend", "push.purge_invalid_tokens", "workspace.revoke_access_tokens",
               "workspace.rotate_client_secret", "workspace.force_license_sync", "workspace.suspend",
               "workspace.unsuspend", "marketplace.resync_subscriptions", "hosting.restart",
               "hosting.set_maintenance", "hosting.upgrade")
    outcomes = ("succeeded", "succeeded", "succeeded", "running", "failed", "denied", "unknown")
    start = datetime(2025, 11, 1, tzinfo=UTC)
    step = timedelta(days=365) / max(count, 1)
    prev = GENESIS_HASH
    table = AuditRecord.__table__  # type: ignore[attr-defined]
    with engine.begin() as connection:
        rows: list[dict[str, object]] = []
        for seq in range(1, count + 1):
            outcome = outcomes[seq % len(outcomes)]
            row: dict[str, object] = {
                "seq": seq, "at": start + step * seq, "event": "started" if outcome == "running" else outcome,
                "run_id": f"{seq:036d}", "actor_sub": f"user{seq % 40}", "actor_email": f"user{seq % 40}@example.com",
                "actor_roles": "oncall", "action": actions[seq % len(actions)], "target": f"ws_{seq % 5000:06d}",
                "target_kind": "workspace", "params": canonical_json({"n": seq}), "preview": f"preview {seq}",
                "approver": None, "runbook_id": None, "outcome": outcome, "service_status": 200,
                "request_id": f"req_{seq:016x}", "started_at": None, "finished_at": None, "duration_ms": 5,
                "detail": "{}", "prev_hash": prev,
            }
            row["hash"] = prev = record_hash(row)
            rows.append(row)
            if len(rows) >= batch:
                connection.execute(insert(table), rows)
                rows = []
        if rows:
            connection.execute(insert(table), rows)
        connection.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=count, hash=prev))
