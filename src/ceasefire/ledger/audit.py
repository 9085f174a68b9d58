"""The shared record: sign checkpoints, prove records, verify proofs, audit a store for tampering.

Every accepted record and state change is a leaf of one append-only Merkle log (RFC 9162), kept
in the store beside the records (:mod:`ceasefire.store.ledger`). The log signs checkpoints (C2SP
tlog-checkpoint, signed notes with Ed25519, :mod:`ceasefire.ledger.notes`); each party may cosign them
(C2SP tlog-cosignature) after checking that the log only grew since the checkpoint it last saw.

What a party runs, on a copy of the database or offline:

- :func:`prove` makes a *bundle* for a record: the leaf, ``leafIdx``, ``treeSize``,
  ``leafHash``, ``proof``, ``root`` (base64, as in the RFC 9162 test vectors) and the signed
  checkpoint. :func:`verify_bundle` checks it with nothing but the log's public key (and the
  cosigners' keys it trusts), so a bundle can be checked far from the store.
- :func:`verify_consistency_from` checks a checkpoint saved earlier against the store's latest.
- :func:`audit` rereads the whole store: every entry against its stored hash, every stored
  hash against the entries, every signed checkpoint against the entries, and every logged table
  (reports, status changes, violations, agreements) against its entries. It names the first bad
  entry, so a row changed, deleted, reordered or inserted behind the store's back is found.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ceasefire.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    Problem,
    VerificationError,
)
from ceasefire.ledger import merkle
from ceasefire.ledger.notes import (
    Checkpoint,
    Signer,
    Verifier,
    cosign,
    open_note,
    verify_cosignatures,
)
from ceasefire.store import hotline as store_hotline
from ceasefire.store import ledger as store_ledger
from ceasefire.store.facade import Store
from ceasefire.store.ledger import Entry, StoredCheckpoint
from ceasefire.store.schema import (
    agreements_table,
    reports_table,
    status_changes_table,
    violations_table,
)
from ceasefire.store.users import releases_table

__all__ = [
    "AuditReport",
    "Verified",
    "add_cosignature",
    "audit",
    "cosign_latest",
    "prove",
    "read_signer",
    "read_verifier",
    "sign_checkpoint",
    "verify_bundle",
    "verify_consistency_from",
    "write_key",
]


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _unb64(text: Any, name: str) -> bytes:
    if not isinstance(text, str):
        raise InputError(Problem("bundle", name, "must be a base64 string"))
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise InputError(Problem("bundle", name, f"is not valid base64: {text[:40]!r}")) from None


def sign_checkpoint(store: Store, signer: Signer) -> StoredCheckpoint:
    """Sign a checkpoint of the log as it is now (or return the stored one of this size).

    The first checkpoint fixes the log's origin (the key's name) and key; signing later with
    another key is refused, so a stolen database cannot be re-signed under a new key unnoticed.
    """
    return store.ledger_sign(signer, datetime.now(UTC))


def cosign_latest(
    store: Store,
    cosigner: Signer,
    log_verifier: Verifier,
    *,
    since: str | None = None,
    timestamp: int | None = None,
) -> StoredCheckpoint:
    """A party cosigns the store's latest checkpoint and the line is stored with it.

    A cosignature says the checkpoint is consistent with everything the cosigner saw before
    (tlog-cosignature), so with ``since`` (the note of the checkpoint the party last cosigned
    or saved) the consistency proof is checked first.
    """
    latest = store.ledger_checkpoint()
    if since is not None:
        verify_consistency_from(store, since, log_verifier)
    when = int(datetime.now(UTC).timestamp()) if timestamp is None else timestamp
    cosigned = cosign(latest.note, cosigner, when, log_verifier=log_verifier)
    return store.ledger_add_cosignature(
        latest.size, cosigner.name, _line_of(cosigned, cosigner.name)
    )


def _line_of(note: str, name: str) -> str:
    """The (last) signature line of ``name`` in a note."""
    return [line for line in note.splitlines(keepends=True) if line.startswith(f"\u2014 {name} ")][
        -1
    ]


def add_cosignature(
    store: Store, note: str, log_verifier: Verifier, cosigner: Verifier
) -> StoredCheckpoint:
    """Store a cosignature a party made elsewhere: ``note`` is the checkpoint with the party's
    cosignature line added. The line is checked against the stored checkpoint first."""
    checked = verify_cosignatures(note, log_verifier, [cosigner], 1)
    stored = store.ledger_checkpoint(checked.checkpoint.size)
    if Checkpoint.parse(open_note(stored.note, [log_verifier]).text) != checked.checkpoint:
        raise VerificationError("the cosigned checkpoint is not the one the log signed")
    line = _line_of(note, cosigner.name)
    return store.ledger_add_cosignature(checked.checkpoint.size, cosigner.name, line)


# -- proofs ------------------------------------------------------------------------------------


def prove(store: Store, record_id: str, *, kind: str | None = None) -> dict[str, Any]:
    """The inclusion bundle of a record's latest entry in the latest signed checkpoint.

    ``record_id`` is a report id, ``status/N``, ``violation/N``, ``AGREEMENT@VERSION``, or
    ``#N`` for entry N.

    Raises
    ------
    NotFoundError
        Nothing logged under that id, or no checkpoint covers its entry yet.
    """
    entries = store.ledger_entries(record_id, kind=kind)
    if not entries:
        raise NotFoundError(f"no ledger entry for {record_id!r}")
    entry = entries[-1]
    checkpoint = store.ledger_checkpoint()
    if checkpoint.size <= entry.idx:
        raise NotFoundError(
            f"entry {entry.idx} ({record_id!r}) is not covered by a signed checkpoint yet "
            f"(the latest has size {checkpoint.size}); sign one with `ceasefire ledger checkpoint`"
        )
    proof = store.ledger_inclusion(entry.idx, checkpoint.size)
    return {
        "record": json.loads(entry.body),
        "leafIdx": entry.idx,
        "treeSize": checkpoint.size,
        "leafHash": _b64(entry.leaf_hash),
        "proof": [_b64(p) for p in proof],
        "root": _b64(checkpoint.root),
        "checkpoint": checkpoint.text,
    }


@dataclass(frozen=True)
class Verified:
    """What a successful verification established."""

    what: str
    size: int
    root: bytes
    cosigners: tuple[str, ...] = ()

    def __str__(self) -> str:
        by = f", cosigned by {', '.join(self.cosigners)}" if self.cosigners else ""
        return f"{self.what} (tree size {self.size}, root {_b64(self.root)}{by})"


def _checked(
    note: str, log_verifier: Verifier, cosigners: Sequence[Verifier], quorum: int
) -> tuple[Checkpoint, tuple[str, ...]]:
    if quorum > 0:
        checked = verify_cosignatures(note, log_verifier, cosigners, quorum)
        return checked.checkpoint, checked.cosigners
    opened = open_note(note, [log_verifier])
    return Checkpoint.parse(opened.text), ()


def verify_bundle(
    bundle: Mapping[str, Any],
    log_verifier: Verifier,
    *,
    cosigners: Sequence[Verifier] = (),
    quorum: int = 0,
) -> Verified:
    """Check an inclusion bundle from :func:`prove` with the log's key only.

    The checkpoint must be signed by the log (and cosigned by ``quorum`` of ``cosigners``); its
    size and root must be the bundle's; the record's canonical JSON must hash to ``leafHash``;
    and the proof must lead from that leaf to the root (RFC 9162 2.1.3.2).

    Raises
    ------
    VerificationError
        Any of that fails; the message says which, with the expected and computed values.
    InputError
        The bundle is missing a field or has one of the wrong type.
    """
    for name in ("record", "leafIdx", "treeSize", "leafHash", "proof", "root", "checkpoint"):
        if name not in bundle:
            raise InputError(Problem("bundle", name, "is missing"))
    checkpoint, names = _checked(str(bundle["checkpoint"]), log_verifier, cosigners, quorum)
    index, size = bundle["leafIdx"], bundle["treeSize"]
    for name, value in (("leafIdx", index), ("treeSize", size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(Problem("bundle", name, f"must be a whole number, got {value!r}"))
    root = _unb64(bundle["root"], "root")
    if checkpoint.size != size or checkpoint.root != root:
        raise VerificationError(
            "the bundle's tree size and root are not those of its signed checkpoint",
            expected=f"{checkpoint.size} {_b64(checkpoint.root)}",
            computed=f"{size} {_b64(root)}",
        )
    record = bundle["record"]
    if not isinstance(record, dict):
        raise InputError(Problem("bundle", "record", "must be a JSON object"))
    leaf = merkle.leaf_hash(
        store_ledger.leaf_body(str(record.get("kind")), str(record.get("id")), record.get("record"))
    )
    claimed = _unb64(bundle["leafHash"], "leafHash")
    if leaf != claimed:
        raise VerificationError(
            "the record does not hash to the bundle's leafHash",
            expected=_b64(claimed),
            computed=_b64(leaf),
            entry=index,
        )
    proof = bundle["proof"]
    if not isinstance(proof, list):
        raise InputError(Problem("bundle", "proof", "must be a list of base64 hashes"))
    merkle.verify_inclusion(leaf, index, size, [_unb64(p, "proof") for p in proof], root)
    return Verified(f"entry {index} ({record.get('id')}) is in the log", size, root, names)


def verify_consistency_from(
    store: Store,
    old_note: str,
    log_verifier: Verifier,
    *,
    cosigners: Sequence[Verifier] = (),
    quorum: int = 0,
) -> Verified:
    """Check that the store's latest checkpoint extends a checkpoint saved earlier.

    Both notes must be signed by the log; the consistency proof comes from the store's stored
    hashes (RFC 9162 2.1.4.2).
    """
    old, _ = _checked(old_note, log_verifier, (), 0)
    latest = store.ledger_checkpoint()
    new, names = _checked(latest.text, log_verifier, cosigners, quorum)
    if old.origin != new.origin:
        raise VerificationError(
            "the saved checkpoint is of another log", expected=old.origin, computed=new.origin
        )
    if old.size > new.size:
        raise VerificationError(
            f"the saved checkpoint (size {old.size}) is ahead of the store's latest "
            f"(size {new.size}): the log was cut back",
            expected=str(old.size),
            computed=str(new.size),
            entry=new.size,
        )
    if old.size == 0:
        # RFC 9162 proves consistency between non-empty trees; every tree extends the empty one.
        return Verified("the log extends the saved empty checkpoint", new.size, new.root, names)
    proof = store.ledger_consistency(old.size, new.size) if old.size < new.size else []
    merkle.verify_consistency(old.size, new.size, proof, old.root, new.root)
    return Verified(
        f"the log of size {new.size} extends the saved checkpoint of size {old.size}",
        new.size,
        new.root,
        names,
    )


# -- audit -------------------------------------------------------------------------------------


@dataclass
class AuditReport:
    """What :func:`audit` checked; ``problems`` holds ``(entry, message)``, first bad first."""

    size: int = 0
    checkpoints: int = 0
    records: dict[str, int] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)
    key_source: str = ""

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
            f"match them ({self.key_source}); records match their entries: {kinds or 'none'}"
        )


def audit(store: Store, log_verifier: Verifier | None = None) -> AuditReport:
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
    with store.read() as conn:
        state = store_ledger.state(conn)
        verifier = log_verifier
        if verifier is None and state.log_key is not None:
            verifier = Verifier.from_key(state.log_key)
            report.key_source = "the log key stored in the database, not one you hold"
        elif verifier is not None:
            report.key_source = f"key {verifier.name}"
        report.size = state.size
        leaves, index = _check_entries(conn, state.size, report)
        _check_nodes(conn, leaves, report)
        _check_checkpoints(conn, leaves, verifier, report)
        _check_records(conn, index, report)
    report.raise_first()
    return report


def _check_entries(
    conn: Connection, size: int, report: AuditReport
) -> tuple[list[bytes], dict[tuple[str, str], list[tuple[int, bytes]]]]:
    """Leaf hashes recomputed from the entries, and (kind, record id) -> [(idx, leaf hash)]."""
    leaves: list[bytes] = []
    index: dict[tuple[str, str], list[tuple[int, bytes]]] = {}
    for entry in store_ledger.iter_entries(conn):
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
            and store_ledger.leaf_body(entry.kind, entry.record_id, parsed["record"]) == body
        )
    except (ValueError, InputError):
        ok = False
    if not ok:
        report.add(entry.idx, "its body is not the canonical leaf of its kind and id columns")


def _check_nodes(conn: Connection, leaves: list[bytes], report: AuditReport) -> None:
    """Every stored subtree hash must be the one the entries give, and none may be missing."""
    stored = store_ledger.iter_nodes(conn)
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
    conn: Connection, leaves: list[bytes], verifier: Verifier | None, report: AuditReport
) -> None:
    """Each signed checkpoint must verify and commit to the root of the entries before it."""
    size, good = 0, 0
    frontier: list[bytes] = []
    for checkpoint in store_ledger.checkpoints(conn):
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


def _logged_rows(conn: Connection) -> Iterator[tuple[str, store_ledger.Item]]:
    """Each logged table's rows as the leaves they were logged as (what the tables say now)."""
    for r in conn.execute(select(reports_table.c.report_id, reports_table.c.body)):
        yield "reports", store_ledger.report_item(r.report_id, r.body)
    for r in conn.execute(select(status_changes_table)):
        yield "status changes", store_ledger.status_item(int(r.seq), dict(r._mapping))
    for r in conn.execute(select(violations_table)):
        yield "violations", store_ledger.violation_item(int(r.seq), dict(r._mapping))
        if r.superseded_at is not None:
            yield "violations", store_ledger.superseded_item(int(r.seq), r.superseded_at)
    for r in conn.execute(select(agreements_table)):
        yield "agreements", store_ledger.agreement_item(dict(r._mapping))
    for r in conn.execute(select(releases_table)):
        yield "releases", store_ledger.release_item(dict(r._mapping))
    for r in conn.execute(select(store_hotline.messages_table.c.record)):
        yield "hotline messages", store_hotline.hotline_item(json.loads(r.record))


