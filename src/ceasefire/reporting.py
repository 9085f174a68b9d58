"""The daily report against the store: pick the checkpoint, read and check its leaves, build,
render, sign, and verify a report given as bytes.

**Which checkpoint.** A report of date D is built from the records of one signed checkpoint:
``--checkpoint SIZE`` names it; otherwise it is the *first checkpoint signed at or after the
cutoff* (the smallest tree signed then or later). Records of the night are often entered after
the cutoff, so the first checkpoint after it holds them, and a later checkpoint never silently
replaces it: the same date gives the same checkpoint, and so the same bytes, however often the
report is built. Before such a checkpoint exists there is no report (sign one:
``ceasefire ledger checkpoint --sign``).

**Checked before use.** The leaves read (entries ``0 .. size-1``) must hash to the checkpoint's
root (RFC 9162), and the checkpoint must be signed by the log's key: a leaf changed behind the
log's back fails the report, it is never built from it.

**Signed.** The report's SHA-256 goes into a signed note (:mod:`ceasefire.report.notes`) signed by
the log's key and kept in the store; parties cosign it. :func:`verify` checks a report's bytes
against its note and rebuilds it from the checkpoint the note names (from the store, or from a
bundle holding that checkpoint's leaves).
"""

from __future__ import annotations

import base64
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from ceasefire.agreement.model import Agreement
from ceasefire.errors import InputError, NotFoundError, Problem, VerificationError
from ceasefire.ledger import merkle
from ceasefire.ledger.checkpoints import Checkpoint
from ceasefire.ledger.log import Entry, StoredCheckpoint
from ceasefire.ledger.notes import Signer, Verifier, open_note
from ceasefire.report import daily, scope
from ceasefire.report.notes import (
    FORMATS,
    ReportNote,
    cosign_report,
    digest,
    open_report,
    sign_report,
)
from ceasefire.report.records import Replayed, replay
from ceasefire.report.render import render as render_report
from ceasefire.store.facade import Store
from ceasefire.store.report_notes import StoredReportNote

BUNDLE_FORMAT: Final = "ceasefire-daily-report-bundle/1"


@dataclass(frozen=True)
class Built:
    """A report built from one checkpoint: its data, its bytes in ``format``, the checkpoint."""

    data: dict[str, Any]
    body: bytes
    format: str
    checkpoint: StoredCheckpoint
    origin: str

    @property
    def sha256(self) -> str:
        return digest(self.body)

    def note(self) -> ReportNote:
        return ReportNote(
            origin=self.origin,
            date=self.data["date"],
            tier=self.data["tier"],
            format=self.format,
            size=self.checkpoint.size,
            root=base64.b64encode(self.checkpoint.root).decode(),
            signed_at=self.data["checkpoint"]["signed_at"],
            cutoff=self.data["cutoff"],
            sha256=self.sha256,
        )


#: The days a report may be asked for: any a ceasefire could hold, far from the ends of the
#: calendar (the day before the first has none).
FIRST_DAY: Final = date(1900, 1, 1)
LAST_DAY: Final = date(9000, 12, 31)


def parse_day(value: str) -> date:
    try:
        day = date.fromisoformat(value)
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValueError
    except ValueError:
        raise InputError(
            Problem(
                "report",
                "date",
                f"must be a date YYYY-MM-DD between {FIRST_DAY} and {LAST_DAY}; got {value!r}",
            )
        ) from None
    return day


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError(
            Problem("report", "format", f"must be one of {', '.join(FORMATS)}; got {fmt!r}")
        )
    return fmt


def pick_checkpoint(
    checkpoints: Sequence[StoredCheckpoint], cutoff: datetime, size: int | None = None
) -> StoredCheckpoint:
    """The checkpoint a report of the day ending at ``cutoff`` is built from (see the module
    docstring); ``size`` names one."""
    if size is not None:
        for c in checkpoints:
            if c.size == size:
                return c
        raise NotFoundError(f"no signed checkpoint of tree size {size}")
    for c in sorted(checkpoints, key=lambda c: c.size):
        if c.signed_at >= cutoff:
            return c
    latest = max((c.signed_at for c in checkpoints), default=None)
    raise NotFoundError(
        f"no checkpoint signed at or after the cutoff {cutoff.isoformat()} yet (the latest was "
        f"signed {'never' if latest is None else latest.isoformat()}); sign one with "
        "`ceasefire ledger checkpoint --sign KEY`, or name one with --checkpoint SIZE"
    )


