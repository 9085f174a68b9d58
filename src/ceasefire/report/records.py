"""The records of one checkpoint: the ledger's leaves replayed into what a report reads.

A daily report is built from the leaves of one signed checkpoint (entries ``0 .. size-1``) and
from nothing else, so that anyone holding those leaves (the store, or a proof bundle) rebuilds
the same bytes. :func:`replay` folds the leaves in log order with the store's own rules: the
latest leaf of a :data:`~ceasefire.ledger.log.LATEST_WINS` kind stands for its record, an
incident's status and assessment are what its logged status changes leave standing
(:func:`ceasefire.judge.verification.standing`), a violation marked superseded no longer counts,
a hotline message's replies are noted as the store notes them
(:func:`ceasefire.hotline.sending.note_reply`).

:class:`Replayed` also answers the reads the one access policy needs
(:class:`ceasefire.publish.visibility.Records`), so a party's or the public's report is cut by
the very :class:`~ceasefire.publish.visibility.Viewer` the API uses, over the checkpoint's
records instead of the store's rows. Pure: no database, no I/O.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from ceasefire.errors import CeasefireError, VerificationError
from ceasefire.hotline.rules import Message, Progress
from ceasefire.hotline.sending import note_reply
from ceasefire.judge.verification import standing
from ceasefire.ledger.log import Entry
from ceasefire.publish.access import Release
from ceasefire.records import StoredIncident, StoredViolation

#: Leaf kinds the coverage section reads as they are (:func:`ceasefire.coverage.report_section`).
COVERAGE_KINDS: Final = frozenset({"sensor_status", "patrol", "restriction"})
#: The other kinds a report reads whole (users, keys and agreements it does not read).
_READ: Final = COVERAGE_KINDS | {
    "status_change", "violation", "violation_superseded", "release", "retraction", "tally",
    "hotline_message",
}  # fmt: skip


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


#: Where an incident's window starts, read from its leaf's canonical JSON without parsing it: a
#: key is never inside a string value there (a quote in a value is escaped), and the incident's
#: body is the only object of the leaf with this key.
_OBSERVED_FROM: Final = re.compile(r'"observed_from":"([^"]+)"')
_INCIDENT_PREFIX: Final = "incident/"


@dataclass
class Replayed:
    """What the leaves of one checkpoint hold, record by record (see the module docstring).

    Reports and incidents, most of a log, are kept as their leaves' text and parsed when a
    report asks for them (a day's incidents, a party's own reports): a month's log holds far
    more of them than one day's report reads."""

    size: int = 0
    #: report id -> its leaf (JSON text; :meth:`report` parses it).
    report_leaves: dict[str, str] = field(default_factory=dict)
    retracted: set[str] = field(default_factory=set)
    #: incident id -> its latest incident leaf (JSON text; :meth:`incident` parses it).
    incident_leaves: dict[str, str] = field(default_factory=dict)
    #: incident id -> its status changes, oldest first.
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    violation_records: dict[int, dict[str, Any]] = field(default_factory=dict)
    superseded: dict[int, str] = field(default_factory=dict)
    release_records: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: tally leaves' ``tally`` objects, in log order (every version: reconciliation keeps the
    #: current ones).
    tallies: list[dict[str, Any]] = field(default_factory=list)
    #: hotline messages in log order, and what each recipient has sent back to each.
    messages: list[Message] = field(default_factory=list)
    progress: dict[str, dict[str, Progress]] = field(default_factory=dict)
    #: (kind, record) of the coverage kinds and of hotline messages, in log order.
    coverage_records: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    _incidents: dict[str, StoredIncident] = field(default_factory=dict)

    # -- the records as the store's value types -----------------------------------------------

    def report(self, report_id: str) -> dict[str, Any] | None:
        """A report's record as logged (interchange JSON, ``entered_by``, ``placement``)."""
        if report_id not in self._reports:
            text = self.report_leaves.get(report_id)
            if text is None:
                return None
            self._reports[report_id] = json.loads(text)["record"]
        return self._reports[report_id]

    def incident(self, incident_id: str) -> StoredIncident | None:
        """An incident as :class:`StoredIncident`, its status and assessment what its logged
        history leaves standing.

        ``created_at`` and ``updated_at`` are not logged; the first and last logged status
        change stand for them (else the incident's window), so they too follow from the
        leaves alone."""
        held = self._incidents.get(incident_id)
        if held is not None:
            return held
        text = self.incident_leaves.get(incident_id)
        if text is None:
            return None
        leaf = json.loads(text)["record"]
        body = leaf["body"]
        changes = self.history.get(incident_id, [])
        status, assessed, basis = standing(changes)
        first = _time(changes[0]["at"]) if changes else _time(body["observed_from"])
        last = _time(changes[-1]["at"]) if changes else _time(body["observed_to"])
        held = StoredIncident(
            incident_id=incident_id,
            body=body,
            status=status or "reported",
            assessed_perpetrator=assessed,
            assessed_basis=basis,
            merged_into=leaf.get("merged_into"),
            created_at=first,
            updated_at=last,
        )
        self._incidents[incident_id] = held
        return held

    def live_incidents(self, start: datetime, end: datetime) -> list[StoredIncident]:
        """The incidents not merged into another whose window starts in ``[start, end)``, by id."""
        out = []
        for incident_id in sorted(self.incident_leaves):
            found = _OBSERVED_FROM.search(self.incident_leaves[incident_id])
            if found is None or not start <= _time(found.group(1)) < end:
                continue
            stored = self.incident(incident_id)
            if stored is not None and stored.merged_into is None:
                out.append(stored)
        return out

    def violation(self, seq: int) -> StoredViolation:
        r = self.violation_records[seq]
        gone = self.superseded.get(seq)
        return StoredViolation(
            seq=seq,
            incident_id=r["incident_id"],
            rule=r["rule"],
            agreement_id=r["agreement_id"],
            agreement_version=int(r["agreement_version"]),
            party=r["party"],
            evidence=tuple(r["evidence"]),
            facts=dict(r["facts"]),
            description=r["description"],
            judged_at=_time(r["judged_at"]),
            superseded_at=None if gone is None else _time(gone),
        )

    def current_violations(self, incident_ids: Collection[str]) -> list[StoredViolation]:
        """The violations of these incidents that no later judgement superseded, by seq."""
        wanted = set(incident_ids)
        return [
            self.violation(seq)
            for seq in sorted(self.violation_records)
            if seq not in self.superseded and self.violation_records[seq]["incident_id"] in wanted
        ]

    # -- the reads of the access policy (ceasefire.publish.visibility.Records) ----------------

    def releases(self) -> dict[str, Release]:
        return {
            i: Release(_time(r["released_at"]), bool(r["full"]))
            for i, r in self.release_records.items()
        }

    def violation_parties(self, incident_ids: Collection[str]) -> dict[str, set[str]]:
        wanted = set(incident_ids)
        out: dict[str, set[str]] = {}
        for seq, r in self.violation_records.items():
            if seq in self.superseded or r["incident_id"] not in wanted or not r["party"]:
                continue
            out.setdefault(r["incident_id"], set()).add(r["party"])
        return out

    def reports_of(self, submitted_by: str, report_ids: Collection[str]) -> set[str]:
        out = set()
        for report_id in report_ids:
            record = self.report(report_id)
            if record is not None and record.get("submitted_by") == submitted_by:
                out.add(report_id)
        return out

    def incidents_by_id(self, incident_ids: Collection[str]) -> dict[str, StoredIncident]:
        found = {i: self.incident(i) for i in incident_ids}
        return {i: s for i, s in found.items() if s is not None}

    def hotline_asked(self, address: str, incident_ids: Collection[str]) -> set[str]:
        wanted = set(incident_ids)
        return {
            m.incident_id
            for m in self.messages
            if m.incident_id in wanted and address in m.recipients
        }

    def violations_by_seq(self, seqs: Sequence[int]) -> dict[int, StoredViolation]:
        return {s: self.violation(s) for s in seqs if s in self.violation_records}


