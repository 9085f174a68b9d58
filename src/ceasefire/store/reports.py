"""Reports in the store: writing batches (all or nothing, idempotent by id), reading and filtering
them.

Each report is kept twice over: its interchange JSON (lossless, unknown fields included, for
export) and columns to filter on. An acknowledged batch survives the process being killed:
:meth:`ReportsArea.add_reports` returns only after the commit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
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

from ceasefire.agreement.parties import PARTY_ID_MARK, Parties
from ceasefire.errors import ConflictError, InputError, NotFoundError, Problem, StoreError
from ceasefire.intake.parties import resolve_parties, scope_ids
from ceasefire.intake.report import Report
from ceasefire.ledger.log import entered, report_item
from ceasefire.publish.access import PARTY_SOURCE_KIND, Principal, check_submission, report_ids
from ceasefire.records import (
    AddResult,
    StoredReport,
)
from ceasefire.store.backends import Backend
from ceasefire.store.database import Database
from ceasefire.store.schema import (
    BODY_JSON,
    CHUNK,
    BBox,
    Strs,
    incidents_table,
    placement_columns,
    refuse_nul,
    reports_table,
    retractions_table,
)

if TYPE_CHECKING:
    from ceasefire.intake.signing import TrustedKey
    from ceasefire.store.ledger import Appender


_log = logging.getLogger(__name__)


class BulkWriter:
    """Adds batches of reports inside one open write transaction; made by :meth:`Store.bulk_writer`.

    All the batches of one writer are one batch as far as :meth:`Store.add_reports` is concerned:
    an id added earlier in the same writer with other content is a conflict, with the same content
    it counts as unchanged. All reports of one writer get the same ``ingested_at``.
    """

    def __init__(self, conn: Connection, dialect: Backend) -> None:
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
        *,
        entered_by: Principal,
        parties: Collection[str] = (),
        where: Sequence[str] | None = None,
    ) -> AddResult:
        """Check and insert one batch (see :meth:`Store.add_reports` for the rules).

        ``where`` names each report's place in the input (``"reports.jsonl:row 7"``) for a
        refusal; by default the report's id.

        Raises
        ------
        InputError
            A party field names no party of ``parties`` (:mod:`ceasefire.intake.parties`), or
            a signature is refused or missing where its party requires one.
        ForbiddenError
            ``entered_by`` may not store one of the reports (:func:`check_submission`).
        ConflictError
            Before anything of this batch is written; earlier batches of the block stay pending,
            so the caller may go on or leave the block (which rolls everything back).
        """
        if self.broken:
            raise StoreError("an earlier write of this batch failed; leave the block")
        batch = reports if isinstance(reports, list) else list(reports)
        if where is not None and len(where) != len(batch):
            raise ValueError(f"{len(where)} places for {len(batch)} reports")
        # Party fields as the agreement's codes (an alias stored as its code), else refused:
        # here, where every way in passes with the agreement's parties (ceasefire.intake.parties).
        batch = resolve_parties(batch, parties, where)
        # The one check of who may store what, on the very reports that are stored.
        for index, report in enumerate(batch):
            place = where[index] if where is not None else f"report {report.id!r}"
            check_submission(entered_by, report, parties, where=place)
        # A party's own ids are its own: stored as ``<party>:<id>`` (party_scoped_id).
        batch = scope_ids(batch, parties, where, party=entered_by.party)
        enterer = {
            "entered_by": entered_by.name,
            "entered_role": entered_by.role,
            "entered_party": entered_by.party,
        }
        required = parties.signed_only if isinstance(parties, Parties) else frozenset()
        if any(r.signature is not None or r.submitted_by in required for r in batch):
            self._check_signatures(batch, required)
        if placements is not None and len(placements) != len(batch):
            raise ValueError(f"{len(placements)} placements for {len(batch)} reports")
        rows: dict[str, dict[str, Any]] = {}
        records: dict[str, dict[str, Any]] = {}  # id -> interchange mapping, for the leaves
        repeated: list[str] = []
        placed: dict[str, Mapping[str, Any]] = {}  # id -> placement, for the leaves
        now = self._now
        for index, report in enumerate(batch):
            record = report.to_dict()
            row = _row(report, now, record) | enterer
            if placements is not None:
                # executemany needs the same keys in every row: all placement columns or none.
                row.update(placement_columns(placements[index]))
                placement = placements[index]
                row["placement_logged"] = placement is not None
                if placement is not None:
                    placed.setdefault(report.id, placement)
            before = rows.setdefault(report.id, row)
            records.setdefault(report.id, record)
            if before is not row:
                if before["content_hash"] != row["content_hash"]:
                    raise ConflictError(
                        f"report id {report.id!r} appears twice in the batch with different content"
                    )
                repeated.append(report.id)
        refuse_nul(rows.values())
        conn = self._conn
        last_seq = None  # the highest seq now, when this call has read it
        if self._first_seq is None:
            last = conn.execute(select(func.coalesce(func.max(reports_table.c.seq), 0)))
            self._first_seq = last_seq = int(last.scalar_one())
        c = reports_table.c
        ids = list(rows)
        stored: dict[str, tuple[str, int]] = {}
        for start in range(0, len(ids), CHUNK):
            query = select(c.report_id, c.content_hash, c.seq).where(
                c.report_id.in_(ids[start : start + CHUNK])
            )
            stored.update({r.report_id: (r.content_hash, r.seq) for r in conn.execute(query)})
        if entered_by.party is not None:  # only a party's own submissions are scoped
            stored.update(self._legacy(conn, batch, set(ids) - set(stored)))
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
        by_id = {r.id: r for r in batch}
        fixes = [(r["report_id"], by_id[r["report_id"]]) for r in new]
        fixes = [(rid, r) for rid, r in fixes if r.corrects is not None]
        # Corrections are checked before anything of the batch is written.
        targets = self._check_corrections(fixes, where, batch, entered_by) if fixes else []
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
                # With its placement when it has one: the side, zones and oblast it was filed
                # under are then the record's, not a column anyone could edit unseen.
                self._ledger.append(
                    [
                        report_item(
                            row["report_id"],
                            records[row["report_id"]],
                            entered(row),
                            placed.get(row["report_id"]),
                        )
                        for row in new
                    ]
                )
            except BaseException:
                self.broken = True
                raise
        if targets:
            self._correct(targets, entered_by)
        unchanged = tuple(stored) + tuple(repeated)
        return AddResult(len(new), len(unchanged), tuple(r["report_id"] for r in new), unchanged)

    def _check_corrections(
        self,
        fixes: list[tuple[str, Report]],
        where: Sequence[str] | None,
        batch: list[Report],
        entered_by: Principal,
    ) -> list[tuple[str, str]]:
        """(new id, stored id it corrects) for each correction. The stored report must be of
        the same submitter and still stand; a party's is found by the id the party chose
        (:func:`ceasefire.publish.access.report_ids`, as a retraction finds it). A report of another
        submitter reads as a missing one: the error tells a party nothing of reports it may
        not read."""
        c = reports_table.c
        place = {r.id: (where[i] if where is not None else f"report {r.id!r}")
                 for i, r in enumerate(batch)}  # fmt: skip
        targets: list[tuple[str, str]] = []
        for rid, report in fixes:
            assert report.corrects is not None
            names = report_ids(entered_by, report.corrects)
            found = {
                r.report_id: r.submitted_by
                for r in self._conn.execute(
                    select(c.report_id, c.submitted_by).where(c.report_id.in_(list(names)))
                )
            }
            target = next((n for n in names if found.get(n) == report.submitted_by), None)
            if target is None:
                raise InputError(
                    Problem(
                        place[rid],
                        "corrects",
                        f"no stored report {report.corrects!r} of {report.submitted_by} to "
                        "correct; nothing was stored",
                    )
                )
            gone = self._conn.execute(
                select(retractions_table.c.report_id).where(retractions_table.c.report_id == target)
            ).first()
            if gone is not None:
                raise ConflictError(
                    f"{place[rid]}: report {report.corrects!r} was retracted already; "
                    "correct the report that replaced it; nothing was stored"
                )
            targets.append((rid, target))
        return targets

    def _correct(self, targets: list[tuple[str, str]], entered_by: Principal) -> None:
        """Retract what the new reports correct, in this transaction (after their leaves)."""
        from ceasefire.store.retractions import retract

        try:
            for rid, target in targets:
                retract(
                    self._conn,
                    self._dialect,
                    target,
                    by=entered_by,
                    reason=f"corrected by report {rid!r}",
                    at=self._now,
                    corrected_by=rid,
                )
        except BaseException:
            self.broken = True
            raise
        # The retractions appended leaves of their own: the next batch reads the log's edge
        # again rather than trust the one this writer kept.
        self._ledger = None

    def _legacy(
        self, conn: Connection, batch: list[Report], missing: set[str]
    ) -> dict[str, tuple[str, int]]:
        """Scoped id -> (content hash, seq) of the party's own report stored under the bare
        id before party ids were scoped, for the scoped ids of ``missing``; the hash is the one
        the report of ``batch`` has under that bare id, so a resubmission of it is unchanged
        (the stored id and its ledger leaf stay as they are). A bare id of another submitter's
        report is not the party's, and is passed over."""
        bare: dict[str, Report] = {}
        for report in batch:
            prefix = f"{report.submitted_by}{PARTY_ID_MARK}"
            if report.id in missing and report.source_kind == PARTY_SOURCE_KIND:
                bare.setdefault(report.id.removeprefix(prefix), report)
        if not bare:
            return {}
        c = reports_table.c
        found: dict[str, tuple[str, int]] = {}
        names = list(bare)
        for start in range(0, len(names), CHUNK):
            query = select(c.report_id, c.content_hash, c.seq, c.submitted_by, c.source_kind)
            for row in conn.execute(query.where(c.report_id.in_(names[start : start + CHUNK]))):
                report = bare[row.report_id]
                if (row.submitted_by, row.source_kind) != (report.submitted_by, PARTY_SOURCE_KIND):
                    continue
                old = report.replaced(id=row.report_id).content_hash()
                # Same content: this report, unchanged. Other content: a conflict, as ever.
                digest = report.content_hash() if old == row.content_hash else row.content_hash
                found[report.id] = (digest, row.seq)
        return found

    def _check_signatures(self, batch: list[Report], required: Collection[str]) -> None:
        """Refuse the batch unless every signed report verifies with a trusted key and every
        report in the name of a party in ``required`` is signed."""
        from ceasefire.intake.signing import check_signatures
        from ceasefire.store import ledger as store_ledger

        if self._keys is None:
            self._keys = store_ledger.trusted_keys(self._conn)
        check_signatures(batch, self._keys, required=required)


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


def _row(report: Report, now: datetime, record: dict[str, Any]) -> dict[str, Any]:
    """The column values for one report; ``record`` is its :meth:`Report.to_dict`."""
    return {
        "report_id": report.id,
        **report_columns(report),
        "body": BODY_JSON(record),
        "ingested_at": now,
    }


def report_columns(report: Report) -> dict[str, Any]:
    """The columns a report's body gives (its point resolved): what the store filters and fuses
    on, which the ledger audit recomputes from the logged body (:mod:`ceasefire.store.derived`)."""
    place = report.location()
    return {
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
    }


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
        return Report.model_validate(json.loads(body), context={"check_future": False})
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
