"""The report store: SQLAlchemy 2 over SQLite (default) or PostgreSQL + PostGIS, schema by
Alembic migrations.

A :class:`Store` is chosen by a URL (``sqlite:///var/ceasefire.db``,
``postgresql+psycopg://monitor@db.example/ceasefire``) or a plain path (SQLite); without either
it reads ``CEASEFIRE_DATABASE_URL``. Opening it upgrades the schema to the newest migration
(``src/ceasefire/store/migrations/versions``).

Each report is kept twice over: its interchange JSON (lossless, unknown fields included, for
export) and columns to filter on. Writes are all-or-nothing: :meth:`Store.add_reports` checks
every id and inserts every new report in one transaction, and returns only after the commit, so
an acknowledged batch survives the process being killed. :meth:`Store.bulk_writer` stretches that
one transaction over many batches, for files larger than memory.

Everything engine-specific sits in a dialect part: :class:`SQLiteBackend` (connection settings, write
locking by ``BEGIN IMMEDIATE``, the R*Tree bounding-box filter) and :class:`PostgreSQLBackend` (write
locking by a transaction-level advisory lock, bulk writes by ``COPY``, the PostGIS GiST
bounding-box filter, snapshot reads); the rest is dialect-neutral SQLAlchemy Core. Either way
writers take turns: one write transaction at a time, readers never wait (see docs/store.md).

:class:`Store` is the one object callers hold. It is put together from one part per area, each
in its own module beside its SQL (:mod:`~ceasefire.store.reports`, :mod:`~ceasefire.store.incidents`, :mod:`~ceasefire.store.decisions`,
:mod:`~ceasefire.store.violations`, :mod:`~ceasefire.store.ledger`, :mod:`~ceasefire.store.users`,
:mod:`~ceasefire.store.hotline`, :mod:`~ceasefire.store.tallies`, :mod:`~ceasefire.store.coverage`, :mod:`~ceasefire.store.report_notes`, and :mod:`~ceasefire.store.logged` for the ledger audit's view of
every logged table), all sharing the engine, backend and transactions of
:class:`~ceasefire.store.database.Database`; redis-py composes its command groups the same way.
"""

from __future__ import annotations

from ceasefire.store.changes import ChangesArea
from ceasefire.store.coverage import CoverageArea
from ceasefire.store.decisions import DecisionsArea
from ceasefire.store.hotline import HotlineArea
from ceasefire.store.incidents import IncidentsArea
from ceasefire.store.ledger import LedgerArea
from ceasefire.store.logged import AuditArea
from ceasefire.store.report_notes import ReportNotesArea
from ceasefire.store.reports import ReportsArea
from ceasefire.store.retractions import RetractionsArea
from ceasefire.store.tallies import TalliesArea
from ceasefire.store.users import UsersArea
from ceasefire.store.violations import ViolationsArea


class Store(
    ReportsArea,
    RetractionsArea,
    IncidentsArea,
    DecisionsArea,
    ViolationsArea,
    LedgerArea,
    UsersArea,
    HotlineArea,
    TalliesArea,
    CoverageArea,
    ChangesArea,
    ReportNotesArea,
    AuditArea,
):
    """Reports, incidents, violations, the ledger, users, the hotline, tallies and coverage in one
    database.

    Use :meth:`open`; close with :meth:`close` or a ``with`` block.
    """
