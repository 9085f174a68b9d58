"""The public mirror's files: a folder any static web server hosts, which a reader checks
against the signed log without asking the mission's server anything (issue 20, section 3).

This module lays the files out from values (views, checkpoints, log entries with their proofs);
it reads and writes nothing (:mod:`ceasefire.mirroring` reads the store and writes the folder).
What goes in is the public's view only: the released incidents as a public caller of the API
reads them, and the ledger leaves the public change feed points at
(:meth:`ceasefire.publish.visibility.Viewer.changes`).

The folder:

- ``index.html``, ``mirror.js``, ``mirror.css``: the page that verifies everything below in the
  browser (WebCrypto: Ed25519 signatures, SHA-256 for RFC 9162 hashing);
- ``incidents.geojson``, ``incidents.parquet``: the released incidents, delayed and coarsened
  (:func:`ceasefire.publish.formats.write_export`);
- ``checkpoint.txt``: the latest signed checkpoint with its cosignatures (C2SP signed note);
- ``checkpoints/SIZE.txt``: every checkpoint this mirror ever published, kept across
  publishes, and ``consistency/FROM-TO.json`` the RFC 9162 consistency proof between each
  published checkpoint and the next, so a reader holding an old one checks the log only grew;
- ``proofs/INCIDENT.json``: per released incident, each ledger leaf about it (:func:`incident_proofs`)
  with its inclusion proof against the latest checkpoint;
- ``keys/*.vkey``: the log's key and the cosigners' keys (verifier key strings);
- ``reports/``: the daily reports and their signed notes, kept across publishes;
- ``mirror.json``: what is where (:func:`mirror_index`); ``manifest.json``: the SHA-256 of
  every other file (:func:`manifest`).

Which leaves, and how much of each (docs/publish.md): a leaf's body goes in whole only where
the one access policy lets the public have that record's inclusion bundle
(:func:`ceasefire.publish.access.may_prove`: an agreement, a person's status decision on a
released incident). Every other leaf about a released incident (the incident as fused, with its
exact place and member reports; the release, naming who released it; automatic status changes,
whose basis names the sources; violations, whose evidence names reports) is proved by its leaf
hash only: the hashes are public already (every inclusion and consistency proof the API gives
anyone is made of them), and they commit the mission to a record it may later have to show.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ceasefire.errors import InputError, Problem, VerificationError
from ceasefire.ledger import merkle
from ceasefire.ledger.checkpoints import Checkpoint

__all__ = [
    "FORMAT",
    "INDEX",
    "MANIFEST",
    "PAGE_FILES",
    "WITHHELD",
    "Leaf",
    "MirrorContent",
    "PublishedCheckpoint",
    "Report",
    "checkpoint_path",
    "consistency_doc",
    "consistency_path",
    "file_digest",
    "incident_proofs",
    "json_bytes",
    "key_path",
    "leaves_by_incident",
    "manifest",
    "mirror_files",
    "mirror_index",
    "proofs_path",
    "report_names",
]

#: The version of the folder's layout, in ``mirror.json``: a reader refuses one it does not know.
FORMAT: Final = 1
MANIFEST: Final = "manifest.json"
INDEX: Final = "mirror.json"
#: The page's static files, shipped in the package (``ceasefire/publish/mirror_site/``).
PAGE_FILES: Final = ("index.html", "mirror.js", "mirror.css")
#: What a leaf whose body is left out says instead.
WITHHELD: Final = (
    "the public may not read this record whole (ceasefire.publish.access.may_prove): "
    "its leaf hash is proved, its body is not published"
)

#: Incident ids and report file names become file names: a name that could climb out of its
#: folder or hide (``..``, ``/``, a leading dot) is refused.
_SAFE_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _safe(name: str, what: str) -> str:
    if not _SAFE_NAME.fullmatch(name) or ".." in name:
        raise InputError(
            Problem(
                "mirror",
                what,
                f"{name!r} cannot name a file (letters, digits, '.', '_', '-'; no leading dot)",
            )
        )
    return name


def proofs_path(incident_id: str) -> str:
    """The file of an incident's proofs: ``proofs/INC-000277.json``."""
    return f"proofs/{_safe(incident_id, 'incident id')}.json"


def checkpoint_path(size: int) -> str:
    return f"checkpoints/{int(size)}.txt"


def consistency_path(size1: int, size2: int) -> str:
    return f"consistency/{int(size1)}-{int(size2)}.json"


def report_names(name: str) -> str:
    """The checked file name of a daily report (or its note) in ``reports/``."""
    return _safe(name, "report file")


