"""Alembic environment for the knowledge base, driven programmatically by
:func:`knowledge.db.upgrade_schema` (which passes an open connection) or by the ``alembic``
command with ``-x url=…``/``sqlalchemy.url``.  Batch mode lets SQLite alter tables."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from knowledge.models import Base
import knowledge.procedure_models  # noqa: F401,E402 - registers the procedures table on Base.metadata
import reporting.models  # noqa: F401,E402 - registers the reporting tables on Base.metadata
import knowledge.area_models  # noqa: F401,E402 - registers the learnt_areas table on Base.metadata
import reporting.reminder_models  # noqa: F401,E402 - registers the reminders table on Base.metadata

config = context.config
target_metadata = Base.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, future=True)
    with engine.begin() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
