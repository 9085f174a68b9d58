"""The shared record: sign checkpoints, prove records, verify proofs, audit a store for tampering.

Every accepted record and state change is a leaf of one append-only Merkle log (RFC 9162), kept
in the store beside the records (:mod:`ceasefire.store.ledger`). The log signs checkpoints (C2SP
tlog-checkpoint, :mod:`ceasefire.ledger.checkpoints`; signed notes with Ed25519,
:mod:`ceasefire.ledger.notes`); each party may cosign them (C2SP tlog-cosignature) after checking
that the log only grew since the checkpoint it last saw.

What a party runs, on a copy of the database or offline:

- :func:`prove` makes a *bundle* for a record: the leaf, ``leafIdx``, ``treeSize``,
  ``leafHash``, ``proof``, ``root`` (base64, as in the RFC 9162 test vectors) and the signed
  checkpoint. :func:`verify_bundle` checks it with nothing but the log's public key (and the
  cosigners' keys it trusts), so a bundle can be checked far from the store.
- :func:`verify_consistency_from` checks a checkpoint saved earlier against the store's latest.
- :func:`audit` rereads the whole store: every entry against its stored hash, every stored
  hash against the entries, every signed checkpoint against the entries, and every logged table
  (:data:`ceasefire.store.logged.LOGGED`: reports, retractions, incidents, status changes,
  violations, agreements, releases, hotline messages, users, submitter keys) against its
  entries, and what the store derives from them (report and incident columns, membership,
  current status and assessment, hotline state; :data:`ceasefire.store.derived.DERIVED`)
  against a recomputation. It names the first bad entry, so a row changed, deleted, reordered
  or inserted behind the store's back is found.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from ceasefire.errors import (
    InputError,
    VerificationError,
)
from ceasefire.ledger import merkle
from ceasefire.ledger.checkpoints import Checkpoint
from ceasefire.ledger.log import LATEST_WINS, Entry, Item, LedgerState, StoredCheckpoint, leaf_body
from ceasefire.ledger.notes import Verifier, open_note
from ceasefire.ledger.proofs import _b64


class LedgerView(Protocol):
    """The log and the logged tables as one read transaction sees them."""

    def state(self) -> LedgerState: ...
    def entries(self) -> Iterator[Entry]: ...
    def nodes(self) -> Iterator[tuple[int, int, bytes]]: ...
    def checkpoints(self) -> Iterator[StoredCheckpoint]: ...
    def logged_rows(self) -> Iterator[tuple[str, Item]]: ...
    def derived(self) -> Iterator[tuple[str, tuple[str, str, str]]]: ...


class AuditSource(Protocol):
    """A store the audit can read (:class:`ceasefire.store.facade.Store` is one)."""

    def ledger_view(self) -> AbstractContextManager[LedgerView]: ...


# -- audit -------------------------------------------------------------------------------------


@dataclass
class AuditReport:
    """What :func:`audit` checked; ``problems`` holds ``(entry, message)``, first bad first."""

    size: int = 0
    checkpoints: int = 0
    records: dict[str, int] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)
    key_source: str = ""
    #: Findings by derived fact (:meth:`LedgerView.derived`): how many stored values differ.
    derived: dict[str, int] = field(default_factory=dict)

    def add(self, entry: int, message: str) -> None:
        self.problems.append((entry, message))

    def raise_first(self) -> None:
        if not self.problems:
            return
        self.problems.sort(key=lambda p: p[0])
        entry, message = self.problems[0]
        more = len(self.problems) - 1
        tail = f" ({more} more problem(s) after it)" if more else ""
        raise VerificationError(f"first bad entry: {entry}: {message}{tail}", entry=entry)

    def __str__(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.records.items()))
        return (
            f"ledger verified: {self.size} entries, {self.checkpoints} signed checkpoint(s) "
            f"match them ({self.key_source}); records match their entries: {kinds or 'none'}; "
            "what the store derives from them (report and incident columns, membership, "
            "status and assessment, hotline state) matches a recomputation"
        )


def audit(store: AuditSource, log_verifier: Verifier | None = None) -> AuditReport:
    """Reread the whole log and the logged tables; raise naming the first bad entry.

    Without ``log_verifier`` the key stored with the log is used, and the report says so: a
    party should pass the log key it holds itself.

    Raises
    ------
    VerificationError
        ``entry`` is the first bad entry; the message says what is wrong there and how many
        more problems follow.
    """
    report = AuditReport()
    with store.ledger_view() as view:
        state = view.state()
        verifier = log_verifier
        if verifier is None and state.log_key is not None:
            verifier = Verifier.from_key(state.log_key)
            report.key_source = "the log key stored in the database, not one you hold"
        elif verifier is not None:
            report.key_source = f"key {verifier.name}"
        report.size = state.size
        leaves, index = _check_entries(view, state.size, report)
        _check_nodes(view, leaves, report)
        _check_checkpoints(view, leaves, verifier, report)
        _check_records(view, index, report)
        if not report.problems:
            # A logged row that differs from its leaf explains what the store derived from it
            # (a deleted status change, the incident's status): name the row, not the symptom.
            _check_derived(view, index, report)
    report.raise_first()
    return report


def _check_entries(
    view: LedgerView, size: int, report: AuditReport
) -> tuple[list[bytes], dict[tuple[str, str], list[tuple[int, bytes]]]]:
    """Leaf hashes recomputed from the entries, and (kind, record id) -> [(idx, leaf hash)]."""
    leaves: list[bytes] = []
    index: dict[tuple[str, str], list[tuple[int, bytes]]] = {}
    for entry in view.entries():
        expected = len(leaves)
        if entry.idx != expected:
            report.add(expected, f"entry {expected} is missing (the next stored is {entry.idx})")
            return leaves, index
        if entry.idx >= size:
            report.add(entry.idx, f"entry {entry.idx} lies beyond the log's size {size}")
            return leaves, index
        body = entry.body.encode("utf-8")
        _check_body(entry, body, report)
        leaf = merkle.leaf_hash(body)
        leaves.append(leaf)
        index.setdefault((entry.kind, entry.record_id), []).append((entry.idx, leaf))
    if len(leaves) < size:
        report.add(len(leaves), f"entry {len(leaves)} is missing (the log's size is {size})")
    return leaves, index


def _check_body(entry: Entry, body: bytes, report: AuditReport) -> None:
    """The body must be canonical JSON of ``{"id", "kind", "record"}`` matching its columns."""
    try:
        parsed = json.loads(body)
        ok = (
            isinstance(parsed, dict)
            and set(parsed) == {"id", "kind", "record"}
            and parsed["kind"] == entry.kind
            and parsed["id"] == entry.record_id
            and leaf_body(entry.kind, entry.record_id, parsed["record"]) == body
        )
    except (ValueError, InputError):
        ok = False
    if not ok:
        report.add(entry.idx, "its body is not the canonical leaf of its kind and id columns")


def _check_nodes(view: LedgerView, leaves: list[bytes], report: AuditReport) -> None:
    """Every stored subtree hash must be the one the entries give, and none may be missing."""
    stored = view.nodes()
    nxt = next(stored, None)
    for level, hashes in enumerate(merkle.complete_levels(leaves)):
        for i, digest in enumerate(hashes):
            while nxt is not None and (nxt[0], nxt[1]) < (level, i):
                _orphan(nxt, len(leaves), report)
                nxt = next(stored, None)
            if nxt is None or (nxt[0], nxt[1]) != (level, i):
                report.add(i << level, f"the stored hash of subtree {(level, i)} is missing")
                return
            if nxt[2] != digest:
                what = "leaf hash" if level == 0 else f"hash of subtree {(level, i)}"
                report.add(i << level, f"its content does not match the stored {what}")
                return
            nxt = next(stored, None)
    if nxt is not None:
        _orphan(nxt, len(leaves), report)


def _orphan(node: tuple[int, int, bytes], n_leaves: int, report: AuditReport) -> None:
    """A stored hash over entries that are not all there: named after the first one missing."""
    level, index, _ = node
    report.add(
        max(index << level, n_leaves),
        f"the stored hash of subtree {(level, index)} covers entries that are not stored",
    )


def _check_checkpoints(
    view: LedgerView, leaves: list[bytes], verifier: Verifier | None, report: AuditReport
) -> None:
    """Each signed checkpoint must verify and commit to the root of the entries before it."""
    size, good = 0, 0
    frontier: list[bytes] = []
    for checkpoint in view.checkpoints():
        if checkpoint.size > len(leaves):
            report.add(len(leaves), f"checkpoint {checkpoint.size} covers entries not stored")
            return
        _, frontier = merkle.append(size, frontier, leaves[size : checkpoint.size])
        size = checkpoint.size
        root = merkle.root_of_frontier(frontier)
        try:
            if verifier is None:
                raise VerificationError("there is no log key to check checkpoints with")
            signed = Checkpoint.parse(open_note(checkpoint.note, [verifier]).text)
        except (VerificationError, InputError) as exc:
            report.add(good, f"checkpoint {checkpoint.size} does not verify: {exc}")
            return
        if signed.size != checkpoint.size or signed.root != root:
            named = [entry for entry, _ in report.problems if good <= entry < checkpoint.size]
            if named:  # an entry already named in this range explains the mismatch better
                return
            report.add(
                good,
                f"entries {good}..{checkpoint.size - 1} are not what checkpoint {checkpoint.size}"
                f" signed (root {_b64(signed.root)}, recomputed {_b64(root)}); the last "
                f"checkpoint that holds has size {good}",
            )
            return
        good = checkpoint.size
        report.checkpoints += 1


def _check_records(
    view: LedgerView, index: dict[tuple[str, str], list[tuple[int, bytes]]], report: AuditReport
) -> None:
    """Every row of a logged table must equal an entry logged for it, and every entry must
    still have its row."""
    unmatched = {key: list(found) for key, found in index.items()}
    for table, (kind, record_id, record) in view.logged_rows():
        leaf = merkle.leaf_hash(leaf_body(kind, record_id, record))
        logged = unmatched.get((kind, record_id))
        if not logged:
            # A row with no entry was written behind the ledger's back; it has no index of its
            # own, so it is named after every entry (at the log's size).
            report.add(report.size, f"{table}: {record_id} has no ledger entry")
            continue
        if kind in LATEST_WINS:
            # Only the latest leaf stands for the row; the earlier ones are its history.
            latest_idx, latest = logged[-1]
            if latest != leaf:
                report.add(latest_idx, f"{table}: {record_id} differs from the latest entry")
            del logged[:]
            if latest != leaf:
                continue
            report.records[table] = report.records.get(table, 0) + 1
            continue
        hit = next((n for n, (_, h) in enumerate(logged) if h == leaf), None)
        if hit is None:
            report.add(logged[0][0], f"{table}: {record_id} differs from what the ledger holds")
            logged.pop(0)
            continue
        logged.pop(hit)
        report.records[table] = report.records.get(table, 0) + 1
    for (kind, record_id), left in unmatched.items():
        for idx, _ in left:
            report.add(idx, f"it logs {kind} {record_id}, which the store no longer holds")


def _check_derived(
    view: LedgerView, index: dict[tuple[str, str], list[tuple[int, bytes]]], report: AuditReport
) -> None:
    """What the store keeps beside the logged rows (columns, membership, current status,
    hotline state) must be what the logged rows give; each difference is named after the
    latest entry of the record it belongs to."""
    for name, (kind, record_id, message) in view.derived():
        logged = index.get((kind, record_id))
        report.add(logged[-1][0] if logged else report.size, message)
        report.derived[name] = report.derived.get(name, 0) + 1
