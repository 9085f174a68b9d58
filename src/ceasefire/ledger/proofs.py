"""Signing, cosigning and proving: what a party fetches to check the record for itself.

:func:`prove` makes a *bundle* for a record: the leaf, ``leafIdx``, ``treeSize``, ``leafHash``,
``proof``, ``root`` (base64, as in the RFC 9162 test vectors) and the signed checkpoint.
:func:`verify_bundle` checks it with nothing but the log's public key (and the cosigners' keys it
trusts), so a bundle can be checked far from the store. :func:`verify_consistency_from` checks a
checkpoint saved earlier against the store's latest. The store is anything with the
:class:`LedgerStore` methods; this module runs no SQL.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ceasefire.errors import (
    InputError,
    NotFoundError,
    Problem,
    VerificationError,
)
from ceasefire.ledger import merkle
from ceasefire.ledger.checkpoints import (
    Checkpoint,
    cosign,
    cosignature_time_problem,
    verify_cosignatures,
)
from ceasefire.ledger.log import Entry, StoredCheckpoint, leaf_body
from ceasefire.ledger.notes import Signer, Verifier, open_note


class LedgerStore(Protocol):
    """What signing and proving need of a store (:class:`ceasefire.store.facade.Store` is one)."""

    def ledger_sign(self, signer: Signer, at: datetime) -> StoredCheckpoint: ...
    def ledger_checkpoint(self, size: int | None = None) -> StoredCheckpoint: ...
    def ledger_add_cosignature(self, size: int, cosigner: str, line: str) -> StoredCheckpoint: ...
    def ledger_entries(self, record_id: str, *, kind: str | None = None) -> list[Entry]: ...
    def ledger_inclusion(self, index: int, size: int) -> list[bytes]: ...
    def ledger_inclusions(self, indices: Collection[int], size: int) -> dict[int, list[bytes]]: ...
    def ledger_consistency(self, size1: int, size2: int) -> list[bytes]: ...


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _unb64(text: Any, name: str) -> bytes:
    if not isinstance(text, str):
        raise InputError(Problem("bundle", name, "must be a base64 string"))
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise InputError(Problem("bundle", name, f"is not valid base64: {text[:40]!r}")) from None


def sign_checkpoint(store: LedgerStore, signer: Signer) -> StoredCheckpoint:
    """Sign a checkpoint of the log as it is now (or return the stored one of this size).

    The first checkpoint fixes the log's origin (the key's name) and key; signing later with
    another key is refused, so a stolen database cannot be re-signed under a new key unnoticed.
    """
    return store.ledger_sign(signer, datetime.now(UTC))


def cosign_latest(
    store: LedgerStore,
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
    now = datetime.now(UTC)
    when = int(now.timestamp()) if timestamp is None else timestamp
    _check_time(when, latest, now)
    cosigned = cosign(latest.note, cosigner, when, log_verifier=log_verifier)
    return store.ledger_add_cosignature(
        latest.size, cosigner.name, _line_of(cosigned, cosigner.name)
    )


def _check_time(timestamp: int, checkpoint: StoredCheckpoint, now: datetime) -> None:
    """Refuse a cosignature dated before ``checkpoint`` was signed or ahead of ``now``
    (:func:`ceasefire.ledger.checkpoints.cosignature_time_problem`)."""
    reason = cosignature_time_problem(timestamp, checkpoint.signed_at, now)
    if reason is not None:
        raise InputError(
            Problem(f"cosignature of checkpoint {checkpoint.size}", "timestamp", reason)
        )


def _line_of(note: str, name: str) -> str:
    """The (last) signature line of ``name`` in a note."""
    return [line for line in note.splitlines(keepends=True) if line.startswith(f"\u2014 {name} ")][
        -1
    ]


def add_cosignature(
    store: LedgerStore, note: str, log_verifier: Verifier, *cosigners: Verifier
) -> StoredCheckpoint:
    """Store cosignatures a party made elsewhere: ``note`` is the checkpoint with the lines of
    ``cosigners`` added. Every line is checked against the stored checkpoint, and its timestamp
    against when that checkpoint was signed and the present, before any is kept."""
    if not cosigners:
        raise InputError(Problem("cosignature", "cosigner", "name at least one cosigner key"))
    checked = [_checked_line(store, note, log_verifier, c) for c in cosigners]
    stored: StoredCheckpoint | None = None
    for size, name, line in checked:
        stored = store.ledger_add_cosignature(size, name, line)
    assert stored is not None
    return stored


def _checked_line(
    store: LedgerStore, note: str, log_verifier: Verifier, cosigner: Verifier
) -> tuple[int, str, str]:
    checked = verify_cosignatures(note, log_verifier, [cosigner], 1)
    stored = store.ledger_checkpoint(checked.checkpoint.size)
    if Checkpoint.parse(open_note(stored.note, [log_verifier]).text) != checked.checkpoint:
        raise VerificationError("the cosigned checkpoint is not the one the log signed")
    now = datetime.now(UTC)
    for made in checked.cosignatures:
        _check_time(made.timestamp, stored, now)
    return checked.checkpoint.size, cosigner.name, _line_of(note, cosigner.name)


# -- proofs ------------------------------------------------------------------------------------


def prove(store: LedgerStore, record_id: str, *, kind: str | None = None) -> dict[str, Any]:
    """The inclusion bundle of a record's latest entry in the latest signed checkpoint.

    ``record_id`` is a report id, ``status/N``, ``violation/N``, ``AGREEMENT@VERSION``, or
    ``#N`` for entry N; with ``kind``, the record of that kind with that id as it is (a report
    called ``status/1``). Only entries of that kind are ever proved
    (:func:`ceasefire.ledger.log.lookup`).

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
    return _bundle(entry, checkpoint, store.ledger_inclusion(entry.idx, checkpoint.size))


def prove_entries(store: LedgerStore, entries: Sequence[Entry]) -> dict[int, dict[str, Any]]:
    """The inclusion bundles (as :func:`prove` makes them) of these entries in the latest signed
    checkpoint, by entry index: one checkpoint for all, so a page of the change feed verifies
    against one root. An entry no signed checkpoint covers yet has none (nor any, before the
    first checkpoint)."""
    if not entries:
        return {}
    try:
        checkpoint = store.ledger_checkpoint()
    except NotFoundError:
        return {}
    covered = [e for e in entries if e.idx < checkpoint.size]
    proofs = store.ledger_inclusions([e.idx for e in covered], checkpoint.size)
    return {e.idx: _bundle(e, checkpoint, proofs[e.idx]) for e in covered}


def _bundle(entry: Entry, checkpoint: StoredCheckpoint, proof: list[bytes]) -> dict[str, Any]:
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
        leaf_body(str(record.get("kind")), str(record.get("id")), record.get("record"))
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
    store: LedgerStore,
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
