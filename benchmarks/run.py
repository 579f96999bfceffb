"""The whole run: the sandbox at each fleet size, the rows against it, then the database rows."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import action_overhead, audit_query, fleet_cold, fleet_warm, memory, search, workspace_page
from benchmarks.databases import PostgresUnavailable, postgres_database, postgres_version, sqlite_database
from benchmarks.harness import Config, FailedRow, Row, progress, scope_for
from benchmarks.sandbox import start_sandbox

# (number, key, title, module): the rows measured against the sandbox at every fleet size.
FLEET_ROWS = (
    (1, "fleet_warm", "Fleet overview page, warm cache", fleet_warm),
    (2, "fleet_cold", "Fleet overview page, cold", fleet_cold),
    (3, "search", "Workspace search round trip", search),
    (4, "workspace_page", "Workspace page, 300 ms on each service", workspace_page),
    (7, "memory", "Portal process memory, fleet + workspace pages", memory),
)
ACTION_ROW = (5, "action_overhead", "Action overhead, push.send_test")
AUDIT_ROW = (6, "audit_query", "Audit screen query")
ALL_KEYS = [key for _, key, _, _ in FLEET_ROWS] + [ACTION_ROW[1], AUDIT_ROW[1]]

Result = Row | FailedRow


def attempt(number: int, key: str, title: str, scope: str, measure: Callable[[], Row]) -> Result:
    """Measure one row; an exception becomes a FailedRow with its message (the traceback goes to stderr)."""
    with progress(f"{number}. {title} · {scope}"):
        try:
            return measure()
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            return FailedRow(number, key, title, scope, f"{type(exc).__name__}: {exc}")


class Backends:
    """SQLite always; PostgreSQL when a URL is given and answers, else a reason it was not measured."""

    def __init__(self, config: Config, workdir: Path) -> None:
        self.config = config
        self.workdir = workdir
        self.postgres_version: str | None = None
        self.postgres_problem: str | None = None
        if config.postgres_url is None:
            self.postgres_problem = "skipped: no PostgreSQL URL given"
        else:
            try:
                self.postgres_version = postgres_version(config.postgres_url)
            except PostgresUnavailable as exc:
                self.postgres_problem = f"not measured: {exc}"

    def each(self, name: str) -> Iterator[tuple[str, Callable[[], AbstractContextManager[str]] | None]]:
        yield "SQLite", lambda: sqlite_database(self.workdir, name)
        if self.postgres_problem is None:
            assert self.config.postgres_url is not None
            url = self.config.postgres_url
            yield "PostgreSQL", lambda: postgres_database(url, name)
        else:
            yield "PostgreSQL", None


def run(config: Config, keys: list[str] | None = None) -> dict[str, Any]:
    """Measure every row (or those in `keys`); the results as the JSON file holds them."""
    wanted = set(keys or ALL_KEYS)
    started, began, load = time.perf_counter(), datetime.now(UTC), os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    results: list[Result] = []
    backends = Backends(config, workdir)
    try:
        needs_sandbox = wanted & ({k for _, k, _, _ in FLEET_ROWS} | {ACTION_ROW[1]})
        for size in config.sizes if needs_sandbox else ():
            with progress(f"sandbox with {size:,} workspaces (seed {config.seed})"):
                sandbox = start_sandbox(size, seed=config.seed)
            size_dir = workdir / f"fleet-{size}"
            size_dir.mkdir()
            try:
                for number, key, title, module in FLEET_ROWS:
                    if key in wanted:
                        results.append(attempt(number, key, title, scope_for(size),
                                               lambda m=module, s=sandbox, d=size_dir: m.measure(config, s, d)))
                if ACTION_ROW[1] in wanted and size == max(config.sizes):
                    results += database_rows(ACTION_ROW, backends, lambda backend, url, s=sandbox: (
                        action_overhead.measure(config, s, backend, url)))
            finally:
                sandbox.stop()
        if AUDIT_ROW[1] in wanted:
            title = (AUDIT_ROW[0], AUDIT_ROW[1], f"{AUDIT_ROW[2]}, {config.audit_records:,} records")
            results += database_rows(title, backends, lambda backend, url: audit_query.measure(config, backend, url))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results.sort(key=lambda r: r.number)  # stable: sizes and backends keep their order
    return {"generated_at": began.isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - started, 1), "load_average": [load, os.getloadavg()[0]],
            "postgres_version": backends.postgres_version, "rows": [r.to_json() for r in results]}


def database_rows(row: tuple[int, str, str], backends: Backends,
                  measure: Callable[[str, str], Row]) -> list[Result]:
    number, key, title = row
    out: list[Result] = []
    for backend, database in backends.each(key):
        if database is None:
            out.append(FailedRow(number, key, title, backend, backends.postgres_problem or "not measured"))
            continue

        def one(backend: str = backend, database: Callable[[], AbstractContextManager[str]] = database) -> Row:
            with database() as url:
                return measure(backend, url)

        out.append(attempt(number, key, title, backend, one))
    return out
