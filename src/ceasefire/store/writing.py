"""Writing reports: :class:`BulkWriter` checks and inserts batches inside one write transaction
(all or nothing, idempotent by id), with their ledger leaves; :meth:`ReportsArea.add_reports`
and :meth:`ReportsArea.bulk_writer` (:mod:`ceasefire.store.reports`) hand one out.

Every way a report comes in passes here, so the checks that must hold for every way live here
once: who may store what (:func:`ceasefire.publish.access.check_submission`), party fields as
the agreement's codes, a party's own id space, signatures, corrections.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from ceasefire.agreement.parties import PARTY_ID_MARK, Parties
from ceasefire.errors import ConflictError, InputError, Problem, StoreError
from ceasefire.intake.parties import resolve_parties, scope_ids
from ceasefire.intake.report import Report
from ceasefire.ledger.log import entered, report_item
from ceasefire.publish.access import PARTY_SOURCE_KIND, Principal, check_submission, report_ids
from ceasefire.records import AddResult
from ceasefire.store.backends import Backend
from ceasefire.store.schema import (
    BODY_JSON,
    CHUNK,
    placement_columns,
    refuse_nul,
    reports_table,
    retractions_table,
)

if TYPE_CHECKING:
    from ceasefire.intake.signing import TrustedKey
    from ceasefire.store.ledger import Appender
    from ceasefire.store.tallies import TalliesAdded
    from ceasefire.tallies.model import Tally


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

    def add_tallies(
        self, tallies: Sequence[Tally], *, by: Principal, parties: Collection[str] = ()
    ) -> TalliesAdded:
        """Store strike tallies in this writer's transaction, beside its reports (all or
        nothing together: an accepted text's reports and tallies, :mod:`ceasefire.extracting`);
        the rules are :func:`ceasefire.store.tallies.add_tallies`'."""
        from ceasefire.store.tallies import add_tallies

        if self.broken:
            raise StoreError("an earlier write of this batch failed; leave the block")
        try:
            return add_tallies(
                self._conn, self._dialect, tallies, by=by, at=self._now, parties=parties
            )
        finally:
            # The tallies appended leaves of their own: the next batch of reports reads the
            # log's edge again rather than trust the one this writer kept (as after _correct).
            self._ledger = None

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
