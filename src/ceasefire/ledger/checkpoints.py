"""Transparency-log checkpoints and their cosignatures (C2SP tlog-checkpoint, tlog-cosignature).

Two C2SP specifications, followed as published in the C2SP/C2SP repository, on the signed notes
of :mod:`ceasefire.ledger.notes`:

* ``tlog-checkpoint.md`` (c2sp.org/tlog-checkpoint): a note whose text is the log's origin,
  its tree size and its RFC 6962 root hash, then optional extension lines.
* ``tlog-cosignature.md`` (c2sp.org/tlog-cosignature): a witness's note signature on a
  checkpoint, signature type ``0x04`` (Ed25519 ``cosignature/v1``). Its payload is a timestamp
  and an Ed25519 signature over ``cosignature/v1\\ntime <T>\\n`` followed by the whole
  checkpoint body (:func:`~ceasefire.ledger.notes.cosigned_message`).

A module of their own because a signed note is a format any text may use (the daily report is
one, :mod:`ceasefire.report.notes`), while a checkpoint is the log's statement about its tree
and a cosignature a witness's statement about a checkpoint: the layout of that statement, and the
rules for counting k trusted cosigners and for a timestamp that fits, live here.

Malformed input (a checkpoint text, a timestamp, a key of the wrong type) raises
:class:`~ceasefire.errors.InputError`; a log signature or a trusted cosignature that does not
verify, or too few trusted cosignatures, raises :class:`~ceasefire.errors.VerificationError`.

Pure: values in, values out or an error; no clock (the caller passes cosignature timestamps and
the present).

Examples
--------
>>> from ceasefire.ledger.notes import sign_note
>>> log = Signer.generate("example.com/log")
>>> body = Checkpoint("example.com/log", 1, bytes(32)).body()
>>> open_note(sign_note(body, log), [log.verifier()]).text == body
True
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from ceasefire.errors import InputError, Problem, VerificationError
from ceasefire.ledger.notes import (
    _TIMESTAMP_LEN,
    COSIGNATURE_V1,
    NoteSignature,
    Signer,
    Verifier,
    _b64decode,
    _check_text,
    _join,
    _merge,
    _split,
    cosigned_message,
    open_log_note,
    open_note,
)

__all__ = [
    "CheckedCheckpoint",
    "Checkpoint",
    "Cosignature",
    "cosign",
    "verify_cosignatures",
]

#: RFC 6962 uses SHA-256, so a checkpoint's root hash is 32 bytes.
_ROOT_LEN: Final = 32
#: tlog-checkpoint, "Note text": ASCII decimal, no leading zeroes unless the size is 0.
_TREE_SIZE: Final = re.compile(r"0|[1-9][0-9]*", re.ASCII)


# -- checkpoints --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head as tlog-checkpoint, "Note text" lays it out.

    Examples
    --------
    >>> body = "example.com/behind-the-sofa\\n20852163\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\\n"
    >>> Checkpoint.parse(body).size
    20852163
    >>> Checkpoint.parse(body).body() == body
    True
    """

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin:
            raise InputError(Problem("checkpoint", "origin", "must not be empty"))
        for name, line in [("origin", self.origin), *(("extension", e) for e in self.extensions)]:
            if not line:
                raise InputError(Problem("checkpoint", name, "lines must not be empty"))
            _check_text(line, "checkpoint")
            if "\n" in line:
                raise InputError(Problem("checkpoint", name, "must be a single line"))
        if isinstance(self.size, bool) or not 0 <= self.size < 2**64:
            raise InputError(Problem("checkpoint", "size", f"{self.size!r} is not a uint64"))
        if len(self.root) != _ROOT_LEN:
            raise InputError(
                Problem("checkpoint", "root", f"must be {_ROOT_LEN} bytes, got {len(self.root)}")
            )

    def body(self) -> str:
        """The note text: origin, size, base64 root, extension lines, each ending in newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "".join(line + "\n" for line in [*lines, *self.extensions])

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body strictly (tlog-checkpoint, "Note text").

        Raises
        ------
        InputError
            naming the line that is wrong: fewer than three lines, an empty line, a size with
            a sign, leading zeroes or non-ASCII digits, a root that is not 32 bytes of
            canonical base64, or no final newline.
        """
        _check_text(text, "checkpoint")
        if not text.endswith("\n"):
            raise InputError(Problem("checkpoint", "text", "must end with a newline"))
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise InputError(
                Problem("checkpoint", "text", f"needs origin, size and root, got {len(lines)}")
            )
        origin, size, root, *extensions = lines
        if not _TREE_SIZE.fullmatch(size):
            raise InputError(
                Problem("checkpoint", "size", f"{size!r} is not a decimal without leading zeroes")
            )
        return cls(origin, int(size), _b64decode(root, "checkpoint", "root"), tuple(extensions))


# -- cosignatures -------------------------------------------------------------------------------


#: How far past the present a cosignature's timestamp may lie: clocks of the parties' machines
#: drift (as field devices' do for reports); five minutes absorbs that, not a line dated ahead.
COSIGNATURE_SLACK_S = 300


