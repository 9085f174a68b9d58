"""The report store: SQLAlchemy 2 over SQLite (default), schema by Alembic migrations.

A :class:`Store` is chosen by a URL (``sqlite:///var/ceasefire.db``) or a plain path; without
either it reads ``CEASEFIRE_DATABASE_URL``. Opening it upgrades the schema to the newest
migration (``src/ceasefire/migrations/versions``).

Each report is kept twice over: its interchange JSON (lossless, unknown fields included, for
export) and columns to filter on. Writes are all-or-nothing: :meth:`Store.add_reports` checks
every id and inserts every new report in one transaction, and returns only after the commit, so
an acknowledged batch survives the process being killed. :meth:`Store.bulk_writer` stretches that
one transaction over many batches, for files larger than memory.

Everything SQLite-specific sits in :class:`_SQLite` (connection settings, write locking, the
R*Tree bounding-box filter); the rest is dialect-neutral SQLAlchemy Core so a PostgreSQL +
PostGIS backend can be added as a second dialect part.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import (
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
    or_,
    select,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.types import TypeEngine

from ceasefire.errors import ConflictError, InputError, NotFoundError, Problem, StoreError
from ceasefire.reports import Report

#: The environment variable naming the database when no URL or path is given.
ENV_URL = "CEASEFIRE_DATABASE_URL"

_MIGRATIONS = Path(__file__).with_name("migrations")
_CHUNK = 500  # ids per IN (...) lookup; far below SQLite's 32766 host-parameter limit


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


@dataclass(frozen=True)
class StoredReport:
    """A stored report with its resolved point and the placement facts stored with it."""

    report: Report
    lon: float
    lat: float
    uncertainty_m: float | None
    placement: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """The report's fields (unknown ones included), its point, then its placement facts."""
        d = self.report.to_dict()
        # The point itself, also for an observer-relative report (its identity ignores a point
        # equal to the one its observer fields give, so the export reads back as the same
        # report); uncertainty_m stays as submitted.
        d.update(lon=self.lon, lat=self.lat)
        if self.placement is not None:
            d.update(self.placement)
        return d


@dataclass(frozen=True)
class AddResult:
    """What :meth:`Store.add_reports` did: how many reports it stored and how many were already
    there with the same content, and their ids (in batch order)."""

    added: int
    unchanged: int
    added_ids: tuple[str, ...] = ()
    unchanged_ids: tuple[str, ...] = ()


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
        if placements is not None and len(placements) != len(batch):
            raise ValueError(f"{len(placements)} placements for {len(batch)} reports")
        rows: dict[str, dict[str, Any]] = {}
        repeated: list[str] = []
        now = self._now
        for index, report in enumerate(batch):
            row = _row(report, now)
            if placements is not None:
                # executemany needs the same keys in every row: all placement columns or none.
                row.update(_placement_columns(placements[index]))
            before = rows.setdefault(report.id, row)
            if before is not row:
                if before["content_hash"] != row["content_hash"]:
                    raise ConflictError(
                        f"report id {report.id!r} appears twice in the batch with different content"
                    )
                repeated.append(report.id)
        conn = self._conn
        if self._first_seq is None:
            last = conn.execute(select(func.coalesce(func.max(reports_table.c.seq), 0)))
            self._first_seq = int(last.scalar_one())
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
                last_seq = conn.execute(
                    select(func.coalesce(func.max(reports_table.c.seq), 0))
                ).scalar_one()
                self._dialect.insert_reports(conn, new)
                self._dialect.after_insert(conn, int(last_seq))
            except BaseException:
                self.broken = True
                raise
        unchanged = tuple(stored) + tuple(repeated)
        return AddResult(len(new), len(unchanged), tuple(r["report_id"] for r in new), unchanged)


class _Dialect:
    """Dialect-neutral behaviour; :class:`_SQLite` overrides what SQLite does its own way."""

    def prepare(self, engine: Engine) -> None:
        """Set up connections of ``engine`` (nothing to do by default)."""

    def insert_reports(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        """Insert report rows (column name to value, the same keys in each)."""
        conn.execute(reports_table.insert(), rows)  # executemany

    def after_insert(self, conn: Connection, last_seq_before: int) -> None:
        """Bring dialect-specific indexes up to date with rows inserted after ``last_seq_before``."""

    def bbox_clause(self, bbox: BBox) -> ColumnElement[bool]:
        min_lon, min_lat, max_lon, max_lat = bbox
        return and_(
            reports_table.c.lon.between(min_lon, max_lon),
            reports_table.c.lat.between(min_lat, max_lat),
        )


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
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            # IMMEDIATE takes the write lock at BEGIN, so two writers cannot both pass the id
            # check and then collide on insert.
            mode = connection.get_execution_options().get("ceasefire_begin", "DEFERRED")
            connection.exec_driver_sql(f"BEGIN {mode}")

    def insert_reports(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        # The rows straight to the driver's executemany (named parameters, times as text):
        # SQLAlchemy's per-row parameter processing took about 3 s per 100k reports (cProfile).
        columns = list(rows[0])
        times = [name for name in columns if isinstance(reports_table.c[name].type, UTCDateTime)]
        for row in rows:
            for name in times:
                value = row[name]
                if value is not None:
                    row[name] = _sqlite_time(value)
        names = ", ".join(columns)
        values = ", ".join(f":{name}" for name in columns)
        conn.exec_driver_sql(f"INSERT INTO reports ({names}) VALUES ({values})", rows)

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

    def bbox_clause(self, bbox: BBox) -> ColumnElement[bool]:
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


def database_url(url_or_path: str | Path | None = None) -> str:
    """The SQLAlchemy URL for a URL, a path, or (when None) ``$CEASEFIRE_DATABASE_URL``."""
    if url_or_path is None:
        url_or_path = os.environ.get(ENV_URL)
        if not url_or_path:
            raise StoreError(f"no database given: pass a path or URL, or set {ENV_URL}")
    text = str(url_or_path)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


class Store:
    """Reports in a database. Use :meth:`open`; close with :meth:`close` or a ``with`` block."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = _SQLite() if engine.dialect.name == "sqlite" else _Dialect()
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
            if parsed.get_backend_name() == "sqlite" and parsed.database not in (
                None,
                "",
                ":memory:",
            ):
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed)
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
            return [
                StoredReport(
                    report=_report(row.body),
                    lon=row.lon,
                    lat=row.lat,
                    uncertainty_m=row.uncertainty_m,
                    placement=None if row.placement is None else json.loads(row.placement),
                )
                for row in conn.execute(query)
            ]

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
            key = conn.execute(
                select(c.observed_from, c.seq).where(c.report_id == after)
            ).one_or_none()
            if key is None:
                raise NotFoundError(f"no stored report with id {after!r} to page after")
            where.append(
                or_(
                    c.observed_from > key.observed_from,
                    and_(c.observed_from == key.observed_from, c.seq > key.seq),
                )
            )
        return where

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
            conn.execution_options(ceasefire_begin="IMMEDIATE")
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


def _row(report: Report, now: datetime) -> dict[str, Any]:
    """The column values for one report."""
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
        "body": _BODY_JSON(report.to_dict()),
        "ingested_at": now,
    }


def _report(body: str) -> Report:
    # Checked when it came in; the future check would only repeat that against a later clock.
    return Report.model_validate(json.loads(body), context={"check_future": False})


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
