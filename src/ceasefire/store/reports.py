"""Reports in the store: writing batches (all or nothing, idempotent by id, through
:class:`ceasefire.store.writing.BulkWriter`), reading and filtering them.

Each report is kept twice over: its interchange JSON (lossless, unknown fields included, for
export) and columns to filter on. An acknowledged batch survives the process being killed:
:meth:`ReportsArea.add_reports` returns only after the commit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Table,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.engine import Connection

from ceasefire.errors import InputError, NotFoundError, Problem, StoreError
from ceasefire.intake.report import Report
from ceasefire.publish.access import Principal
from ceasefire.records import (
    AddResult,
    StoredReport,
)
from ceasefire.store.database import Database
from ceasefire.store.schema import (
    CHUNK,
    BBox,
    Strs,
    incidents_table,
    reports_table,
    retractions_table,
)
from ceasefire.store.writing import BulkWriter

if TYPE_CHECKING:
    pass


_log = logging.getLogger(__name__)


class ReportsArea(Database):
    """Writing and reading reports (part of :class:`~ceasefire.store.facade.Store`)."""

    def add_reports(
        self,
        reports: Iterable[Report],
        placements: Sequence[Mapping[str, Any] | None] | None = None,
        *,
        entered_by: Principal,
        parties: Collection[str] = (),
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
        entered_by
            The signed-in user who stores them: recorded beside each new report and in its
            ledger leaf. Each report must be one it may store
            (:func:`ceasefire.publish.access.check_submission`).
        parties
            The agreement's parties (:attr:`Agreement.party_codes`): each party field of a
            report must name one (an alias is stored as its code), and a party that requires
            signed reports gets no unsigned one. Plain codes check codes only; empty leaves
            the party fields and the mission's party rules unchecked.

        Raises
        ------
        ForbiddenError
            ``entered_by`` may not store one of the reports; nothing is stored.
        ConflictError
            Names the ids stored (or repeated in the batch) with other content; nothing is stored.
        """
        with self.bulk_writer() as writer:
            return writer.add(reports, placements, entered_by=entered_by, parties=parties)

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

    def get_report(self, report_id: str) -> Report:
        """The stored report with this id (unknown fields included). Raises NotFoundError."""
        query = select(reports_table.c.body).where(reports_table.c.report_id == report_id)
        with self._errors(), self._engine.connect() as conn:
            body = conn.execute(query).scalar_one_or_none()
        if body is None:
            raise NotFoundError(f"no stored report with id {report_id!r}")
        return report_from_body(body)

    def get_stored(self, report_ids: Sequence[str]) -> dict[str, StoredReport]:
        """The stored reports with these ids, id to report with its point and placement facts;
        ids not stored are left out."""
        c = reports_table.c
        found: dict[str, StoredReport] = {}
        with self._errors(), self._engine.connect() as conn:
            for start in range(0, len(report_ids), CHUNK):
                query = select(c.report_id, c.body, c.lon, c.lat, c.uncertainty_m, c.placement)
                query = query.where(c.report_id.in_(report_ids[start : start + CHUNK]))
                found.update({s.report.id: s for s in readable(conn.execute(query))})
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
        retracted: bool = False,
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
        retracted
            Keep retracted reports too (history); by default they are left out, as they are
            of every count and of fusion.
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
                retracted=retracted,
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
        retracted: bool = False,
    ) -> list[StoredReport]:
        """As :meth:`list_reports`, each report with its resolved point and placement facts."""
        c = reports_table.c
        query = select(c.body, c.lon, c.lat, c.uncertainty_m, c.placement)
        with self._errors(), self._engine.connect() as conn:
            where = self._where(
                conn, since, until, event_type, source_kind, submitted_by, bbox, after, retracted
            )
            query = query.where(*where).order_by(c.observed_from, c.seq)
            if limit is not None:
                query = query.limit(limit)
            if offset:
                query = query.offset(offset)
            return readable(conn.execute(query))

    def stored_since(self, seq: int, limit: int = 10_000) -> list[tuple[int, StoredReport]]:
        """Standing reports stored after the one numbered ``seq``, in the order they were
        stored, each with its number: what a live consumer (the service's fusion) has not taken
        in yet. At most ``limit``; a row that cannot be read is left out with a warning."""
        c = reports_table.c
        gone = select(retractions_table.c.report_id).where(
            retractions_table.c.report_id == c.report_id
        )
        query = (
            select(c.seq, c.body, c.lon, c.lat, c.uncertainty_m, c.placement)
            .where(c.seq > seq, ~gone.exists())
            .order_by(c.seq)
            .limit(limit)
        )
        with self._errors(), self._engine.connect() as conn:
            rows = list(conn.execute(query))
        return [(int(r.seq), s) for r in rows if (s := _readable_one(r)) is not None]

    def report_marks(self) -> tuple[int, int]:
        """``(highest report number, number of retractions)``: a live consumer compares them
        with what it has seen to know whether reports came or were withdrawn."""
        with self._errors(), self._engine.connect() as conn:
            top = conn.execute(select(func.coalesce(func.max(reports_table.c.seq), 0)))
            gone = conn.execute(select(func.count()).select_from(retractions_table))
            return int(top.scalar_one()), int(gone.scalar_one())

    def count_reports(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        event_type: Strs = None,
        source_kind: Strs = None,
        submitted_by: Strs = None,
        bbox: BBox | None = None,
        retracted: bool = False,
    ) -> int:
        """How many stored reports match the filters (as in :meth:`list_reports`)."""
        with self._errors(), self._engine.connect() as conn:
            where = self._where(
                conn, since, until, event_type, source_kind, submitted_by, bbox, None, retracted
            )
            return int(
                conn.execute(
                    select(func.count()).select_from(reports_table).where(*where)
                ).scalar_one()
            )

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
        retracted: bool = False,
    ) -> list[ColumnElement[bool]]:
        c = reports_table.c
        where: list[ColumnElement[bool]] = []
        if not retracted:  # a retracted report counts nowhere; history asks for it
            gone = select(retractions_table.c.report_id).where(
                retractions_table.c.report_id == c.report_id
            )
            where.append(~gone.exists())
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
            where.append(self._dialect.bbox_clause(check_bbox(bbox)))
        if after is not None:
            where.append(after_clause(conn, reports_table, c.report_id, after, "report"))
        return where

    def _existing(self, conn: Connection, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), CHUNK):
            query = select(reports_table.c.report_id).where(
                reports_table.c.report_id.in_(ids[start : start + CHUNK])
            )
            found.update(conn.execute(query).scalars())
        return found

    def extent(
        self, collection: str = "reports", *, submitted_by: str | None = None
    ) -> tuple[Any, ...]:
        """``(min_lon, min_lat, max_lon, max_lat, first observed_from, last observed_to)`` of the
        stored reports (``collection="reports"``, optionally one submitter's) or of the live
        incidents (``"incidents"``); all None when there are none."""
        table = reports_table if collection == "reports" else incidents_table
        c = table.c
        query = select(
            func.min(c.lon), func.min(c.lat), func.max(c.lon), func.max(c.lat),
            func.min(c.observed_from), func.max(c.observed_to),
        )  # fmt: skip
        if collection == "incidents":
            query = query.where(c.merged_into.is_(None))
        if submitted_by is not None:
            query = query.where(c.submitted_by == submitted_by)
        with self._errors(), self._snapshot() as conn:
            return tuple(conn.execute(query).one())

    def latest_start(
        self, collection: str = "reports", *, submitted_by: str | None = None
    ) -> datetime | None:
        """The latest ``observed_from`` of the stored reports (optionally one submitter's) or of
        the live incidents: when the newest observation began (an extent's end is the latest
        ``observed_to``, which one long window can push a day on)."""
        table = reports_table if collection == "reports" else incidents_table
        c = table.c
        # The newest by the observed_from index, read backwards to the first row that counts
        # (MAX with a WHERE may read every row: the map asks this with each page).
        query = select(c.observed_from).order_by(c.observed_from.desc()).limit(1)
        if collection == "incidents":
            query = query.where(c.merged_into.is_(None))
        if submitted_by is not None:
            query = query.where(c.submitted_by == submitted_by)
        with self._errors(), self._snapshot() as conn:
            latest: datetime | None = conn.execute(query).scalar()  # the column's type: aware
        return latest


