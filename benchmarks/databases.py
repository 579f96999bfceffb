"""Throw-away portal databases for the database rows: a SQLite file, or a PostgreSQL database of its own.

The PostgreSQL database is created for the run and dropped after it (a schema in the admin URL's
database when CREATE DATABASE is not allowed), so CI's `test` database is never touched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class PostgresUnavailable(RuntimeError):
    """The admin URL did not answer; the PostgreSQL rows say so instead of a figure."""


@contextmanager
def sqlite_database(directory: Path, name: str) -> Iterator[str]:
    """A new SQLite file (WAL files included) removed afterwards."""
    path = directory / f"{name}.db"
    try:
        yield f"sqlite:///{path}"
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def postgres_version(admin_url: str) -> str:
    """`SELECT version()`, or PostgresUnavailable."""
    engine = create_engine(admin_url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SELECT version()")).scalar_one())
    except DBAPIError as exc:
        raise PostgresUnavailable(f"PostgreSQL unreachable at {make_url(admin_url).render_as_string()}: "
                                  f"{type(exc.orig).__name__}") from exc
    finally:
        engine.dispose()


@contextmanager
def postgres_database(admin_url: str, name: str) -> Iterator[str]:
    """A database `portal_bench_<name>_<pid>` created for the block and dropped after it; without the
    right to create databases, a schema of that name in the admin URL's database instead."""
    postgres_version(admin_url)
    label = f"portal_bench_{name}_{os.getpid()}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{label}"'))
                connection.execute(text(f'CREATE DATABASE "{label}"'))
        except DBAPIError as exc:
            if "permission denied" not in str(exc.orig).lower():
                raise
            drop = f'DROP SCHEMA IF EXISTS "{label}" CASCADE'
            with admin.connect() as connection:
                connection.execute(text(f'CREATE SCHEMA "{label}"'))
            url = make_url(admin_url).update_query_dict({"options": f"-csearch_path={label}"})
        else:
            drop = f'DROP DATABASE IF EXISTS "{label}" WITH (FORCE)'
            url = make_url(admin_url).set(database=label)
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(drop))
    finally:
        admin.dispose()
