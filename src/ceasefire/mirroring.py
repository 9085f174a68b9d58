"""The public mirror against the store: read what the public may read, write the folder.

The files are laid out by :mod:`ceasefire.publish.mirror` (pure); this module reads their
content from the store as a public caller of the API would (the one access policy, through
:class:`~ceasefire.publish.visibility.Viewer`), and writes the folder so that a reader never
sees half of it: the whole mirror is built in a sibling temporary folder and then swapped in
(one atomic ``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames, between which the
folder is briefly absent, never partial).

A publish on a grown log keeps what the folder published before: every earlier checkpoint
(refreshed with cosignatures received since), the consistency proofs between them, and the
daily reports. It refuses, and writes nothing, when the log did not only grow since the
mirror's last checkpoint.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

from ceasefire.errors import InputError, NotFoundError, Problem, VerificationError
from ceasefire.ledger.notes import Verifier, open_note
from ceasefire.publish.access import Principal
from ceasefire.publish.formats import write_export
from ceasefire.publish.mirror import (
    INDEX,
    MANIFEST,
    PAGE_FILES,
    Leaf,
    MirrorContent,
    PublishedCheckpoint,
    Report,
    checkpoint_path,
    file_digest,
    leaves_by_incident,
    manifest,
    mirror_files,
    report_names,
)
from ceasefire.publish.visibility import Viewer
from ceasefire.store.facade import Store

__all__ = ["PUBLIC", "Published", "publish_mirror"]

#: Who the mirror reads as: the public, nobody signed in.
PUBLIC: Final = Principal("public", "public")
#: The incident files, written by :func:`ceasefire.publish.formats.write_export`.
DATA: Final = {"incidents.geojson": "geojson", "incidents.parquet": "parquet"}
#: Log entries read from the change feed per step.
_FEED_PAGE: Final = 500


@dataclass(frozen=True)
class Published:
    """What a publish wrote: the folder, the checkpoint, the incidents and leaves proved."""

    folder: Path
    size: int
    root: str
    incidents: int
    leaves: int
    shown: int
    checkpoints: list[int] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    files: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "size": self.size,
            "root": self.root,
            "incidents": self.incidents,
            "leaves": self.leaves,
            "leaves_shown": self.shown,
            "checkpoints": self.checkpoints,
            "reports": self.reports,
            "files": self.files,
        }


def _feed(store: Store, viewer: Viewer, size: int) -> Iterator[tuple[str, Leaf]]:
    """Each leaf of the public change feed the checkpoint of ``size`` covers, with the
    incident it is about; its body marked shown where the public may have it whole."""
    since = -1
    while since < size - 1:
        found = store.changes(since, _FEED_PAGE)
        if not found:
            return
        for change in viewer.changes(found):
            index = int(change["idx"])
            if index >= size:
                return
            entry = store.ledger_entries(f"#{index}")[0]
            record = json.loads(entry.body).get("record") or {}
            leaf = Leaf(
                index=index,
                kind=entry.kind,
                record_id=entry.record_id,
                body=entry.body,
                proof=tuple(store.ledger_inclusion(index, size)),
                shown=viewer.may_prove(entry.kind, record),
            )
            yield str(change["incident_id"]), leaf
        since = found[-1].idx


def _previous(folder: Path) -> dict[str, Any]:
    """The index of the mirror already in ``folder`` (empty for none). A folder that holds
    anything but a mirror is refused: a publish replaces the folder whole."""
    if folder.exists() and not folder.is_dir():
        raise InputError(Problem(str(folder), "", "exists and is not a folder"))
    try:
        return dict(json.loads((folder / INDEX).read_text(encoding="utf-8")))
    except FileNotFoundError:
        if folder.is_dir() and any(folder.iterdir()):
            raise InputError(
                Problem(
                    str(folder),
                    "",
                    f"holds files but no {INDEX}: not a mirror, and a publish replaces the "
                    "folder whole; name a new or empty folder",
                )
            ) from None
        return {}
    except (OSError, ValueError) as exc:
        raise InputError(
            Problem(str(folder / INDEX), "", f"cannot be read as the mirror's index: {exc}")
        ) from None


def _history(
    store: Store, folder: Path, old: dict[str, Any], latest: PublishedCheckpoint
) -> list[PublishedCheckpoint]:
    """The checkpoints published before (as the store holds them now, with any cosignature
    received since) and the latest, oldest first; VerificationError when the store's root of
    a published size is not the one published (the log was rewritten)."""
    out: dict[int, PublishedCheckpoint] = {}
    for item in old.get("checkpoints") or ():
        size = int(item["size"])
        path = folder / checkpoint_path(size)
        try:
            published = PublishedCheckpoint(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                Problem(str(path), "", f"a checkpoint the mirror published cannot be read: {exc}")
            ) from None
        if published.checkpoint.origin != latest.checkpoint.origin:
            raise VerificationError(
                f"the mirror in {folder} is of another log",
                expected=published.checkpoint.origin,
                computed=latest.checkpoint.origin,
            )
        try:
            now = PublishedCheckpoint(store.ledger_checkpoint(size).text)
        except NotFoundError:
            now = published  # a store restored without it: keep the one published
        if now.root != published.root:
            raise VerificationError(
                f"the store's checkpoint of size {size} is not the one this mirror published",
                expected=published.checkpoint.body(),
                computed=now.checkpoint.body(),
            )
        out[size] = now
    if out and max(out) > latest.size:
        raise VerificationError(
            f"the mirror published a checkpoint of size {max(out)}, the store's latest is "
            f"{latest.size}: the log was cut back",
            expected=str(max(out)),
            computed=str(latest.size),
        )
    out[latest.size] = latest
    return [out[s] for s in sorted(out)]


def _page_file(name: str) -> bytes:
    return resources.files("ceasefire.publish").joinpath("mirror_site", name).read_bytes()


def _reports(folder: Path, old: dict[str, Any], given: Sequence[Path]) -> list[Report]:
    """The daily reports to publish: those published before (read from ``folder``) and
    ``given`` (each with ``FILE.note`` beside it when there is one), a new file replacing an
    old one of the same name."""
    found: dict[str, Report] = {}
    for item in old.get("reports") or ():
        path = folder / str(item["file"])
        note = item.get("note")
        found[path.name] = Report(
            report_names(path.name),
            path.read_bytes(),
            (folder / str(note)).read_bytes() if note else None,
        )
    for path in map(Path, given):
        if not path.is_file():
            raise InputError(Problem(str(path), "report", "no such file"))
        note = path.with_name(path.name + ".note")
        found[path.name] = Report(
            report_names(path.name),
            path.read_bytes(),
            note.read_bytes() if note.is_file() else None,
        )
    return [found[n] for n in sorted(found)]


def _report_keys(folder: Path, old: dict[str, Any], given: Sequence[Verifier]) -> list[Verifier]:
    """The keys of the daily reports' notes: those published before (their reports stay) and
    ``given``, one per key name (a given key replaces a published one of its name)."""
    found: dict[str, Verifier] = {}
    for path in ((old.get("keys") or {}).get("reports") or {}).values():
        key = Verifier.from_key((folder / str(path)).read_text(encoding="utf-8").strip())
        found[key.name] = key
    for key in given:
        found[key.name] = key
    return [found[n] for n in sorted(found)]


def _content(
    store: Store,
    folder: Path,
    viewer: Viewer,
    *,
    cosigners: Sequence[Verifier],
    reports: Sequence[Path],
    report_keys: Sequence[Verifier],
) -> tuple[MirrorContent, list[dict[str, Any]]]:
    """What the mirror publishes, read from the store as the viewer (the public) reads it, with
    what the mirror in ``folder`` published before; and the incidents' views."""
    stored = store.ledger_checkpoint()
    log_key = store.ledger_state().log_key
    if log_key is None:
        raise NotFoundError("no signed checkpoint yet; sign one with `ceasefire ledger checkpoint`")
    log = Verifier.from_key(log_key)
    open_note(stored.text, [log])  # the store's own checkpoint must verify before it is shown
    latest = PublishedCheckpoint(stored.text)
    old = _previous(folder)
    history = _history(store, folder, old, latest)
    grouped = leaves_by_incident(_feed(store, viewer, latest.size))
    # An incident is published once the checkpoint covers its release: the mirror is the
    # public picture as of that checkpoint, every incident in it with its release proved.
    views = sorted(
        (
            v
            for v in viewer.released_incidents()
            if any(leaf.kind == "release" for leaf in grouped.get(str(v["id"]), ()))
        ),
        key=lambda v: str(v["id"]),
    )
    content = MirrorContent(
        history=history,
        consistency=[
            store.ledger_consistency(a.size, b.size) if a.size else [] for a, b in pairwise(history)
        ],
        log_key=log.key,
        cosigner_keys=[(c.name, c.key) for c in cosigners],
        report_keys=[(k.name, k.key) for k in _report_keys(folder, old, report_keys)],
        leaves={str(v["id"]): grouped[str(v["id"])] for v in views},
        reports=_reports(folder, old, reports),
        data=list(DATA),
        published_at=viewer.now.astimezone(UTC).isoformat(),
    )
    return content, views


