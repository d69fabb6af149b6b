"""Alembic's entry point: always handed a connection by sync.server.migrations.upgrade."""

from __future__ import annotations

from alembic import context

from sync.server.storage import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `kiosk-server migrate`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
