"""The Audit screen's queries: keyset pages, every filter served by an index (no sort of all
matches), and exports that walk the whole selection; on 60,000 records (1,000,000 measured by hand,
see the README, "Actions and the audit log")."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite

from portal.store import audit
from portal.store.db import Database
from portal.store.models import AuditRecord
from portal_dev.testdb import fill_audit_log

pytestmark = pytest.mark.db
COUNT = 60_000

FILTERS = {
    "none": audit.AuditFilter(),
    "actor_sub": audit.AuditFilter(actor="user7"),
    "actor_email": audit.AuditFilter(actor="user7@example.com"),
    "action": audit.AuditFilter(action="hosting.upgrade"),
    "target": audit.AuditFilter(target="ws_000123"),
    "outcome": audit.AuditFilter(outcome="unknown"),
    "run": audit.AuditFilter(run_id=f"{4242:036d}"),
}


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Database:
    from portal.store.db import open_database
    from portal_dev.testdb import temporary_database_url

    with temporary_database_url(tmp_path_factory.mktemp("audit")) as url:
        db = open_database(url)
        fill_audit_log(db.engine, COUNT)
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        yield db
        db.dispose()


def _plan(db: Database, flt: audit.AuditFilter, before: int | None) -> str:
    from sqlalchemy import select

    conditions = audit._conditions(flt) + ([AuditRecord.seq < before] if before else [])
    statement = select(AuditRecord).where(*conditions).order_by(AuditRecord.seq.desc()).limit(51)
    dialect = db.engine.dialect
    compiled = statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if isinstance(dialect, sqlite.dialect) else "EXPLAIN "
    with db.engine.connect() as connection:
        rows = connection.execute(text(prefix + str(compiled))).all()
    return "\n".join(" ".join(str(part) for part in row) for row in rows)


# A run has a handful of records: finding them by index and sorting those few is free.
@pytest.mark.parametrize("name", [name for name in FILTERS if name != "run"])
@pytest.mark.parametrize("deep", [False, True], ids=["first-page", "deep-page"])
def test_each_filter_walks_an_index_without_sorting(big: Database, name: str, deep: bool) -> None:
    before = COUNT // 3 if deep else None
    plan = _plan(big, FILTERS[name], before)
    if isinstance(big.engine.dialect, postgresql.dialect):
        # PostgreSQL may sort the few rows an index range found (cost-based); never scan the table.
        assert "Index" in plan and "Seq Scan" not in plan, plan
    else:
        assert "TEMP B-TREE" not in plan, plan
        assert "USING INDEX" in plan or "INTEGER PRIMARY KEY" in plan, plan


@pytest.mark.parametrize("name", list(FILTERS))
def test_pages_are_fast_and_keyset_cursors_chain(big: Database, name: str) -> None:
    flt = FILTERS[name]
    start = time.perf_counter()
    first = audit.page(big.sessions, flt, limit=50)
    second = audit.page(big.sessions, flt, before=first.next_before, limit=50) if first.next_before else None
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5, f"two pages took {elapsed:.3f}s"
    assert first.records, name
    seqs = [r.seq for r in first.records]
    assert seqs == sorted(seqs, reverse=True)
    if second is not None:
        assert second.records[0].seq < seqs[-1]


def test_time_window_filter(big: Database) -> None:
    flt = audit.AuditFilter(since=datetime(2026, 1, 1, tzinfo=UTC), until=datetime(2026, 1, 2, tzinfo=UTC))
    result = audit.page(big.sessions, flt, limit=500)
    assert result.records and all(flt.since <= r.at < flt.until for r in result.records)


def test_export_walks_every_match_in_batches(big: Database) -> None:
    flt = audit.AuditFilter(target="ws_000123")
    exported = list(audit.export(big.sessions, flt, batch=5))
    assert len(exported) == COUNT // 5000
    assert len({r.seq for r in exported}) == len(exported)


@pytest.mark.db
def test_time_never_goes_backwards_so_a_date_range_is_a_seq_range(database) -> None:
    """A record appended with an earlier clock (another replica) takes the previous record's time, and
    date filters page exactly the records in [since, until)."""
    from datetime import UTC, datetime, timedelta

    from portal.store.audit import AuditFilter, append, page
    from portal.store.db import transaction

    base = datetime(2026, 11, 1, tzinfo=UTC)
    clocks = [base + timedelta(hours=h) for h in (0, 1, 2, 1.5, 3, 4)]  # the fourth clock is behind
    for at in clocks:
        with transaction(database.sessions) as session:
            append(session, event="denied", outcome="denied", actor_sub="x", action="push.send_test", at=at)
    sessions = database.sessions
    everything = page(sessions, AuditFilter(), limit=10).records
    times = [r.at for r in sorted(everything, key=lambda r: r.seq)]
    assert times == sorted(times)
    assert times[3] == base + timedelta(hours=2)
    window = page(sessions, AuditFilter(since=base + timedelta(hours=1), until=base + timedelta(hours=3)),
                  limit=10).records
    assert sorted(r.seq for r in window) == [2, 3, 4]
    assert page(sessions, AuditFilter(since=base + timedelta(days=9)), limit=10).records == []
    assert page(sessions, AuditFilter(until=base), limit=10).records == []