def log_verifier(store: Store, given: Verifier | None) -> Verifier:
    """The log's key: the one given (a party's own copy), else the one the store holds."""
    if given is not None:
        return given
    key = store.ledger_state().log_key
    if key is None:
        raise NotFoundError("the log has no key yet: no checkpoint was ever signed")
    return Verifier.from_key(key)


def _check_checkpoint(checkpoint: StoredCheckpoint, log: Verifier) -> str:
    """The checkpoint's origin, once its note is seen signed by the log and naming its size
    and root."""
    signed = Checkpoint.parse(open_note(checkpoint.note, [log]).text)
    if (signed.size, signed.root) != (checkpoint.size, checkpoint.root):
        raise VerificationError(
            f"checkpoint {checkpoint.size}: its signed note names another tree",
            expected=f"{checkpoint.size} {base64.b64encode(checkpoint.root).decode()}",
            computed=f"{signed.size} {base64.b64encode(signed.root).decode()}",
        )
    return signed.origin


def checked_records(entries: Iterable[Entry], checkpoint: StoredCheckpoint) -> Replayed:
    """Replay the leaves after checking they are exactly the checkpoint's: ``size`` of them,
    hashing to its root (VerificationError naming the checkpoint otherwise)."""
    hashes: list[bytes] = []

    def hashed() -> Iterator[Entry]:
        for e in entries:
            hashes.append(e.leaf_hash)
            yield e

    replayed = replay(hashed())
    root = merkle.root(hashes)
    if len(hashes) != checkpoint.size or root != checkpoint.root:
        raise VerificationError(
            f"the {len(hashes)} leaves read do not hash to the root of checkpoint "
            f"{checkpoint.size}: a record was changed, added or removed behind the log's back "
            "(run `ceasefire ledger verify` to name it)",
            expected=base64.b64encode(checkpoint.root).decode(),
            computed=base64.b64encode(root).decode(),
        )
    return replayed


def render(data: dict[str, Any], agreement: Agreement, fmt: str) -> bytes:
    """The report's bytes in ``fmt``: canonical JSON (RFC 8785), HTML or PDF
    (:func:`ceasefire.report.render.render`)."""
    return render_report(data, agreement, check_format(fmt))


def build(
    store: Store,
    agreement: Agreement,
    *,
    day: date,
    tier: str,
    fmt: str,
    cutoff: str | None = None,
    size: int | None = None,
    log: Verifier | None = None,
) -> Built:
    """The report of ``day`` for ``tier`` in ``fmt`` from its checkpoint (see the module
    docstring), its leaves checked against the checkpoint's signed root first."""
    check_format(fmt)
    scope.tier_principal(tier, agreement.parties)
    _, end = scope.period(day, scope.reporting_day(agreement, cutoff))
    checkpoint = pick_checkpoint(store.report_checkpoints(), end, size)
    origin = _check_checkpoint(checkpoint, log_verifier(store, log))
    replayed = checked_records(store.report_leaves(checkpoint.size), checkpoint)
    return _built(replayed, agreement, day, tier, fmt, cutoff, checkpoint, origin)


#: Reports the service built lately (:func:`build_served`), at most this many.
SERVED_KEPT: Final = 32
_served: OrderedDict[tuple[Any, ...], Built] = OrderedDict()
_served_lock = threading.Lock()


def build_served(
    store: Store, agreement: Agreement, *, day: date, tier: str, fmt: str, cutoff: str | None
) -> Built:
    """:func:`build` for the service, the last :data:`SERVED_KEPT` reports remembered.

    A report is built from the whole log (seconds for a month's), and the checkpoint a day's
    report is built from never changes once it exists (the first signed at or after the
    cutoff), so every caller of one tier gets the bytes built for the first from that
    checkpoint (same database, size and root). ``report verify`` never reads from here: it
    rebuilds and rechecks the leaves every time."""
    _, end = scope.period(day, scope.reporting_day(agreement, cutoff))
    checkpoint = pick_checkpoint(store.report_checkpoints(), end)
    key = (store.url, checkpoint.size, checkpoint.root, agreement.id, agreement.version, day,
           tier, fmt, cutoff)  # fmt: skip
    with _served_lock:
        held = _served.get(key)
        if held is not None:
            _served.move_to_end(key)
            return held
    built = build(
        store, agreement, day=day, tier=tier, fmt=fmt, cutoff=cutoff, size=checkpoint.size
    )
    with _served_lock:
        _served[key] = built
        while len(_served) > SERVED_KEPT:
            _served.popitem(last=False)
    return built


