"""Alembic environment: runs migrations through the engine handed over in the config."""

from alembic import context
from sqlalchemy import Engine

from rosetta.store.engine import write_transaction
from rosetta.store.tables import metadata

engine = context.config.attributes["engine"]
assert isinstance(engine, Engine)

with write_transaction(engine) as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
