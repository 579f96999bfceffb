"""The portal's own database: SQLModel tables, Alembic migrations, runs and the hash-chained audit log."""

from portal.store.db import Database, open_database

__all__ = ["Database", "open_database"]
