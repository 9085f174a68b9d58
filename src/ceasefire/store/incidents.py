"""Incidents, their status history, violations and agreement versions in the store.

The :class:`~ceasefire.store.facade.Store` methods of the same names delegate here; each function takes
an open connection (a write transaction for the writers) so the store keeps the one place where
transactions begin and end. Tables come from migration 0002 (their query shapes are in
:mod:`ceasefire.store.facade`). A write transaction holds the store's write lock from its start
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
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Column, ColumnElement, Table, func, or_, select
from sqlalchemy.engine import Connection

from ceasefire.errors import ConflictError, InputError, NotFoundError, Problem
from ceasefire.fusion.identity import Held, check_partition, reconcile
from ceasefire.judge.verification import StatusChange, check_change, check_corroboration
from ceasefire.records import (
    Incident,
    IncidentRecord,
    IncidentSaveResult,
    StoredIncident,
    StoredReport,
    StoredViolation,
    ViolationSaveResult,
    incident_from_dict,
)
from ceasefire.store import ledger as store_ledger
from ceasefire.store.facade import (
    _CHUNK,
    Strs,
    _Dialect,
    _stored_report,
    agreements_table,
    incident_reports_table,
    incidents_table,
    reports_table,
    status_changes_table,
    violations_table,
)
from ceasefire.vocab import STATUSES

if TYPE_CHECKING:
    from ceasefire.agreement.model import Agreement
    from ceasefire.judge.rules import Violation

# Canonical JSON (sorted keys): equal content gives equal text, so "unchanged" is a text compare.
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True).encode

_I = incidents_table.c
_M = incident_reports_table.c
_H = status_changes_table.c
_V = violations_table.c
_A = agreements_table.c


# -- incidents as stored ----------------------------------------------------------------------


# -- small helpers ----------------------------------------------------------------------------


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None:
        raise InputError(Problem("store", name, "must carry a UTC offset"))


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


#: A lookup of this many keys or more may read the whole table instead of IN (...) chunks...
_SCAN_MIN: Final = 20_000
#: ...when the keys are at least this share of its rows: a scan reads rows about 4x as fast as
#: chunked IN lookups find them (SQLite, 200k keys: 0.34 s against 1.3 s; measured).
_SCAN_SHARE: Final = 0.25


def _scan(conn: Connection, table: Table, n: int) -> bool:
    """Whether looking up ``n`` keys in ``table`` is cheaper as one scan of the table."""
    if n < _SCAN_MIN:
        return False
    total = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    return n >= _SCAN_SHARE * total


def _rows_in(
    conn: Connection, key: Column[Any], columns: Sequence[Column[Any]], keys: Sequence[str]
) -> Iterator[Any]:
    """Rows (``key``, then ``columns``) whose ``key`` is one of ``keys``."""
    if _scan(conn, key.table, len(keys)):
        wanted = set(keys)
        for row in conn.execute(select(key, *columns)):
            if row[0] in wanted:
                yield row
        return
    for part in _chunks(keys):
        yield from conn.execute(select(key, *columns).where(key.in_(part)))


def _member_counts(conn: Connection, incident_ids: Sequence[str]) -> dict[str, int]:
    """How many reports each of these live incidents holds."""
    query = select(_M.incident_id, func.count()).group_by(_M.incident_id)
    if _scan(conn, incident_reports_table, len(incident_ids)):
        wanted = set(incident_ids)
        return {iid: int(n) for iid, n in conn.execute(query) if iid in wanted}
    counts: dict[str, int] = {}
    for part in _chunks(incident_ids):
        counts.update(
            (iid, int(n)) for iid, n in conn.execute(query.where(_M.incident_id.in_(part)))
        )
    return counts


def _one_or_many(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


#: How each logged table's rows become ledger leaves (see ceasefire.store.ledger).
_LEAVES: Final = {
    "status_changes": store_ledger.status_item,
    "violations": store_ledger.violation_item,
}


def _insert_logged(
    conn: Connection, dialect: _Dialect, table: Table, rows: list[dict[str, Any]], at: datetime
) -> None:
    """Insert rows of a logged table and append their leaves, in the caller's transaction.

    The store numbers the rows itself (max + 1 under the write lock, as for incidents) so that
    each leaf can name its row (``status/17``) before the insert."""
    if not rows:
        return
    first = int(conn.execute(select(func.coalesce(func.max(table.c.seq), 0))).scalar_one()) + 1
    for offset, row in enumerate(rows):
        row["seq"] = first + offset
    leaf = _LEAVES[table.name]
    items = [leaf(row["seq"], row) for row in rows]
    dialect.insert_rows(conn, table, rows)
    store_ledger.append(conn, dialect, items, at)


def _history_row(change: StatusChange) -> dict[str, Any]:
    return {
        "incident_id": change.incident_id,
        "from_status": change.from_status,
        "to_status": change.to_status,
        "actor": change.actor,
        "at": change.at,
        "basis": change.basis,
        "assessed_perpetrator": change.assessed_perpetrator,
        "perpetrator_basis": change.perpetrator_basis,
        "automatic": change.automatic,
    }


@lru_cache(maxsize=1024)
def _zones_text(zones: tuple[str, ...]) -> str:
    # A handful of distinct zone lists among any number of incidents.
    return _JSON(list(zones))


def _incident_columns(incident: Incident, body: str) -> dict[str, Any]:
    """The filter columns of an incident (everything but ids, status and times of the row)."""
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
    dialect: _Dialect,
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
    _aware(at, "at")
    owner = check_partition(incidents)
    covered = list(owner)
    _check_reports_exist(conn, incidents, owner)

    # Which stored live incident holds each covered report now.
    before: dict[str, str] = {
        r.report_id: r.incident_id for r in _rows_in(conn, _M.report_id, [_M.incident_id], covered)
    }
    touched = sorted(set(before.values()))
    _check_whole(conn, before, _member_counts(conn, touched))
    members: dict[str, list[str]] = defaultdict(list)
    for report_id, iid in before.items():
        members[iid].append(report_id)
    held = [
        Held(r.incident_id, r.seq, r.status, r.body, tuple(members[r.incident_id]))
        for r in _rows_in(conn, _I.incident_id, [_I.seq, _I.status, _I.body], touched)
    ]
    # Fresh ids count on from max(seq): safe under the write lock.
    last = int(conn.execute(select(func.coalesce(func.max(_I.seq), 0))).scalar_one())
    plan = reconcile(held, incidents, last_seq=last, corroboration=corroboration, at=at)

    new_rows: list[dict[str, Any]] = []
    for c in plan.creates:
        row = {"seq": c.seq, "incident_id": c.incident_id}
        row.update(_incident_columns(incidents[c.index], c.body))
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
        row = {"incident_id": u.incident_id, **_incident_columns(incidents[u.index], u.body)}
        row.update(status=u.status, updated_at=at)
        updates.append(row)
    merged_rows = [
        {"incident_id": m.incident_id, "merged_into": m.into, "updated_at": at} for m in plan.merges
    ]
    dialect.insert_rows(conn, incidents_table, new_rows)
    dialect.update_rows(conn, incidents_table, "incident_id", updates)
    dialect.update_rows(conn, incidents_table, "incident_id", merged_rows)
    # Membership rows whose incident changed: delete the old, insert the new.
    for part in _chunks(plan.left):
        conn.execute(incident_reports_table.delete().where(_M.report_id.in_(part)))
    dialect.insert_rows(
        conn,
        incident_reports_table,
        [{"incident_id": iid, "report_id": r} for r, iid in plan.moves],
    )
    _insert_logged(conn, dialect, status_changes_table, [_history_row(c) for c in plan.history], at)
    return IncidentSaveResult(
        created=len(plan.creates),
        updated=len(plan.updates),
        merged=len(plan.merges),
        unchanged=len(plan.unchanged),
        ids={incident.key: iid for incident, iid in zip(incidents, plan.ids, strict=True)},
    )


def _check_reports_exist(
    conn: Connection, incidents: Sequence[Incident], owner: Mapping[str, int]
) -> None:
    ids = list(owner)
    found = {r.report_id for r in _rows_in(conn, reports_table.c.report_id, [], ids)}
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


def _require_offsets(since: datetime | None, until: datetime | None) -> None:
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise InputError(Problem("query", name, "must carry a UTC offset"))


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
    _require_offsets(since, until)
    if since is not None:
        where.append(_I.observed_to >= since)
    if until is not None:
        where.append(_I.observed_from < until)
    if event_type is not None:
        where.append(_I.event_type.in_(_one_or_many(event_type)))
    if status is not None:
        wanted = _one_or_many(status)
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
    return [_stored_report(r) for r in conn.execute(query)]


def incident_record(conn: Connection, incident_id: str) -> IncidentRecord:
    return IncidentRecord(
        incident=get_incident(conn, incident_id),
        reports=member_reports(conn, incident_id),
        history=status_history(conn, incident_id),
        violations=list_violations(
            conn, violation_where(incident_id=incident_id, include_superseded=True), None, 0
        ),
    )


# -- decisions --------------------------------------------------------------------------------


def _authors(conn: Connection, incident_id: str) -> list[tuple[str | None, str | None]]:
    """(submitted_by, source_name) of each member report: the four-eyes check's input."""
    c = reports_table.c
    query = (
        select(c.submitted_by, c.body)
        .join(incident_reports_table, _M.report_id == c.report_id)
        .where(_M.incident_id == incident_id)
    )
    # source_name has no column of its own; the body is the report's interchange JSON.
    return [(r.submitted_by, json.loads(r.body).get("source_name")) for r in conn.execute(query)]