def cosignature_time_problem(timestamp: int, signed_at: datetime, now: datetime) -> str | None:
    """Why a cosignature made at ``timestamp`` (POSIX seconds) cannot be of a checkpoint the
    log signed at ``signed_at``, as received at ``now``; None when it can.

    A cosignature states what the cosigner had seen by its time (tlog-cosignature, "Format"):
    one dated before the checkpoint existed, or ahead of the present, is not a statement about
    this checkpoint that anyone could have made.
    """
    signed = int(signed_at.timestamp())  # cosignatures count whole seconds
    if timestamp < signed:
        return (
            f"{_when(timestamp)} is before the checkpoint was signed ({_when(signed)}); "
            "a cosignature cannot predate what it signs"
        )
    latest = int(now.timestamp()) + COSIGNATURE_SLACK_S
    if timestamp > latest:
        return (
            f"{_when(timestamp)} is more than {COSIGNATURE_SLACK_S // 60} minutes in the future "
            f"(now {_when(int(now.timestamp()))}); check the cosigner's clock"
        )
    return None


def _when(timestamp: int) -> str:
    try:
        return datetime.fromtimestamp(timestamp, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return str(timestamp)


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: the cosigner's key name, key ID and POSIX timestamp."""

    name: str
    key_id: int
    timestamp: int


@dataclass(frozen=True)
class CheckedCheckpoint:
    """A checkpoint whose log signature and at least ``k`` cosignatures verified."""

    checkpoint: Checkpoint
    log: Verifier
    cosignatures: tuple[Cosignature, ...]

    @property
    def cosigners(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.cosignatures)


def cosign(
    note: str | bytes,
    cosigner: Signer,
    timestamp: int,
    *,
    log_verifier: Verifier | None = None,
) -> str:
    """Add a ``cosignature/v1`` line to a checkpoint note.

    A witness should cosign only after checking the log's signature and consistency with the
    last checkpoint it cosigned (tlog-cosignature: a cosignature states the tree head is the
    largest consistent one observed); pass ``log_verifier`` to check the signature here.

    Raises
    ------
    InputError
        when the note or its checkpoint is malformed, the timestamp is out of range or the
        signer is not a :data:`~ceasefire.ledger.notes.COSIGNATURE_V1` key.
    VerificationError
        when ``log_verifier`` is given and the log's signature does not verify.
    """
    text, old = _split(note)
    if log_verifier is not None:
        open_note(note, [log_verifier])
    Checkpoint.parse(text)
    return _join(text, _merge(old, [cosignature_of(text, cosigner, timestamp)]))


def cosignature_of(text: str, cosigner: Signer, timestamp: int) -> NoteSignature:
    """A ``cosignature/v1`` signature line over a note's ``text``, made at ``timestamp``.

    :func:`cosign` makes these for checkpoints; a daily report's note is cosigned the same
    way (:mod:`ceasefire.report.notes`), its text starting with a line no checkpoint has, so a
    line made for one can never pass for the other.

    Raises
    ------
    InputError
        when the timestamp is out of range or the signer is not a
        :data:`~ceasefire.ledger.notes.COSIGNATURE_V1` key.
    """
    if cosigner.sig_type != COSIGNATURE_V1:
        raise InputError(Problem("cosigner", cosigner.name, "not a cosignature/v1 (0x04) key"))
    signature = cosigner.sign(cosigned_message(text, timestamp))
    payload = timestamp.to_bytes(_TIMESTAMP_LEN, "big") + signature
    return NoteSignature(cosigner.name, cosigner.key_id, payload)


def verify_cosignatures(
    note: str | bytes,
    log_verifier: Verifier,
    cosigners: Sequence[Verifier],
    k: int,
) -> CheckedCheckpoint:
    """Verify a checkpoint's log signature and at least ``k`` trusted cosignatures.

    Cosignatures from keys not in ``cosigners`` are ignored (signed-note, "Signatures"); one
    from a trusted key that does not verify fails the whole note. A cosigner counts once
    however many lines it has, and trusted entries sharing a public key count once:
    tlog-cosignature, "Ed25519 signed message", notes the message does not commit to the
    cosigner's name.

    Raises
    ------
    InputError
        when the note or checkpoint is malformed, a cosigner key is not ``cosignature/v1`` or
        ``k`` is below 1.
    VerificationError
        when the log's signature is missing or bad, a trusted cosignature does not verify, or
        fewer than ``k`` distinct trusted cosigners verified (expected ``k``, computed the
        count).
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError(Problem("cosignatures", "k", f"must be a whole number >= 1, got {k!r}"))
    for c in cosigners:
        if c.sig_type != COSIGNATURE_V1:
            raise InputError(Problem("cosigners", c.name, "not a cosignature/v1 (0x04) key"))
    opened = open_log_note(note, log_verifier, cosigners, what="the checkpoint")
    checkpoint = Checkpoint.parse(opened.text)
    trusted = {(c.name, c.key_id): c for c in cosigners}
    found: list[Cosignature] = []
    seen_keys: set[bytes] = set()
    for sig in opened.signatures:
        witness = trusted.get((sig.name, sig.key_id))
        # open_note verified every line of a trusted key, or raised.
        if witness is None or witness.public_key in seen_keys:
            continue
        seen_keys.add(witness.public_key)
        timestamp = int.from_bytes(sig.signature[:_TIMESTAMP_LEN], "big")
        found.append(Cosignature(witness.name, witness.key_id, timestamp))
    if len(found) < k:
        raise VerificationError(
            f"{len(found)} trusted cosignature(s) verified, {k} needed",
            expected=str(k),
            computed=str(len(found)),
        )
    return CheckedCheckpoint(checkpoint, log_verifier, tuple(found))
