"""Signed notes and the keys that sign them (C2SP signed-note).

Followed as published in the C2SP/C2SP repository, ``signed-note.md`` (c2sp.org/signed-note): a
UTF-8 text ending in a newline, a blank line, then one or more lines ``— <key name>
base64(key ID || signature)``. Two signature types: Ed25519 note signatures (``0x01``) and
witness cosignatures (``0x04``, Ed25519 ``cosignature/v1`` of c2sp.org/tlog-cosignature), whose
payload is a timestamp and an Ed25519 signature over ``cosignature/v1\\ntime <T>\\n`` followed
by the whole note text. That message (:func:`cosigned_message`) is built here because opening a
note verifies every line of a known key, cosignature lines included; checkpoints and the
cosigning of them are in :mod:`ceasefire.ledger.checkpoints`.

Keys are strings in the format of Go's ``golang.org/x/mod/sumdb/note`` (which the spec's
examples and the conformance vectors use): ``<name>+<hex key ID>+<base64(type || public key)>``
for a verifier and ``PRIVATE+KEY+<name>+<hex key ID>+<base64(type || seed)>`` for a signer.

Malformed input (a key string, a note) raises :class:`~ceasefire.errors.InputError`; a
signature that does not verify, or a note with no verified signature, raises
:class:`~ceasefire.errors.VerificationError`.

Pure: values in, values out or an error; no clock (the caller passes cosignature timestamps).

Examples
--------
>>> log = Signer.generate("example.com/log")
>>> open_note(sign_note("hello\\n", log), [log.verifier()]).text
'hello\\n'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ceasefire.errors import InputError, Problem, VerificationError

__all__ = [
    "COSIGNATURE_V1",
    "ED25519",
    "MAX_SIGNATURES",
    "Note",
    "NoteSignature",
    "Signer",
    "Verifier",
    "add_signatures",
    "cosigned_message",
    "open_log_note",
    "open_note",
    "sign_note",
]

#: signed-note, "Signature types": Ed25519 signatures over the note text.
ED25519: Final = 0x01
#: signed-note, "Signature types", and tlog-cosignature, "Format": timestamped Ed25519 witness
#: cosignatures (``cosignature/v1``).
COSIGNATURE_V1: Final = 0x04
_SIGNATURE_TYPES: Final = {ED25519: "Ed25519", COSIGNATURE_V1: "cosignature/v1"}

#: signed-note, "Format": verifiers SHOULD cap the number of signatures and MUST accept at
#: least 16. 100 is the cap of Go's sumdb/note, which the conformance vectors test.
MAX_SIGNATURES: Final = 100

#: signed-note, "Format": each signature line starts with an em dash (U+2014) and a space.
_SIGNATURE_PREFIX: Final = "\u2014 "
#: tlog-cosignature, "Ed25519 signed message": the domain-separating header line.
_COSIGNATURE_HEADER: Final = "cosignature/v1\n"
#: tlog-cosignature, "Format": the timestamp MUST NOT exceed 2^63 - 1.
_MAX_TIMESTAMP: Final = 2**63 - 1
_PRIVATE_PREFIX: Final = "PRIVATE+KEY+"
_KEY_ID_LEN: Final = 4
_ED25519_KEY_LEN: Final = 32
_ED25519_SIG_LEN: Final = 64
_TIMESTAMP_LEN: Final = 8
_HEX_KEY_ID: Final = re.compile(r"[0-9a-fA-F]{8}", re.ASCII)


# -- keys ---------------------------------------------------------------------------------------


def _key_id(name: str, sig_type: int, public_key: bytes) -> int:
    """signed-note, "Signatures": SHA-256(key name || 0x0A || type || public key)[:4]."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()
    return int.from_bytes(digest[:_KEY_ID_LEN], "big")


def _name_problem(name: str) -> str | None:
    """signed-note, "Format": key names are non-empty, without Unicode spaces or ``+``."""
    if not name:
        return "a key name must not be empty"
    if any(ch.isspace() for ch in name) or "+" in name:
        return f"key name {name!r} contains a space or '+'"
    if any(ord(ch) < 0x20 for ch in name):
        return f"key name {name!r} contains a control character"
    return None


