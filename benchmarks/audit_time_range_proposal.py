"""The proposed fix for row 6's miss, measured: `python -m benchmarks.audit_time_range_proposal`.

Row 6 misses its 200 ms target only for the Audit screen's From/To dates. `audit.page` asks for
`at` in a range ORDER BY seq DESC LIMIT 51, and no index serves both: SQLite reads every record of
the range through `ix_audit_at` and sorts them (a month of a 1M-record year is ~83,000 rows),
PostgreSQL walks the primary key backwards from the newest record until it reaches the range; both
walk the whole log when nothing matches.

The proposal (for portal/store/audit.py, not applied here): turn the time range into a seq range
with two index probes on `ix_audit_at`, then page by seq as every other filter does:

    lo = min(seq) where at = (min(at) where at >= since)
    hi = max(seq) where at = (max(at) where at < until)
    ... where <filters> and seq between lo and hi order by seq desc limit 51

This is exact when `at` never decreases as `seq` grows. `append` takes `at` while it holds the head
lock, so that already holds within one clock; to make it hold across replicas' clocks too, `append`
would write `at = max(now, the previous record's at)` (one primary-key read of record `head.seq`).

This script loads the same generated log as row 6 and times both queries on each time filter,
checking they return the same records.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.audit_query import FILTERS, PAGE_SIZE, seeded_log
from benchmarks.databases import DEFAULT_POSTGRES_URL, postgres_database, sqlite_database
from benchmarks.harness import timed
from portal.store.audit import AuditFilter, AuditPage, _conditions, page
from portal.store.models import AuditRecord


def seq_bounds(session: Session, flt: AuditFilter) -> tuple[int | None, int | None]:
    """The seq range holding every record whose `at` is in [since, until); (1, 0) when none can."""
    lo = hi = None
    if flt.since:
        first = select(func.min(AuditRecord.at)).where(AuditRecord.at >= flt.since).scalar_subquery()
        lo = session.execute(select(func.min(AuditRecord.seq)).where(AuditRecord.at == first)).scalar()
        if lo is None:
            return 1, 0
    if flt.until:
        last = select(func.max(AuditRecord.at)).where(AuditRecord.at < flt.until).scalar_subquery()
        hi = session.execute(select(func.max(AuditRecord.seq)).where(AuditRecord.at == last)).scalar()
        if hi is None:
            return 1, 0
    return lo, hi


def proposed_page(session: Session, flt: AuditFilter, *, before: int | None = None,
                  limit: int = PAGE_SIZE) -> AuditPage:
    """`audit.page` with the time range also expressed as a seq range."""
    conditions = _conditions(flt)
    if flt.since or flt.until:
        lo, hi = seq_bounds(session, flt)
        if lo is not None:
            conditions.append(AuditRecord.seq >= lo)
        if hi is not None:
            conditions.append(AuditRecord.seq <= hi)
    if before is not None:
        conditions.append(AuditRecord.seq < before)
    statement = select(AuditRecord).where(*conditions).order_by(AuditRecord.seq.desc()).limit(limit + 1)
    records = list(session.execute(statement).scalars())
    more = len(records) > limit
    records = records[:limit]
    return AuditPage(records, records[-1].seq if more and records else None)


def compare(database: Any, repeats: int) -> list[tuple[str, float, float, int]]:
    """(filter, current ms, proposed ms, records) for every filter with a date."""
    out = []
    filters = {name: f for name, f in FILTERS.items() if f.since or f.until}
    for name, flt in filters.items():
        samples: dict[str, list[float]] = {"current": [], "proposed": []}
        seqs: dict[str, list[int]] = {}
        for _ in range(repeats + 1):  # the first of each is a warm-up
            for label, function in (("current", page), ("proposed", proposed_page)):
                with database.sessions() as session:
                    seconds, result = timed(lambda s=session, f=flt, fn=function: fn(s, f, limit=PAGE_SIZE))
                samples[label].append(seconds * 1000)
                seqs[label] = [r.seq for r in result.records]
        if seqs["current"] != seqs["proposed"]:
            raise AssertionError(f"{name}: the proposed query returns other records")
        out.append((name, statistics.median(samples["current"][1:]), statistics.median(samples["proposed"][1:]),
                    len(seqs["current"])))
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="admin URL, or 'none'")
    args = parser.parse_args(argv)
    backends = [("SQLite", lambda: sqlite_database(Path(tempfile.mkdtemp()), "proposal"))]
    if args.postgres_url.lower() != "none":
        backends.append(("PostgreSQL", lambda: postgres_database(args.postgres_url, "proposal")))
    print(f"| backend | filter ({args.records:,} records) | now | proposed | records |\n|---|---|---|---|---|")
    for backend, database_url in backends:
        with database_url() as url, seeded_log(url, args.records, 1) as (database, _):
            for name, now, proposed, count in compare(database, args.repeats):
                print(f"| {backend} | {name} | {now:,.1f} ms | {proposed:,.1f} ms | {count} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
