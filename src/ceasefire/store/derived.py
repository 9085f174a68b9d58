"""What the store keeps beside the logged rows, recomputed from them for the ledger audit.

The log holds every record and decision (:mod:`ceasefire.store.logged`). The store also keeps
what follows from them, so that it can filter and answer fast: a report's columns and resolved
point, an incident's columns, which reports it holds, its current status and assessed
perpetrator, a hotline message's columns, who may see it and what each recipient has sent
back. Trusting those columns would let a direct edit of the database bend every answer while
the log stays intact, so the audit recomputes each from the logged rows (which it checks
against their leaves) with the same rule the store used to write it, and names the record whose
stored value differs.

Each function of :data:`DERIVED` yields :data:`Finding` s ``(kind, record id, what differs)``;
the audit names the latest entry logged for that kind and id. A new derived fact is one
function here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import Connection

from ceasefire.errors import CeasefireError
from ceasefire.hotline.rules import Message, Progress, overall
from ceasefire.hotline.sending import note_reply
from ceasefire.judge.verification import standing
from ceasefire.records import incident_from_dict
from ceasefire.store.hotline import addresses_table, messages_table
from ceasefire.store.incident_saving import incident_columns
from ceasefire.store.reports import report_from_body
from ceasefire.store.schema import (
    PLACEMENT_COLUMNS,
    incident_reports_table,
    incidents_table,
    placement_columns,
    reports_table,
    retractions_table,
    rtree_table,
    status_changes_table,
)
from ceasefire.store.writing import report_columns
from ceasefire.vocab import WITHDRAWN

#: ``(leaf kind, record id, what differs)``: a stored fact its logged record does not give.
Finding = tuple[str, str, str]

_BAD_BODY = (ValueError, TypeError, KeyError, ValidationError, CeasefireError)


def _differs(what: str, name: str, stored: Any, derived: Any) -> str:
    return f"{what}: its {name} holds {stored!r}, what the ledger holds gives {derived!r}"


# -- reports ------------------------------------------------------------------------------------


def _reports(conn: Connection) -> Iterator[Finding]:
    """Each report's columns against its logged body, its placement columns against its stored
    placement, and (SQLite) its spatial index entry against its point."""
    c = reports_table.c
    names = ("content_hash", "submitted_by", "source_kind", "event_type", "weapon_class",
             "observed_from", "observed_to", "lon", "lat", "uncertainty_m")  # fmt: skip
    query = select(c.seq, c.report_id, c.body, c.placement, *(c[n] for n in names),
                   *(c[n] for n in PLACEMENT_COLUMNS))  # fmt: skip
    points: dict[int, tuple[str, float, float]] = {}
    for r in conn.execute(query):
        what = f"report {r.report_id}"
        try:
            derived = report_columns(report_from_body(r.body))
        except _BAD_BODY:
            yield "report", r.report_id, f"{what}: its body is not a report intake accepts"
            continue
        for name in names:
            if getattr(r, name) != derived[name]:
                yield "report", r.report_id, _differs(what, name, getattr(r, name), derived[name])
        try:
            placed = placement_columns(None if r.placement is None else json.loads(r.placement))
        except _BAD_BODY:
            yield "report", r.report_id, f"{what}: its placement is not readable"
            continue
        for name in PLACEMENT_COLUMNS:
            if getattr(r, name) != placed[name]:
                yield "report", r.report_id, _differs(what, name, getattr(r, name), placed[name])
        points[int(r.seq)] = (r.report_id, r.lon, r.lat)
    if conn.dialect.name == "sqlite":  # PostGIS derives its index from lon/lat itself
        yield from _rtree(conn, points)


def _rtree(conn: Connection, points: dict[int, tuple[str, float, float]]) -> Iterator[Finding]:
    """Every report must have a box in the spatial index around its point: an edited box hides
    the report from every bounding-box query. SQLite's R*Tree keeps 32-bit floats, rounded
    outwards, so the box holds the point within a float's width."""
    boxes = {int(b.id): b for b in conn.execute(select(rtree_table))}
    for seq, (report_id, lon, lat) in points.items():
        b = boxes.get(seq)
        ok = b is not None and (
            b.min_lon <= lon <= b.max_lon
            and b.min_lat <= lat <= b.max_lat
            and b.max_lon - b.min_lon < 1e-4
            and b.max_lat - b.min_lat < 1e-4
        )
        if not ok:
            yield (
                "report",
                report_id,
                f"report {report_id}: its spatial index entry is not its point",
            )


# -- incidents ----------------------------------------------------------------------------------