def _check_name(name: str, where: str) -> None:
    problem = _name_problem(name)
    if problem is not None:
        raise InputError(Problem(where, "name", problem))


def _b64decode(text: str, where: str, field_name: str) -> bytes:
    """Standard base64 (RFC 4648 section 4), canonical only: one byte string, one encoding."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(Problem(where, field_name, "is not standard base64")) from None
    if base64.b64encode(raw).decode() != text:
        raise InputError(Problem(where, field_name, "is not canonical base64"))
    return raw


def _parse_key(key: str, where: str, n_fields: int) -> tuple[str, int, int, bytes]:
    """``name+hexid+base64(type||material)`` -> name, key ID, type, material (checked)."""
    # The base64 part may itself contain '+', so split off only the leading fields.
    parts = key.split("+", n_fields - 1)
    if len(parts) != n_fields:
        raise InputError(Problem(where, "key", "expected <name>+<hex key ID>+<base64 key>"))
    name, hex_id, b64 = parts[-3:]
    _check_name(name, where)
    if not _HEX_KEY_ID.fullmatch(hex_id):
        raise InputError(Problem(where, "key_id", f"{hex_id!r} is not 8 hex digits"))
    raw = _b64decode(b64, where, "key")
    if not raw or raw[0] not in _SIGNATURE_TYPES:
        kind = f"0x{raw[0]:02x}" if raw else "none"
        raise InputError(Problem(where, "type", f"unsupported signature type {kind}"))
    if len(raw) != 1 + _ED25519_KEY_LEN:
        raise InputError(
            Problem(where, "key", f"an Ed25519 key is {_ED25519_KEY_LEN} bytes, got {len(raw) - 1}")
        )
    return name, int(hex_id, 16), raw[0], raw[1:]


@dataclass(frozen=True)
class Verifier:
    """A public key that checks note signatures of one type under one key name.

    ``sig_type`` is :data:`ED25519` (note signatures) or :data:`COSIGNATURE_V1` (witness
    cosignatures). ``key_id`` is derived as signed-note, "Signatures" recommends (and
    tlog-cosignature, "Format" requires for cosignatures).
    """

    name: str
    public_key: bytes = field(repr=False)
    sig_type: int = ED25519
    key_id: int = field(init=False)

    def __post_init__(self) -> None:
        _check_name(self.name, "verifier key")
        if self.sig_type not in _SIGNATURE_TYPES:
            raise InputError(
                Problem("verifier key", "type", f"unsupported signature type {self.sig_type!r}")
            )
        if len(self.public_key) != _ED25519_KEY_LEN:
            raise InputError(
                Problem("verifier key", "key", f"an Ed25519 key is {_ED25519_KEY_LEN} bytes")
            )
        object.__setattr__(self, "key_id", _key_id(self.name, self.sig_type, self.public_key))

    @classmethod
    def from_key(cls, key: str) -> Verifier:
        """Parse ``<name>+<hex key ID>+<base64(type || public key)>``.

        Raises
        ------
        InputError
            when the string is malformed, the type unsupported or the key ID does not match
            the name and key.
        """
        name, key_id, sig_type, public_key = _parse_key(key, "verifier key", 3)
        verifier = cls(name, public_key, sig_type)
        if verifier.key_id != key_id:
            raise InputError(
                Problem(
                    "verifier key",
                    "key_id",
                    f"{key_id:08x} does not match the name and key ({verifier.key_id:08x})",
                )
            )
        return verifier

    @property
    def key(self) -> str:
        """The verifier key string, ``<name>+<hex key ID>+<base64(type || public key)>``."""
        material = base64.b64encode(bytes([self.sig_type]) + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{material}"

    def verify(self, msg: bytes, sig: bytes) -> bool:
        """Whether ``sig`` is this key's Ed25519 signature (RFC 8032) over ``msg``."""
        if len(sig) != _ED25519_SIG_LEN:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(sig, msg)
        except (InvalidSignature, ValueError):
            return False
        return True

    def _verify_payload(self, text: str, payload: bytes) -> bool:
        """Check a signature line's payload (after the key ID) over the note ``text``."""
        if self.sig_type == ED25519:
            # signed-note, "Ed25519 signatures": signed over the note text.
            return self.verify(text.encode(), payload)
        # tlog-cosignature, "Format": timestamped_signature = u64 timestamp || signature[64].
        if len(payload) != _TIMESTAMP_LEN + _ED25519_SIG_LEN:
            return False
        timestamp = int.from_bytes(payload[:_TIMESTAMP_LEN], "big")
        if timestamp > _MAX_TIMESTAMP:
            return False
        return self.verify(cosigned_message(text, timestamp), payload[_TIMESTAMP_LEN:])