def known_parties(conn: Connection) -> set[str]:
    """The party codes of every registered agreement version."""
    found: set[str] = set()
    for body in conn.execute(select(_A.body)).scalars():
        found.update(json.loads(body).get("parties") or ())
    return found


def set_status(
    conn: Connection,
    dialect: _Dialect,
    incident_id: str,
    *,
    status: str,
    actor: str,
    basis: str,
    at: datetime,
    assessed_perpetrator: str | None,
    perpetrator_basis: str | None,
    parties: Collection[str] | None,
) -> StatusChange:
    _aware(at, "at")
    row = conn.execute(
        select(_I.status, _I.merged_into).where(_I.incident_id == incident_id)
    ).one_or_none()
    if row is None:
        raise NotFoundError(f"no incident with id {incident_id!r}")
    if row.merged_into is not None:
        raise ConflictError(
            f"incident {incident_id} was merged into {row.merged_into}; decide on that one"
        )
    check_change(
        incident_id=incident_id,
        current=row.status,
        new=status,
        actor=actor,
        basis=basis,
        authors=_authors(conn, incident_id),
        parties=known_parties(conn) if parties is None else parties,
        assessed_perpetrator=assessed_perpetrator,
        perpetrator_basis=perpetrator_basis,
    )
    change = StatusChange(
        incident_id=incident_id,
        from_status=row.status,
        to_status=status,
        actor=actor.strip(),
        at=at,
        basis=basis.strip(),
        assessed_perpetrator=assessed_perpetrator,
        perpetrator_basis=perpetrator_basis,
        automatic=False,
    )
    # A decision states the whole assessment: no perpetrator given means none is assessed.
    conn.execute(
        incidents_table.update()
        .where(_I.incident_id == incident_id)
        .values(
            status=status,
            assessed_perpetrator=assessed_perpetrator,
            assessed_basis=perpetrator_basis,
            updated_at=at,
        )
    )
    _insert_logged(conn, dialect, status_changes_table, [_history_row(change)], at)
    return change


