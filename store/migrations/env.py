"""Alembic environment of the store: the URL from `store.cli` (DATABASE_URL), online only.

The engine is built by `store.db.make_engine`, so migrations run with the same SQLite settings
as the application (WAL, busy timeout, foreign keys). `render_as_batch` lets future revisions
alter columns on SQLite (which cannot ALTER most things in place).
"""

from __future__ import annotations

from alembic import context

from store.cli import VERSION_TABLE, include_name
from store.db import make_engine
from store.models import metadata

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                version_table=VERSION_TABLE,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
                include_name=include_name,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) mode is not supported: run against a database")
run_migrations_online()