@dataclass(frozen=True)
class Leaf:
    """One log entry about a released incident, as the mirror proves it: its index, kind and
    record id, its canonical JSON ``body`` (the bytes hashed), its inclusion ``proof`` in the
    tree of the published checkpoint, and whether the public may read the body (``shown``)."""

    index: int
    kind: str
    record_id: str
    body: str
    proof: tuple[bytes, ...]
    shown: bool

    @property
    def leaf_hash(self) -> bytes:
        return merkle.leaf_hash(self.body.encode("utf-8"))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "kind": self.kind,
            "record_id": self.record_id,
            "leaf_hash": _b64(self.leaf_hash),
            "proof": [_b64(p) for p in self.proof],
        }
        if self.shown:
            out["leaf"] = self.body
        else:
            out["withheld"] = WITHHELD
        return out


@dataclass(frozen=True)
class PublishedCheckpoint:
    """A signed checkpoint as the mirror publishes it: the note with its cosignature lines."""

    note: str

    @property
    def checkpoint(self) -> Checkpoint:
        text = self.note[: self.note.rfind("\n\n") + 1]  # signed-note: the last blank line
        return Checkpoint.parse(text)

    @property
    def size(self) -> int:
        return self.checkpoint.size

    @property
    def root(self) -> bytes:
        return self.checkpoint.root


def _checkpoint_ref(checkpoint: PublishedCheckpoint) -> dict[str, Any]:
    return {"size": checkpoint.size, "root": _b64(checkpoint.root), "note": "checkpoint.txt"}


def incident_proofs(
    incident_id: str, leaves: Sequence[Leaf], checkpoint: PublishedCheckpoint
) -> dict[str, Any]:
    """The proof file of one released incident: every leaf about it the public feed lists
    that the checkpoint covers, oldest first, each with its inclusion proof (RFC 9162 2.1.3)
    in the checkpoint's tree. The proofs are checked here before they are published, so a
    mirror that does not verify is never written."""
    for leaf in leaves:
        if leaf.index >= checkpoint.size:
            raise InputError(
                Problem(
                    "mirror",
                    incident_id,
                    f"entry {leaf.index} is not covered by the checkpoint of size "
                    f"{checkpoint.size}",
                )
            )
        merkle.verify_inclusion(
            leaf.leaf_hash, leaf.index, checkpoint.size, list(leaf.proof), checkpoint.root
        )
    return {
        "incident_id": incident_id,
        "checkpoint": _checkpoint_ref(checkpoint),
        "leaves": [leaf.to_dict() for leaf in sorted(leaves, key=lambda x: x.index)],
    }


def consistency_doc(
    old: PublishedCheckpoint, new: PublishedCheckpoint, proof: Sequence[bytes]
) -> dict[str, Any]:
    """The consistency file from one published checkpoint to the next (RFC 9162 2.1.4),
    checked before it is published: a log that did not only grow is refused
    (:class:`~ceasefire.errors.VerificationError`), and no mirror is written."""
    if old.size == 0:
        # RFC 9162 proves consistency between non-empty trees; every tree extends the empty one
        # (whose root is SHA-256 of nothing, RFC 9162 2.1.1), so the proof is empty.
        if old.root != merkle.EMPTY_ROOT or proof:
            raise VerificationError(
                "a checkpoint of size 0 has the empty tree's root and needs no proof",
                expected=base64.b64encode(merkle.EMPTY_ROOT).decode(),
                computed=base64.b64encode(old.root).decode(),
            )
    else:
        merkle.verify_consistency(old.size, new.size, list(proof), old.root, new.root)
    return {
        "from": {"size": old.size, "root": _b64(old.root), "note": checkpoint_path(old.size)},
        "to": {"size": new.size, "root": _b64(new.root), "note": checkpoint_path(new.size)},
        "proof": [_b64(p) for p in proof],
    }


def mirror_index(
    *,
    origin: str,
    checkpoint: PublishedCheckpoint,
    history: Sequence[int],
    log_key: str,
    cosigner_keys: Mapping[str, str],
    report_keys: Mapping[str, str] | None = None,
    incidents: Sequence[str],
    data: Sequence[str],
    reports: Sequence[Mapping[str, str | None]],
    published_at: str,
) -> dict[str, Any]:
    """``mirror.json``: where each part of the mirror is, for the page and for any reader.

    ``history`` the sizes of every checkpoint published here, oldest first (the latest last);
    ``cosigner_keys`` and ``report_keys`` (the keys that sign the daily reports' notes,
    besides the log's) key name -> file; ``incidents`` the released incident ids; ``data`` the
    incident files; ``reports`` each daily report's ``file`` and ``note`` (None: none)."""
    sizes = list(history)
    return {
        "format": FORMAT,
        "origin": origin,
        "published_at": published_at,
        "checkpoint": _checkpoint_ref(checkpoint),
        "checkpoints": [{"size": s, "note": checkpoint_path(s)} for s in sizes],
        "consistency": [
            {"from": a, "to": b, "file": consistency_path(a, b)}
            for a, b in itertools.pairwise(sizes)
        ],
        "keys": {
            "log": "keys/log.vkey",
            "log_key": log_key,
            "cosigners": dict(cosigner_keys),
            "reports": dict(report_keys or {}),
        },
        "incidents": [{"id": i, "proofs": proofs_path(i)} for i in incidents],
        "data": list(data),
        "reports": [dict(r) for r in reports],
    }


