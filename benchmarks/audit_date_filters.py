"""Row 6's date filters before and after the fix: `python -m benchmarks.audit_date_filters`.

Row 6 first missed its 200 ms target only for the Audit screen's From/To dates. `audit.page` then
asked for `at` in a range ORDER BY seq DESC LIMIT 51, and no index serves both: SQLite read every
record of the range through `ix_audit_at` and sorted them, PostgreSQL walked the primary key
backwards from the newest record until it reached the range; both walked the whole log when
nothing matched.

The fix (portal/store/audit.py): `append` keeps `at` from going backwards along `seq`, so `page`
turns a time range into a seq range with two probes of `ix_audit_at` (`_seq_bounds`) and pages by
seq as every other filter does.

This script loads the same generated log as row 6 and times the query as it was (`previous_page`,
kept here only to measure against) and `audit.page` as it is, on each filter with a date,
checking they return the same records.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from benchmarks.audit_query import FILTERS, PAGE_SIZE, seeded_log
from benchmarks.databases import DEFAULT_POSTGRES_URL, postgres_database, sqlite_database
from benchmarks.harness import timed
from portal.store.audit import AuditFilter, AuditPage, _conditions, _page
from portal.store.models import AuditRecord


def previous_page(session: Session, flt: AuditFilter, *, limit: int = PAGE_SIZE) -> AuditPage:
    """`audit.page` before the fix: the date range only as a condition on `at`."""
    statement = (select(AuditRecord).where(*_conditions(flt)).order_by(AuditRecord.seq.desc()).limit(limit + 1))
    records = list(session.execute(statement).scalars())
    more = len(records) > limit
    records = records[:limit]
    return AuditPage(records, records[-1].seq if more and records else None)


def current_page(session: Session, flt: AuditFilter, *, limit: int = PAGE_SIZE) -> AuditPage:
    """`audit.page` as it is (inside the same kind of session as `previous_page`)."""
    return _page(session, flt, before=None, limit=limit)


def compare(database: Any, repeats: int) -> list[tuple[str, float, float, int]]:
    """(filter, before ms, after ms, records) for every filter with a date."""
    out = []
    filters = {name: f for name, f in FILTERS.items() if f.since or f.until}
    for name, flt in filters.items():
        samples: dict[str, list[float]] = {"before": [], "after": []}
        seqs: dict[str, list[int]] = {}
        for _ in range(repeats + 1):  # the first of each is a warm-up
            for label, function in (("before", previous_page), ("after", current_page)):
                with database.sessions() as session:
                    seconds, result = timed(lambda s=session, f=flt, fn=function: fn(s, f, limit=PAGE_SIZE))
                samples[label].append(seconds * 1000)
                seqs[label] = [r.seq for r in result.records]
        if seqs["before"] != seqs["after"]:
            raise AssertionError(f"{name}: the two queries return other records")
        out.append((name, statistics.median(samples["before"][1:]), statistics.median(samples["after"][1:]),
                    len(seqs["after"])))
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="admin URL, or 'none'")
    args = parser.parse_args(argv)
    backends = [("SQLite", lambda: sqlite_database(Path(tempfile.mkdtemp()), "date_filters"))]
    if args.postgres_url.lower() != "none":
        backends.append(("PostgreSQL", lambda: postgres_database(args.postgres_url, "date_filters")))
    print(f"| backend | filter ({args.records:,} records) | before | after | records |\n|---|---|---|---|---|")
    for backend, database_url in backends:
        with database_url() as url, seeded_log(url, args.records, 1) as (database, _):
            for name, before, after, count in compare(database, args.repeats):
                print(f"| {backend} | {name} | {before:,.1f} ms | {after:,.1f} ms | {count} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
