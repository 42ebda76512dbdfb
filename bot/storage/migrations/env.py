"""Alembic environment: always handed a live connection by `bot.storage.migrate` (async engines)."""

from __future__ import annotations

from alembic import context

from asyncguard.bot.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `asyncguard db upgrade` (bot.storage.migrate), not the alembic CLI")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
