"""The log's values: how each record becomes a leaf, the entries, the checkpoints as stored.

A leaf is the canonical JSON (RFC 8785) of ``{"kind", "id", "record"}``; its hash is RFC 9162's
leaf hash (:mod:`ceasefire.ledger.merkle`). Each logged kind of record has one function here that
makes its leaf from the row the store holds, so the store writes and the audit rereads the same
bytes. Pure: no database, no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ceasefire.canonical import canonical_json
from ceasefire.ledger import merkle

#: What a leaf holds besides its record: the record's kind and its id within that kind.
Item = tuple[str, str, Mapping[str, Any]]


def leaf_body(kind: str, record_id: str, record: Any) -> bytes:
    """The canonical JSON (RFC 8785) bytes of one leaf: ``{"id", "kind", "record"}``."""
    return canonical_json({"kind": kind, "id": record_id, "record": record}, where=record_id)


def utc_text(moment: datetime) -> str:
    """A time as it is written in leaves: ISO 8601 in UTC with microseconds, ``Z`` suffix, so
    the same instant always gives the same text whatever offset it arrived with."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def report_item(
    report_id: str,
    body: str | Mapping[str, Any],
    entered_by: Mapping[str, Any] | None = None,
    placement: Mapping[str, Any] | None = None,
) -> Item:
    """The leaf of a stored report: its interchange JSON as stored (``reports.body``, text or
    its mapping) and who entered it (:func:`entered`).

    ``entered_by`` is the signed-in user who stored the report: ``name``, ``role`` and
    ``party``; when a mission user entered a party's report (source kind ``party``) it also
    says ``on_behalf_of`` that party. The report's own fields cannot spell ``entered_by``:
    intake drops the name (:data:`ceasefire.intake.report.RECORDED_FIELDS`). A report stored
    before the mechanism recorded this has no ``entered_by``.

    ``placement`` is where the mechanism placed the report when it stored it (side, distance,
    zones, oblast: :meth:`ceasefire.geo.engine.Placement.row`), so the side a report is filed
    under is part of the record; reports stored before migration 0011 have none in their leaf.
    """
    record = dict(json.loads(body) if isinstance(body, str) else body)
    if entered_by is not None:
        who = dict(entered_by)
        if who.get("role") != "party" and record.get("source_kind") == "party":
            who["on_behalf_of"] = record.get("submitted_by")
        record["entered_by"] = who
    if placement is not None:
        record["placement"] = dict(placement)
    return ("report", report_id, record)


