"""Incidents, their member reports and their status history in the store, read and listed, and
the :class:`IncidentsArea` part of :class:`~ceasefire.store.facade.Store` (violations and
agreement versions are in :mod:`ceasefire.store.violations`; saving fused incidents, with their
lasting ids, in :mod:`ceasefire.store.incident_saving`).

The :class:`~ceasefire.store.facade.Store` methods of the same names delegate here; each function takes
an open connection (a write transaction for the writers) so the store keeps the one place where
transactions begin and end. Tables come from migration 0002 (their query shapes are in
:mod:`ceasefire.store.schema`). A write transaction holds the store's write lock from its start
(SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock), so numbering rows ``max(seq) + 1`` is
safe with several writer processes (tests/test_store_concurrency.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.engine import Connection

from ceasefire.errors import InputError, NotFoundError, Problem
from ceasefire.judge.verification import DEFAULT_CORROBORATION
from ceasefire.records import (
    Incident,
    IncidentRecord,
    IncidentSaveResult,
    StatusChange,
    StoredIncident,
    StoredReport,
    ViolationSaveResult,
)
from ceasefire.store.database import Database
from ceasefire.store.incident_saving import (
    Judgement,
    assessed_perpetrators,
    save_incidents,
)
from ceasefire.store.reports import after_clause, check_bbox, readable
from ceasefire.store.rows import (
    one_or_many,
    require_offsets,
    rows_in,
)
from ceasefire.store.schema import (
    BBox,
    Strs,
    agreements_table,
    incident_reports_table,
    incidents_table,
    reports_table,
    status_changes_table,
    violations_table,
)
from ceasefire.store.violations import list_violations, save_violations, violation_where
from ceasefire.vocab import STATUSES

if TYPE_CHECKING:
    pass


_I = incidents_table.c
_M = incident_reports_table.c
_H = status_changes_table.c
_V = violations_table.c
_A = agreements_table.c


# -- incidents as stored ----------------------------------------------------------------------


# -- reading incidents ------------------------------------------------------------------------


def _stored_incident(row: Any) -> StoredIncident:  # a Row of _INCIDENT_COLUMNS
    return StoredIncident(
        incident_id=row.incident_id,
        body=json.loads(row.body),
        status=row.status,
        assessed_perpetrator=row.assessed_perpetrator,
        assessed_basis=row.assessed_basis,
        merged_into=row.merged_into,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


_INCIDENT_COLUMNS = (
    _I.incident_id,
    _I.body,
    _I.status,
    _I.assessed_perpetrator,
    _I.assessed_basis,
    _I.merged_into,
    _I.created_at,
    _I.updated_at,
)


def incident_where(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    event_type: Strs = None,
    status: Strs = None,
    zone: str | None = None,
    side: str | None = None,
    party: str | None = None,
    include_merged: bool = False,
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the incident filters (see :meth:`Store.list_incidents`)."""
    where: list[ColumnElement[bool]] = []
    require_offsets(since, until)
    if since is not None:
        where.append(_I.observed_to >= since)
    if until is not None:
        where.append(_I.observed_from < until)
    if event_type is not None:
        where.append(_I.event_type.in_(one_or_many(event_type)))
    if status is not None:
        wanted = one_or_many(status)
        unknown = [s for s in wanted if s not in STATUSES]
        if unknown:
            raise InputError(
                Problem("query", "status", f"unknown status {unknown[0]!r}; one of {STATUSES}")
            )
        where.append(_I.status.in_(wanted))
    if zone is not None:
        # zones is a JSON list; its quoted item is a plain substring (LIKE, wildcards escaped).
        where.append(_I.zones.contains(json.dumps(zone, ensure_ascii=False), autoescape=True))
    if side is not None:
        where.append(_I.side == side)
    if party is not None:
        judged = select(_V.incident_id).where(_V.party == party, _V.superseded_at.is_(None))
        where.append(
            or_(_I.party == party, _I.assessed_perpetrator == party, _I.incident_id.in_(judged))
        )
    if not include_merged:
        where.append(_I.merged_into.is_(None))
    return where