def stored_report(row: Any) -> StoredReport:
    """A StoredReport from a row with body, lon, lat, uncertainty_m and placement columns."""
    placement = None if row.placement is None else json.loads(row.placement)
    return StoredReport(report_from_body(row.body), row.lon, row.lat, row.uncertainty_m, placement)


def readable(rows: Iterable[Any]) -> list[StoredReport]:
    """:func:`stored_report` of each row, leaving out (with a warning) a row whose body or
    placement cannot be read: only an edit behind the store's back makes one, which
    ``ceasefire ledger verify`` names; a listing must still answer for the rest."""
    return [s for s in map(_readable_one, rows) if s is not None]


def _readable_one(row: Any) -> StoredReport | None:
    try:
        return stored_report(row)
    except (ValueError, StoreError) as exc:
        _log.warning("a stored report cannot be read and is left out: %s", exc)
        return None


def report_from_body(body: str) -> Report:
    """The report a stored body holds. StoreError (no bytes of the body in it) when the body is
    not a report: the row was edited behind the store's back."""
    try:
        # Checked when it came in; the future check would only repeat that against a later clock.
        return Report.model_validate(
            json.loads(body), context={"check_future": False, "stored": True}
        )
    except ValueError as exc:  # JSONDecodeError and pydantic's ValidationError are ValueErrors
        raise StoreError(
            "a stored report body is not a report (edited outside the service? "
            "`ceasefire ledger verify` names it)"
        ) from exc


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


def check_bbox(bbox: BBox) -> BBox:
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
