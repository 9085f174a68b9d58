"""Incidents, their member reports and their status history in the store (violations and
agreement versions are in :mod:`ceasefire.store.violations`).

The :class:`~ceasefire.store.facade.Store` methods of the same names delegate here; each function takes
an open connection (a write transaction for the writers) so the store keeps the one place where
transactions begin and end. Tables come from migration 0002 (their query shapes are in
:mod:`ceasefire.store.schema`). A write transaction holds the store's write lock from its start
(SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock), so numbering rows ``max(seq) + 1`` is
safe with several writer processes (tests/test_store_concurrency.py).

Lasting incident ids. Fusion regroups reports every time it runs; the store gives each cluster a
lasting ``INC-000001``-style id and keeps it across runs. Which stored incident each fused one
continues, which were merged and which status each takes is decided by the pure
:func:`ceasefire.fusion.identity.reconcile`; :func:`save_incidents` reads what it needs, calls it
and writes the plan in the same transaction. Nothing here is ever deleted; a violation replaced by
a later judgement is marked ``superseded_at``.

Bulk work is a few reads (chunked ``IN (...)`` lookups, or one scan of the table when the keys
are a large share of it) and one ``executemany`` per kind of write. Measured on two shared cores
with 100k incidents over 200k reports: first save 12 s, the same partition again 6.5 s (half of
it encoding the bodies to compare), every incident regrouped 16 s; storing the 200k reports
themselves took 11-15 s on the same machine.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.engine import Connection

from ceasefire.errors import InputError, NotFoundError, Problem
from ceasefire.fusion.identity import Held, check_partition, reconcile
from ceasefire.judge.verification import DEFAULT_CORROBORATION, check_corroboration
from ceasefire.ledger.log import incident_item
from ceasefire.records import (
    Incident,
    IncidentRecord,
    IncidentSaveResult,
    StatusChange,
    StoredIncident,
    StoredReport,
    ViolationSaveResult,
    incident_from_dict,
)
from ceasefire.store import ledger as store_ledger
from ceasefire.store.backends import Backend
from ceasefire.store.database import Database
from ceasefire.store.reports import after_clause, check_bbox, readable
from ceasefire.store.rows import (
    CANONICAL_JSON,
    chunks,
    log_status_changes,
    one_or_many,
    require_aware,
    require_offsets,
    rows_in,
    scan_cheaper,
)
from ceasefire.store.schema import (
    BBox,
    Strs,
    agreements_table,
    incident_reports_table,
    incidents_table,
    reports_table,
    retractions_table,
    status_changes_table,
    violations_table,
)
from ceasefire.store.violations import list_violations, save_violations, violation_where
from ceasefire.vocab import STATUSES

if TYPE_CHECKING:
    from ceasefire.judge.rules import Violation


_I = incidents_table.c
_M = incident_reports_table.c
_H = status_changes_table.c
_V = violations_table.c
_A = agreements_table.c


# -- incidents as stored ----------------------------------------------------------------------


# -- small helpers ----------------------------------------------------------------------------


def _member_counts(conn: Connection, incident_ids: Sequence[str]) -> dict[str, int]:
    """How many reports each of these live incidents holds."""
    query = select(_M.incident_id, func.count()).group_by(_M.incident_id)
    if scan_cheaper(conn, incident_reports_table, len(incident_ids)):
        wanted = set(incident_ids)
        return {iid: int(n) for iid, n in conn.execute(query) if iid in wanted}
    counts: dict[str, int] = {}
    for part in chunks(incident_ids):
        counts.update(
            (iid, int(n)) for iid, n in conn.execute(query.where(_M.incident_id.in_(part)))
        )
    return counts


@lru_cache(maxsize=1024)
def _zones_text(zones: tuple[str, ...]) -> str:
    # A handful of distinct zone lists among any number of incidents.
    return CANONICAL_JSON(list(zones))


def incident_columns(incident: Incident, body: str) -> dict[str, Any]:
    """The filter columns of an incident (everything but ids, status and times of the row):
    what its body gives, recomputed by the ledger audit (:mod:`ceasefire.store.derived`)."""
    return {
        "event_type": incident.event_type,
        "group_name": incident.group,
        "observed_from": incident.observed_from,
        "observed_to": incident.observed_to,
        "lon": incident.lon,
        "lat": incident.lat,
        "uncertainty_m": incident.uncertainty_m,
        "place_precision": incident.place_precision,
        "n_reports": len(incident.report_ids),
        "n_sources": len(incident.sources),
        "party": incident.party,
        "side": incident.side,
        "distance_m": incident.distance_m,
        "zones": _zones_text(incident.zones),
        "oblast": incident.oblast,
        "body": body,
    }


# -- saving fusion's partition ----------------------------------------------------------------


def save_incidents(
    conn: Connection,
    dialect: Backend,
    incidents: Sequence[Incident],
    *,
    at: datetime,
    corroboration: int,
) -> IncidentSaveResult:
    """Save fusion's partition of some reports (see :meth:`ceasefire.store.facade.Store.save_incidents`):
    read the stored incidents it touches, let :func:`ceasefire.fusion.identity.reconcile` decide,
    write its plan. Runs inside the caller's write transaction; raises before writing anything
    when the input is refused."""
    check_corroboration(corroboration)
    require_aware(at, "at")
    owner = check_partition(incidents)
    covered = list(owner)
    _check_reports_exist(conn, incidents, owner)

    # Which stored live incident holds each covered report now.
    before: dict[str, str] = {
        r.report_id: r.incident_id for r in rows_in(conn, _M.report_id, [_M.incident_id], covered)
    }
    touched = sorted(set(before.values()))
    _check_whole(conn, before, _member_counts(conn, touched))
    members: dict[str, list[str]] = defaultdict(list)
    for report_id, iid in before.items():
        members[iid].append(report_id)
    held = [
        Held(r.incident_id, r.seq, r.status, r.body, tuple(members[r.incident_id]))
        for r in rows_in(conn, _I.incident_id, [_I.seq, _I.status, _I.body], touched)
    ]
    # Fresh ids count on from max(seq): safe under the write lock.
    last = int(conn.execute(select(func.coalesce(func.max(_I.seq), 0))).scalar_one())
    plan = reconcile(held, incidents, last_seq=last, corroboration=corroboration, at=at)

    new_rows: list[dict[str, Any]] = []
    for c in plan.creates:
        row = {"seq": c.seq, "incident_id": c.incident_id}
        row.update(incident_columns(incidents[c.index], c.body))
        row.update(
            status=c.status,
            assessed_perpetrator=None,
            assessed_basis=None,
            merged_into=None,
            created_at=at,
            updated_at=at,
        )
        new_rows.append(row)
    updates: list[dict[str, Any]] = []
    for u in plan.updates:
        row = {"incident_id": u.incident_id, **incident_columns(incidents[u.index], u.body)}
        row.update(status=u.status, updated_at=at)
        updates.append(row)
    merged_rows = [
        {"incident_id": m.incident_id, "merged_into": m.into, "updated_at": at} for m in plan.merges
    ]
    dialect.insert_rows(conn, incidents_table, new_rows)
    dialect.update_rows(conn, incidents_table, "incident_id", updates)
    dialect.update_rows(conn, incidents_table, "incident_id", merged_rows)
    # Membership rows whose incident changed: delete the old, insert the new.
    for part in chunks(plan.left):
        conn.execute(incident_reports_table.delete().where(_M.report_id.in_(part)))
    dialect.insert_rows(
        conn,
        incident_reports_table,
        [{"incident_id": iid, "report_id": r} for r, iid in plan.moves],
    )
    # The incidents' leaves (the fused bodies, hence the membership) before their history: a
    # status change then always names an incident the log already holds.
    bodies = {h.incident_id: h.body for h in held}
    store_ledger.append(
        conn,
        dialect,
        [incident_item(c.incident_id, c.body, None) for c in plan.creates]
        + [
            incident_item(u.incident_id, u.body, None)
            for u in plan.updates
            if u.body != bodies[u.incident_id]
        ]
        + [incident_item(m.incident_id, bodies[m.incident_id], m.into) for m in plan.merges],
        at,
    )
    log_status_changes(conn, dialect, plan.history, at)
    return IncidentSaveResult(
        created=len(plan.creates),
        updated=len(plan.updates),
        merged=len(plan.merges),
        unchanged=len(plan.unchanged),
        ids={incident.key: iid for incident, iid in zip(incidents, plan.ids, strict=True)},
    )


@dataclass(frozen=True)
class Judgement:
    """What judging some incidents under one agreement version found: its violations and the
    keys of every incident judged under it (:meth:`IncidentsArea.save_judged`)."""

    agreement_id: str
    agreement_version: int
    violations: Sequence[Violation]
    judged: Sequence[str]


def _assessed(conn: Connection, ids: Mapping[str, str]) -> dict[str, str]:
    """Incident key -> the perpetrator the monitors assessed, for the incidents (key -> lasting
    id) that have one."""
    key_of = {iid: key for key, iid in ids.items()}
    rows = rows_in(conn, _I.incident_id, [_I.assessed_perpetrator], list(key_of))
    return {key_of[r.incident_id]: r.assessed_perpetrator for r in rows if r.assessed_perpetrator}


def _check_reports_exist(
    conn: Connection, incidents: Sequence[Incident], owner: Mapping[str, int]
) -> None:
    ids = list(owner)
    found = {r.report_id for r in rows_in(conn, reports_table.c.report_id, [], ids)}
    # A retracted report is in no incident: one retracted since fusion read it counts as gone.
    found -= {r.report_id for r in rows_in(conn, retractions_table.c.report_id, [], ids)}
    missing = [r for r in ids if r not in found]
    if missing:
        key = incidents[owner[missing[0]]].key
        raise NotFoundError(
            f"incident {key}: no stored report with id {missing[0]!r}"
            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            + "; nothing saved"
        )


def _check_whole(conn: Connection, before: Mapping[str, str], sizes: Mapping[str, int]) -> None:
    """Refuse input that covers a stored incident only in part.

    The input is fusion's partition of the reports it covers. If it held only some reports of a
    stored incident, the rest would stay with an incident whose stored body no longer describes
    them; so a stored incident is covered whole or not at all.
    """
    seen = Counter(before.values())
    short = sorted(iid for iid, n in sizes.items() if seen[iid] != n)
    if not short:
        return
    iid = short[0]
    members = conn.execute(select(_M.report_id).where(_M.incident_id == iid)).scalars()
    outside = sorted(r for r in members if r not in before)
    raise InputError(
        Problem(
            "incidents",
            "report_ids",
            f"stored incident {iid} also holds report {outside[0]!r}, which the input does not "
            "cover: fuse whole stored incidents (every report of each) or leave them out",
        )
    )


# -- reading incidents ------------------------------------------------------------------------


def _stored_incident(row: Any) -> StoredIncident:  # a Row of _INCIDENT_COLUMNS
    return StoredIncident(
        incident_id=row.incident_id,
        incident=incident_from_dict(json.loads(row.body)),
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
                for j in judge(_assessed(conn, saved.ids))
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

        where = incident_where(since=since, until=until)
        if bbox is not None:
            where.append(self._dialect.bbox_clause(check_bbox(bbox), incidents_table))
        with self._errors(), self._engine.connect() as conn, conn.begin():
            matched = count_incidents(conn, where) if count else None
            if after is not None:
                c = incidents_table.c
                where.append(after_clause(conn, incidents_table, c.incident_id, after, "incident"))
            return list_incidents(conn, where, limit, 0), matched
