"""Violations (judgements of incidents against one agreement version) and the agreement versions
they were judged under.

A violation replaced by a later judgement is marked ``superseded_at``, never deleted; every
judgement and every agreement version is a ledger leaf written in the same transaction.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Connection

from ceasefire.errors import ConflictError, InputError, NotFoundError, Problem
from ceasefire.ledger.log import agreement_item, superseded_item
from ceasefire.records import (
    StoredViolation,
    ViolationSaveResult,
)
from ceasefire.store import ledger as store_ledger
from ceasefire.store.backends import Backend
from ceasefire.store.database import Database
from ceasefire.store.reports import check_bbox
from ceasefire.store.rows import (
    CANONICAL_JSON,
    chunks,
    insert_logged,
    one_or_many,
    require_aware,
    require_offsets,
)
from ceasefire.store.schema import (
    BBox,
    Strs,
    agreements_table,
    incidents_table,
    violations_table,
)

if TYPE_CHECKING:
    from ceasefire.agreement.model import Agreement
    from ceasefire.judge.rules import Violation

_I = incidents_table.c
_V = violations_table.c
_A = agreements_table.c

# -- violations -------------------------------------------------------------------------------


def _violation_key(
    rule: str, agreement_id: str, version: int, party: str | None, evidence: str, facts: str
) -> tuple[str, str, int, str | None, str, str]:
    return (rule, agreement_id, version, party, evidence, facts)


def save_violations(
    conn: Connection,
    dialect: Backend,
    violations: Sequence[Violation],
    *,
    incident_ids: Mapping[str, str],
    judged: Collection[str],
    agreement_id: str,
    agreement_version: int,
    at: datetime,
) -> ViolationSaveResult:
    """See :meth:`ceasefire.store.facade.Store.save_violations`; inside the caller's transaction."""
    require_aware(at, "at")
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
        evidence, facts = CANONICAL_JSON(list(v.evidence)), CANONICAL_JSON(dict(v.facts))
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
    for part in chunks(judged_ids):
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
    for part in chunks(supersede):
        conn.execute(violations_table.update().where(_V.seq.in_(part)).values(superseded_at=at))
    store_ledger.append(conn, dialect, [superseded_item(seq, at) for seq in sorted(supersede)], at)
    insert_logged(conn, dialect, violations_table, inserts, at)
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
    require_offsets(since, until)
    if incident_id is not None:
        where.append(_V.incident_id == incident_id)
    if rule is not None:
        where.append(_V.rule.in_(one_or_many(rule)))
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
    conn: Connection,
    where: list[ColumnElement[bool]],
    limit: int | None,
    offset: int,
    *,
    by_seq: bool = False,
) -> list[StoredViolation]:
    """The violations matching ``where``, by their incident's time (``by_seq``: in the order
    they were judged, the keyset order of OGC paging)."""
    order = (_V.seq,) if by_seq else (_I.observed_from, _I.seq, _V.seq)
    query = (
        select(violations_table)
        .join(incidents_table, _I.incident_id == _V.incident_id)
        .where(*where)
        .order_by(*order)
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


def _current_where(
    dialect: Backend, since: datetime | None, until: datetime | None, bbox: BBox | None
) -> list[ColumnElement[bool]]:
    """Current violations whose incident's observation window touches ``[since, until)`` and
    whose incident's point lies in ``bbox``."""
    require_offsets(since, until)
    where: list[ColumnElement[bool]] = [_V.superseded_at.is_(None)]
    if since is not None:
        where.append(_I.observed_to >= since)
    if until is not None:
        where.append(_I.observed_from < until)
    if bbox is not None:
        where.append(dialect.bbox_clause(check_bbox(bbox), incidents_table))
    return where


# -- agreements -------------------------------------------------------------------------------


def _agreement_body(agreement: Agreement) -> str:
    body = dict(agreement.to_dict())
    # Where the file was read from is the reader's, not the agreement's: the same version read
    # from two paths is the same version.
    body.pop("source", None)
    return CANONICAL_JSON(body)


def registered(conn: Connection, agreement: Agreement) -> bool:
    """Whether this agreement version is registered as it is (ConflictError: with other
    content)."""
    stored = conn.execute(
        select(_A.body).where(_A.agreement_id == agreement.id, _A.version == agreement.version)
    ).scalar_one_or_none()
    if stored is not None and stored != _agreement_body(agreement):
        raise ConflictError(
            f"agreement {agreement.id!r} version {agreement.version} is already registered "
            "with other content; a change of the agreement is a new version"
        )
    return stored is not None


def register_agreement(
    conn: Connection, dialect: Backend, agreement: Agreement, at: datetime
) -> bool:
    if registered(conn, agreement):
        return False
    body = _agreement_body(agreement)
    row = {
        "agreement_id": agreement.id,
        "version": agreement.version,
        "effective_from": agreement.effective_from,
        "title": agreement.title,
        "body": body,
        "registered_at": at,
    }
    conn.execute(agreements_table.insert().values(**row))
    store_ledger.append(conn, dialect, [agreement_item(row)], at)
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


class ViolationsArea(Database):
    """Violations and agreement versions (part of :class:`~ceasefire.store.facade.Store`)."""

    def save_violations(
        self,
        violations: Sequence[Violation],
        *,
        incident_ids: Mapping[str, str],
        judged: Collection[str],
        agreement_id: str,
        agreement_version: int,
        at: datetime,
    ) -> ViolationSaveResult:
        """Record one judging run of some incidents under one agreement version, all or nothing.

        For each judged incident the current (not superseded) violations of the same agreement,
        whatever their version, are set against the new ones: one equal in rule, agreement id
        and version, party, evidence and facts stays as it is; the others are marked
        ``superseded_at`` (never deleted); new ones are added. A judged incident without
        violations has its current ones superseded.

        Parameters
        ----------
        violations
            The run's violations (all of ``agreement_id`` / ``agreement_version``).
        incident_ids
            Incident key -> lasting id (:attr:`IncidentSaveResult.ids`).
        judged
            The lasting ids of every incident judged in this run.
        at
            When (aware).

        Raises
        ------
        InputError
            A violation of another agreement version, of an incident without an id given or not
            among those judged.
        NotFoundError
            A judged incident that is not stored.
        """

        with self._errors(), self._write() as conn:
            return save_violations(
                conn,
                self._dialect,
                violations,
                incident_ids=incident_ids,
                judged=judged,
                agreement_id=agreement_id,
                agreement_version=agreement_version,
                at=at,
            )

    def list_violations(
        self,
        *,
        incident_id: str | None = None,
        rule: Strs = None,
        party: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        agreement_version: int | None = None,
        include_superseded: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[StoredViolation]:
        """Stored violations matching every filter, by their incident's time then record order.

        ``since``/``until`` bound the incident's ``observed_from`` (``[since, until)``);
        ``include_superseded`` lists the replaced judgements too.
        """

        where = violation_where(
            incident_id=incident_id,
            rule=rule,
            party=party,
            since=since,
            until=until,
            agreement_version=agreement_version,
            include_superseded=include_superseded,
        )
        with self._errors(), self._engine.connect() as conn:
            return list_violations(conn, where, limit, offset)

    def page_violations(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        bbox: BBox | None = None,
        limit: int,
        after: int | None = None,
        count: bool = True,
    ) -> tuple[list[StoredViolation], int | None]:
        """Current violations in the order they were judged, ``limit`` of them after number
        ``after`` (keyset paging: a new judgement comes last, so a walk sees each once), whose
        incident's window touches ``[since, until)`` and whose incident's point lies in
        ``bbox``; and how many match in all (None with ``count=False``), in one transaction."""

        where = _current_where(self._dialect, since, until, bbox)
        with self._errors(), self._snapshot() as conn:
            matched = count_violations(conn, where) if count else None
            if after is not None:
                where.append(_V.seq > after)
            return list_violations(conn, where, limit, 0, by_seq=True), matched

    def violation_extent(self) -> tuple[Any, ...]:
        """``(min_lon, min_lat, max_lon, max_lat, first observed_from, last observed_to)`` of
        the incidents of current violations; all None when there are none."""

        query = (
            select(
                func.min(_I.lon),
                func.min(_I.lat),
                func.max(_I.lon),
                func.max(_I.lat),
                func.min(_I.observed_from),
                func.max(_I.observed_to),
            )
            .select_from(violations_table.join(incidents_table, _I.incident_id == _V.incident_id))
            .where(_V.superseded_at.is_(None))
        )
        with self._errors(), self._snapshot() as conn:
            return tuple(conn.execute(query).one())

    def count_violations(
        self,
        *,
        incident_id: str | None = None,
        rule: Strs = None,
        party: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        agreement_version: int | None = None,
        include_superseded: bool = False,
    ) -> int:
        """How many stored violations match the filters (as in :meth:`list_violations`)."""

        where = violation_where(
            incident_id=incident_id,
            rule=rule,
            party=party,
            since=since,
            until=until,
            agreement_version=agreement_version,
            include_superseded=include_superseded,
        )
        with self._errors(), self._engine.connect() as conn:
            return count_violations(conn, where)

    def register_agreement(self, agreement: Agreement) -> bool:
        """Record an agreement version; True if it is new, False if already registered as it is.

        Raises
        ------
        ConflictError
            The same id and version is registered with other content (a change is a new
            version).
        """

        # Read first: a version registered as it is takes no write lock (fusion registers its
        # agreements with every save, live fusion several times a second).
        with self._errors(), self._engine.connect() as conn:
            if registered(conn, agreement):
                return False
        with self._errors(), self._write() as conn:
            return register_agreement(conn, self._dialect, agreement, datetime.now(UTC))

    def agreement_versions(self) -> list[dict[str, Any]]:
        """The registered agreement versions (id, version, title, effective_from, parties,
        registered_at), by id then version."""

        with self._errors(), self._engine.connect() as conn:
            return agreement_versions(conn)
