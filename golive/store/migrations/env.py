"""Alembic environment: golive passes the connection in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from golive.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - golive always passes a connection
    raise RuntimeError("golive migrations run through golive.store.db.migrate(), with a connection")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