def _built(
    replayed: Replayed,
    agreement: Agreement,
    day: date,
    tier: str,
    fmt: str,
    cutoff: str | None,
    checkpoint: StoredCheckpoint,
    origin: str,
) -> Built:
    data = daily.build(
        replayed,
        agreement,
        day=day,
        tier=tier,
        cutoff=cutoff,
        checkpoint={
            "origin": origin,
            "size": checkpoint.size,
            "root": base64.b64encode(checkpoint.root).decode(),
            "signed_at": checkpoint.signed_at,
        },
    )
    return Built(data, render(data, agreement, fmt), fmt, checkpoint, origin)


def sign(store: Store, built: Built, signer: Signer) -> StoredReportNote:
    """Sign the report's note with the log's key and keep it."""
    _check_checkpoint(built.checkpoint, signer.verifier())
    note = built.note()
    return store.save_report_note(
        date=note.date,
        tier=note.tier,
        fmt=note.format,
        size=note.size,
        sha256=note.sha256,
        note=sign_report(note, signer),
    )


def cosign(
    store: Store, sha256: str, cosigner: Signer, log: Verifier, *, timestamp: int | None = None
) -> StoredReportNote:
    """A party cosigns a stored report's note (after checking the log signed it)."""
    held = store.report_note(sha256)
    when = int(datetime.now(UTC).timestamp()) if timestamp is None else timestamp
    line = cosign_report(held.note, cosigner, when, log)
    return store.add_report_cosignature(sha256, cosigner.name, line)


# -- verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedReport:
    """What :func:`verify` established."""

    note: ReportNote
    cosigners: tuple[str, ...]

    def __str__(self) -> str:
        n = self.note
        by = f", cosigned by {', '.join(self.cosigners)}" if self.cosigners else ""
        return (
            f"the {n.tier} report of {n.date} ({n.format}, SHA-256 {n.sha256[:16]}...) is the "
            f"one built from checkpoint {n.size} ({n.root}) and signed by {n.origin}{by}"
        )


def make_bundle(store: Store, built: Built, note: str) -> dict[str, Any]:
    """A bundle to check a mission-tier report without the store: the checkpoint (with its
    cosignatures), when it was signed, the report's note and every leaf of the checkpoint
    (whose hashes rebuild its root, so none can be left out). Only the mission's tier: the
    leaves are every record, which a party or the public may not read."""
    if built.data["tier"] != scope.MISSION_TIER:
        raise InputError(
            Problem(
                "report",
                "tier",
                "a bundle holds every record of the checkpoint: only the mission tier's report "
                "has one; a party checks its report against the store",
            )
        )
    checkpoint = store.ledger_checkpoint(built.checkpoint.size)
    return {
        "format": BUNDLE_FORMAT,
        "checkpoint": checkpoint.text,
        "signed_at": checkpoint.signed_at.astimezone(UTC).isoformat(),
        "report_note": note,
        "leaves": [
            [e.kind, e.record_id, e.body] for e in store.report_leaves(built.checkpoint.size)
        ],
    }


