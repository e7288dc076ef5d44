"""Alembic environment: migrations run on the connection :func:`scrimmage.campaign.db.migrate` passes in."""

from __future__ import annotations

from alembic import context

VERSION_TABLE = "scrimmage_alembic_version"

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
