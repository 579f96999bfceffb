"""Alembic environment: always given a live connection by `portal.store.db.migrate`."""

from __future__ import annotations

from alembic import context

from portal.store.models import SQLModel

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running the alembic CLI by hand
    raise RuntimeError("run migrations through portal.store.db.migrate(engine), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