def _bundle_parts(bundle: Mapping[str, Any]) -> tuple[StoredCheckpoint, list[Entry], str]:
    for name in ("format", "checkpoint", "signed_at", "report_note", "leaves"):
        if name not in bundle:
            raise InputError(Problem("bundle", name, "is missing"))
    if bundle["format"] != BUNDLE_FORMAT:
        raise InputError(Problem("bundle", "format", f"must be {BUNDLE_FORMAT}"))
    text = str(bundle["checkpoint"])
    cut = text.rfind("\n\n")
    parsed = Checkpoint.parse(text[: cut + 1] if cut >= 0 else text)
    try:
        signed_at = datetime.fromisoformat(str(bundle["signed_at"]))
    except ValueError:
        raise InputError(Problem("bundle", "signed_at", "must be an ISO 8601 time")) from None
    checkpoint = StoredCheckpoint(parsed.size, parsed.root, text, (), signed_at)
    leaves = bundle["leaves"]
    if not isinstance(leaves, list):
        raise InputError(Problem("bundle", "leaves", "must be a list"))
    entries = []
    for i, leaf in enumerate(leaves):
        if not (
            isinstance(leaf, list) and len(leaf) == 3 and all(isinstance(x, str) for x in leaf)
        ):
            raise InputError(Problem("bundle", f"leaves[{i}]", "must be [kind, id, body]"))
        entries.append(Entry(i, leaf[0], leaf[1], leaf[2]))
    return checkpoint, entries, str(bundle["report_note"])


def _leaf_matches(entry: Entry) -> None:
    """A bundle's leaf must say the kind and id it is listed under."""
    leaf = json.loads(entry.body)
    if leaf.get("kind") != entry.kind or leaf.get("id") != entry.record_id:
        raise VerificationError(
            f"leaf {entry.idx} of the bundle is listed as {entry.kind} {entry.record_id}",
            expected=f"{entry.kind} {entry.record_id}",
            computed=f"{leaf.get('kind')} {leaf.get('id')}",
            entry=entry.idx,
        )


def verify(
    report: bytes,
    agreement: Agreement,
    *,
    note: str | None = None,
    store: Store | None = None,
    bundle: Mapping[str, Any] | None = None,
    log: Verifier | None = None,
    cosigners: Sequence[Verifier] = (),
    quorum: int = 0,
) -> VerifiedReport:
    """Check a report's bytes: its note (given, else the store's for these bytes, else the
    bundle's) is signed by the log, names these bytes' SHA-256, and the report rebuilt from the
    checkpoint the note names (from the store, else from the bundle's leaves) is these bytes.
    VerificationError says which step failed."""
    if store is None and bundle is None:
        raise InputError(Problem("verify", "source", "give the store or a bundle"))
    sha = digest(report)
    if note is None and store is not None:
        try:
            note = store.report_note(sha).text
        except NotFoundError:
            raise VerificationError(
                "no report with these bytes was signed in this store: the file was changed, "
                "or the note is elsewhere (pass it with --note)",
                computed=sha,
            ) from None
    if note is None and bundle is not None:
        note = str(bundle.get("report_note") or "")
    assert note is not None
    if log is None:
        if store is None:
            raise InputError(Problem("verify", "log key", "a bundle is checked with the log key"))
        log = log_verifier(store, None)
    said, names = open_report(note, log, cosigners, quorum)
    if said.sha256 != sha:
        raise VerificationError(
            "the report's bytes are not those its note was signed over: the file was changed",
            expected=said.sha256,
            computed=sha,
        )
    if store is not None:
        checkpoint = pick_checkpoint(store.report_checkpoints(), datetime.now(UTC), said.size)
        origin = _check_checkpoint(checkpoint, log)
        entries: Iterable[Entry] = store.report_leaves(checkpoint.size)
    else:
        assert bundle is not None
        checkpoint, listed, _ = _bundle_parts(bundle)
        origin = _check_checkpoint(checkpoint, log)
        for e in listed:
            _leaf_matches(e)
        entries = listed
    root = base64.b64encode(checkpoint.root).decode()
    if (checkpoint.size, root) != (said.size, said.root):
        raise VerificationError(
            "the checkpoint found is not the one the report's note names",
            expected=f"{said.size} {said.root}",
            computed=f"{checkpoint.size} {root}",
        )
    replayed = checked_records(entries, checkpoint)
    cutoff = scope.local_cutoff(agreement, datetime.fromisoformat(said.cutoff))
    rebuilt = _built(
        replayed, agreement, parse_day(said.date), said.tier, said.format, cutoff, checkpoint,
        origin,
    )  # fmt: skip
    if rebuilt.body != report:
        raise VerificationError(
            f"the report rebuilt from checkpoint {said.size} differs from the file: a record "
            "it was built from was changed, or the file is not the report its note names",
            expected=sha,
            computed=rebuilt.sha256,
        )
    return VerifiedReport(said, names)