def key_path(name: str, folder: str = "keys") -> str:
    """The file of a published key: ``keys/UA-cosigner.vkey`` (a ``/`` of a key name as ``_``)."""
    return f"{folder}/{_safe(name.replace('/', '_'), 'key name')}.vkey"


@dataclass(frozen=True)
class Report:
    """A daily report as published: its file name and bytes, and its signed note's (if any)."""

    name: str
    data: bytes
    note: bytes | None = None

    @property
    def note_name(self) -> str | None:
        return None if self.note is None else f"{self.name}.note"


@dataclass(frozen=True)
class MirrorContent:
    """Everything the mirror publishes besides the page and the incident files, as values.

    ``history`` every checkpoint published, oldest first, the latest last; ``consistency`` the
    proof from each of them to the next; ``leaves`` per published incident, its leaves.
    """

    history: Sequence[PublishedCheckpoint]
    consistency: Sequence[Sequence[bytes]]
    log_key: str
    cosigner_keys: Sequence[tuple[str, str]]  # (name, verifier key string)
    report_keys: Sequence[tuple[str, str]]
    leaves: Mapping[str, Sequence[Leaf]]
    reports: Sequence[Report]
    data: Sequence[str]
    published_at: str

    @property
    def latest(self) -> PublishedCheckpoint:
        return self.history[-1]


def mirror_files(content: MirrorContent) -> dict[str, bytes]:
    """The mirror's files from its content, by path: the checkpoints, the consistency and proof
    files, the keys, the reports and ``mirror.json`` (not the page, the incident files or the
    manifest). Each proof is checked as it is laid out (:func:`incident_proofs`,
    :func:`consistency_doc`): content that does not verify raises, and nothing is published."""
    latest = content.latest
    if len(content.consistency) != len(content.history) - 1:
        raise ValueError("one consistency proof between each two published checkpoints")
    files: dict[str, bytes] = {"checkpoint.txt": latest.note.encode("utf-8")}
    for checkpoint in content.history:
        files[checkpoint_path(checkpoint.size)] = checkpoint.note.encode("utf-8")
    pairs = zip(content.history, content.history[1:], content.consistency, strict=False)
    for old, new, proof in pairs:
        files[consistency_path(old.size, new.size)] = json_bytes(consistency_doc(old, new, proof))
    files["keys/log.vkey"] = (content.log_key + "\n").encode()
    cosigners, signers = {}, {}
    for name, key in content.cosigner_keys:
        cosigners[name] = key_path(name)
        files[cosigners[name]] = (key + "\n").encode()
    for name, key in content.report_keys:
        signers[name] = key_path(name, "keys/reports")
        files[signers[name]] = (key + "\n").encode()
    for incident_id, leaves in content.leaves.items():
        files[proofs_path(incident_id)] = json_bytes(incident_proofs(incident_id, leaves, latest))
    listed: list[dict[str, str | None]] = []
    for report in content.reports:
        name = report_names(report.name)
        files[f"reports/{name}"] = report.data
        if report.note is not None:
            files[f"reports/{name}.note"] = report.note
        listed.append(
            {
                "file": f"reports/{name}",
                "note": f"reports/{report.note_name}" if report.note_name else None,
            }
        )
    index = mirror_index(
        origin=latest.checkpoint.origin,
        checkpoint=latest,
        history=[c.size for c in content.history],
        log_key=content.log_key,
        cosigner_keys=cosigners,
        report_keys=signers,
        incidents=list(content.leaves),
        data=content.data,
        reports=listed,
        published_at=content.published_at,
    )
    files[INDEX] = json_bytes(index)
    return files


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(digests: Mapping[str, str], *, published_at: str, checkpoint_size: int) -> bytes:
    """``manifest.json``: the hex SHA-256 of every other file of the mirror, by path, sorted.

    It is not signed: it finds a file changed or cut short on its way (a partial copy, a
    mirror operator's edit that forgot the manifest); what a reader trusts rests on the signed
    checkpoint and the proofs, which the page checks whatever the manifest says."""
    body = {
        "format": FORMAT,
        "published_at": published_at,
        "checkpoint_size": checkpoint_size,
        "files": {path: digests[path] for path in sorted(digests)},
    }
    return json_bytes(body)


def json_bytes(value: Any) -> bytes:
    """A mirror JSON file's bytes: sorted keys, two-space indents, one final newline, so the
    same data gives the same bytes (and digest) on every publish."""
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def leaves_by_incident(
    leaves: Iterable[tuple[str, Leaf]],
) -> dict[str, list[Leaf]]:
    """Leaves grouped by the incident they are about, each group oldest first."""
    out: dict[str, list[Leaf]] = {}
    for incident_id, leaf in leaves:
        out.setdefault(incident_id, []).append(leaf)
    for group in out.values():
        group.sort(key=lambda x: x.index)
    return out
