"""Saving fused incidents: their rows, members, status changes and ledger leaves in one write
transaction (:func:`save_incidents`), the filter columns recomputed from a body
(:func:`incident_columns`, which the audit uses too), and the checks that keep a save whole.

Lasting incident ids. Fusion regroups reports every time it runs; the store gives each cluster a
lasting ``INC-000001``-style id and keeps it across runs. Which stored incident each fused one
continues, which were merged and which status each takes is decided by the pure
:func:`ceasefire.fusion.identity.reconcile`; :func:`save_incidents` reads what it needs, calls it
and writes the plan in the same transaction. Nothing here is ever deleted.

Bulk work is a few reads (chunked ``IN (...)`` lookups, or one scan of the table when the keys
are a large share of it) and one ``executemany`` per kind of write. Measured on two shared cores
with 100k incidents over 200k reports: first save 12 s, the same partition again 6.5 s (half of
it encoding the bodies to compare), every incident regrouped 16 s; storing the 200k reports
themselves took 11-15 s on the same machine. Reading incidents is :mod:`ceasefire.store.incidents`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from ceasefire.errors import InputError, NotFoundError, Problem
from ceasefire.fusion.identity import Held, check_partition, reconcile
from ceasefire.judge.verification import check_corroboration
from ceasefire.ledger.log import incident_item
from ceasefire.records import (
    Incident,
    IncidentSaveResult,
)
from ceasefire.store import ledger as store_ledger
from ceasefire.store.backends import Backend
from ceasefire.store.rows import (
    CANONICAL_JSON,
    chunks,
    log_status_changes,
    require_aware,
    rows_in,
    scan_cheaper,
)
from ceasefire.store.schema import (
    agreements_table,
    incident_reports_table,
    incidents_table,
    reports_table,
    retractions_table,
    status_changes_table,
    violations_table,
)

if TYPE_CHECKING:
    from ceasefire.judge.rules import Violation


_I = incidents_table.c
_M = incident_reports_table.c
_H = status_changes_table.c
_V = violations_table.c
_A = agreements_table.c


# -- incidents as stored ----------------------------------------------------------------------


_I = incidents_table.c
_M = incident_reports_table.c
_H = status_changes_table.c
_V = violations_table.c
_A = agreements_table.c


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


def assessed_perpetrators(conn: Connection, ids: Mapping[str, str]) -> dict[str, str]:
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