@dataclass(frozen=True, eq=False)
class Signer:
    """A private key that signs notes (:data:`ED25519`) or cosigns checkpoints
    (:data:`COSIGNATURE_V1`) under a key name."""

    name: str
    private_key: Ed25519PrivateKey = field(repr=False, compare=False)
    sig_type: int = ED25519

    def __post_init__(self) -> None:
        _check_name(self.name, "signer key")
        if self.sig_type not in _SIGNATURE_TYPES:
            raise InputError(
                Problem("signer key", "type", f"unsupported signature type {self.sig_type!r}")
            )

    @classmethod
    def generate(cls, name: str, *, cosigner: bool = False) -> Signer:
        """A fresh Ed25519 key; ``cosigner=True`` makes a ``cosignature/v1`` (0x04) key."""
        return cls(name, Ed25519PrivateKey.generate(), COSIGNATURE_V1 if cosigner else ED25519)

    @classmethod
    def from_key(cls, key: str) -> Signer:
        """Parse ``PRIVATE+KEY+<name>+<hex key ID>+<base64(type || 32-byte seed)>``.

        Raises
        ------
        InputError
            when the string is malformed or the key ID does not match the name and the
            public key derived from the seed.
        """
        if not key.startswith(_PRIVATE_PREFIX):
            raise InputError(Problem("signer key", "key", "must start with PRIVATE+KEY+"))
        name, key_id, sig_type, seed = _parse_key(key, "signer key", 5)
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed), sig_type)
        if signer.key_id != key_id:
            raise InputError(
                Problem(
                    "signer key",
                    "key_id",
                    f"{key_id:08x} does not match the name and key ({signer.key_id:08x})",
                )
            )
        return signer

    @property
    def key_id(self) -> int:
        return self.verifier().key_id

    @property
    def key(self) -> str:
        """The private key string; keep it secret."""
        seed = self.private_key.private_bytes_raw()
        material = base64.b64encode(bytes([self.sig_type]) + seed).decode()
        return f"{_PRIVATE_PREFIX}{self.name}+{self.key_id:08x}+{material}"

    def verifier(self) -> Verifier:
        """The matching public :class:`Verifier`."""
        public = self.private_key.public_key().public_bytes_raw()
        return Verifier(self.name, public, self.sig_type)

    def sign(self, msg: bytes) -> bytes:
        """The raw 64-byte Ed25519 signature over ``msg`` (deterministic, RFC 8032)."""
        return self.private_key.sign(msg)


# -- notes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key ID and the bytes after the key ID."""

    name: str
    key_id: int
    signature: bytes = field(repr=False)

    @property
    def line(self) -> str:
        """The line as it appears in the note, final newline included."""
        payload = self.key_id.to_bytes(_KEY_ID_LEN, "big") + self.signature
        return f"{_SIGNATURE_PREFIX}{self.name} {base64.b64encode(payload).decode()}\n"


@dataclass(frozen=True)
class Note:
    """An opened note: its text, every signature line, and the known keys that verified."""

    text: str
    signatures: tuple[NoteSignature, ...]
    verified: tuple[Verifier, ...]

    @property
    def verified_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.verified)