def _incidents(conn: Connection) -> Iterator[Finding]:
    """Each incident's columns against its logged body, its members against the body's
    ``report_ids``, its status and assessment against its logged status changes."""
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for h in conn.execute(select(status_changes_table).order_by(status_changes_table.c.seq)):
        history[h.incident_id].append(dict(h._mapping))
    members: dict[str, str] = {}  # report id -> the live incident whose body lists it
    retracted = set(conn.execute(select(retractions_table.c.report_id)).scalars())
    names: list[str] | None = None
    for r in conn.execute(select(incidents_table)):
        what = f"incident {r.incident_id}"
        try:
            incident = incident_from_dict(json.loads(r.body))
            derived = incident_columns(incident, r.body)
        except _BAD_BODY:
            yield "incident", f"incident/{r.incident_id}", f"{what}: its body is not an incident"
            continue
        names = names or [n for n in derived if n != "body"]
        for name in names:
            if getattr(r, name) != derived[name]:
                yield (
                    "incident",
                    f"incident/{r.incident_id}",
                    _differs(what, name, r._mapping[name], derived[name]),
                )
        if r.merged_into is None and r.status != WITHDRAWN:
            # A retracted report left its incident as it was retracted; the body still lists
            # it until the next fusion run sums up the rest.
            members.update(
                (rid, r.incident_id) for rid in incident.report_ids if rid not in retracted
            )
        changes = history.get(r.incident_id, [])
        got = (r.status, r.assessed_perpetrator, r.assessed_basis)
        want = standing(changes)
        if got != want:
            last = f"status/{changes[-1]['seq']}" if changes else f"incident/{r.incident_id}"
            kind = "status_change" if changes else "incident"
            yield kind, last, _differs(what, "status and assessment", got, want)
    m = incident_reports_table.c
    for row in conn.execute(select(m.report_id, m.incident_id)):
        want_id = members.pop(row.report_id, None)
        if want_id != row.incident_id:
            blamed = want_id or row.incident_id
            yield (
                "incident",
                f"incident/{blamed}",
                f"incident {blamed}: report {row.report_id} is filed under {row.incident_id}, "
                f"its logged body puts it in {want_id or 'no live incident'}",
            )
    for report_id, incident_id in members.items():
        yield (
            "incident",
            f"incident/{incident_id}",
            f"incident {incident_id}: its logged body lists report {report_id}, "
            "which is not filed under it",
        )


# -- hotline ------------------------------------------------------------------------------------


def _hotline(conn: Connection) -> Iterator[Finding]:
    """Each message's columns against its logged record; who may see it (its addresses) and
    what each recipient has sent back, replayed from every logged message in order with the
    store's own rule (:func:`ceasefire.hotline.sending.note_reply`)."""
    mc = messages_table.c
    columns = ("thread", "kind", "sender", "sent_at", "in_reply_to", "incident_id", "urgent",
               "ack_due", "answer_due")  # fmt: skip
    stored: dict[int, Any] = {}
    by_id: dict[str, tuple[int, Message]] = {}
    each: dict[int, dict[str, Progress]] = {}
    for r in conn.execute(select(messages_table).order_by(mc.seq)):
        rid = f"hotline/{r.message_id}"
        what = f"hotline message {r.message_id}"
        try:
            message = Message.from_record(json.loads(r.record))
        except _BAD_BODY:
            yield "hotline_message", rid, f"{what}: its record is not a message"
            continue
        if message.id != r.message_id:
            yield "hotline_message", rid, _differs(what, "message_id", r.message_id, message.id)
        for name in columns:
            if getattr(r, name) != getattr(message, name):
                yield (
                    "hotline_message",
                    rid,
                    _differs(what, name, r._mapping[name], getattr(message, name)),
                )
        seq = int(r.seq)
        stored[seq] = r
        by_id[message.id] = (seq, message)
        each[seq] = {a: Progress() for a in dict.fromkeys((message.sender, *message.recipients))}
        if message.in_reply_to is None or message.kind == "agenda_item":
            continue
        original = by_id.get(message.in_reply_to)
        if original is None:
            yield (
                "hotline_message",
                rid,
                f"{what}: it replies to {message.in_reply_to}, not stored before it",
            )
            continue
        try:
            each[original[0]] = note_reply(original[1], each[original[0]], message)
        except CeasefireError as exc:
            yield (
                "hotline_message",
                rid,
                f"{what}: the store accepted a reply its rules refuse: {exc}",
            )
    rows: dict[int, dict[str, Progress]] = defaultdict(dict)
    for r in conn.execute(select(addresses_table)):
        rows[int(r.seq)][r.address] = Progress(r.acknowledged_at, r.answered_at, int(r.level))
    for seq, message in by_id.values():
        rid, what = f"hotline/{message.id}", f"hotline message {message.id}"
        want = each[seq]
        got = rows.pop(seq, {})
        if set(got) != set(want):
            yield "hotline_message", rid, _differs(what, "addresses", sorted(got), sorted(want))
        for address in sorted(set(got) & set(want)):
            if got[address] != want[address]:
                yield (
                    "hotline_message",
                    rid,
                    _differs(
                        what,
                        f"progress from {address}",
                        _shown(got[address]),
                        _shown(want[address]),
                    ),
                )
        r = stored[seq]
        total = overall(message, want)
        if (r.acknowledged_at, r.answered_at, r.level) != (
            total.acknowledged_at,
            total.answered_at,
            total.level,
        ):
            yield (
                "hotline_message",
                rid,
                _differs(
                    what,
                    "progress",
                    _shown(Progress(r.acknowledged_at, r.answered_at, int(r.level))),
                    _shown(total),
                ),
            )
    for seq in rows:  # addresses of a message that is not stored
        yield (
            "hotline_message",
            f"hotline/?{seq}",
            f"hotline addresses: message {seq} is not stored",
        )


def _shown(p: Progress) -> tuple[str | None, str | None, int]:
    def text(t: datetime | None) -> str | None:
        return None if t is None else t.isoformat()

    return text(p.acknowledged_at), text(p.answered_at), p.level


#: Derived facts (as the audit names them) -> their findings.
DERIVED: dict[str, Callable[[Connection], Iterator[Finding]]] = {
    "report columns": _reports,
    "incidents": _incidents,
    "hotline state": _hotline,
}
