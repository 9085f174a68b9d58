"""What the mission could see (migration 0013): sensor status, patrols, restrictions, each logged.

Records are stored as given (:func:`ceasefire.coverage.model.to_dict`), one row each, keyed by
their id (a patrol by id and mode: its plan and its track are two records). Storing is
all-or-nothing per call and idempotent: a record stored again with the same content is left as
it is; with other content it is a :class:`ConflictError` (rows are never edited: the log holds
the one version it logged). Each new row is logged in the same transaction
(:func:`ceasefire.ledger.log.coverage_item`). Who may store and read them is the access policy's
``submit_coverage`` and ``read_coverage`` (the mission; the mediator reads).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.engine import Connection

from ceasefire.coverage.model import (
    CoverageRecord,
    Patrol,
    SensorStatus,
    check_parties,
    kind_of,
    read_record,
    record_key,
    to_dict,
)
from ceasefire.errors import ConflictError, InputError, Problem
from ceasefire.ledger.log import Item, patrol_item, restriction_item, sensor_status_item
from ceasefire.publish.access import Principal, require
from ceasefire.store import ledger as store_ledger
from ceasefire.store.backends import Backend
from ceasefire.store.database import Database
from ceasefire.store.hotline import messages_table
from ceasefire.store.rows import require_aware
from ceasefire.store.schema import (
    BODY_JSON,
    patrols_table,
    restrictions_table,
    sensor_status_table,
)


@dataclass(frozen=True)
class CoverageAdded:
    """What one call stored: the records new to the store and those it held already, each as
    ``kind/key`` (``sensor_status/s1``, ``patrol/P-4/actual``)."""

    stored: tuple[str, ...]
    unchanged: tuple[str, ...]


def _table(kind: str) -> Table:
    return {
        "sensor_status": sensor_status_table,
        "patrol": patrols_table,
        "restriction": restrictions_table,
    }[kind]


def _row(record: CoverageRecord, body: str, by: Principal, at: datetime) -> dict[str, Any]:
    entered = {
        "body": body,
        "entered_at": at,
        "entered_by": by.name,
        "entered_role": by.role,
        "entered_party": by.party,
    }
    if isinstance(record, SensorStatus):
        return {"status_id": record.id, "sensor_id": record.sensor.id, "status": record.status,
                "start_at": record.start, "end_at": record.end, **entered}  # fmt: skip
    if isinstance(record, Patrol):
        return {"patrol_id": record.id, "mode": record.mode, "start_at": record.start,
                "end_at": record.end, **entered}  # fmt: skip
    return {"restriction_id": record.id, "at": record.at, "party": record.by, **entered}


_ITEM = {
    "sensor_status": sensor_status_item,
    "patrol": patrol_item,
    "restriction": restriction_item,
}


def _item(kind: str, row: Mapping[str, Any]) -> Item:
    return _ITEM[kind](row)


def _held(conn: Connection, kind: str, keys: Collection[str]) -> dict[str, str]:
    t = _table(kind)
    if kind == "patrol":
        ids = sorted({k.rsplit("/", 1)[0] for k in keys})
        query = select(t.c.patrol_id, t.c.mode, t.c.body).where(t.c.patrol_id.in_(ids))
        return {f"{r.patrol_id}/{r.mode}": r.body for r in conn.execute(query)}
    key = t.c.status_id if kind == "sensor_status" else t.c.restriction_id
    query = select(key.label("key"), t.c.body).where(key.in_(sorted(keys)))
    return {r.key: r.body for r in conn.execute(query)}


def add_coverage(
    conn: Connection,
    dialect: Backend,
    records: Sequence[CoverageRecord],
    *,
    by: Principal,
    at: datetime,
    parties: Collection[str] = (),
) -> CoverageAdded:
    """Store ``records`` in the caller's write transaction (see the module docstring)."""
    require_aware(at, "at")
    require(by, "submit_coverage")
    check_parties(records, parties)
    named = [(kind_of(r), record_key(r)) for r in records]
    seen: set[tuple[str, str]] = set()
    for kind, key in named:
        if (kind, key) in seen:
            raise InputError(Problem(f"{kind} {key!r}", "id", "given twice in one batch"))
        seen.add((kind, key))
    stored: list[str] = []
    unchanged: list[str] = []
    rows: dict[str, list[dict[str, Any]]] = {}
    for kind in ("sensor_status", "patrol", "restriction"):
        mine = [(r, key) for r, (k, key) in zip(records, named, strict=True) if k == kind]
        if not mine:
            continue
        held = _held(conn, kind, [key for _, key in mine])
        for record, key in mine:
            body = str(BODY_JSON(to_dict(record)))
            before = held.get(key)
            if before is not None:
                if before != body:
                    raise ConflictError(
                        f"{kind} {key!r} is stored with other content; a stored record is "
                        "never changed (give the new one its own id)"
                    )
                unchanged.append(f"{kind}/{key}")
                continue
            rows.setdefault(kind, []).append(_row(record, body, by, at))
            stored.append(f"{kind}/{key}")
    items: list[Item] = []
    for kind, batch in rows.items():
        conn.execute(_table(kind).insert(), batch)
        items.extend(_item(kind, r) for r in batch)
    if items:
        store_ledger.append(conn, dialect, items, at)
    return CoverageAdded(tuple(stored), tuple(unchanged))