def _decode(note: str | bytes) -> str:
    """signed-note, "Format": notes MUST be valid UTF-8 without control characters other than
    newline."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                Problem("note", "text", f"invalid UTF-8 at byte {exc.start}")
            ) from None
    _check_text(note, "note")
    return note


def _check_text(text: str, where: str) -> None:
    for i, ch in enumerate(text):
        if ord(ch) < 0x20 and ch != "\n":
            raise InputError(
                Problem(where, "text", f"control character U+{ord(ch):04X} at position {i}")
            )
        # Lone surrogates (from surrogateescape'd bytes) cannot be encoded as UTF-8.
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise InputError(Problem(where, "text", f"invalid UTF-8 at position {i}"))


def _check_note_text(text: str) -> None:
    _check_text(text, "note")
    if not text.endswith("\n"):
        raise InputError(Problem("note", "text", "the note text must end with a newline"))


def _split(note: str | bytes) -> tuple[str, tuple[NoteSignature, ...]]:
    """Parse a note's structure (signed-note, "Format") without verifying anything."""
    note = _decode(note)
    # The text is separated from the signatures by the last empty line in the note.
    split = note.rfind("\n\n")
    if split < 0:
        raise InputError(Problem("note", "signatures", "no blank line before a signature block"))
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise InputError(Problem("note", "signatures", "no signature after the blank line"))
    if not block.endswith("\n"):
        raise InputError(Problem("note", "signatures", "the last line must end with a newline"))
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise InputError(
            Problem("note", "signatures", f"{len(lines)} signatures, at most {MAX_SIGNATURES}")
        )
    return text, tuple(_parse_line(line, n) for n, line in enumerate(lines, 1))


def _parse_line(line: str, n: int) -> NoteSignature:
    where = f"note: signature line {n}"
    if not line.startswith(_SIGNATURE_PREFIX):
        raise InputError(Problem(where, "line", "does not start with an em dash and a space"))
    name, sep, b64 = line[len(_SIGNATURE_PREFIX) :].rpartition(" ")
    if not sep:
        raise InputError(Problem(where, "line", "expected '— <key name> <base64 signature>'"))
    _check_name(name, where)
    raw = _b64decode(b64, where, "signature")
    if len(raw) <= _KEY_ID_LEN:
        raise InputError(Problem(where, "signature", "shorter than a key ID and a signature"))
    return NoteSignature(name, int.from_bytes(raw[:_KEY_ID_LEN], "big"), raw[_KEY_ID_LEN:])


def _join(text: str, signatures: Iterable[NoteSignature]) -> str:
    lines = "".join(s.line for s in signatures)
    if lines.count("\n") > MAX_SIGNATURES:
        raise InputError(Problem("note", "signatures", f"more than {MAX_SIGNATURES} signatures"))
    return text + "\n" + lines


def _note_signers(signers: Sequence[Signer]) -> None:
    for s in signers:
        if s.sig_type != ED25519:
            raise InputError(
                Problem("signers", s.name, "a cosigner signs checkpoints with cosign()")
            )


def _merge(old: Sequence[NoteSignature], new: Sequence[NoteSignature]) -> tuple[NoteSignature, ...]:
    """Existing lines first, then the new ones; a new line replaces one of the same key."""
    replaced = {(s.name, s.key_id) for s in new}
    return tuple(s for s in old if (s.name, s.key_id) not in replaced) + tuple(new)


def sign_note(text: str, *signers: Signer) -> str:
    """Sign ``text`` (which must end in a newline) with each Ed25519 signer.

    Examples
    --------
    >>> signer = Signer.generate("example.com/a")
    >>> sign_note("hello\\n", signer).startswith("hello\\n\\n\\u2014 example.com/a ")
    True

    Raises
    ------
    InputError
        when the text is not a valid note text, no signer is given, or a signer is a
        cosigner (use :func:`~ceasefire.ledger.checkpoints.cosign`).
    """
    _check_note_text(text)
    if not signers:
        raise InputError(Problem("signers", "", "at least one signer is needed"))
    _note_signers(signers)
    new = [NoteSignature(s.name, s.key_id, s.sign(text.encode())) for s in signers]
    return _join(text, _merge((), new))


