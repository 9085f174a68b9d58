"""The change feed: what changed about incidents, in the order it happened, read from the log.

Every change a client following the mission live cares about is already a ledger leaf, in one
order, numbered: an incident created, changed or merged (``incident``), a status decided or
moved by fusion (``status_change``), a violation judged or superseded, a release. The feed is
those entries after a given index, each named by the incident it is about; the index is the
cursor (``since``), so a client that reconnects misses nothing and sees nothing twice. Who may
see which change is decided elsewhere (:meth:`ceasefire.publish.visibility.Viewer.changes`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ceasefire.records import StoredViolation
from ceasefire.store.database import Database
from ceasefire.store.ledger import entries_table
from ceasefire.store.schema import violations_table
from ceasefire.store.violations import list_violations

#: The kinds of log entries the feed carries.
KINDS: Final = ("incident", "status_change", "violation", "violation_superseded", "release")

_E = entries_table.c
_V = violations_table.c


@dataclass(frozen=True)
class Change:
    """One change: the log entry's index (the cursor), its kind, the record it logs, the
    incident it is about, when it was logged, and the violation's number for a violation."""

    idx: int
    kind: str
    record_id: str
    incident_id: str
    at: datetime
    violation: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "idx": self.idx,
            "kind": self.kind,
            "record_id": self.record_id,
            "incident_id": self.incident_id,
            "at": self.at.isoformat(),
        }
        if self.violation is not None:
            out["violation"] = self.violation
        return out


def changes(conn: Connection, since: int, limit: int) -> list[Change]:
    """The feed's entries after index ``since``, oldest first, at most ``limit``."""
    rows = conn.execute(
        select(_E.idx, _E.kind, _E.record_id, _E.body, _E.appended_at)
        .where(_E.idx > since, _E.kind.in_(KINDS))
        .order_by(_E.idx)
        .limit(limit)
    ).all()
    records = [json.loads(r.body)["record"] for r in rows]
    # A superseded mark names its violation only: its incident is the violation's.
    marks = [int(rec["seq"]) for r, rec in zip(rows, records, strict=True)
             if r.kind == "violation_superseded"]  # fmt: skip
    of_violation: dict[int, str] = {}
    if marks:
        found = conn.execute(select(_V.seq, _V.incident_id).where(_V.seq.in_(marks)))
        of_violation = {int(s): i for s, i in found}
    out: list[Change] = []
    for r, rec in zip(rows, records, strict=True):
        seq = int(rec["seq"]) if r.kind in ("violation", "violation_superseded") else None
        incident = of_violation.get(seq or -1) if r.kind == "violation_superseded" else None
        incident = incident or rec.get("incident_id")
        if incident is None:
            continue
        out.append(Change(int(r.idx), r.kind, r.record_id, incident, r.appended_at, seq))
    return out


class ChangesArea(Database):
    """The change feed (part of :class:`~ceasefire.store.facade.Store`)."""

    def changes(self, since: int = -1, limit: int = 500) -> list[Change]:
        """Changes after log index ``since`` (see :func:`changes`)."""
        with self._errors(), self.read() as conn:
            return changes(conn, since, limit)

    def violations_by_seq(self, seqs: Sequence[int]) -> dict[int, StoredViolation]:
        """The stored violations of these numbers, superseded ones included."""
        if not seqs:
            return {}
        with self._errors(), self.read() as conn:
            found = list_violations(conn, [_V.seq.in_(list(seqs))], None, 0)
        return {v.seq: v for v in found}
