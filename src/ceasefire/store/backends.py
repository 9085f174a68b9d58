"""What differs between SQLite and PostgreSQL: connection settings, write locking, bulk writes,
the bounding-box filter and snapshot reads. The rest of the store is dialect-neutral SQLAlchemy
Core.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    MetaData,
    Table,
    and_,
    bindparam,
    event,
    func,
    literal_column,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from ceasefire.store.schema import BBox, UTCDateTime, reports_table, rtree_table, sqlite_time

if TYPE_CHECKING:
    pass


#: How long a writer waits for another's write transaction to end before it begins its own
#: again (:data:`ceasefire.store.database.WRITE_ATTEMPTS` times), in seconds.
LOCK_WAIT_S: float = 10


class Backend:
    """Dialect-neutral behaviour; :class:`SQLiteBackend` and :class:`PostgreSQLBackend` override what their
    engine does its own way."""

    #: How long a writer about to write again at once pauses first, so that a writer waiting
    #: for the lock gets its turn (0: waiters queue for it, as for PostgreSQL's advisory lock).
    turn_pause_s: float = 0.0

    def prepare(self, engine: Engine) -> None:
        """Set up connections of ``engine`` (nothing to do by default)."""

    def is_busy(self, exc: DBAPIError) -> bool:
        """Whether ``exc`` says another transaction held a lock too long (worth trying again)."""
        return False

    def lock_writes(self, conn: Connection) -> None:
        """Make the write transaction just begun on ``conn`` the only one under way; called
        before it reads anything (nothing to do by default)."""

    def snapshot(self, conn: Connection) -> None:
        """Make the next transaction on ``conn`` read one consistent snapshot throughout
        (nothing to do by default)."""

    def insert_reports(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Insert report rows (column name to value, the same keys in each)."""
        self.insert_rows(conn, reports_table, rows)

    def insert_rows(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        """Insert rows into ``table`` (column name to value, the same keys in each)."""
        if rows:
            conn.execute(table.insert(), rows)  # executemany

    def update_rows(
        self, conn: Connection, table: Table, key: str, rows: list[dict[str, Any]]
    ) -> None:
        """Update rows of ``table`` found by column ``key``; each row gives the key's value and
        the new values of the other columns (the same keys in each)."""
        if not rows:
            return
        names = [name for name in rows[0] if name != key]
        statement = (
            table.update()
            .where(table.c[key] == bindparam(f"k_{key}"))
            .values({name: bindparam(f"v_{name}") for name in names})
        )
        conn.execute(
            statement, [{f"k_{key}": r[key]} | {f"v_{n}": r[n] for n in names} for r in rows]
        )

    def after_insert(self, conn: Connection, last_seq_before: int) -> None:
        """Bring dialect-specific indexes up to date with rows inserted after ``last_seq_before``."""

    def bbox_clause(self, bbox: BBox, table: Table = reports_table) -> ColumnElement[bool]:
        """Rows of ``table`` (reports or incidents) whose point lies in the box, edges included."""
        min_lon, min_lat, max_lon, max_lat = bbox
        return and_(table.c.lon.between(min_lon, max_lon), table.c.lat.between(min_lat, max_lat))


class SQLiteBackend(Backend):
    """SQLite: WAL, foreign keys, explicit BEGIN (IMMEDIATE for writes), R*Tree bbox queries."""

    #: A writer waiting for SQLite's lock does not queue: its busy handler polls, sleeping 1, 2,
    #: 5, 10, 15, 20, 25, 25, 25, 50, 50 then 100 ms between tries (sqlite3.c,
    #: sqliteDefaultBusyCallback), so one that frees the lock and takes it again within a few
    #: ms keeps it from the waiter. 25 ms free lets in any waiter of less than ~80 ms. Measured
    #: with live fusion saving beside 1,000 single-report POSTs/s: the POSTs' wait for the lock
    #: went from 79 ms to 22-35 ms at the 99th percentile.
    turn_pause_s = 0.025

    def prepare(self, engine: Engine) -> None:
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling issues BEGIN lazily and not before reads;
            # turning it off and emitting BEGIN ourselves (SQLAlchemy's documented recipe) makes
            # a read-check-then-insert batch one real transaction.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # The busy timeout first: switching to WAL takes a lock too, and a connection
            # opened while another process writes would fail it at once ("database is locked").
            cursor.execute(f"PRAGMA busy_timeout={int(LOCK_WAIT_S * 1000)}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # FULL rather than NORMAL: under WAL, NORMAL can lose the last commits on power loss
            # (not on a process kill). FULL costs one fsync per commit; batches make that cheap.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            # IMMEDIATE takes the write lock at BEGIN, so two writers cannot both pass the id
            # check and then collide on insert.
            mode = connection.get_execution_options().get("ceasefire_begin", "DEFERRED")
            if mode == "IMMEDIATE":
                _begin_immediate(connection)
            else:
                connection.exec_driver_sql(f"BEGIN {mode}")

    def is_busy(self, exc: DBAPIError) -> bool:
        # SQLITE_BUSY and SQLITE_LOCKED, as the sqlite3 module words them.
        return " is locked" in str(exc.orig).lower()

    def insert_rows(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        # The rows straight to the driver's executemany (named parameters, times as text):
        # SQLAlchemy's per-row parameter processing took about 3 s per 100k reports (cProfile).
        if not rows:
            return
        columns = list(rows[0])
        sqlite_times(table, columns, rows)
        names = ", ".join(columns)
        values = ", ".join(f":{name}" for name in columns)
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({values})", rows)

    def update_rows(
        self, conn: Connection, table: Table, key: str, rows: list[dict[str, Any]]
    ) -> None:
        # As insert_rows: the driver's executemany, without SQLAlchemy's per-row processing.
        if not rows:
            return
        columns = list(rows[0])
        sqlite_times(table, columns, rows)
        sets = ", ".join(f"{name} = :{name}" for name in columns if name != key)
        conn.exec_driver_sql(f"UPDATE {table.name} SET {sets} WHERE {key} = :{key}", rows)

    def after_insert(self, conn: Connection, last_seq_before: int) -> None:
        # One INSERT ... SELECT in the writing transaction rather than a per-row trigger: 1.2 s
        # instead of 3.0 s per 100k reports (measured, SQLite 3.40). Updates and deletes, which
        # are rare, are kept in step by triggers (migration 0001).
        c = reports_table.c
        conn.execute(
            rtree_table.insert().from_select(
                ["id", "min_lon", "max_lon", "min_lat", "max_lat"],
                select(c.seq, c.lon, c.lon, c.lat, c.lat).where(c.seq > last_seq_before),
            )
        )

    def bbox_clause(self, bbox: BBox, table: Table = reports_table) -> ColumnElement[bool]:
        if table is not reports_table:  # only reports have an R*Tree
            return super().bbox_clause(bbox, table)
        min_lon, min_lat, max_lon, max_lat = bbox
        # R*Tree keeps 32-bit floats rounded outward, so it yields a superset; the exact test on
        # the real columns follows.
        candidates = select(rtree_table.c.id).where(
            rtree_table.c.max_lon >= min_lon,
            rtree_table.c.min_lon <= max_lon,
            rtree_table.c.max_lat >= min_lat,
            rtree_table.c.min_lat <= max_lat,
        )
        return and_(reports_table.c.seq.in_(candidates), super().bbox_clause(bbox))


class PostgreSQLBackend(Backend):
    """PostgreSQL + PostGIS: an advisory lock serialises writers, COPY bulk-inserts, a GiST
    index on the ``geom`` column (migration 0001) answers bounding-box queries, and snapshot
    reads are REPEATABLE READ.

    ``geom`` is a generated column (``ST_SetSRID(ST_MakePoint(lon, lat), 4326)``), so every
    insert and every update of ``lon``/``lat`` keeps it in step with no extra statement.
    """

    def lock_writes(self, conn: Connection) -> None:
        # SQLite's BEGIN IMMEDIATE, the PostgreSQL way: one lock for the whole store, held to
        # COMMIT or ROLLBACK. Taken first, so a writer's checks (is this report id stored? what
        # is max(seq)? how long is the log?) read what every earlier writer committed, and no
        # other writer can act on the same answer before this one commits. Readers never wait
        # (MVCC). The ledger's row lock (store_ledger.state(lock=True)) stays, for writers that
        # come in another way.
        # A writer waits for its turn as long as on SQLite (busy_timeout), then fails cleanly.
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(LOCK_WAIT_S * 1000)}ms'")
        conn.execute(select(func.pg_advisory_xact_lock(_PG_WRITE_LOCK)))

    def is_busy(self, exc: DBAPIError) -> bool:
        # lock_not_available (the lock_timeout above), deadlock_detected (PostgreSQL
        # documentation, appendix A, class 55 and 40).
        return getattr(exc.orig, "sqlstate", None) in ("55P03", "40P01")

    def snapshot(self, conn: Connection) -> None:
        # READ COMMITTED, the default, takes a new snapshot per statement; a long scan (the
        # ledger audit) must see the tables as of one moment while writers go on.
        conn.execution_options(isolation_level="REPEATABLE READ")

    def insert_rows(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        # COPY ... FROM STDIN through psycopg, in the open transaction. Measured on 2 shared
        # cores, PostgreSQL 15: add_reports of 20k reports (rows and ledger) 1.8-2.4 s, against
        # 3.9-4.1 s with SQLAlchemy's executemany (batched INSERT ... VALUES); SQLite takes
        # 1.9 s. psycopg adapts aware datetimes, bytes and None itself.
        if not rows:
            return
        columns = list(rows[0])
        names = ", ".join(columns)
        raw = conn.connection.driver_connection
        assert raw is not None
        try:
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row([row[name] for name in columns])
        except Exception as exc:
            # The driver's own error, past SQLAlchemy: wrap it as SQLAlchemy would, so that
            # Store._errors makes it a StoreError like any other database failure.
            dbapi = conn.dialect.loaded_dbapi
            if isinstance(exc, dbapi.Error):
                raise DBAPIError.instance(
                    f"COPY {table.name}", None, exc, dbapi.Error, dialect=conn.dialect
                ) from exc
            raise

    def update_rows(
        self, conn: Connection, table: Table, key: str, rows: list[dict[str, Any]]
    ) -> None:
        # Many rows: COPY them into a scratch table, then one UPDATE ... FROM. Saving 10k
        # incidents three times (tests/test_store_incidents.py): 0.36 s of updates, against
        # 1.4 s for an executemany of one-row UPDATEs (measured as for insert_rows).
        if len(rows) < _PG_BULK_UPDATE:
            super().update_rows(conn, table, key, rows)
            return
        columns = list(rows[0])
        scratch = f"_cf_update_{table.name}"
        conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {scratch} AS SELECT {', '.join(columns)} "
            f"FROM {table.name} WITH NO DATA"
        )
        self.insert_rows(conn, Table(scratch, MetaData()), rows)
        sets = ", ".join(f"{name} = s.{name}" for name in columns if name != key)
        conn.exec_driver_sql(
            f"UPDATE {table.name} AS t SET {sets} FROM {scratch} AS s WHERE t.{key} = s.{key}"
        )
        conn.exec_driver_sql(f"DROP TABLE {scratch}")

    def bbox_clause(self, bbox: BBox, table: Table = reports_table) -> ColumnElement[bool]:
        min_lon, min_lat, max_lon, max_lat = bbox
        # ``&&`` compares bounding boxes through the GiST index. Those are 32-bit floats rounded
        # outward (PostGIS's BOX2DF), so it yields a superset; the exact test on the real
        # columns follows, as for SQLite's R*Tree.
        envelope = func.ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, 4326)
        geom: ColumnElement[Any] = literal_column(f"{table.name}.geom")
        return and_(geom.op("&&")(envelope), super().bbox_clause(bbox, table))


#: The key of the transaction-level advisory lock PostgreSQL writers take (``ceasefir`` in ASCII).
_PG_WRITE_LOCK = 0x63656173_65666972
#: From this many rows on, PostgreSQL updates go through a scratch table (one UPDATE ... FROM).
_PG_BULK_UPDATE = 200


def sqlite_times(table: Table, columns: list[str], rows: list[dict[str, Any]]) -> None:
    """Turn the datetimes of ``rows`` into SQLite text in place (see :class:`UTCDateTime`)."""
    times = [name for name in columns if isinstance(table.c[name].type, UTCDateTime)]
    # Rows written together mostly share their times (the run's ``at``): format each once.
    done: dict[datetime, str] = {}
    for row in rows:
        for name in times:
            value = row[name]
            if value is not None:
                text = done.get(value)
                if text is None:
                    text = done[value] = sqlite_time(value)
                row[name] = text


#: How often a writer waiting for SQLite's write lock tries again.
TURN_POLL_S = 0.001


def _begin_immediate(connection: Connection) -> None:
    """BEGIN IMMEDIATE, waiting for the write lock in steps of :data:`TURN_POLL_S` up to
    :data:`LOCK_WAIT_S`, instead of SQLite's own busy handler.

    That handler sleeps 1, 2, 5, 10, 15, 20, 25, 25 ... 100 ms between tries, so a writer that
    began waiting 20 ms ago wakes up to 25 ms after the lock was freed: a single-report POST
    waiting behind live fusion's 15 ms transaction was answered 20-40 ms late. Polling every
    millisecond hands the lock over within about one. Only BEGIN waits this way; the statements
    inside hold the lock already."""
    deadline = time.monotonic() + LOCK_WAIT_S
    connection.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except DBAPIError as exc:
                # Past the wait, the error goes up as SQLite's own would (Database._write
                # begins the whole transaction again, a few times).
                if " is locked" not in str(exc.orig).lower() or time.monotonic() >= deadline:
                    raise
            time.sleep(TURN_POLL_S)
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(LOCK_WAIT_S * 1000)}")