def add_signatures(note: str | bytes, *signers: Signer) -> str:
    """Add the signers' signatures to a signed note, keeping the lines already there.

    As Go's sumdb/note does, a new signature replaces an existing line with the same key name
    and key ID. The existing signatures are not verified here.

    Raises
    ------
    InputError
        when the note is malformed or a signer is a cosigner.
    """
    text, old = _split(note)
    _note_signers(signers)
    new = [NoteSignature(s.name, s.key_id, s.sign(text.encode())) for s in signers]
    return _join(text, _merge(old, new))


def _key_table(verifiers: Iterable[Verifier]) -> dict[tuple[str, int], Verifier]:
    table: dict[tuple[str, int], Verifier] = {}
    for v in verifiers:
        other = table.setdefault((v.name, v.key_id), v)
        if other != v:
            # signed-note, "Signatures": name and key ID identify a key; two keys under one
            # pair would make the verdict depend on which one is tried.
            raise InputError(
                Problem("verifiers", v.name, f"two different keys with key ID {v.key_id:08x}")
            )
    return table


def open_note(note: str | bytes, verifiers: Iterable[Verifier]) -> Note:
    """Parse a signed note and verify the signatures of the known keys.

    signed-note, "Signatures": lines from unknown keys (a different name or key ID, even if
    the other matches) are ignored; a line from a known key must verify; at least one must.

    Raises
    ------
    InputError
        when the note is malformed (signed-note, "Format").
    VerificationError
        when a known key's signature does not verify, or no known key signed the note.
    """
    text, signatures = _split(note)
    known = _key_table(verifiers)
    verified: list[Verifier] = []
    for sig in signatures:
        v = known.get((sig.name, sig.key_id))
        if v is None:
            continue
        if not v._verify_payload(text, sig.signature):
            raise VerificationError(
                f"the signature of {sig.name} ({sig.key_id:08x}) does not verify over the note",
                expected=f"a valid {_SIGNATURE_TYPES[v.sig_type]} signature by {v.key}",
                computed=sig.line.rstrip("\n"),
            )
        if v not in verified:
            verified.append(v)
    if not verified:
        raise VerificationError(
            "the note has no signature from a known key",
            expected=", ".join(f"{n}+{i:08x}" for n, i in known) or "(no keys given)",
            computed=", ".join(f"{s.name}+{s.key_id:08x}" for s in signatures),
        )
    return Note(text, signatures, tuple(verified))


def open_log_note(
    note: str | bytes, log: Verifier, others: Iterable[Verifier] = (), *, what: str
) -> Note:
    """:func:`open_note` with the log's key and ``others``, and the log's signature required:
    a note the log did not sign (a checkpoint, a report's note) is ``what`` forged, whoever
    else signed it.

    Raises
    ------
    VerificationError
        ``"<what> is not signed by the log"``, besides :func:`open_note`'s errors.
    """
    opened = open_note(note, [log, *others])
    if log not in opened.verified:
        raise VerificationError(
            f"{what} is not signed by the log",
            expected=log.key,
            computed=", ".join(f"{s.name}+{s.key_id:08x}" for s in opened.signatures),
        )
    return opened


# -- the cosigned message -----------------------------------------------------------------------
# Here, not with the checkpoints, because a cosigner's Verifier checks its lines with it when a
# note is opened.


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise InputError(Problem("cosignature", "timestamp", f"{timestamp!r} is not in 0..2^63-1"))


def cosigned_message(body: str, timestamp: int) -> bytes:
    """The message an Ed25519 ``cosignature/v1`` signs.

    tlog-cosignature, "Ed25519 signed message": the header line ``cosignature/v1``, the line
    ``time <timestamp>`` (decimal, no leading zeroes), then the whole note body of the
    checkpoint, extension lines and final newline included.

    Examples
    --------
    >>> cosigned_message("example.com/log\\n1\\nAAAA\\n", 1679315147).decode()
    'cosignature/v1\\ntime 1679315147\\nexample.com/log\\n1\\nAAAA\\n'
    """
    _check_timestamp(timestamp)
    return f"{_COSIGNATURE_HEADER}time {timestamp}\n{body}".encode()