def entered(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """Who entered a report, from its row's ``entered_by``, ``entered_role`` and
    ``entered_party`` columns; None for a report stored before they were kept."""
    if row["entered_by"] is None and row["entered_role"] is None:
        return None
    return {"name": row["entered_by"], "role": row["entered_role"], "party": row["entered_party"]}


def status_item(seq: int, row: Mapping[str, Any]) -> Item:
    """The leaf of one status change (a ``status_changes`` row)."""
    record = {
        "seq": seq,
        "incident_id": row["incident_id"],
        "from_status": row["from_status"],
        "to_status": row["to_status"],
        "actor": row["actor"],
        "at": utc_text(row["at"]),
        "basis": row["basis"],
        "assessed_perpetrator": row["assessed_perpetrator"],
        "perpetrator_basis": row["perpetrator_basis"],
        "automatic": bool(row["automatic"]),
    }
    return ("status_change", f"status/{seq}", record)


def violation_item(seq: int, row: Mapping[str, Any]) -> Item:
    """The leaf of one violation as judged (a ``violations`` row)."""
    record = {
        "seq": seq,
        "incident_id": row["incident_id"],
        "rule": row["rule"],
        "agreement_id": row["agreement_id"],
        "agreement_version": row["agreement_version"],
        "party": row["party"],
        "evidence": json.loads(row["evidence"]),
        "facts": json.loads(row["facts"]),
        "description": row["description"],
        "judged_at": utc_text(row["judged_at"]),
    }
    return ("violation", f"violation/{seq}", record)


def superseded_item(seq: int, at: datetime) -> Item:
    """The leaf saying a violation was replaced by a later judgement."""
    return ("violation_superseded", f"violation/{seq}", {"seq": seq, "superseded_at": utc_text(at)})


def agreement_item(row: Mapping[str, Any]) -> Item:
    """The leaf of an agreement version: its identity and the SHA-256 of the stored body (the
    body itself, geometry included, stays in ``agreements``)."""
    record = {
        "agreement_id": row["agreement_id"],
        "version": row["version"],
        "effective_from": utc_text(row["effective_from"]),
        "title": row["title"],
        "body_sha256": hashlib.sha256(row["body"].encode("utf-8")).hexdigest(),
    }
    return ("agreement", f"{row['agreement_id']}@{row['version']}", record)


def release_item(row: Mapping[str, Any]) -> Item:
    """The leaf of a release to the public (an ``incident_releases`` row). An incident released
    again gets a new leaf under the same record id; the row holds the latest."""
    record = {
        "incident_id": row["incident_id"],
        "released_at": utc_text(row["released_at"]),
        "full": bool(row["full"]),
        "released_by": row["released_by"],
    }
    return ("release", f"release/{row['incident_id']}", record)


def incident_item(incident_id: str, body: str | Mapping[str, Any], merged_into: str | None) -> Item:
    """The leaf of an incident as fusion left it: its fused body (the facts, the member
    ``report_ids``, the sources) and, once absorbed by another, ``merged_into``.

    Logged whenever fusion creates, changes or merges an incident; its row must equal the latest
    leaf. What the row holds besides is recomputed by the audit, never trusted: the filter
    columns from the body, the membership rows from ``report_ids``, the status and the assessed
    perpetrator from the logged status changes.
    """
    record = {
        "incident_id": incident_id,
        "body": json.loads(body) if isinstance(body, str) else dict(body),
        "merged_into": merged_into,
    }
    return ("incident", f"incident/{incident_id}", record)


def retraction_item(row: Mapping[str, Any]) -> Item:
    """The leaf of a report's retraction (a ``report_retractions`` row): who withdrew it, when,
    why, and the report that corrects it if one does. The report and its leaf stay: history
    keeps what was said; fusion and counts leave it out."""
    record = {
        "report_id": row["report_id"],
        "retracted_at": utc_text(row["retracted_at"]),
        "by": {"name": row["by_name"], "role": row["by_role"], "party": row["by_party"]},
        "reason": row["reason"],
        "corrected_by": row["corrected_by"],
    }
    return ("retraction", f"retraction/{row['report_id']}", record)


def tally_item(row: Mapping[str, Any]) -> Item:
    """The leaf of a strike tally as stored (a ``tallies`` row): its JSON as given, who entered
    it and when. A correction is a new tally that ``supersedes`` the earlier one (both kept,
    each its own leaf), never an edit of a row."""
    record = {
        "tally": json.loads(row["body"]) if isinstance(row["body"], str) else dict(row["body"]),
        "entered_by": {
            "name": row["entered_by"],
            "role": row["entered_role"],
            "party": row["entered_party"],
        },
        "entered_at": utc_text(row["entered_at"]),
    }
    return ("tally", tally_record_id(row["issuer"], row["tally_id"]), record)


def tally_record_id(issuer: str, tally_id: str) -> str:
    """A tally's record id in the log: its issuer's code and its id (each issuer chooses its own
    ids, so one party cannot take the other's)."""
    return f"tally/{issuer}/{tally_id}"


#: The coverage kinds' record-id prefixes (:func:`coverage_item`).
COVERAGE_PREFIXES: dict[str, str] = {
    "sensor_status": "sensor/",
    "patrol": "patrol/",
    "restriction": "restriction/",
}


def coverage_record_id(kind: str, key: str) -> str:
    """A coverage record's id in the log: ``sensor/ID`` (a sensor status), ``patrol/ID/MODE``
    (a patrol's plan or track: one patrol id, two records), ``restriction/ID``."""
    return COVERAGE_PREFIXES[kind] + key


def coverage_item(kind: str, key: str, row: Mapping[str, Any]) -> Item:
    """The leaf of a coverage record as stored (a ``sensor_status``, ``patrols`` or
    ``restrictions`` row): its JSON as given under its kind, who entered it and when. Records
    are never edited, so each id has one leaf."""
    record = {
        kind: json.loads(row["body"]) if isinstance(row["body"], str) else dict(row["body"]),
        "entered_by": {
            "name": row["entered_by"],
            "role": row["entered_role"],
            "party": row["entered_party"],
        },
        "entered_at": utc_text(row["entered_at"]),
    }
    return (kind, coverage_record_id(kind, key), record)


def sensor_status_item(row: Mapping[str, Any]) -> Item:
    """The leaf of a ``sensor_status`` row (:func:`coverage_item`)."""
    return coverage_item("sensor_status", str(row["status_id"]), row)


def patrol_item(row: Mapping[str, Any]) -> Item:
    """The leaf of a ``patrols`` row (:func:`coverage_item`)."""
    return coverage_item("patrol", f"{row['patrol_id']}/{row['mode']}", row)


def restriction_item(row: Mapping[str, Any]) -> Item:
    """The leaf of a ``restrictions`` row (:func:`coverage_item`)."""
    return coverage_item("restriction", str(row["restriction_id"]), row)


def user_item(row: Mapping[str, Any]) -> Item:
    """The leaf of a user as administered (a ``users`` row): logged again at every change (add,
    disable, enable, rotate), so the row must equal the latest leaf and the earlier ones are
    its history. ``change`` says which administration made this state, at ``changed_at``.

    It commits to the token's SHA-256 (``token_sha256``, the stored ``token_hash``): a hash
    swapped for one of a token someone else knows no longer matches the log. The hash of a
    256-bit random token reveals nothing usable (:mod:`ceasefire.publish.access`).
    """
    expires = row["expires_at"]
    record = {
        "name": row["name"],
        "role": row["role"],
        "party": row["party"],
        "token_sha256": row["token_hash"],
        "token_issued_at": utc_text(row["token_issued_at"]),
        "expires_at": None if expires is None else utc_text(expires),
        "created_at": utc_text(row["created_at"]),
        "disabled": bool(row["disabled"]),
        "change": row["change"],
        "changed_at": utc_text(row["changed_at"]),
    }
    return ("user", f"user/{row['name']}", record)


def submitter_key_item(row: Mapping[str, Any]) -> Item:
    """The leaf of a key trusted for signed reports (a ``submitter_keys`` row): the key, the
    party it may sign for (None: any submitter), and when it stopped being trusted (None: it
    is trusted). Untrusting a key logs it again; the row must equal the latest leaf."""
    revoked = row["revoked_at"]
    record = {
        "name": row["name"],
        "key_id": int(row["key_id"]),
        "key": row["key"],
        "party": row["party"],
        "added_at": utc_text(row["added_at"]),
        "revoked_at": None if revoked is None else utc_text(revoked),
    }
    return ("submitter_key", f"key/{row['name']}+{int(row['key_id']):08x}", record)


#: Kinds whose row is replaced rather than added to: the row must equal the latest leaf logged
#: for its record id, and the earlier leaves are its history.
LATEST_WINS = frozenset({"release", "incident", "user", "submitter_key"})


def hotline_item(record: dict[str, Any]) -> Item:
    """The leaf of one hotline message: its record as sent."""
    return ("hotline_message", f"hotline/{record['id']}", record)


#: Record-id prefixes of the kinds whose ids the log makes, and the kinds each one names. Report
#: ids are the submitters' own and agreements are ``ID@VERSION``; a report may well be called
#: ``status/1`` (report ids may hold ``/``), which is why a lookup is always by kind as well.
NAMESPACES: dict[str, tuple[str, ...]] = {
    "status/": ("status_change",),
    "violation/": ("violation", "violation_superseded"),
    "release/": ("release",),
    "hotline/": ("hotline_message",),
    "incident/": ("incident",),
    "retraction/": ("retraction",),
    "user/": ("user",),
    "key/": ("submitter_key",),
    "tally/": ("tally",),
    "sensor/": ("sensor_status",),
    "patrol/": ("patrol",),
    "restriction/": ("restriction",),
}


@dataclass(frozen=True)
class Lookup:
    """Which entries a reference names: entry ``index``, or the entries of ``record_id``
    whose kind is one of ``kinds`` (never another kind's under the same id)."""

    kinds: tuple[str, ...] = ()
    record_id: str | None = None
    index: int | None = None


def lookup(reference: str, kind: str | None = None) -> Lookup:
    """What ``reference`` names in the log, as ``ceasefire ledger prove`` and the API take it.

    With ``kind``, the record id ``reference`` of that kind, taken literally (a report called
    ``#3`` or ``status/1`` is found with ``kind="report"``). Without: ``#N`` is entry N;
    ``status/N``, ``violation/N``, ``release/ID`` and ``hotline/ID`` are those kinds' records;
    ``ID@VERSION`` an agreement version; anything else a report id.

    >>> lookup("status/4")
    Lookup(kinds=('status_change',), record_id='status/4', index=None)
    >>> lookup("status/4", "report")
    Lookup(kinds=('report',), record_id='status/4', index=None)
    >>> lookup("#12")
    Lookup(kinds=(), record_id=None, index=12)
    """
    if kind is not None:
        return Lookup((kind,), reference)
    if reference.startswith("#") and reference[1:].isdigit() and reference[1:].isascii():
        return Lookup(index=int(reference[1:]))
    for prefix, kinds in NAMESPACES.items():
        if reference.startswith(prefix):
            return Lookup(kinds, reference)
    return Lookup(("agreement",) if "@" in reference else ("report",), reference)


@dataclass(frozen=True)
class LedgerState:
    """The log as the store holds it now: its size, origin and log key (None until the first
    checkpoint is signed)."""

    size: int
    origin: str | None
    log_key: str | None


@dataclass(frozen=True)
class StoredCheckpoint:
    """A signed checkpoint and the cosignature lines received for it."""

    size: int
    root: bytes
    note: str  # the signed note as the log signed it
    cosignatures: tuple[str, ...]
    signed_at: datetime

    @property
    def text(self) -> str:
        """The note with every cosignature line appended (C2SP tlog-cosignature)."""
        return self.note + "".join(self.cosignatures)


@dataclass(frozen=True)
class Entry:
    """One leaf of the log."""

    idx: int
    kind: str
    record_id: str
    body: str  # canonical JSON text

    @property
    def leaf_hash(self) -> bytes:
        return merkle.leaf_hash(self.body.encode("utf-8"))
