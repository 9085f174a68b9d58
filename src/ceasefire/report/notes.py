"""A daily report's signed note: what report, of which checkpoint, with which bytes.

The note is a C2SP signed note (:mod:`ceasefire.ledger.notes`) signed by the mission's log key,
so the key that signs the checkpoints vouches for the report built from one. Its text names the
report and the checkpoint it was built from::

    ceasefire-daily-report/1
    origin ceasefire.demo/log
    date 2026-03-11
    tier mission
    format json
    checkpoint 5867 <base64 root>
    signed_at 2026-12-06T02:25:31Z
    cutoff 2026-03-11T07:00:00Z
    sha256 <hex of the report's bytes>

A party cosigns it as it cosigns checkpoints (a ``cosignature/v1`` line, its timestamp in the
signed message): "we read this report and it is the one built from the checkpoint named". The
first line is no checkpoint's (a checkpoint's second line is its size), so neither kind of line
can pass for the other.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ceasefire.errors import InputError, Problem, VerificationError
from ceasefire.ledger.checkpoints import cosignature_of
from ceasefire.ledger.notes import Signer, Verifier, open_log_note, open_note, sign_note

NOTE_FORMAT: Final = "ceasefire-daily-report/1"
FORMATS: Final = ("json", "html", "pdf")
_FIELDS: Final = (
    "origin", "date", "tier", "format", "checkpoint", "signed_at", "cutoff", "sha256",
)  # fmt: skip
_HEX64: Final = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ReportNote:
    """What a report's note says (its text, parsed)."""

    origin: str
    date: str
    tier: str
    format: str
    size: int
    root: str  # base64, as the checkpoint writes it
    signed_at: str  # when the checkpoint was signed (UTC, Z)
    cutoff: str  # the end of the reporting day (UTC, Z): the report's "as of"
    sha256: str

    def text(self) -> str:
        lines = [
            NOTE_FORMAT,
            f"origin {self.origin}",
            f"date {self.date}",
            f"tier {self.tier}",
            f"format {self.format}",
            f"checkpoint {self.size} {self.root}",
            f"signed_at {self.signed_at}",
            f"cutoff {self.cutoff}",
            f"sha256 {self.sha256}",
        ]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> ReportNote:
        """The note text read back; InputError naming the line that is wrong."""
        lines = text.rstrip("\n").split("\n")
        if not lines or lines[0] != NOTE_FORMAT:
            raise InputError(Problem("report note", "format", f"first line must be {NOTE_FORMAT}"))
        values: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(" ")
            if name not in _FIELDS or name in values or not value:
                raise InputError(Problem("report note", name or "line", f"unexpected: {line!r}"))
            values[name] = value
        missing = [n for n in _FIELDS if n not in values]
        if missing:
            raise InputError(Problem("report note", missing[0], "is missing"))
        size, _, root = values["checkpoint"].partition(" ")
        if not size.isdigit() or not root:
            raise InputError(Problem("report note", "checkpoint", "must be '<size> <root>'"))
        if not _HEX64.fullmatch(values["sha256"]):
            raise InputError(Problem("report note", "sha256", "must be 64 lowercase hex digits"))
        return cls(
            values["origin"], values["date"], values["tier"], values["format"], int(size), root,
            values["signed_at"], values["cutoff"], values["sha256"],
        )  # fmt: skip


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sign_report(note: ReportNote, log: Signer) -> str:
    """The note signed by the log's key (its name must be the checkpoint's origin)."""
    if log.name != note.origin:
        raise InputError(
            Problem(
                "report note",
                "origin",
                f"the log key is {log.name!r}; the checkpoint's origin is {note.origin!r}",
            )
        )
    return sign_note(note.text(), log)


def split_note(note: str) -> tuple[str, str]:
    """(text, signature lines) of a signed note."""
    cut = note.rfind("\n\n")
    if cut < 0:
        raise InputError(Problem("report note", "signatures", "no signature block"))
    return note[: cut + 1], note[cut + 2 :]


def cosign_report(note: str, cosigner: Signer, timestamp: int, log: Verifier) -> str:
    """A party's ``cosignature/v1`` line over the report's note (after checking the log's
    signature on it): the line alone, to be stored beside the note."""
    opened = open_note(note, [log])
    ReportNote.parse(opened.text)
    return cosignature_of(opened.text, cosigner, timestamp).line


def open_report(
    note: str, log: Verifier, cosigners: Sequence[Verifier] = (), quorum: int = 0
) -> tuple[ReportNote, tuple[str, ...]]:
    """Check a report's note: signed by the log, and by ``quorum`` of ``cosigners``.
    Returns what it says and who cosigned it."""
    opened = open_log_note(note, log, cosigners, what="the report's note")
    names = tuple(v.name for v in opened.verified if v != log)
    if len(names) < quorum:
        raise VerificationError(
            f"{len(names)} trusted cosignature(s) of the report verified, {quorum} needed",
            expected=str(quorum),
            computed=str(len(names)),
        )
    parsed = ReportNote.parse(opened.text)
    if parsed.origin != log.name:
        raise VerificationError(
            "the report's note names another log", expected=log.name, computed=parsed.origin
        )
    return parsed, names


def root_text(root: bytes) -> str:
    return base64.b64encode(root).decode()
