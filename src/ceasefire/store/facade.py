"""The report store: SQLAlchemy 2 over SQLite (default) or PostgreSQL + PostGIS, schema by
Alembic migrations.

A :class:`Store` is chosen by a URL (``sqlite:///var/ceasefire.db``,
``postgresql+psycopg://monitor@db.example/ceasefire``) or a plain path (SQLite); without either
it reads ``CEASEFIRE_DATABASE_URL``. Opening it upgrades the schema to the newest migration
(``src/ceasefire/migrations/versions``).

Each report is kept twice over: its interchange JSON (lossless, unknown fields included, for
export) and columns to filter on. Writes are all-or-nothing: :meth:`Store.add_reports` checks
every id and inserts every new report in one transaction, and returns only after the commit, so
an acknowledged batch survives the process being killed. :meth:`Store.bulk_writer` stretches that
one transaction over many batches, for files larger than memory.

Everything engine-specific sits in a dialect part: :class:`_SQLite` (connection settings, write
locking by ``BEGIN IMMEDIATE``, the R*Tree bounding-box filter) and :class:`_PostgreSQL` (write
locking by a transaction-level advisory lock, bulk writes by ``COPY``, the PostGIS GiST
bounding-box filter, snapshot reads); the rest is dialect-neutral SQLAlchemy Core. Either way
writers take turns: one write transaction at a time, readers never wait (see docs/store.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    Dialect,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    and_,
    bindparam,
    create_engine,
    event,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.types import TypeEngine

from ceasefire.errors import ConflictError, InputError, NotFoundError, Problem, StoreError
from ceasefire.intake.report import Report
from ceasefire.judge.verification import DEFAULT_CORROBORATION
from ceasefire.records import (
    AddResult,
    IncidentRecord,
    IncidentSaveResult,
    StoredIncident,
    StoredReport,
    StoredViolation,
    ViolationSaveResult,
)

if TYPE_CHECKING:
    from collections.abc import Collection

    from ceasefire.agreement.model import Agreement
    from ceasefire.hotline.rules import Message
    from ceasefire.intake.signing import TrustedKey
    from ceasefire.judge.rules import Violation
    from ceasefire.judge.verification import StatusChange
    from ceasefire.ledger.notes import Signer, Verifier
    from ceasefire.publish.access import Principal, Release
    from ceasefire.records import Incident
    from ceasefire.store.hotline import Mail, StoredMessage
    from ceasefire.store.ledger import Appender, Entry, LedgerState, StoredCheckpoint
    from ceasefire.store.users import User

#: The environment variable naming the database when no URL or path is given.
ENV_URL = "CEASEFIRE_DATABASE_URL"

_MIGRATIONS = Path(__file__).with_name("migrations")
_POOL_SIZE = 24  # connections kept open; max_overflow (10) more are opened when all are busy
_CHUNK = 500  # ids per IN (...) lookup; far below SQLite's 32766 host-parameter limit
#: How long a writer waits for another's write transaction to end before giving up, in seconds.
_LOCK_WAIT_S = 10


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time type: values are stored as naive UTC text in SQLAlchemy's own SQLite
    layout (``2026-03-01 08:00:00.000000``, which sorts in time order), formatted here directly
    because the stacked generic conversion cost 2 s per 100k reports. PostgreSQL gets
    ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(String(26) if dialect.name == "sqlite" else self.impl)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return _sqlite_time(value)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_time(value: datetime) -> str:
    """An aware datetime as SQLite text: naive UTC, SQLAlchemy's layout (see UTCDateTime)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


