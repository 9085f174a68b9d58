"""Opening a store, its schema and its transactions: the part every area of the store shares.

Writers take turns (one write transaction at a time, see :meth:`Database._write`); readers never
wait. Every database error leaves through :meth:`Database._errors` as a
:class:`~ceasefire.errors.StoreError` or a more precise subclass.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Self

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import (
    Engine,
    create_engine,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ceasefire.errors import StoreError
from ceasefire.store.backends import Backend, PostgreSQLBackend, SQLiteBackend

if TYPE_CHECKING:
    pass


ENV_URL = "CEASEFIRE_DATABASE_URL"

_MIGRATIONS = Path(__file__).with_name("migrations")
_POOL_SIZE = 24  # connections kept open; max_overflow (10) more are opened when all are busy


def database_url(url_or_path: str | Path | None = None) -> str:
    """The SQLAlchemy URL for a URL, a path, or (when None) ``$CEASEFIRE_DATABASE_URL``."""
    if url_or_path is None:
        url_or_path = os.environ.get(ENV_URL)
        if not url_or_path:
            raise StoreError(f"no database given: pass a path or URL, or set {ENV_URL}")
    text = str(url_or_path)
    if "://" in text:
        scheme, rest = text.split("://", 1)
        if scheme in ("postgresql", "postgres"):
            # libpq's own spelling: use psycopg 3 (SQLAlchemy would pick psycopg2).
            return f"postgresql+psycopg://{rest}"
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


class Database:
    """An open database: its engine, its backend, and the transactions every store area uses."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        parts = {"sqlite": SQLiteBackend, "postgresql": PostgreSQLBackend}
        self._dialect = parts.get(engine.dialect.name, Backend)()
        self._dialect.prepare(engine)

    @classmethod
    def open(
        cls, url_or_path: str | Path | None = None, *, migrate: bool = True, create: bool = True
    ) -> Self:
        """Open (and by default create or upgrade) the store at a URL or path.

        Parameters
        ----------
        url_or_path
            ``sqlite:///file.db``, another SQLAlchemy URL, or a file path; None reads
            ``CEASEFIRE_DATABASE_URL``.
        migrate
            Upgrade the schema to the newest migration (creating it in an empty database).
        create
            Start a new store where there is none (no SQLite file, or an empty database). With
            ``False`` that is a :class:`StoreError` and nothing is written: a service pointed at
            a mistyped path must not start a new, empty record and sign it with the real key.
        """
        url = database_url(url_or_path)
        try:
            parsed = make_url(url)
            pooled = parsed.get_backend_name() != "sqlite" or parsed.database not in (
                None,
                "",
                ":memory:",
            )
            on_disk = pooled and parsed.get_backend_name() == "sqlite" and parsed.database
            if on_disk and not create:
                file = Path(str(parsed.database))
                if not file.is_file():
                    raise StoreError(f"no database at {file}; nothing was created")
                if file.stat().st_size == 0:  # refused before SQLite writes a header into it
                    raise StoreError(f"the database {file} holds no ceasefire store (it is empty)")
            if on_disk:
                Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
            # The service reads and writes from up to 40 worker threads at once. With the
            # default pool of 5, the rest opened and closed a connection per request (and set
            # its pragmas each time): a third of a single-report POST's time (py-spy).
            engine = create_engine(parsed, **({"pool_size": _POOL_SIZE} if pooled else {}))
        except (ArgumentError, ImportError, OSError) as exc:
            raise StoreError(f"cannot open database {url!r}: {exc}") from None
        store = cls(engine)
        if not create and store.schema_revision() is None:
            store.close()
            raise StoreError(
                f"the database {parsed.render_as_string(hide_password=True)} holds no ceasefire "
                "store (it is empty); nothing was created"
            )
        if migrate:
            try:
                store.init()
            except BaseException:
                store.close()
                raise
        return store

    def init(self) -> None:
        """Create the schema, or upgrade it to the newest migration; a no-op when up to date."""
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self._errors(), self._write() as conn:
            config.attributes["connection"] = conn
            try:
                command.upgrade(config, "head")
            except CommandError as exc:
                raise StoreError(f"cannot upgrade the database schema: {exc}") from None

    def schema_revision(self) -> str | None:
        """The migration the database is at (None for an empty database)."""
        with self._errors(), self._engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in one read transaction: a consistent view for a long scan (the
        ledger audit), whatever writers do meanwhile."""
        with self._errors(), self._snapshot() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A connection in a write transaction, committed on leaving, rolled back on error."""
        with self._engine.connect() as conn:
            conn.execution_options(ceasefire_begin="IMMEDIATE")  # SQLite's lock (see SQLiteBackend)
            with conn.begin():
                self._dialect.lock_writes(conn)
                yield conn

    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A connection in one read transaction that sees a single snapshot throughout."""
        with self._engine.connect() as conn:
            self._dialect.snapshot(conn)
            with conn.begin():
                yield conn

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Database failures (locked, corrupt, not a database) as StoreError."""
        try:
            yield
        except SQLAlchemyError as exc:
            detail = getattr(exc, "orig", None) or exc
            raise StoreError(
                f"database error ({self._engine.url.render_as_string()}): {detail}"
            ) from exc
