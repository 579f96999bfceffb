"""Migrations: an empty database goes up to head and back down; the migrated schema equals the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from portal.store.db import current_revision, downgrade, head_revision, make_engine, migrate, open_database
from portal.store.models import SQLModel

pytestmark = pytest.mark.db

TABLES = {"action_run", "action_gate", "audit_record", "audit_head"}


def test_upgrade_from_empty_then_downgrade_to_nothing(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None
        assert not TABLES & set(inspect(engine).get_table_names())

        migrate(engine)
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) >= TABLES

        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert not TABLES & set(inspect(engine).get_table_names())

        migrate(engine)  # and up again: the downgrade left nothing behind that blocks it
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    db = open_database(database_url)
    try:
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
        assert differences == []
    finally:
        db.dispose()


def test_migrate_twice_is_harmless(database_url: str) -> None:
    db = open_database(database_url)
    db.dispose()
    db = open_database(database_url)  # the second start finds the schema current
    try:
        assert current_revision(db.engine) == head_revision()
    finally:
        db.dispose()


def test_sqlite_file_directory_is_created_on_first_start(tmp_path) -> None:
    path = tmp_path / "var" / "nested" / "portal.db"
    db = open_database(f"sqlite:///{path}")
    try:
        assert path.exists()
        assert current_revision(db.engine) == head_revision()
    finally:
        db.dispose()