def _check_records(
    conn: Connection, index: dict[tuple[str, str], list[tuple[int, bytes]]], report: AuditReport
) -> None:
    """Every row of a logged table must equal an entry logged for it, and every entry must
    still have its row."""
    unmatched = {key: list(found) for key, found in index.items()}
    for table, (kind, record_id, record) in _logged_rows(conn):
        leaf = merkle.leaf_hash(store_ledger.leaf_body(kind, record_id, record))
        logged = unmatched.get((kind, record_id))
        if not logged:
            # A row with no entry was written behind the ledger's back; it has no index of its
            # own, so it is named after every entry (at the log's size).
            report.add(report.size, f"{table}: {record_id} has no ledger entry")
            continue
        if kind in store_ledger.LATEST_WINS:
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


# -- key files ---------------------------------------------------------------------------------


def write_key(signer: Signer, path: Path) -> Path:
    """Save a private key (the C2SP ``PRIVATE+KEY+...`` string) readable by its owner only, and
    its public verifier key beside it as ``<path>.pub``; returns the ``.pub`` path.

    Raises
    ------
    ConflictError
        The file exists: a key is never overwritten.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConflictError(f"{path} exists; a key file is never overwritten") from None
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(signer.key + "\n")
    public = path.with_name(path.name + ".pub")
    public.write_text(signer.verifier().key + "\n", encoding="ascii")
    return public


def read_signer(path: Path) -> Signer:
    """The private key saved by :func:`write_key`."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Problem(str(path), "", f"cannot read the key file: {exc}")) from None
    return Signer.from_key(text)


def read_verifier(value: str) -> Verifier:
    """A verifier key given as the key itself (``name+id+base64``) or as a file holding it."""
    text = value.strip()
    path = Path(text)
    if path.is_file():
        try:
            text = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(Problem(value, "", f"cannot read the key file: {exc}")) from None
    return Verifier.from_key(text)