class CoverageArea(Database):
    """Sensor status, patrols and restrictions (part of :class:`~ceasefire.store.facade.Store`)."""

    def add_coverage(
        self,
        records: Sequence[CoverageRecord],
        *,
        by: Principal,
        parties: Collection[str] = (),
        at: datetime | None = None,
    ) -> CoverageAdded:
        """Store coverage records as ``by`` (all or nothing; see :func:`add_coverage`)."""
        with self._errors(), self._write() as conn:
            return add_coverage(
                conn, self._dialect, records, by=by, at=at or datetime.now(UTC), parties=parties
            )

    def coverage_leaves(
        self, *, by: Principal, start: datetime, end: datetime
    ) -> list[tuple[str, dict[str, Any]]]:
        """The coverage records overlapping ``[start, end)`` (a restriction: within it) as the
        ``(kind, record)`` of their leaves, and the hotline's responses of the window and
        requests sent before ``end`` (:func:`ceasefire.coverage.section.report_section` takes both)."""
        require(by, "read_coverage")
        require_aware(start, "start")
        require_aware(end, "end")
        out: list[tuple[str, dict[str, Any]]] = []
        with self._errors(), self.read() as conn:
            for kind, table in (("sensor_status", sensor_status_table), ("patrol", patrols_table)):
                c = table.c
                query = (
                    select(table)
                    .where(c.end_at > start, c.start_at < end)
                    .order_by(c.start_at, *table.primary_key.columns)
                )
                out.extend(_leaf(_item(kind, dict(r._mapping))) for r in conn.execute(query))
            c = restrictions_table.c
            query = (
                select(restrictions_table)
                .where(c.at >= start, c.at < end)
                .order_by(c.at, c.restriction_id)
            )
            out.extend(_leaf(restriction_item(dict(r._mapping))) for r in conn.execute(query))
            m = messages_table.c
            # The responses of the window and every request before its end (a denial in the
            # window may answer a request sent days before).
            query = (
                select(m.record)
                .where(
                    m.sent_at < end,
                    or_(m.kind == "request", and_(m.kind == "response", m.sent_at >= start)),
                )
                .order_by(m.seq)
            )
            out.extend(("hotline_message", json.loads(r.record)) for r in conn.execute(query))
        return out

    def coverage_records(
        self, *, by: Principal, start: datetime, end: datetime
    ) -> list[CoverageRecord]:
        """The coverage records of :meth:`coverage_leaves`, read back as records."""
        return list(_records(self.coverage_leaves(by=by, start=start, end=end)))


def _leaf(item: Item) -> tuple[str, dict[str, Any]]:
    return item[0], dict(item[2])


def _records(leaves: Iterable[tuple[str, Mapping[str, Any]]]) -> Iterable[CoverageRecord]:
    for kind, record in leaves:
        if kind in ("sensor_status", "patrol", "restriction"):
            yield read_record(kind, record[kind], f"stored {kind}")
