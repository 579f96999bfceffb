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

from sqlalchemy import create_engine, text
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