def _hotline(state: Replayed, record: dict[str, Any], by_id: dict[str, Message]) -> None:
    message = Message.from_record(record)
    state.messages.append(message)
    by_id[message.id] = message
    state.progress[message.id] = {
        a: Progress() for a in dict.fromkeys((message.sender, *message.recipients))
    }
    original = by_id.get(message.in_reply_to or "")
    if original is not None and message.kind != "agenda_item":
        # A reply the rules refuse is named by the audit (ceasefire.store.derived); the store
        # noted nothing for it, and neither does a report.
        with contextlib.suppress(CeasefireError):
            state.progress[original.id] = note_reply(original, state.progress[original.id], message)


def replay(entries: Iterable[Entry]) -> Replayed:
    """Fold the leaves, in log order, into :class:`Replayed`. Entries must come in index order
    from 0 without a gap (VerificationError otherwise: a report never skips a leaf)."""
    state = Replayed()
    by_id: dict[str, Message] = {}
    expected = 0
    for entry in entries:
        if entry.idx != expected:
            raise VerificationError(
                f"the leaves read skip from entry {expected - 1} to {entry.idx}",
                expected=str(expected),
                computed=str(entry.idx),
                entry=expected,
            )
        expected += 1
        kind = entry.kind
        if kind == "report":
            state.report_leaves[entry.record_id] = entry.body
            continue
        if kind == "incident":
            state.incident_leaves[entry.record_id.removeprefix(_INCIDENT_PREFIX)] = entry.body
            continue
        if kind not in _READ:
            continue
        record = json.loads(entry.body)["record"]
        if kind == "status_change":
            state.history.setdefault(record["incident_id"], []).append(record)
        elif kind == "violation":
            state.violation_records[int(record["seq"])] = record
        elif kind == "violation_superseded":
            state.superseded[int(record["seq"])] = record["superseded_at"]
        elif kind == "release":
            state.release_records[record["incident_id"]] = record
        elif kind == "retraction":
            state.retracted.add(record["report_id"])
        elif kind == "tally":
            state.tallies.append(record["tally"])
        elif kind == "hotline_message":
            _hotline(state, record, by_id)
            state.coverage_records.append((kind, record))
        else:
            state.coverage_records.append((kind, record))
    state.size = expected
    return state