def list_incidents(
    conn: Connection,
    where: list[ColumnElement[bool]],
    limit: int | None,
    offset: int,
) -> list[StoredIncident]:
    query = select(*_INCIDENT_COLUMNS).where(*where).order_by(_I.observed_from, _I.seq)
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return [_stored_incident(row) for row in conn.execute(query)]


_Rows = TypeVar("_Rows")


#: The incident fields a listing can read from their own columns, no body parsed (the map's:
#: parsing 10,000 bodies was most of its listing). Each column is saved with the body, from the
#: same incident, and the audit recomputes it from the logged leaves.
COLUMN_FIELDS: Final = (
    "status", "event_type", "observed_from", "assessed_perpetrator", "side", "zones", "oblast",
)  # fmt: skip


def list_incident_fields(
    conn: Connection, where: list[ColumnElement[bool]], limit: int
) -> list[dict[str, Any]]:
    """``id``, ``lon``, ``lat`` and :data:`COLUMN_FIELDS` of each incident, as
    :meth:`StoredIncident.to_dict` gives them, in :func:`list_incidents`' order."""
    query = (
        select(_I.incident_id, _I.lon, _I.lat, *(_I[name] for name in COLUMN_FIELDS))
        .where(*where)
        .order_by(_I.observed_from, _I.seq)
        .limit(limit)
    )
    return [
        {
            "id": row.incident_id,
            "lon": row.lon,
            "lat": row.lat,
            "status": row.status,
            "event_type": row.event_type,
            "observed_from": row.observed_from.isoformat(),
            "assessed_perpetrator": row.assessed_perpetrator,
            "side": row.side,
            "zones": json.loads(row.zones) if row.zones else [],
            "oblast": row.oblast,
        }
        for row in conn.execute(query)
    ]


def count_incidents(conn: Connection, where: list[ColumnElement[bool]]) -> int:
    query = select(func.count()).select_from(incidents_table).where(*where)
    return int(conn.execute(query).scalar_one())