# -- violations -------------------------------------------------------------------------------


def _violation_key(
    rule: str, agreement_id: str, version: int, party: str | None, evidence: str, facts: str
) -> tuple[str, str, int, str | None, str, str]:
    return (rule, agreement_id, version, party, evidence, facts)


def save_violations(
    conn: Connection,
    dialect: _Dialect,
    violations: Sequence[Violation],
    *,
    incident_ids: Mapping[str, str],
    judged: Collection[str],
    agreement_id: str,
    agreement_version: int,
    at: datetime,
) -> ViolationSaveResult:
    """See :meth:`ceasefire.store.facade.Store.save_violations`; inside the caller's transaction."""
    _aware(at, "at")
    judged_ids = sorted(set(judged))
    new_by_incident: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for n, v in enumerate(violations):
        where = f"violation {n} (incident {v.incident_key}, rule {v.rule})"
        if (v.agreement_id, v.agreement_version) != (agreement_id, agreement_version):
            raise InputError(
                Problem(
                    where,
                    "agreement_version",
                    f"judged under {v.agreement_id} v{v.agreement_version}, but this run saves "
                    f"{agreement_id} v{agreement_version}",
                )
            )
        iid = incident_ids.get(v.incident_key)
        if iid is None:
            raise InputError(Problem(where, "incident_key", "no stored incident id given for it"))
        if iid not in judged:
            raise InputError(Problem(where, "incident_key", f"{iid} is not among those judged"))
        evidence, facts = _JSON(list(v.evidence)), _JSON(dict(v.facts))
        key = (
            iid,
            *_violation_key(v.rule, agreement_id, agreement_version, v.party, evidence, facts),
        )
        new_by_incident[iid].append(key)
        rows[key] = {
            "incident_id": iid,
            "rule": v.rule,
            "agreement_id": agreement_id,
            "agreement_version": agreement_version,
            "party": v.party,
            "evidence": evidence,
            "facts": facts,
            "description": v.description,
            "judged_at": at,
            "superseded_at": None,
        }

    found: set[str] = set()
    current: dict[str, list[tuple[int, tuple[Any, ...]]]] = defaultdict(list)
    for part in _chunks(judged_ids):
        found.update(conn.execute(select(_I.incident_id).where(_I.incident_id.in_(part))).scalars())
        # The earlier judgement of the same agreement, whatever its version: the version in
        # force judges an incident, so a new version's judgement replaces the old one's.
        query = select(
            _V.seq, _V.incident_id, _V.rule, _V.agreement_version, _V.party, _V.evidence, _V.facts
        ).where(
            _V.incident_id.in_(part), _V.agreement_id == agreement_id, _V.superseded_at.is_(None)
        )
        for r in conn.execute(query):
            key = (
                r.incident_id,
                *_violation_key(
                    r.rule, agreement_id, r.agreement_version, r.party, r.evidence, r.facts
                ),
            )
            current[r.incident_id].append((r.seq, key))
    missing = [i for i in judged_ids if i not in found]
    if missing:
        raise NotFoundError(f"no incident with id {missing[0]!r} to record judgements of")

    inserts: list[dict[str, Any]] = []
    supersede: list[int] = []
    unchanged = 0
    for iid in judged_ids:
        wanted = Counter(new_by_incident.get(iid, ()))
        for seq, key in current.get(iid, ()):
            if wanted[key] > 0:
                wanted[key] -= 1
                unchanged += 1
            else:
                supersede.append(seq)
        for key, n in wanted.items():
            inserts.extend(dict(rows[key]) for _ in range(n))
    for part in _chunks(supersede):
        conn.execute(violations_table.update().where(_V.seq.in_(part)).values(superseded_at=at))
    store_ledger.append(
        conn, dialect, [store_ledger.superseded_item(seq, at) for seq in sorted(supersede)], at
    )
    _insert_logged(conn, dialect, violations_table, inserts, at)
    return ViolationSaveResult(added=len(inserts), superseded=len(supersede), unchanged=unchanged)


