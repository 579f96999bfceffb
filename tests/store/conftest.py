"""Database fixtures: a fresh migrated database per test (PostgreSQL schema or SQLite file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.store.db import Database, open_database
from portal.store.testing import temporary_database_url


@pytest.fixture()
def database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database, removed after the test."""
    with temporary_database_url(tmp_path) as url:
        yield url


@pytest.fixture()
def database(database_url: str) -> Iterator[Database]:
    """The empty database, migrated to head."""
    db = open_database(database_url)
    try:
        yield db
    finally:
        db.dispose()
