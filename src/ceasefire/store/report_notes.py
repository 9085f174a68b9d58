"""Daily reports in the store: the leaves of a checkpoint as a report reads them, and the
reports' signed notes with the parties' cosignatures (migration 0014).

The report is never stored: it is rebuilt from its checkpoint (:mod:`ceasefire.reporting`).
What is kept is the note the mission signed over its bytes and the lines parties cosigned it
with, the first line of a cosigner standing, as for checkpoints
(:func:`ceasefire.store.ledger.save_cosignature`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, String, Table, Text, select

from ceasefire.errors import ConflictError, NotFoundError
from ceasefire.ledger.log import Entry, StoredCheckpoint
from ceasefire.store import ledger as store_ledger
from ceasefire.store.database import Database
from ceasefire.store.schema import UTCDateTime, metadata

report_notes_table = Table(
    "report_notes",
    metadata,
    Column("report_date", String(10), primary_key=True),
    Column("tier", String(80), primary_key=True),
    Column("format", String(8), primary_key=True),
    Column("checkpoint_size", BigInteger, primary_key=True, autoincrement=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("note", Text, nullable=False),
    Column("signed_at", UTCDateTime, nullable=False),
)
report_cosignatures_table = Table(
    "report_cosignatures",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("cosigner", String(200), primary_key=True),
    Column("line", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)
_R = report_notes_table.c
_K = report_cosignatures_table.c


@dataclass(frozen=True)
class StoredReportNote:
    """A report's note as the mission signed it, and the cosignature lines received."""

    date: str
    tier: str
    format: str
    size: int
    sha256: str
    note: str
    cosignatures: tuple[str, ...]

    @property
    def text(self) -> str:
        """The note with every cosignature line appended."""
        return self.note + "".join(self.cosignatures)


class ReportNotesArea(Database):
    """The leaves a report reads and the reports' notes (part of :class:`~ceasefire.store.facade.Store`)."""

    def report_checkpoints(self) -> list[StoredCheckpoint]:
        """Every signed checkpoint, smallest first (without cosignatures)."""
        with self.read() as conn:
            return list(store_ledger.checkpoints(conn))

    def report_leaves(self, size: int, chunk: int = 50_000) -> Iterator[Entry]:
        """Entries ``0 .. size-1`` in index order, in one read transaction.

        Read through the driver's cursor in chunks of ``chunk``: a month's log is some 200,000
        leaves, and building a SQLAlchemy row for each was a third of a report's time
        (cProfile, benchmarks/report.py)."""
        with self.read() as conn:
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            sql = (
                "SELECT idx, kind, record_id, body FROM ledger_entries "
                f"WHERE idx >= {mark} AND idx < {mark} ORDER BY idx"
            )
            cursor = conn.connection.cursor()
            try:
                for first in range(0, size, chunk):
                    cursor.execute(sql, (first, min(first + chunk, size)))
                    for idx, kind, record_id, body in cursor.fetchall():
                        yield Entry(int(idx), kind, record_id, body)
            finally:
                cursor.close()

    def save_report_note(
        self, *, date: str, tier: str, fmt: str, size: int, sha256: str, note: str
    ) -> StoredReportNote:
        """Keep a report's note; the same report built again keeps the note already there
        (ConflictError if that one is of other bytes: the same checkpoint must give the same
        report)."""
        key = (_R.report_date == date) & (_R.tier == tier) & (_R.format == fmt)
        key = key & (_R.checkpoint_size == size)
        with self._errors(), self._write() as conn:
            held = conn.execute(select(_R.sha256, _R.note).where(key)).one_or_none()
            if held is not None and held.sha256 != sha256:
                raise ConflictError(
                    f"the {tier} report of {date} ({fmt}) from checkpoint {size} was signed with "
                    f"SHA-256 {held.sha256}; rebuilt now it is {sha256}: the records changed"
                )
            if held is None:
                conn.execute(
                    report_notes_table.insert().values(
                        report_date=date, tier=tier, format=fmt, checkpoint_size=size,
                        sha256=sha256, note=note, signed_at=datetime.now(UTC),
                    )
                )  # fmt: skip
        return self.report_note(sha256)

    def report_note(self, sha256: str) -> StoredReportNote:
        """The note of the report with these bytes (NotFoundError when none was signed)."""
        with self._errors(), self._engine.connect() as conn:
            row = conn.execute(
                select(report_notes_table).where(_R.sha256 == sha256).limit(1)
            ).one_or_none()
            if row is None:
                raise NotFoundError(f"no signed report note for SHA-256 {sha256}")
            lines = conn.execute(
                select(_K.line).where(_K.sha256 == sha256).order_by(_K.received_at, _K.cosigner)
            ).scalars()
            return StoredReportNote(
                row.report_date, row.tier, row.format, int(row.checkpoint_size), row.sha256,
                row.note, tuple(lines),
            )  # fmt: skip

    def report_note_for(self, date: str, tier: str, fmt: str) -> StoredReportNote:
        """The note of the latest checkpoint's report of this date, tier and format."""
        with self._errors(), self._engine.connect() as conn:
            sha = conn.execute(
                select(_R.sha256)
                .where(_R.report_date == date, _R.tier == tier, _R.format == fmt)
                .order_by(_R.checkpoint_size.desc())
                .limit(1)
            ).scalar_one_or_none()
        if sha is None:
            raise NotFoundError(f"no signed {tier} report of {date} ({fmt}) yet")
        return self.report_note(sha)

    def add_report_cosignature(self, sha256: str, cosigner: str, line: str) -> StoredReportNote:
        """Keep a cosigner's line (verified by the caller); the first one of a cosigner stands."""
        with self._errors(), self._write() as conn:
            held = conn.execute(
                select(_K.line).where(_K.sha256 == sha256, _K.cosigner == cosigner)
            ).scalar_one_or_none()
            if held is not None and held != line:
                raise ConflictError(
                    f"{cosigner} already cosigned this report; its first cosignature stands"
                )
            if held is None:
                conn.execute(
                    report_cosignatures_table.insert().values(
                        sha256=sha256, cosigner=cosigner, line=line, received_at=datetime.now(UTC)
                    )
                )
        return self.report_note(sha256)
