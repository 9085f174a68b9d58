"""What the mirror's tests share: the demo's mirror (:class:`Mirrored`), publishing one, a
stand-in daily report, and a static server on loopback for the browser (python's http.server).
The fixtures are in ``conftest.py`` beside this file."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from backends import OPERATOR
from ceasefire import ledger, reporting
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.ledger.keys import read_signer, read_verifier
from ceasefire.ledger.notes import Signer, sign_note
from ceasefire.mirroring import Published, publish_mirror
from ceasefire.pipeline import fuse_store, ingest_files
from ceasefire.store.facade import Store

#: The daily report published with the demo: the night's public report as PDF, signed by the
#: log's key as ``ceasefire report daily --tier public --key`` signs it.
REPORT_NAME = "daily-2026-03-11-public.pdf"
#: The key that signs the stand-in reports' notes (a mission's report key, not the log's).
REPORT_SIGNER = Signer.generate("ceasefire.test/reports")


@dataclass(frozen=True)
class Mirrored:
    """The demo's mirror: its folder, the database it came from, the demo's keys, what
    :func:`publish_mirror` answered."""

    folder: Path
    db: Path
    keys: Path
    published: Published


def night_report(db: Path, folder: Path, keys: Path) -> Path:
    """The demo night's public report (PDF) and its signed note, built from the database's
    checkpoint by :mod:`ceasefire.reporting`, as the report command leaves them."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / REPORT_NAME
    agreement = load_agreement(demo_agreement_path())
    with Store.open(db) as store:
        built = reporting.build(store, agreement, day=date(2026, 3, 11), tier="public", fmt="pdf")
        held = reporting.sign(store, built, read_signer(keys / "log.key"))
    path.write_bytes(built.body)
    path.with_name(REPORT_NAME + ".note").write_text(held.text, encoding="utf-8")
    return path


def write_report(folder: Path, name: str, text: str) -> Path:
    """A daily report file and its signed note (``FILE.note``), as the report command would
    leave them (the note names the file's SHA-256)."""
    import hashlib

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    note = sign_note(f"ceasefire.test/reports\n{name}\nsha256 {digest}\n", REPORT_SIGNER)
    path.with_name(name + ".note").write_text(note, encoding="utf-8")
    return path


def publish(db: Path, folder: Path, keys: Path, reports: tuple[Path, ...] = ()) -> Published:
    cosigners = [read_verifier(str(keys / f"{p}.key.pub")) for p in ("UA", "RU")]
    with Store.open(db) as store:
        return publish_mirror(
            store,
            folder,
            cosigners=cosigners,
            reports=reports,
            report_keys=[REPORT_SIGNER.verifier()],
        )


def grow_log(db: Path, keys: Path, folder: Path) -> str:
    """More records in the log: two new reports (fused), one more incident released, and a new
    checkpoint signed. Returns the newly released incident's id."""
    agreement = load_agreement(demo_agreement_path())
    rows = [
        {
            "id": f"mirror-grow-{i}",
            "submitted_by": "mission",
            "source_kind": "patrol",
            "source_name": "patrol team 7",
            "observed_from": "2026-03-12T21:00:00+00:00",
            "observed_to": "2026-03-12T21:05:00+00:00",
            "lon": 37.61 + i * 0.001,
            "lat": 48.51,
            "uncertainty_m": 300,
            "event_type": "shelling",
            "weapon_class": "artillery",
            "count": 2,
        }
        for i in range(2)
    ]
    path = folder / "grow.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with Store.open(db) as store:
        ingest_files(store, [path], agreement, entered_by=OPERATOR)
        fuse_store(store, [agreement])
        released = set(store.releases())
        candidates = sorted(store.incidents_by_id([f"INC-{n:06d}" for n in range(2, 40)]))
        fresh = next(i for i in candidates if i not in released)
        store.release_incident(fresh, by="test mediator")
        ledger.sign_checkpoint(store, read_signer(keys / "log.key"))
    return fresh


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """The folder served by python's http.server on 127.0.0.1 (an ephemeral port) for the
    block's length: any static web server, as a mirror's host would be. Yields its base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