def get_incident(conn: Connection, incident_id: str) -> StoredIncident:
    row = conn.execute(
        select(*_INCIDENT_COLUMNS).where(_I.incident_id == incident_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no incident with id {incident_id!r}")
    return _stored_incident(row)


def status_history(conn: Connection, incident_id: str) -> list[StatusChange]:
    get_incident(conn, incident_id)  # NotFoundError for an unknown id, not an empty history
    query = select(status_changes_table).where(_H.incident_id == incident_id).order_by(_H.seq)
    return [
        StatusChange(
            incident_id=r.incident_id,
            from_status=r.from_status,
            to_status=r.to_status,
            actor=r.actor,
            at=r.at,
            basis=r.basis,
            assessed_perpetrator=r.assessed_perpetrator,
            perpetrator_basis=r.perpetrator_basis,
            automatic=bool(r.automatic),
        )
        for r in conn.execute(query)
    ]


def member_reports(conn: Connection, incident_id: str) -> list[StoredReport]:
    """The reports a live incident holds now, oldest observation first (none once merged)."""
    c = reports_table.c
    query = (
        select(c.body, c.lon, c.lat, c.uncertainty_m, c.placement)
        .join(incident_reports_table, _M.report_id == c.report_id)
        .where(_M.incident_id == incident_id)
        .order_by(c.observed_from, c.seq)
    )
    return readable(conn.execute(query))


def incident_record(conn: Connection, incident_id: str) -> IncidentRecord:
    return IncidentRecord(
        incident=get_incident(conn, incident_id),
        reports=member_reports(conn, incident_id),
        history=status_history(conn, incident_id),
        violations=list_violations(
            conn, violation_where(incident_id=incident_id, include_superseded=True), None, 0
        ),
    )


class IncidentsArea(Database):
    """Incidents, their status and decisions (part of :class:`~ceasefire.store.facade.Store`)."""

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

        with self._errors(), self._write() as conn:
            return save_incidents(
                conn, self._dialect, incidents, at=at, corroboration=corroboration
            )

    def save_judged(
        self,
        incidents: Sequence[Incident],
        judge: Callable[[Mapping[str, str]], Sequence[Judgement]],
        *,
        at: datetime,
        corroboration: int = DEFAULT_CORROBORATION,
    ) -> tuple[IncidentSaveResult, list[ViolationSaveResult]]:
        """Save incidents as :meth:`save_incidents` does and their judgements as
        :meth:`save_violations` does, in one transaction: each incident is never stored without
        the judgements of its body, whatever stops the process between two saves.

        ``judge`` is given the perpetrators the monitors assessed (incident key -> party) of the
        incidents that have one once saved (an incident continuing a stored id keeps its
        assessment) and returns the judgements, one per agreement version. It runs inside the
        write transaction: the caller judges beforehand and judges again here only the few
        incidents with an assessment (:func:`ceasefire.pipeline.save_fused`).

        Raises what :meth:`save_incidents` and :meth:`save_violations` raise; nothing is
        written then.
        """

        with self._errors(), self._write() as conn:
            saved = save_incidents(
                conn, self._dialect, incidents, at=at, corroboration=corroboration
            )
            results = [
                save_violations(
                    conn,
                    self._dialect,
                    j.violations,
                    incident_ids=saved.ids,
                    judged=[saved.ids[key] for key in j.judged],
                    agreement_id=j.agreement_id,
                    agreement_version=j.agreement_version,
                    at=at,
                )
                for j in judge(assessed_perpetrators(conn, saved.ids))
            ]
            return saved, results

    def incidents_holding(self, report_ids: Sequence[str]) -> dict[str, str]:
        """The live incident holding each of these reports (those in none are left out)."""

        with self._errors(), self._engine.connect() as conn:
            rows = rows_in(conn, _M.report_id, [_M.incident_id], list(report_ids))
            return {r.report_id: r.incident_id for r in rows}

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

        where = incident_where(
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
            return list_incidents(conn, where, limit, offset)

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

        where = incident_where(
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
            return count_incidents(conn, where)

    def get_incident(self, incident_id: str) -> StoredIncident:
        """The stored incident with this id (merged ones too). Raises NotFoundError."""

        with self._errors(), self._engine.connect() as conn:
            return get_incident(conn, incident_id)

    def status_history(self, incident_id: str) -> list[StatusChange]:
        """Every status change of an incident, oldest first. Raises NotFoundError."""

        with self._errors(), self._engine.connect() as conn:
            return status_history(conn, incident_id)

    def incident_record(self, incident_id: str) -> IncidentRecord:
        """An incident with its member reports, status history and every violation (superseded
        ones too), read in one transaction. Raises NotFoundError."""

        with self._errors(), self._snapshot() as conn:
            return incident_record(conn, incident_id)

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

        return self._paged(
            since, until, bbox, after, count, lambda c, w: list_incidents(c, w, limit, 0)
        )

    def page_incident_fields(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        bbox: BBox | None = None,
        limit: int,
        after: str | None = None,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """:meth:`page_incidents` as :func:`list_incident_fields` reads them: the fields a map
        shows, from their columns, for a caller who sees every incident whole."""

        return self._paged(
            since, until, bbox, after, True, lambda c, w: list_incident_fields(c, w, limit)
        )

    def _paged(
        self,
        since: datetime | None,
        until: datetime | None,
        bbox: BBox | None,
        after: str | None,
        count: bool,
        read: Callable[[Connection, list[ColumnElement[bool]]], _Rows],
    ) -> tuple[_Rows, int | None]:
        """The live incidents of a window (and box) after the incident ``after``, as ``read``
        gives them, and how many match (when ``count``), in one transaction."""
        where = incident_where(since=since, until=until)
        if bbox is not None:
            where.append(self._dialect.bbox_clause(check_bbox(bbox), incidents_table))
        with self._errors(), self._engine.connect() as conn, conn.begin():
            matched = count_incidents(conn, where) if count else None
            if after is not None:
                c = incidents_table.c
                where.append(after_clause(conn, incidents_table, c.incident_id, after, "incident"))
            return read(conn, where), matched
