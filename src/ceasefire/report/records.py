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
from collections.abc import Collection, Iterable, Mapping, Sequence
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

#: Leaf kinds the coverage section reads as they are (:mod:`ceasefire.coverage`, when built).
COVERAGE_KINDS: Final = frozenset({"sensor_status", "patrol", "restriction"})


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass
class Replayed:
    """What the leaves of one checkpoint hold, record by record (see the module docstring)."""

    size: int = 0
    #: report id -> the report leaf's record (interchange JSON, ``entered_by``, ``placement``).
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    retracted: set[str] = field(default_factory=set)
    #: incident id -> the latest incident leaf's record (``body``, ``merged_into``).
    incident_leaves: dict[str, dict[str, Any]] = field(default_factory=dict)
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
    agreements: dict[str, dict[str, Any]] = field(default_factory=dict)
    _incidents: dict[str, StoredIncident] | None = None

    # -- the records as the store's value types -----------------------------------------------

    @property
    def incidents(self) -> dict[str, StoredIncident]:
        """Every incident as :class:`StoredIncident` (status and assessment from its history).

        ``created_at`` and ``updated_at`` are not logged; the first and last logged status
        change stand for them (else the incident's window), so they too follow from the
        leaves alone."""
        if self._incidents is None:
            out: dict[str, StoredIncident] = {}
            for incident_id, leaf in self.incident_leaves.items():
                body = leaf["body"]
                changes = self.history.get(incident_id, [])
                status, assessed, basis = standing(changes)
                first = _time(changes[0]["at"]) if changes else _time(body["observed_from"])
                last = _time(changes[-1]["at"]) if changes else _time(body["observed_to"])
                out[incident_id] = StoredIncident(
                    incident_id=incident_id,
                    body=body,
                    status=status or "reported",
                    assessed_perpetrator=assessed,
                    assessed_basis=basis,
                    merged_into=leaf.get("merged_into"),
                    created_at=first,
                    updated_at=last,
                )
            self._incidents = out
        return self._incidents

    def live_incidents(self) -> list[StoredIncident]:
        """The incidents not merged into another, by id."""
        return [s for _, s in sorted(self.incidents.items()) if s.merged_into is None]

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

    def current_violations(self) -> list[StoredViolation]:
        """The violations no later judgement superseded, by seq."""
        return [
            self.violation(s) for s in sorted(self.violation_records) if s not in self.superseded
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
        return {
            r
            for r in report_ids
            if r in self.reports and self.reports[r].get("submitted_by") == submitted_by
        }

    def incidents_by_id(self, incident_ids: Collection[str]) -> dict[str, StoredIncident]:
        every = self.incidents
        return {i: every[i] for i in incident_ids if i in every}

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
        leaf = json.loads(entry.body)
        kind, record = entry.kind, leaf["record"]
        if kind == "report":
            state.reports[entry.record_id] = record
        elif kind == "incident":
            state.incident_leaves[record["incident_id"]] = record
        elif kind == "status_change":
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
        elif kind in COVERAGE_KINDS:
            state.coverage_records.append((kind, record))
        elif kind == "agreement":
            state.agreements[entry.record_id] = record
    state.size = expected
    return state


def leaf_of(kind: str, record_id: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """A leaf's JSON object as a bundle carries it (``{"kind", "id", "record"}``)."""
    return {"kind": kind, "id": record_id, "record": dict(record)}