def publish_mirror(
    store: Store,
    folder: Path,
    *,
    cosigners: Sequence[Verifier] = (),
    reports: Sequence[Path] = (),
    report_keys: Sequence[Verifier] = (),
    now: datetime | None = None,
) -> Published:
    """Write (or update) the public mirror in ``folder`` from the store's latest signed
    checkpoint, as a public caller reads it; ``cosigners`` are the cosigners' public keys
    published beside the log's, ``reports`` daily report files to add to ``reports/`` (each
    with its signed ``FILE.note`` when there is one beside it; the reports published before
    are kept), ``report_keys`` the keys that sign those notes when the log's key does not.

    Raises NotFoundError when no checkpoint is signed yet, VerificationError when the log did
    not only grow since the mirror's last publish, InputError for a folder that holds
    something else than a mirror; nothing is written then.
    """
    folder = Path(folder)
    viewer = Viewer(PUBLIC, store, now=now or datetime.now(UTC))
    content, views = _content(
        store, folder, viewer, cosigners=cosigners, reports=reports, report_keys=report_keys
    )
    files = {name: _page_file(name) for name in PAGE_FILES}
    files.update(mirror_files(content))  # every proof checked before anything is written
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
    try:
        for path, data in files.items():
            (work / path).parent.mkdir(parents=True, exist_ok=True)
            (work / path).write_bytes(data)
        for name, fmt in DATA.items():
            write_export("incidents", views, fmt, work / name)
            files[name] = (work / name).read_bytes()
        digests = {path: file_digest(data) for path, data in files.items()}
        latest = content.latest
        (work / MANIFEST).write_bytes(
            manifest(digests, published_at=content.published_at, checkpoint_size=latest.size)
        )
        os.chmod(work, 0o755)  # mkdtemp makes it owner-only; a web server must read it
        _swap_in(work, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    leaves = [leaf for group in content.leaves.values() for leaf in group]
    return Published(
        folder=folder,
        size=latest.size,
        root=base64.b64encode(latest.root).decode("ascii"),
        incidents=len(content.leaves),
        leaves=len(leaves),
        shown=sum(1 for leaf in leaves if leaf.shown),
        checkpoints=[c.size for c in content.history],
        reports=[r.name for r in content.reports],
        files=len(files) + 1,
    )


#: renameat2's flag that swaps two paths atomically (linux/fs.h).
_RENAME_EXCHANGE: Final = 2
_AT_FDCWD: Final = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step (Linux ``renameat2``); False where it is not
    available, so the caller falls back to two renames."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    try:
        renameat2 = ctypes.CDLL(libc_name, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(done == 0)


def _swap_in(work: Path, folder: Path) -> None:
    """Put the finished ``work`` folder at ``folder``; what was there ends up in ``work``
    (removed by the caller)."""
    if not folder.exists():
        os.rename(work, folder)
        work.mkdir()  # the caller removes it
        return
    if not folder.is_dir():
        raise InputError(Problem(str(folder), "", "exists and is not a folder"))
    if _exchange(work, folder):
        return
    aside = work.with_name(work.name + ".old")
    os.rename(folder, aside)
    os.rename(work, folder)
    os.rename(aside, work)
