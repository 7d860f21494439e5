"""Alembic environment. Migrations run programmatically (storage.migrate) on a live connection."""
from __future__ import annotations

from alembic import context

from messenger_gateway.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we never run alembic from its own CLI
    raise RuntimeError("run migrations with `python run.py migrate`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
