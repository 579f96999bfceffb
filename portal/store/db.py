"""Engines, sessions and migrations for the portal's database (SQLite by default, PostgreSQL for replicas).

Built in the composition root (`portal.app_context`, the CLI, tests), never at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Any constant works; it only has to be the same in every replica (PostgreSQL advisory lock id).
_MIGRATION_LOCK_ID = 0x504F5254414C  # "PORTAL"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`; a SQLite file's directory is created on first use.

    SQLite: WAL (readers don't block the writer), a busy timeout instead of "database is locked",
    and every transaction opened with BEGIN IMMEDIATE. The last one matters: the executor's
    check-then-insert and the audit chain's read-head-then-append must not interleave, and
    SQLite's default deferred BEGIN would let two writers read the same head and then deadlock.
    """
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, **kwargs)
        _sqlite_immediate_transactions(engine)
        return engine
    kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
    return create_engine(url, **kwargs)


def _sqlite_immediate_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Stop sqlite3 from issuing its own (deferred) BEGIN; we issue BEGIN IMMEDIATE below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (pages render them after the transaction)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with sessions() as session, session.begin():
        yield session


def _alembic_config(connection: Any) -> Config:
    # No alembic.ini: the migrations ship inside the package and are configured here.
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to `revision`; safe when several replicas start at once."""
    with engine.begin() as connection:
        _lock_for_migration(connection)
        command.upgrade(_alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Downgrade the schema to `revision` (tests and rollbacks)."""
    with engine.begin() as connection:
        _lock_for_migration(connection)
        command.downgrade(_alembic_config(connection), revision)


def _lock_for_migration(connection: Any) -> None:
    # PostgreSQL: replicas starting together wait for the first one's migration instead of racing.
    # SQLite needs nothing: BEGIN IMMEDIATE already made this transaction the only writer.
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})


def current_revision(engine: Engine) -> str | None:
    """The schema's current Alembic revision, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this code."""
    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


@dataclass(frozen=True)
class Database:
    """An engine and its session factory: what the executor, pages and CLI share."""

    engine: Engine
    sessions: sessionmaker[Session]

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, upgrade: bool = True) -> Database:
    """Connect to `url` and, unless told otherwise, bring its schema up to date (done on every start)."""
    engine = make_engine(url)
    if upgrade:
        migrate(engine)
    return Database(engine, session_factory(engine))