# Table shapes for queries. The schema itself is made by the migrations, never by create_all.
_metadata = MetaData()
reports_table = Table(
    "reports",
    _metadata,
    Column("seq", Integer, primary_key=True),
    Column("report_id", String(200), nullable=False, unique=True),
    Column("content_hash", String(64), nullable=False),
    Column("submitted_by", Text, nullable=False),
    Column("source_kind", String(32), nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("weapon_class", String(32)),
    Column("observed_from", UTCDateTime, nullable=False),
    Column("observed_to", UTCDateTime, nullable=False),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("uncertainty_m", Float),
    Column("body", Text, nullable=False),
    Column("ingested_at", UTCDateTime, nullable=False),
    Column("party", String(64)),
    Column("side", String(64)),
    Column("distance_m", Float),
    Column("zones", Text),
    Column("oblast", Text),
    Column("placement", Text),
)
_rtree = Table(
    "reports_rtree",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("min_lon", Float),
    Column("max_lon", Float),
    Column("min_lat", Float),
    Column("max_lat", Float),
)

# Incidents and what hangs off them (migration 0002). Queries live in ceasefire.store.incidents.
incidents_table = Table(
    "incidents",
    _metadata,
    Column("seq", Integer, primary_key=True),
    Column("incident_id", String(32), nullable=False, unique=True),
    Column("event_type", String(32), nullable=False),
    Column("group_name", String(32), nullable=False),
    Column("observed_from", UTCDateTime, nullable=False),
    Column("observed_to", UTCDateTime, nullable=False),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("uncertainty_m", Float),
    Column("place_precision", String(32)),
    Column("n_reports", Integer, nullable=False),
    Column("n_sources", Integer, nullable=False),
    Column("party", String(64)),
    Column("side", String(64)),
    Column("distance_m", Float),
    Column("zones", Text),
    Column("oblast", Text),
    Column("status", String(16), nullable=False),
    Column("assessed_perpetrator", String(64)),
    Column("assessed_basis", String(32)),
    Column("body", Text, nullable=False),
    Column("merged_into", String(32)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
incident_reports_table = Table(
    "incident_reports",
    _metadata,
    Column("incident_id", String(32), nullable=False),
    Column("report_id", String(200), primary_key=True),
)
status_changes_table = Table(
    "status_changes",
    _metadata,
    Column("seq", Integer, primary_key=True),
    Column("incident_id", String(32), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("actor", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("basis", Text, nullable=False),
    Column("assessed_perpetrator", String(64)),
    Column("perpetrator_basis", String(32)),
    Column("automatic", Boolean, nullable=False),
)
violations_table = Table(
    "violations",
    _metadata,
    Column("seq", Integer, primary_key=True),
    Column("incident_id", String(32), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("agreement_id", String(200), nullable=False),
    Column("agreement_version", Integer, nullable=False),
    Column("party", String(64)),
    Column("evidence", Text, nullable=False),
    Column("facts", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("judged_at", UTCDateTime, nullable=False),
    Column("superseded_at", UTCDateTime),
)
agreements_table = Table(
    "agreements",
    _metadata,
    Column("agreement_id", String(200), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("effective_from", UTCDateTime, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
)

BBox = tuple[float, float, float, float]
"""``(min_lon, min_lat, max_lon, max_lat)``, the GeoJSON ``bbox`` order (RFC 7946 section 5)."""

Strs = str | Sequence[str] | None


#: Placement facts with a column of their own (for filtering); the whole mapping is kept as JSON.
PLACEMENT_COLUMNS = ("party", "side", "distance_m", "zones", "oblast")


def _placement_columns(placement: Mapping[str, Any] | None) -> dict[str, Any]:
    """Column values for a placement mapping (the geo step's facts); all None for no placement.

    The store does not own the shape of placements: known keys fill their columns when present,
    and the mapping as a whole is stored as JSON and given back by :meth:`Store.get_placement`.
    """
    if placement is None:
        return dict.fromkeys((*PLACEMENT_COLUMNS, "placement"))
    zones = placement.get("zones")
    side = placement.get("side")
    return {
        "party": placement.get("party"),
        "side": None if side is None else str(side),
        "distance_m": placement.get("distance_m"),
        "zones": None if zones is None else _zones_json(zones),
        "oblast": placement.get("oblast"),
        "placement": _PLACEMENT_JSON(placement if type(placement) is dict else dict(placement)),
    }


# Reused encoders: json.dumps with options builds a JSONEncoder per call. The output is the same.
_BODY_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
_PLACEMENT_JSON = json.JSONEncoder(ensure_ascii=False).encode
_ZONES_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def _zones_json(zones: Any) -> str:
    # A batch has a handful of distinct zone lists: 100k placements, 7 lists (simulated night).
    if isinstance(zones, list):
        try:
            return _zone_list_json(tuple(zones))
        except TypeError:  # unhashable items
            pass
    return _ZONES_JSON(zones)


@lru_cache(maxsize=1024)
def _zone_list_json(zones: tuple[Any, ...]) -> str:
    return _ZONES_JSON(list(zones))


class BulkWriter:
    """Adds batches of reports inside one open write transaction; made by :meth:`Store.bulk_writer`.

    All the batches of one writer are one batch as far as :meth:`Store.add_reports` is concerned:
    an id added earlier in the same writer with other content is a conflict, with the same content
    it counts as unchanged. All reports of one writer get the same ``ingested_at``.
    """

    def __init__(self, conn: Connection, dialect: _Dialect) -> None:
        self._conn = conn
        self._dialect = dialect
        self._now = datetime.now(UTC)
        self._first_seq: int | None = None  # highest seq before this writer's first insert
        self._ledger: Appender | None = None  # made at the first insert; one per transaction
        self._keys: list[TrustedKey] | None = None  # trusted submitter keys, read when needed
        #: True once a write failed part-way: the block then rolls back, even if that was caught.
        self.broken = False

    def add(
        self,
        reports: Iterable[Report],
        placements: Sequence[Mapping[str, Any] | None] | None = None,
    ) -> AddResult:
        """Check and insert one batch (see :meth:`Store.add_reports` for the rules).

        Raises
        ------
        ConflictError
            Before anything of this batch is written; earlier batches of the block stay pending,
            so the caller may go on or leave the block (which rolls everything back).
        """
        if self.broken:
            raise StoreError("an earlier write of this batch failed; leave the block")
        batch = reports if isinstance(reports, list) else list(reports)
        if any(r.signature is not None for r in batch):
            self._check_signatures(batch)
        if placements is not None and len(placements) != len(batch):
            raise ValueError(f"{len(placements)} placements for {len(batch)} reports")
        rows: dict[str, dict[str, Any]] = {}
        records: dict[str, dict[str, Any]] = {}  # id -> interchange mapping, for the leaves
        repeated: list[str] = []
        now = self._now
        for index, report in enumerate(batch):
            record = report.to_dict()
            row = _row(report, now, record)
            if placements is not None:
                # executemany needs the same keys in every row: all placement columns or none.
                row.update(_placement_columns(placements[index]))
            before = rows.setdefault(report.id, row)
            records.setdefault(report.id, record)
            if before is not row:
                if before["content_hash"] != row["content_hash"]:
                    raise ConflictError(
                        f"report id {report.id!r} appears twice in the batch with different content"
                    )
                repeated.append(report.id)
        _refuse_nul(rows.values())
        conn = self._conn
        last_seq = None  # the highest seq now, when this call has read it
        if self._first_seq is None:
            last = conn.execute(select(func.coalesce(func.max(reports_table.c.seq), 0)))
            self._first_seq = last_seq = int(last.scalar_one())
        c = reports_table.c
        ids = list(rows)
        stored: dict[str, tuple[str, int]] = {}
        for start in range(0, len(ids), _CHUNK):
            query = select(c.report_id, c.content_hash, c.seq).where(
                c.report_id.in_(ids[start : start + _CHUNK])
            )
            stored.update({r.report_id: (r.content_hash, r.seq) for r in conn.execute(query)})
        clashes = sorted(
            i for i, (digest, _) in stored.items() if rows[i]["content_hash"] != digest
        )
        if clashes:
            here = [i for i in clashes if stored[i][1] > self._first_seq]
            if here:
                raise ConflictError(
                    f"report id {here[0]!r} appears twice in the batch with different content"
                )
            shown = ", ".join(repr(i) for i in clashes[:5])
            more = f" and {len(clashes) - 5} more" if len(clashes) > 5 else ""
            raise ConflictError(
                f"report id {shown}{more} already stored with different content; nothing stored"
            )
        new = [rows[i] for i in ids if i not in stored]
        if new:
            try:
                if last_seq is None:  # an earlier batch of this writer has inserted since
                    last_seq = conn.execute(
                        select(func.coalesce(func.max(reports_table.c.seq), 0))
                    ).scalar_one()
                self._dialect.insert_reports(conn, new)
                self._dialect.after_insert(conn, int(last_seq))
                # The leaves go in with the rows, in the same transaction (ceasefire.store.ledger).
                from ceasefire.store import ledger as store_ledger

                if self._ledger is None:
                    self._ledger = store_ledger.Appender(conn, self._dialect, self._now)
                # The leaf's record is the stored body's mapping (report_item of the body), taken
                # before it was encoded rather than decoded again: 6 us a report.
                self._ledger.append(
                    [("report", row["report_id"], records[row["report_id"]]) for row in new]
                )
            except BaseException:
                self.broken = True
                raise
        unchanged = tuple(stored) + tuple(repeated)
        return AddResult(len(new), len(unchanged), tuple(r["report_id"] for r in new), unchanged)

    def _check_signatures(self, batch: list[Report]) -> None:
        """Refuse the batch unless every signed report verifies with a trusted key."""
        from ceasefire.intake.signing import check_signatures
        from ceasefire.store import ledger as store_ledger

        if self._keys is None:
            self._keys = store_ledger.trusted_keys(self._conn)
        check_signatures(batch, self._keys)


def _refuse_nul(rows: Iterable[dict[str, Any]]) -> None:
    """Refuse report rows whose id or submitter holds U+0000: PostgreSQL text cannot (SQLite's
    can), and a store must take the same reports on either backend. The JSON body escapes it."""
    for row in rows:
        for column, name in (("report_id", "id"), ("submitted_by", "submitted_by")):
            if "\x00" in row[column]:
                raise InputError(
                    Problem(
                        f"report {row['report_id']!r}",
                        name,
                        "must not contain the NUL character (U+0000)",
                    )
                )


class _Dialect:
    """Dialect-neutral behaviour; :class:`_SQLite` and :class:`_PostgreSQL` override what their
    engine does its own way."""

    def prepare(self, engine: Engine) -> None:
        """Set up connections of ``engine`` (nothing to do by default)."""

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


class _SQLite(_Dialect):
    """SQLite: WAL, foreign keys, explicit BEGIN (IMMEDIATE for writes), R*Tree bbox queries."""

    def prepare(self, engine: Engine) -> None:
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling issues BEGIN lazily and not before reads;
            # turning it off and emitting BEGIN ourselves (SQLAlchemy's documented recipe) makes
            # a read-check-then-insert batch one real transaction.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # FULL rather than NORMAL: under WAL, NORMAL can lose the last commits on power loss
            # (not on a process kill). FULL costs one fsync per commit; batches make that cheap.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute(f"PRAGMA busy_timeout={_LOCK_WAIT_S * 1000}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            # IMMEDIATE takes the write lock at BEGIN, so two writers cannot both pass the id
            # check and then collide on insert.
            mode = connection.get_execution_options().get("ceasefire_begin", "DEFERRED")
            connection.exec_driver_sql(f"BEGIN {mode}")

    def insert_rows(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        # The rows straight to the driver's executemany (named parameters, times as text):
        # SQLAlchemy's per-row parameter processing took about 3 s per 100k reports (cProfile).
        if not rows:
            return
        columns = list(rows[0])
        _sqlite_times(table, columns, rows)
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
        _sqlite_times(table, columns, rows)
        sets = ", ".join(f"{name} = :{name}" for name in columns if name != key)
        conn.exec_driver_sql(f"UPDATE {table.name} SET {sets} WHERE {key} = :{key}", rows)

    def after_insert(self, conn: Connection, last_seq_before: int) -> None:
        # One INSERT ... SELECT in the writing transaction rather than a per-row trigger: 1.2 s
        # instead of 3.0 s per 100k reports (measured, SQLite 3.40). Updates and deletes, which
        # are rare, are kept in step by triggers (migration 0001).
        c = reports_table.c
        conn.execute(
            _rtree.insert().from_select(
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
        candidates = select(_rtree.c.id).where(
            _rtree.c.max_lon >= min_lon,
            _rtree.c.min_lon <= max_lon,
            _rtree.c.max_lat >= min_lat,
            _rtree.c.min_lat <= max_lat,
        )
        return and_(reports_table.c.seq.in_(candidates), super().bbox_clause(bbox))


class _PostgreSQL(_Dialect):
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
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{_LOCK_WAIT_S}s'")
        conn.execute(select(func.pg_advisory_xact_lock(_PG_WRITE_LOCK)))

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


def _sqlite_times(table: Table, columns: list[str], rows: list[dict[str, Any]]) -> None:
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
                    text = done[value] = _sqlite_time(value)
                row[name] = text


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


class Store:
    """Reports in a database. Use :meth:`open`; close with :meth:`close` or a ``with`` block."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        parts = {"sqlite": _SQLite, "postgresql": _PostgreSQL}
        self._dialect = parts.get(engine.dialect.name, _Dialect)()
        self._dialect.prepare(engine)

    @classmethod
    def open(cls, url_or_path: str | Path | None = None, *, migrate: bool = True) -> Store:
        """Open (and by default create or upgrade) the store at a URL or path.

        Parameters
        ----------
        url_or_path
            ``sqlite:///file.db``, another SQLAlchemy URL, or a file path; None reads
            ``CEASEFIRE_DATABASE_URL``.
        migrate
            Upgrade the schema to the newest migration (creating it in an empty database).
        """
        url = database_url(url_or_path)
        try:
            parsed = make_url(url)
            pooled = parsed.get_backend_name() != "sqlite" or parsed.database not in (
                None,
                "",
                ":memory:",
            )
            if pooled and parsed.get_backend_name() == "sqlite" and parsed.database:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # The service reads and writes from up to 40 worker threads at once. With the
            # default pool of 5, the rest opened and closed a connection per request (and set
            # its pragmas each time): a third of a single-report POST's time (py-spy).
            engine = create_engine(parsed, **({"pool_size": _POOL_SIZE} if pooled else {}))
        except (ArgumentError, ImportError, OSError) as exc:
            raise StoreError(f"cannot open database {url!r}: {exc}") from None
        store = cls(engine)
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

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -------------------------------------------------------------------------------

    def add_reports(
        self,
        reports: Iterable[Report],
        placements: Sequence[Mapping[str, Any] | None] | None = None,
    ) -> AddResult:
        """Store a batch of reports, all or nothing, in one transaction.

        A report whose ``id`` is stored with the same content is left as it is (idempotent
        resubmission); one whose ``id`` is stored with other content refuses the whole batch.
        The same as one :meth:`BulkWriter.add` in its own :meth:`bulk_writer`.

        Parameters
        ----------
        reports
            Validated reports.
        placements
            Placement facts aligned with ``reports`` (None entries for reports without): a
            mapping per report, e.g. the geo step's ``party``, ``side``, ``distance_m``,
            ``zones``, ``oblast``; stored for newly added reports.

        Raises
        ------
        ConflictError
            Names the ids stored (or repeated in the batch) with other content; nothing is stored.
        """
        with self.bulk_writer() as writer:
            return writer.add(reports, placements)

    @contextmanager
    def bulk_writer(self) -> Iterator[BulkWriter]:
        """One write transaction for many batches: committed when the block ends, else rolled back.

        For ingesting more reports than fit in memory at once: each :meth:`BulkWriter.add` checks
        and inserts one batch, and the whole block stays all or nothing. Nothing is visible to
        other connections, and other writers wait, until the block ends; leaving it returns only
        after the commit, so what was added is durable.

        Examples
        --------
        >>> with store.bulk_writer() as writer:  # doctest: +SKIP
        ...     for chunk in chunks:
        ...         writer.add(chunk, placements_of(chunk))
        """
        with self._errors(), self._write() as conn:
            writer = BulkWriter(conn, self._dialect)
            yield writer
            if writer.broken:
                raise StoreError("a failed write left the batch incomplete; nothing stored")

    def set_placements(self, placements: Mapping[str, Mapping[str, Any]]) -> None:
        """Record (or replace) placement facts of stored reports, report id to mapping, at once."""
        values = [{"rid": rid, **_placement_columns(p)} for rid, p in placements.items()]
        with self._errors(), self._write() as conn:
            missing = set(placements) - self._existing(conn, list(placements))
            if missing:
                raise NotFoundError(f"no stored report with id {sorted(missing)[0]!r}")
            statement = (
                reports_table.update()
                .where(reports_table.c.report_id == bindparam("rid"))
                .values({k: bindparam(k) for k in (*PLACEMENT_COLUMNS, "placement")})
            )
            if values:
                conn.execute(statement, values)

    # -- reading -------------------------------------------------------------------------------

    def get_report(self, report_id: str) -> Report:
        """The stored report with this id (unknown fields included). Raises NotFoundError."""
        query = select(reports_table.c.body).where(reports_table.c.report_id == report_id)
        with self._errors(), self._engine.connect() as conn:
            body = conn.execute(query).scalar_one_or_none()
        if body is None:
            raise NotFoundError(f"no stored report with id {report_id!r}")
        return _report(body)

    def get_stored(self, report_ids: Sequence[str]) -> dict[str, StoredReport]:
        """The stored reports with these ids, id to report with its point and placement facts;
        ids not stored are left out."""
        c = reports_table.c
        found: dict[str, StoredReport] = {}
        with self._errors(), self._engine.connect() as conn:
            for start in range(0, len(report_ids), _CHUNK):
                query = select(c.report_id, c.body, c.lon, c.lat, c.uncertainty_m, c.placement)
                query = query.where(c.report_id.in_(report_ids[start : start + _CHUNK]))
                found.update({row.report_id: _stored_report(row) for row in conn.execute(query)})
        return found

    def get_placement(self, report_id: str) -> dict[str, Any] | None:
        """The placement facts stored with a report, or None before the geo step has run."""
        query = select(reports_table.c.placement).where(reports_table.c.report_id == report_id)
        with self._errors(), self._engine.connect() as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            raise NotFoundError(f"no stored report with id {report_id!r}")
        return None if row.placement is None else dict(json.loads(row.placement))

    def list_reports(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        event_type: Strs = None,
        source_kind: Strs = None,
        submitted_by: Strs = None,
        bbox: BBox | None = None,
        limit: int | None = None,
        offset: int | None = None,
        after: str | None = None,
    ) -> list[Report]:
        """Stored reports matching every filter given, in order of ``observed_from`` then arrival.

        Parameters
        ----------
        since, until
            Keep reports whose observation window overlaps ``[since, until)``.
        event_type, source_kind, submitted_by
            One value or several (any of them).
        bbox
            ``(min_lon, min_lat, max_lon, max_lat)``; the report's point must lie inside.
        limit, offset
            Page by position.
        after
            Page by key: only reports that come after the report with this id (stable while
            reports are being added, unlike ``offset``).
        """
        return [
            s.report
            for s in self.list_stored(
                since=since,
                until=until,
                event_type=event_type,
                source_kind=source_kind,
                submitted_by=submitted_by,
                bbox=bbox,
                limit=limit,
                offset=offset,
                after=after,
            )
        ]

    def list_stored(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        event_type: Strs = None,
        source_kind: Strs = None,
        submitted_by: Strs = None,
        bbox: BBox | None = None,
        limit: int | None = None,
        offset: int | None = None,
        after: str | None = None,
    ) -> list[StoredReport]:
        """As :meth:`list_reports`, each report with its resolved point and placement facts."""
        c = reports_table.c
        query = select(c.body, c.lon, c.lat, c.uncertainty_m, c.placement)
        with self._errors(), self._engine.connect() as conn:
            where = self._where(
                conn, since, until, event_type, source_kind, submitted_by, bbox, after
            )
            query = query.where(*where).order_by(c.observed_from, c.seq)
            if limit is not None:
                query = query.limit(limit)
            if offset:
                query = query.offset(offset)
            return [_stored_report(row) for row in conn.execute(query)]

    def count_reports(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        event_type: Strs = None,
        source_kind: Strs = None,
        submitted_by: Strs = None,
        bbox: BBox | None = None,
    ) -> int:
        """How many stored reports match the filters (as in :meth:`list_reports`)."""
        with self._errors(), self._engine.connect() as conn:
            where = self._where(
                conn, since, until, event_type, source_kind, submitted_by, bbox, None
            )
            return int(
                conn.execute(
                    select(func.count()).select_from(reports_table).where(*where)
                ).scalar_one()
            )

    # -- incidents -----------------------------------------------------------------------------
    # The work is done in ceasefire.store.incidents; these methods own the transactions.

    def save_incidents(
        self,
        incidents: Sequence[Incident],
        *,
        at: datetime,
        corroboration: int = DEFAULT_CORROBORATION,
    ) -> IncidentSaveResult:
        """Save fusion's partition of some reports, all or nothing, keeping lasting incident ids.

        ``incidents`` is the whole current partition of the reports it covers; a stored incident
        is covered whole (every report of it in the input) or not at all, and one not covered is
        left as it is. Each incident takes the stored id holding most of its reports (ties: the
        older id); a stored id goes to one incident only, the one holding most of its reports,
        so in a split the larger part keeps the id and the other gets a fresh ``INC-nnnnnn``. A
        stored incident left with no reports was absorbed: it is kept, marked ``merged_into``
        the id that took most of its reports, with a history entry saying so.

        Statuses follow the evidence (:func:`ceasefire.judge.verification.automatic_status`) unless a
        person decided one (verified, disputed, unfounded), which fusion never changes; every
        change is appended to the history with actor ``fusion``.

        Parameters
        ----------
        incidents
            Fused incidents; their member reports must be stored.
        at
            The time of this run (aware), for the rows and the history.
        corroboration
            Independent sources it takes to call an incident corroborated.

        Returns
        -------
        IncidentSaveResult
            Counts (created, updated, merged, unchanged) and each incident key's lasting id.

        Raises
        ------
        InputError
            A report in two incidents, a key twice, a stored incident covered in part, a naive
            time, ``corroboration`` below 1. Nothing is written.
        NotFoundError
            A member report that is not stored. Nothing is written.
        """
        from ceasefire.store import incidents as store_incidents

        with self._errors(), self._write() as conn:
            return store_incidents.save_incidents(
                conn, self._dialect, incidents, at=at, corroboration=corroboration
            )

    def list_incidents(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        event_type: Strs = None,
        status: Strs = None,
        zone: str | None = None,
        side: str | None = None,
        party: str | None = None,
        include_merged: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[StoredIncident]:
        """Stored incidents matching every filter given, by ``observed_from`` then id.

        Parameters
        ----------
        since, until
            Keep incidents whose time window overlaps ``[since, until)``.
        event_type, status
            One value or several (any of them).
        zone
            Incidents whose fused place lies in the zone of this name.
        side
            The side of the line (the ``side`` geometry fact).
        party
            Incidents that concern the party: on its side of the line, assessed to be its doing,
            or with a current violation held against it.
        include_merged
            Also list incidents absorbed into others (``merged_into`` set).
        limit, offset
            Page by position.
        """
        from ceasefire.store import incidents as store_incidents

        where = store_incidents.incident_where(
            since=since,
            until=until,
            event_type=event_type,
            status=status,
            zone=zone,
            side=side,
            party=party,
            include_merged=include_merged,
        )
        with self._errors(), self._engine.connect() as conn:
            return store_incidents.list_incidents(conn, where, limit, offset)

    def count_incidents(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        event_type: Strs = None,
        status: Strs = None,
        zone: str | None = None,
        side: str | None = None,
        party: str | None = None,
        include_merged: bool = False,
    ) -> int:
        """How many stored incidents match the filters (as in :meth:`list_incidents`)."""
        from ceasefire.store import incidents as store_incidents

        where = store_incidents.incident_where(
            since=since,
            until=until,
            event_type=event_type,
            status=status,
            zone=zone,
            side=side,
            party=party,
            include_merged=include_merged,
        )
        with self._errors(), self._engine.connect() as conn:
            return store_incidents.count_incidents(conn, where)

    def get_incident(self, incident_id: str) -> StoredIncident:
        """The stored incident with this id (merged ones too). Raises NotFoundError."""
        from ceasefire.store import incidents as store_incidents

        with self._errors(), self._engine.connect() as conn:
            return store_incidents.get_incident(conn, incident_id)

    def status_history(self, incident_id: str) -> list[StatusChange]:
        """Every status change of an incident, oldest first. Raises NotFoundError."""
        from ceasefire.store import incidents as store_incidents

        with self._errors(), self._engine.connect() as conn:
            return store_incidents.status_history(conn, incident_id)

    def incident_record(self, incident_id: str) -> IncidentRecord:
        """An incident with its member reports, status history and every violation (superseded
        ones too), read in one transaction. Raises NotFoundError."""
        from ceasefire.store import incidents as store_incidents

        with self._errors(), self._snapshot() as conn:
            return store_incidents.incident_record(conn, incident_id)

    def set_status(
        self,
        incident_id: str,
        *,
        status: str,
        actor: str,
        basis: str,
        at: datetime,
        assessed_perpetrator: str | None = None,
        perpetrator_basis: str | None = None,
        parties: Collection[str] | None = None,
    ) -> StatusChange:
        """Record a person's decision on an incident: its status, and the perpetrator assessed.

        Checked by :func:`ceasefire.judge.verification.check_change` (including the four-eyes rule
        against the authors of the member reports); the incident and its history are written in
        one transaction, or nothing is. A decision states the whole assessment: without
        ``assessed_perpetrator`` none is assessed.

        Parameters
        ----------
        status
            ``verified``, ``disputed`` or ``unfounded``.
        actor, basis
            Who decides, and why.
        at
            When (aware).
        assessed_perpetrator, perpetrator_basis
            The party responsible and what that rests on (both or neither).
        parties
            The party codes a perpetrator may be; by default those of the registered agreements.

        Raises
        ------
        NotFoundError
            No such incident.
        ConflictError
            The incident was merged into another (named in the message).
        InputError
            A bad status, a blank actor or basis, an unknown party or basis.
        ForbiddenError
            The actor would verify an incident whose only evidence is their own report.
        """
        from ceasefire.store import incidents as store_incidents

        with self._errors(), self._write() as conn:
            return store_incidents.set_status(
                conn,
                self._dialect,
                incident_id,
                status=status,
                actor=actor,
                basis=basis,
                at=at,
                assessed_perpetrator=assessed_perpetrator,
                perpetrator_basis=perpetrator_basis,
                parties=parties,
            )

    # -- violations ----------------------------------------------------------------------------

    def save_violations(
        self,
        violations: Sequence[Violation],
        *,
        incident_ids: Mapping[str, str],
        judged: Collection[str],
        agreement_id: str,
        agreement_version: int,
        at: datetime,
    ) -> ViolationSaveResult:
        """Record one judging run of some incidents under one agreement version, all or nothing.

        For each judged incident the current (not superseded) violations of the same agreement,
        whatever their version, are set against the new ones: one equal in rule, agreement id
        and version, party, evidence and facts stays as it is; the others are marked
        ``superseded_at`` (never deleted); new ones are added. A judged incident without
        violations has its current ones superseded.

        Parameters
        ----------
        violations
            The run's violations (all of ``agreement_id`` / ``agreement_version``).
        incident_ids
            Incident key -> lasting id (:attr:`IncidentSaveResult.ids`).
        judged
            The lasting ids of every incident judged in this run.
        at
            When (aware).

        Raises
        ------
        InputError
            A violation of another agreement version, of an incident without an id given or not
            among those judged.
        NotFoundError
            A judged incident that is not stored.
        """
        from ceasefire.store import incidents as store_incidents

        with self._errors(), self._write() as conn:
            return store_incidents.save_violations(
                conn,
                self._dialect,
                violations,
                incident_ids=incident_ids,
                judged=judged,
                agreement_id=agreement_id,
                agreement_version=agreement_version,
                at=at,
            )

    def list_violations(
        self,
        *,
        incident_id: str | None = None,
        rule: Strs = None,
        party: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        agreement_version: int | None = None,
        include_superseded: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[StoredViolation]:
        """Stored violations matching every filter, by their incident's time then record order.

        ``since``/``until`` bound the incident's ``observed_from`` (``[since, until)``);
        ``include_superseded`` lists the replaced judgements too.
        """
        from ceasefire.store import incidents as store_incidents

        where = store_incidents.violation_where(
            incident_id=incident_id,
            rule=rule,
            party=party,
            since=since,
            until=until,
            agreement_version=agreement_version,
            include_superseded=include_superseded,
        )
        with self._errors(), self._engine.connect() as conn:
            return store_incidents.list_violations(conn, where, limit, offset)

    def count_violations(
        self,
        *,
        incident_id: str | None = None,
        rule: Strs = None,
        party: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        agreement_version: int | None = None,
        include_superseded: bool = False,
    ) -> int:
        """How many stored violations match the filters (as in :meth:`list_violations`)."""
        from ceasefire.store import incidents as store_incidents

        where = store_incidents.violation_where(
            incident_id=incident_id,
            rule=rule,
            party=party,
            since=since,
            until=until,
            agreement_version=agreement_version,
            include_superseded=include_superseded,
        )
        with self._errors(), self._engine.connect() as conn:
            return store_incidents.count_violations(conn, where)

    # -- agreements ----------------------------------------------------------------------------

    def register_agreement(self, agreement: Agreement) -> bool:
        """Record an agreement version; True if it is new, False if already registered as it is.

        Raises
        ------
        ConflictError
            The same id and version is registered with other content (a change is a new
            version).
        """
        from ceasefire.store import incidents as store_incidents

        with self._errors(), self._write() as conn:
            return store_incidents.register_agreement(
                conn, self._dialect, agreement, datetime.now(UTC)
            )

    def agreement_versions(self) -> list[dict[str, Any]]:
        """The registered agreement versions (id, version, title, effective_from, parties,
        registered_at), by id then version."""
        from ceasefire.store import incidents as store_incidents

        with self._errors(), self._engine.connect() as conn:
            return store_incidents.agreement_versions(conn)

    # -- ledger --------------------------------------------------------------------------------
    # The work is done in ceasefire.store.ledger; ceasefire.ledger.audit builds on these.

    def ledger_state(self) -> LedgerState:
        """The log's size, origin and key (None before the first signed checkpoint)."""
        from ceasefire.store import ledger as store_ledger

        with self._errors(), self._engine.connect() as conn:
            return store_ledger.state(conn)

    def ledger_sign(self, signer: Signer, at: datetime) -> StoredCheckpoint:
        """Sign and store a checkpoint of the log as it is now (see :mod:`ceasefire.ledger.audit`)."""
        from ceasefire.store import ledger as store_ledger

        with self._errors(), self._write() as conn:
            return store_ledger.sign_checkpoint(conn, signer, at)

    def ledger_checkpoint(self, size: int | None = None) -> StoredCheckpoint:
        """The latest signed checkpoint, or the one of tree size ``size``, with its
        cosignatures. Raises NotFoundError when there is none."""
        from ceasefire.store import ledger as store_ledger

        with self._errors(), self._engine.connect() as conn:
            if size is not None:
                return store_ledger.checkpoint_at(conn, size)
            latest = store_ledger.latest_checkpoint(conn)
        if latest is None:
            raise NotFoundError(
                "no signed checkpoint yet; sign one with `ceasefire ledger checkpoint`"
            )
        return latest

    def ledger_add_cosignature(self, size: int, cosigner: str, line: str) -> StoredCheckpoint:
        """Keep a cosigner's line (already verified by the caller) for checkpoint ``size``."""
        from ceasefire.store import ledger as store_ledger

        with self._errors(), self._write() as conn:
            store_ledger.checkpoint_at(conn, size)
            store_ledger.save_cosignature(conn, size, cosigner, line, datetime.now(UTC))
            return store_ledger.checkpoint_at(conn, size)

    def ledger_entries(self, record_id: str, *, kind: str | None = None) -> list[Entry]:
        """The entries logged for a record id (``#N`` for entry N), oldest first."""
        from ceasefire.store import ledger as store_ledger

        with self._errors(), self._engine.connect() as conn:
            return store_ledger.find_entries(conn, record_id, kind)

    def ledger_inclusion(self, index: int, size: int) -> list[bytes]:
        """The inclusion proof of entry ``index`` in the tree of ``size`` (RFC 9162 2.1.3)."""
        from ceasefire.store import ledger as store_ledger

        with self._errors(), self._engine.connect() as conn:
            return store_ledger.inclusion_proof(conn, index, size)

    def ledger_consistency(self, size1: int, size2: int) -> list[bytes]:
        """The consistency proof between tree sizes (RFC 9162 2.1.4)."""
        from ceasefire.store import ledger as store_ledger

        with self._errors(), self._engine.connect() as conn:
            return store_ledger.consistency_proof(conn, size1, size2)

    def trust_key(self, verifier: Verifier, party: str | None = None) -> bool:
        """Accept reports signed with this key, for ``submitted_by == party`` only when given.
        True if newly trusted. Raises ConflictError for the same name and id with another key."""
        from ceasefire.store import ledger as store_ledger

        with self._errors(), self._write() as conn:
            return store_ledger.trust_key(conn, verifier, party, datetime.now(UTC))

    def trusted_keys(self) -> list[TrustedKey]:
        """The submitter keys whose signed reports the store accepts."""
        from ceasefire.store import ledger as store_ledger

        with self._errors(), self._engine.connect() as conn:
            return store_ledger.trusted_keys(conn)

    # -- users and releases --------------------------------------------------------------------
    # The work is done in ceasefire.store.users; the API asks these on every request.

    def add_user(self, name: str, role: str, party: str | None = None) -> str:
        """Add a user; returns its bearer token, shown this once (only its hash is stored)."""
        from ceasefire.store import users as store_users

        with self._errors(), self._write() as conn:
            return store_users.add_user(conn, name, role, party, datetime.now(UTC))

    def principal_for_token(self, token: str) -> Principal | None:
        """Who a bearer token stands for; None for an unknown token or a disabled user."""
        from ceasefire.store import users as store_users

        with self._errors(), self._engine.connect() as conn:
            return store_users.principal_for_token(conn, token)

    def set_user_disabled(self, name: str, disabled: bool = True) -> None:
        """Disable a user, so that its token stops working (``disabled=False`` enables it
        again). A running service notices within :data:`ceasefire.api.deps.TOKEN_TTL_S`
        seconds. NotFoundError for an unknown name."""
        from ceasefire.store import users as store_users

        with self._errors(), self._write() as conn:
            store_users.set_disabled(conn, name, disabled)

    def list_users(self) -> list[User]:
        """Every user, by name (never a token)."""
        from ceasefire.store import users as store_users

        with self._errors(), self._engine.connect() as conn:
            return store_users.list_users(conn)

    def release_incident(
        self, incident_id: str, *, full: bool = False, by: str, at: datetime | None = None
    ) -> Release:
        """Release an incident to the public (coarsened unless ``full``). NotFoundError for an
        unknown incident; releasing again replaces the earlier release."""
        from ceasefire.store import users as store_users

        with self._errors(), self._write() as conn:
            return store_users.release_incident(
                conn, self._dialect, incident_id, full, by, at or datetime.now(UTC)
            )

    def releases(self) -> dict[str, Release]:
        """Every incident released to the public, by id."""
        from ceasefire.store import users as store_users

        with self._errors(), self._engine.connect() as conn:
            return store_users.releases(conn)

    def violation_parties(self, incident_ids: Collection[str]) -> dict[str, set[str]]:
        """The parties each incident has a current violation against."""
        from ceasefire.store import users as store_users

        with self._errors(), self._engine.connect() as conn:
            return store_users.violation_parties(conn, incident_ids)

    def reports_of(self, submitted_by: str, report_ids: Collection[str]) -> set[str]:
        """Which of ``report_ids`` were submitted by ``submitted_by``."""
        from ceasefire.store import users as store_users

        with self._errors(), self._engine.connect() as conn:
            return store_users.reports_of(conn, submitted_by, report_ids)

    def incidents_by_id(self, incident_ids: Collection[str]) -> dict[str, StoredIncident]:
        """The stored incidents of these ids, by id (unknown ids are left out)."""
        from ceasefire.store import users as store_users

        with self._errors(), self._engine.connect() as conn:
            return store_users.incidents_by_id(conn, incident_ids)

    # -- the hotline (ceasefire.store.hotline) ---------------------------------------------------

    def hotline_send(
        self,
        messages: Sequence[Message],
        now: datetime,
        *,
        cursor: tuple[str, str] | None = None,
        mail: Mapping[str, Sequence[str]] | None = None,
    ) -> list[tuple[StoredMessage, bool]]:
        """Store and log hotline messages (:class:`ceasefire.hotline.rules.Message`) in one
        transaction, with ``(StoredMessage, new)`` for each; ``cursor`` (name, value) moves a
        scheduler bookmark and ``mail`` (message id -> addresses) queues e-mails in the same
        transaction (see :func:`ceasefire.store.hotline.send` for the rules)."""
        from ceasefire.store import hotline as store_hotline

        with self._errors(), self._write() as conn:
            out = store_hotline.send(conn, self._dialect, messages, now)
            if cursor is not None:
                store_hotline.set_cursor(conn, *cursor)
            for message_id, addresses in (mail or {}).items():
                store_hotline.queue_mail(conn, message_id, addresses, now)
            return out

    def hotline_messages(self, now: datetime, **filters: Any) -> list[StoredMessage]:
        """Stored hotline messages, filtered (:func:`ceasefire.store.hotline.list_messages`)."""
        from ceasefire.store import hotline as store_hotline

        with self._errors(), self._engine.connect() as conn:
            return store_hotline.list_messages(conn, now, **filters)

    def hotline_get(self, ids: Collection[str], now: datetime) -> dict[str, StoredMessage]:
        """The stored hotline messages of these ids, by id (unknown ids are left out)."""
        from ceasefire.store import hotline as store_hotline

        with self._errors(), self._engine.connect() as conn:
            return store_hotline.get_messages(conn, ids, now)

    def hotline_owing(self, now: datetime) -> list[StoredMessage]:
        """Messages past a deadline and still owed a reply (the scheduler's escalation work)."""
        from ceasefire.store import hotline as store_hotline

        with self._errors(), self._engine.connect() as conn:
            return store_hotline.owing(conn, now)

    def hotline_stored(self, ids: Collection[str]) -> set[str]:
        """Which of these hotline message ids are stored."""
        from ceasefire.store import hotline as store_hotline

        with self._errors(), self._engine.connect() as conn:
            return store_hotline.notified(conn, ids)

    def hotline_cursor(self, name: str) -> str | None:
        """A scheduler bookmark (None before the first)."""
        from ceasefire.store import hotline as store_hotline

        with self._errors(), self._engine.connect() as conn:
            return store_hotline.get_cursor(conn, name)

    def hotline_changed_incidents(
        self, after: tuple[datetime, int] | None, limit: int
    ) -> list[tuple[str, datetime, int]]:
        """Incidents changed after a bookmark (:func:`ceasefire.store.hotline.changed_incidents`)."""
        from ceasefire.store import hotline as store_hotline

        with self._errors(), self._engine.connect() as conn:
            return store_hotline.changed_incidents(conn, after, limit)

    def hotline_outbox(self, *, pending: bool = True, limit: int | None = None) -> list[Mail]:
        """E-mails owed (or all of them), oldest first."""
        from ceasefire.store import hotline as store_hotline

        with self._errors(), self._engine.connect() as conn:
            return store_hotline.outbox(conn, pending=pending, limit=limit)

    def hotline_mail_done(
        self, message_id: str, address: str, *, sent_at: datetime | None, error: str | None
    ) -> None:
        """Note one try of an owed e-mail: sent (``sent_at``) or failed (``error``)."""
        from ceasefire.store import hotline as store_hotline

        with self._errors(), self._write() as conn:
            store_hotline.mark_mail(conn, message_id, address, sent_at=sent_at, error=error)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in one read transaction: a consistent view for a long scan (the
        ledger audit), whatever writers do meanwhile."""
        with self._errors(), self._snapshot() as conn:
            yield conn

    # -- internals -----------------------------------------------------------------------------

    def _where(
        self,
        conn: Connection,
        since: datetime | None,
        until: datetime | None,
        event_type: Strs,
        source_kind: Strs,
        submitted_by: Strs,
        bbox: BBox | None,
        after: str | None,
    ) -> list[ColumnElement[bool]]:
        c = reports_table.c
        where: list[ColumnElement[bool]] = []
        for name, moment in (("since", since), ("until", until)):
            if moment is not None and moment.tzinfo is None:
                raise InputError(Problem("query", name, "must carry a UTC offset"))
        if since is not None:
            where.append(c.observed_to >= since)
        if until is not None:
            where.append(c.observed_from < until)
        for column, wanted in (
            (c.event_type, event_type),
            (c.source_kind, source_kind),
            (c.submitted_by, submitted_by),
        ):
            if wanted is not None:
                where.append(column.in_([wanted] if isinstance(wanted, str) else list(wanted)))
        if bbox is not None:
            where.append(self._dialect.bbox_clause(_check_bbox(bbox)))
        if after is not None:
            where.append(after_clause(conn, reports_table, c.report_id, after, "report"))
        return where

    def page_incidents(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        bbox: BBox | None = None,
        limit: int,
        after: str | None = None,
        count: bool = True,
    ) -> tuple[list[StoredIncident], int | None]:
        """Live incidents by ``observed_from`` then seq, ``limit`` of them after the incident
        ``after`` (keyset paging, stable while incidents are added), and how many match in all
        (None with ``count=False``: a caller that filters the rows itself has no use for it).

        Raises NotFoundError for an unknown ``after``; InputError for a box with min > max.
        """
        from ceasefire.store import incidents as store_incidents

        where = store_incidents.incident_where(since=since, until=until)
        if bbox is not None:
            where.append(self._dialect.bbox_clause(_check_bbox(bbox), incidents_table))
        with self._errors(), self._engine.connect() as conn, conn.begin():
            matched = store_incidents.count_incidents(conn, where) if count else None
            if after is not None:
                c = incidents_table.c
                where.append(after_clause(conn, incidents_table, c.incident_id, after, "incident"))
            return store_incidents.list_incidents(conn, where, limit, 0), matched

    def _existing(self, conn: Connection, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), _CHUNK):
            query = select(reports_table.c.report_id).where(
                reports_table.c.report_id.in_(ids[start : start + _CHUNK])
            )
            found.update(conn.execute(query).scalars())
        return found

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A connection in a write transaction, committed on leaving, rolled back on error."""
        with self._engine.connect() as conn:
            conn.execution_options(ceasefire_begin="IMMEDIATE")  # SQLite's lock (see _SQLite)
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


def _row(report: Report, now: datetime, record: dict[str, Any]) -> dict[str, Any]:
    """The column values for one report; ``record`` is its :meth:`Report.to_dict`."""
    place = report.location()
    return {
        "report_id": report.id,
        "content_hash": report.content_hash(),
        "submitted_by": report.submitted_by,
        "source_kind": report.source_kind,
        "event_type": report.event_type,
        "weapon_class": report.weapon_class,
        "observed_from": report.observed_from,
        "observed_to": report.observed_to or report.observed_from,
        "lon": place.lon,
        "lat": place.lat,
        "uncertainty_m": place.uncertainty_m,
        "body": _BODY_JSON(record),
        "ingested_at": now,
    }


def _stored_report(row: Any) -> StoredReport:
    """A StoredReport from a row with body, lon, lat, uncertainty_m and placement columns."""
    placement = None if row.placement is None else json.loads(row.placement)
    return StoredReport(_report(row.body), row.lon, row.lat, row.uncertainty_m, placement)


def _report(body: str) -> Report:
    # Checked when it came in; the future check would only repeat that against a later clock.
    return Report.model_validate(json.loads(body), context={"check_future": False})


def after_clause(
    conn: Connection, table: Table, id_column: Column[Any], after: str, what: str
) -> ColumnElement[bool]:
    """Rows of ``table`` after the one whose id is ``after``, in (observed_from, seq) order:
    the keyset paging condition. NotFoundError for an id that is not stored."""
    c = table.c
    key = conn.execute(select(c.observed_from, c.seq).where(id_column == after)).one_or_none()
    if key is None:
        raise NotFoundError(f"no stored {what} with id {after!r} to page after")
    return or_(
        c.observed_from > key.observed_from,
        and_(c.observed_from == key.observed_from, c.seq > key.seq),
    )


def _check_bbox(bbox: BBox) -> BBox:
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in bbox)
    if not (min_lon <= max_lon and min_lat <= max_lat):
        raise InputError(
            Problem(
                "query",
                "bbox",
                f"must be (min_lon, min_lat, max_lon, max_lat) with min <= max, got {bbox}",
            )
        )
    return min_lon, min_lat, max_lon, max_lat
