"""Opening a store, its schema and its transactions: the part every area of the store shares.

Writers take turns (one write transaction at a time, see :meth:`Database._write`); readers never
wait. A writer that finds the database locked past the busy timeout (another process's long
write: ``ceasefire fuse`` or an ingest beside a running service, a second service on the same
file) begins its transaction again, a bounded number of times with growing pauses, before it
gives up. Every database error leaves through :meth:`Database._errors` as a
:class:`~ceasefire.errors.StoreError` or a more precise subclass, worded without the database's
path or any bytes read from it.

A damaged database fails closed: an SQLite file whose pages were overwritten, or whose tables do
not have the schema's columns, is refused when opened (:class:`~ceasefire.errors.CorruptStoreError`),
and one found damaged while in use accepts no further writes.
"""

from __future__ import annotations

import logging
import os
import random
import re
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Self

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import (
    Engine,
    create_engine,
    inspect,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SAWarning, SQLAlchemyError

from ceasefire.errors import CorruptStoreError, StoreError
from ceasefire.store import backends
from ceasefire.store.backends import Backend, PostgreSQLBackend, SQLiteBackend
from ceasefire.store.schema import metadata, rtree_table

if TYPE_CHECKING:
    pass


ENV_URL = "CEASEFIRE_DATABASE_URL"

_MIGRATIONS = Path(__file__).with_name("migrations")
_POOL_SIZE = 24  # connections kept open; max_overflow (10) more are opened when all are busy

#: How many times a write transaction is begun when the database stays locked past the busy
#: timeout (:data:`ceasefire.store.backends.LOCK_WAIT_S` each), and the first pause between two
#: tries, doubled each time with jitter so that waiting writers do not all retry at once. SQLite's
#: busy handler is not a queue: under many writers one can lose every race for the lock, and a
#: fresh BEGIN after a pause gives it another turn. Four tries bound a writer's wait to about
#: four busy timeouts; past that the store is not under ordinary load and StoreError says so.
WRITE_ATTEMPTS = 4
RETRY_PAUSE_S = 0.05

_log = logging.getLogger(__name__)

#: What SQLite says of a damaged file (sqlite3.h: SQLITE_CORRUPT, SQLITE_NOTADB), and of a table
#: or column gone since the schema was checked at opening (dropped behind the store's back).
_DAMAGED = ("malformed", "not a database", "corrupt", "no such table", "no such column")


def head_revision() -> str:
    """The newest migration this version of ceasefire knows."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None  # the package ships its migrations
    return head


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
        #: Set once the database was found damaged: from then on it takes no writes.
        self._damaged = False
        parts = {"sqlite": SQLiteBackend, "postgresql": PostgreSQLBackend}
        self._dialect = parts.get(engine.dialect.name, Backend)()
        self._dialect.prepare(engine)

    @property
    def url(self) -> str:
        """The database's URL, password included: what another process of the mechanism
        (live fusion, :class:`ceasefire.live.LiveProcess`) opens the same store with."""
        return self._engine.url.render_as_string(hide_password=False)

    @property
    def turn_pause_s(self) -> float:
        """How long a writer about to begin another write transaction at once (live fusion
        saving a step a few incidents at a time) pauses first, so that writers waiting for the
        lock get their turn: 0 on PostgreSQL, where they queue for it; 25 ms on SQLite, where
        they poll (:attr:`ceasefire.store.backends.SQLiteBackend.turn_pause_s`)."""
        return self._dialect.turn_pause_s

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
        try:
            store.check_integrity()
        except BaseException:
            store.close()
            raise
        if not create and store.schema_revision() is None:
            store.close()
            raise StoreError(
                f"the database {parsed.render_as_string(hide_password=True)} holds no ceasefire "
                "store (it is empty); nothing was created"
            )
        try:
            if migrate:
                store.init()
            revision = store.schema_revision()
            if not migrate and revision is not None and revision != head_revision():
                # An older store is not a damaged one: its tables are what its migration made.
                raise StoreError(
                    f"the database's schema is at migration {revision}, older than this "
                    f"version's {head_revision()}; open it once with an upgrade (any command "
                    "that writes, e.g. `ceasefire init --db ...`) and try again"
                )
            if migrate or revision is not None:
                store.check_schema()
        except BaseException:
            store.close()
            raise
        return store

    def check_integrity(self) -> None:
        """Refuse a damaged SQLite file (CorruptStoreError): SQLite's ``quick_check`` reads every
        page and checks each b-tree (about 0.02 s for the 12 MB demo database, warm). A page of
        garbage anywhere, in a table no write would touch for weeks, is found now, not halfway
        through a decision. Nothing to do on PostgreSQL, which checks its own pages."""
        if self._engine.dialect.name != "sqlite":
            return
        with self._errors(), self._engine.connect() as conn:
            found = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA quick_check(5)")]
        if found != ["ok"]:
            self._damaged = True
            raise CorruptStoreError(_damaged_message(f"{len(found)} problem(s) found"))

    def check_schema(self) -> None:
        """Refuse a database whose tables lack the schema's columns (CorruptStoreError): a
        dropped or rebuilt table (the ledger's, the reports') must not be written to as if it
        were the store's."""
        with self._errors(), self._engine.connect() as conn:
            inspector = inspect(conn)
            have = set(inspector.get_table_names())
            sqlite = self._engine.dialect.name == "sqlite"
            for table in metadata.sorted_tables:
                if table is rtree_table and not sqlite:
                    continue  # PostgreSQL answers boxes from a GiST index (SQLiteBackend)
                if table.name not in have:
                    problem = f"the table {table.name} is missing"
                else:
                    with warnings.catch_warnings():  # PostGIS's geometry type: only names count
                        warnings.simplefilter("ignore", SAWarning)
                        columns = {c["name"] for c in inspector.get_columns(table.name)}
                    lacking = sorted(set(table.columns.keys()) - columns)
                    if not lacking:
                        continue
                    problem = f"the table {table.name} lacks column(s) {', '.join(lacking)}"
                self._damaged = True
                raise CorruptStoreError(_damaged_message(problem))

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
        """A connection in a write transaction, committed on leaving, rolled back on error.

        The transaction takes the write lock before it runs anything (SQLite's BEGIN IMMEDIATE,
        PostgreSQL's advisory lock), so when the lock is not had within the busy timeout nothing
        of the transaction has run yet and it is begun again whole: up to
        :data:`WRITE_ATTEMPTS` times, pausing :data:`RETRY_PAUSE_S`, doubled each time, between.
        """
        if self._damaged:
            raise CorruptStoreError(_damaged_message("found earlier"))
        pause = RETRY_PAUSE_S
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            conn = self._engine.connect()
            try:
                conn.execution_options(ceasefire_begin="IMMEDIATE")  # SQLite's (SQLiteBackend)
                transaction = conn.begin()
                self._dialect.lock_writes(conn)
            except DBAPIError as exc:
                conn.close()  # rolls back whatever began
                if attempt == WRITE_ATTEMPTS or not self._dialect.is_busy(exc):
                    raise
                _log.info(
                    "database locked (try %d of %d); beginning again", attempt, WRITE_ATTEMPTS
                )
                time.sleep(pause * (1 + random.random()))
                pause *= 2
                continue
            except BaseException:
                conn.close()
                raise
            break
        with conn, transaction:
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
        """Database failures as StoreError: a damaged database as CorruptStoreError (and no more
        writes), one locked past every try as saying so. The message names neither the
        database's path or URL nor bytes read from it (a text cell that is not UTF-8 would
        otherwise be quoted by the driver)."""
        try:
            yield
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc)
            if any(word in detail.lower() for word in _DAMAGED):
                self._damaged = True
                raise CorruptStoreError(_damaged_message(_safe_detail(detail))) from exc
            if isinstance(exc, DBAPIError) and self._dialect.is_busy(exc):
                waited = WRITE_ATTEMPTS * backends.LOCK_WAIT_S
                raise StoreError(
                    f"database error: the database stayed locked by another writer through "
                    f"{WRITE_ATTEMPTS} tries of {backends.LOCK_WAIT_S} s (about {waited} s); "
                    "try again"
                ) from exc
            raise StoreError(f"database error: {_safe_detail(detail)}") from exc


def _damaged_message(detail: str) -> str:
    return (
        f"the database is damaged ({detail}); it accepts no writes. Restore it from a backup "
        "(or a party's copy of the record) and check it with `ceasefire ledger verify`"
    )


#: Where a driver message quotes stored bytes or names a file: cut there.
_QUOTED = re.compile(r"\s+(with text|at offset|in file|file)\b.*$", re.IGNORECASE | re.DOTALL)


def _safe_detail(detail: str) -> str:
    """The driver's message, its first line only, without quoted bytes or paths: cut where it
    quotes a value, every character outside printable ASCII replaced, at most 200 characters."""
    first = _QUOTED.sub("", detail.strip().split("\n", 1)[0])
    first = re.sub(r"(/|[A-Za-z]:\\)[^\s'\"]*", "<path>", first)  # anything shaped like a path
    cleaned = "".join(c if " " <= c <= "~" else "?" for c in first)
    return cleaned[:200] or "unknown error"
