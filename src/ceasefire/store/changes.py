"""The change feed: what changed about incidents and reports, in the order it happened, read
from the log.

Every change a client following the mission live cares about is already a ledger leaf, in one
order, numbered: an incident created, changed or merged (``incident``), a status decided or
moved by fusion (``status_change``), a violation judged or superseded, a release, a report
retracted (``retraction``). The feed is those entries after a given index, each named by the
incident (or, for a retraction, the report) it is about; the index is the cursor (``since``),
so a client that reconnects misses nothing and sees nothing twice.

Three of them take something away, and are marked ``"op": "delete"`` with what they delete
(ACLED's deletions list is the model: the id and when): a retraction deletes its report, a
superseded mark its violation, and an incident merged into another (``merged_into``) the
absorbed incident. Every other change is ``"op": "upsert"``. Each change keeps its leaf's
text, so its inclusion proof can be built (:func:`ceasefire.ledger.proofs.prove_entries`).
Who may see which change, and have which proof, is decided elsewhere
(:meth:`ceasefire.publish.visibility.Viewer.changes`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ceasefire.ledger.log import Entry
from ceasefire.records import StoredViolation
from ceasefire.store.database import Database
from ceasefire.store.ledger import entries_table
from ceasefire.store.schema import violations_table
from ceasefire.store.violations import list_violations

#: The kinds of log entries the feed carries.
KINDS: Final = (
    "incident",
    "status_change",
    "violation",
    "violation_superseded",
    "release",
    "retraction",
)

_E = entries_table.c
_V = violations_table.c


@dataclass(frozen=True)
class Change:
    """One change: the log entry's index (the cursor), its kind, the record it logs, the
    incident it is about (None for a retraction), when it was logged, the violation's number
    for a violation, the report of a retraction, the incident an absorbed one was merged
    into, and the leaf's canonical JSON text (``body``, for its proof)."""

    idx: int
    kind: str
    record_id: str
    incident_id: str | None
    at: datetime
    violation: int | None = None
    report_id: str | None = None
    merged_into: str | None = None
    body: str = field(default="", repr=False, compare=False)
    #: The record the leaf logs (what the access policy judges a proof by), read from ``body``.
    record: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def deleted(self) -> dict[str, Any] | None:
        """What the change deletes (``type`` and ``id``), or None for an upsert."""
        if self.kind == "retraction":
            return {"type": "report", "id": self.report_id}
        if self.kind == "violation_superseded":
            return {"type": "violation", "id": self.violation}
        if self.kind == "incident" and self.merged_into is not None:
            return {"type": "incident", "id": self.incident_id}
        return None

    @property
    def entry(self) -> Entry:
        """The log entry, as a proof is built from it."""
        return Entry(self.idx, self.kind, self.record_id, self.body)

    def to_dict(self) -> dict[str, Any]:
        deleted = self.deleted
        out: dict[str, Any] = {
            "idx": self.idx,
            "kind": self.kind,
            "op": "upsert" if deleted is None else "delete",
            "record_id": self.record_id,
        }
        if self.incident_id is not None:
            out["incident_id"] = self.incident_id
        if self.violation is not None:
            out["violation"] = self.violation
        if self.report_id is not None:
            out["report_id"] = self.report_id
        if self.merged_into is not None:
            out["merged_into"] = self.merged_into
        if deleted is not None:
            out["deleted"] = deleted
        out["at"] = self.at.isoformat()
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
        if r.kind == "retraction":
            out.append(
                Change(int(r.idx), r.kind, r.record_id, None, r.appended_at,
                       report_id=str(rec["report_id"]), body=r.body, record=rec)
            )  # fmt: skip
            continue
        incident = of_violation.get(seq or -1) if r.kind == "violation_superseded" else None
        incident = incident or rec.get("incident_id")
        if incident is None:
            continue
        merged = rec.get("merged_into") if r.kind == "incident" else None
        out.append(
            Change(int(r.idx), r.kind, r.record_id, incident, r.appended_at, seq,
                   merged_into=merged, body=r.body, record=rec)
        )  # fmt: skip
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
