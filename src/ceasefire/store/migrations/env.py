"""Alembic environment for the ceasefire store.

:meth:`ceasefire.store.facade.Store.init` runs Alembic programmatically and hands over its open
connection in ``config.attributes["connection"]`` so the upgrade runs inside the store's own
transaction (and its SQLite settings). Run from the command line, the URL comes from the
``sqlalchemy.url`` option or ``CEASEFIRE_DATABASE_URL``.

PostgreSQL runs DDL in transactions, as SQLite does, so on either backend a failed upgrade
leaves the schema as it was.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("CEASEFIRE_DATABASE_URL")
    if not url:
        raise RuntimeError("no database URL: set sqlalchemy.url or CEASEFIRE_DATABASE_URL")
    from ceasefire.store.database import database_url

    return database_url(url)  # a path is SQLite; postgresql:// means psycopg 3, as in the store


def run_offline() -> None:
    """Write the migration SQL instead of running it (``alembic upgrade head --sql``)."""
    context.configure(url=_url(), literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the store's connection, or on a fresh one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    with engine.begin() as fresh:
        context.configure(connection=fresh, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