def violation_where(
    *,
    incident_id: str | None = None,
    rule: Strs = None,
    party: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    agreement_version: int | None = None,
    include_superseded: bool = False,
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the violation filters (see :meth:`Store.list_violations`)."""
    where: list[ColumnElement[bool]] = []
    _require_offsets(since, until)
    if incident_id is not None:
        where.append(_V.incident_id == incident_id)
    if rule is not None:
        where.append(_V.rule.in_(_one_or_many(rule)))
    if party is not None:
        where.append(_V.party == party)
    if since is not None:
        where.append(_I.observed_from >= since)
    if until is not None:
        where.append(_I.observed_from < until)
    if agreement_version is not None:
        where.append(_V.agreement_version == agreement_version)
    if not include_superseded:
        where.append(_V.superseded_at.is_(None))
    return where


def list_violations(
    conn: Connection, where: list[ColumnElement[bool]], limit: int | None, offset: int
) -> list[StoredViolation]:
    query = (
        select(violations_table)
        .join(incidents_table, _I.incident_id == _V.incident_id)
        .where(*where)
        .order_by(_I.observed_from, _I.seq, _V.seq)
    )
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return [
        StoredViolation(
            seq=r.seq,
            incident_id=r.incident_id,
            rule=r.rule,
            agreement_id=r.agreement_id,
            agreement_version=r.agreement_version,
            party=r.party,
            evidence=tuple(json.loads(r.evidence)),
            facts=json.loads(r.facts),
            description=r.description,
            judged_at=r.judged_at,
            superseded_at=r.superseded_at,
        )
        for r in conn.execute(query)
    ]


def count_violations(conn: Connection, where: list[ColumnElement[bool]]) -> int:
    query = (
        select(func.count())
        .select_from(violations_table.join(incidents_table, _I.incident_id == _V.incident_id))
        .where(*where)
    )
    return int(conn.execute(query).scalar_one())


# -- agreements -------------------------------------------------------------------------------


def _agreement_body(agreement: Agreement) -> str:
    body = dict(agreement.to_dict())
    # Where the file was read from is the reader's, not the agreement's: the same version read
    # from two paths is the same version.
    body.pop("source", None)
    return _JSON(body)


def register_agreement(
    conn: Connection, dialect: _Dialect, agreement: Agreement, at: datetime
) -> bool:
    body = _agreement_body(agreement)
    stored = conn.execute(
        select(_A.body).where(_A.agreement_id == agreement.id, _A.version == agreement.version)
    ).scalar_one_or_none()
    if stored is not None:
        if stored != body:
            raise ConflictError(
                f"agreement {agreement.id!r} version {agreement.version} is already registered "
                "with other content; a change of the agreement is a new version"
            )
        return False
    row = {
        "agreement_id": agreement.id,
        "version": agreement.version,
        "effective_from": agreement.effective_from,
        "title": agreement.title,
        "body": body,
        "registered_at": at,
    }
    conn.execute(agreements_table.insert().values(**row))
    store_ledger.append(conn, dialect, [store_ledger.agreement_item(row)], at)
    return True


def agreement_versions(conn: Connection) -> list[dict[str, Any]]:
    query = select(agreements_table).order_by(_A.agreement_id, _A.version)
    out: list[dict[str, Any]] = []
    for r in conn.execute(query):
        body = json.loads(r.body)
        out.append(
            {
                "id": r.agreement_id,
                "version": r.version,
                "title": r.title,
                "effective_from": r.effective_from.isoformat(),
                "parties": body.get("parties", {}),
                "registered_at": r.registered_at.isoformat(),
            }
        )
    return out
