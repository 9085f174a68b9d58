"""Several processes writing one store at once: no report lost or stored twice, incident ids
unique and gapless, and a ledger that audits clean, read while the writers go on.

Writers take turns (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock; docs/store.md), so
what is checked here is that nothing escapes the turn: the id check before an insert, the
``max(seq) + 1`` of incidents and status changes, the log's size and right edge.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backends import OPERATOR, copy_sqlite
from ceasefire import ledger
from ceasefire.cli.app import app
from ceasefire.intake.report import Report
from ceasefire.store import backends as store_backends
from ceasefire.store.facade import Store

WORKERS = 4
BATCHES = 8
SIZE = 120  # reports per batch...
SHARED = 40  # ...of which these ids every worker sends in the same batch, with the same content
INCIDENTS = 5  # singleton incidents a worker saves after each batch, over its own new reports

WORKER = textwrap.dedent(
    """
    import json, sys
    from datetime import UTC, datetime, timedelta
    from ceasefire import ledger
    from ceasefire.records import Incident
    from ceasefire.ledger.notes import Signer
    from ceasefire.intake.report import Report
    from ceasefire.publish.access import Principal
    from ceasefire.store.facade import Store

    OPERATOR = Principal("test intake", "admin")
    where, worker, workers, batches, size, shared, incidents = sys.argv[1:]
    worker, workers, batches = int(worker), int(workers), int(batches)
    size, shared, incidents = int(size), int(shared), int(incidents)
    t0 = datetime(2026, 3, 1, tzinfo=UTC)

    def report(rid, n):
        # The content depends on the id only: the workers' shared reports are equal.
        return Report.model_validate({
            "id": rid, "submitted_by": "mission", "source_kind": "sensor",
            "observed_from": (t0 + timedelta(seconds=n)).isoformat(),
            "lon": 36 + n % 997 / 400, "lat": 47 + n % 991 / 600, "event_type": "explosion",
        }, context={"check_future": False})

    def incident(r):
        return Incident(
            key=r.id, event_type="explosion", group="fire", observed_from=r.observed_from,
            observed_to=r.observed_from, lon=r.lon, lat=r.lat, uncertainty_m=100.0,
            place_precision="exact", report_ids=(r.id,), anchor_ids=(r.id,),
            sources=("mission/sensor",), source_kinds=("sensor",), submitters=("mission",),
        )

    store = Store.open(where)  # all at once, on an empty database: one of them migrates it
    signer = Signer.generate("ceasefire.test/log") if worker == 0 else None
    print("ready", flush=True)
    sys.stdin.readline()  # go
    for b in range(batches):
        batch = [report(f"s{b}-{i}", b * 1000 + i) for i in range(shared)]
        batch += [
            report(f"w{worker}-{b}-{i}", 100_000 * (worker + 1) + b * 1000 + i)
            for i in range(size - shared)
        ]
        # Each worker sends the batch in another order, so shared ids race every which way.
        turn = worker * size // workers
        batch = batch[turn:] + batch[:turn]
        added = store.add_reports(batch, entered_by=OPERATOR)
        own = [r for r in batch if r.id.startswith("w")][:incidents]
        saved = store.save_incidents([incident(r) for r in own], at=t0 + timedelta(hours=b))
        if signer is not None:
            ledger.sign_checkpoint(store, signer)
        print(json.dumps({
            "added": added.added_ids, "unchanged": added.unchanged_ids,
            "incidents": sorted(saved.ids.values()),
        }), flush=True)
    store.close()
    print("done", flush=True)
    """
)


@pytest.mark.slow
def test_concurrent_writers_lose_nothing_and_duplicate_nothing(db_url: str) -> None:
    args = [str(n) for n in (WORKERS, BATCHES, SIZE, SHARED, INCIDENTS)]
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, db_url, str(w), *args], text=True, **pipes)
        for w in range(WORKERS)
    ]
    try:
        for w in workers:
            assert w.stdout is not None
            if w.stdout.readline() != "ready\n":
                pytest.fail(f"a worker failed to start: {w.communicate(timeout=60)[1]}")
        for w in workers:  # as close to together as the pipes allow
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        # The audit reads one snapshot while the writers go on: it must hold at any moment.
        audits = 0
        with Store.open(db_url, migrate=False) as reader:
            while any(w.poll() is None for w in workers) and audits < 50:
                ledger.audit(reader)
                audits += 1
        outputs = [w.communicate(timeout=120) for w in workers]
    finally:
        for w in workers:
            w.kill()
            w.wait()
    for w, (out, err) in zip(workers, outputs, strict=True):
        assert w.returncode == 0, err
        assert out.endswith("done\n"), err
    results = [json.loads(line) for out, _ in outputs for line in out.splitlines()[:-1]]
    assert len(results) == WORKERS * BATCHES

    added = [rid for r in results for rid in r["added"]]
    unchanged = [rid for r in results for rid in r["unchanged"]]
    distinct = BATCHES * SHARED + WORKERS * BATCHES * (SIZE - SHARED)
    assert len(added) == len(set(added)) == distinct, "a report was stored twice or lost"
    assert len(unchanged) == (WORKERS - 1) * BATCHES * SHARED  # every shared id, but once
    assert set(unchanged) <= set(added)
    incidents = [iid for r in results for iid in r["incidents"]]
    assert len(set(incidents)) == len(incidents) == WORKERS * BATCHES * INCIDENTS

    with Store.open(db_url) as store:
        assert store.count_reports() == distinct
        assert {r.id for r in store.list_reports()} == set(added)
        assert store.count_reports(bbox=(-180.0, -90.0, 180.0, 90.0)) == distinct  # all indexed
        stored = sorted(s.incident_id for s in store.list_incidents())
        assert stored == sorted(incidents) == [f"INC-{i:06d}" for i in range(1, len(stored) + 1)]
        report = ledger.audit(store)
        assert report.records["reports"] == distinct
        # One leaf per report, and per new incident one for its body and one for its first status.
        assert report.records["incidents"] == len(incidents)
        assert store.ledger_state().size == distinct + 2 * len(incidents)
        assert report.checkpoints == BATCHES
    assert audits >= 1


# -- 'database is locked' is retried inside the store --------------------------------------------


def _report(rid: str, n: int) -> Report:
    return Report.model_validate(
        {
            "id": rid,
            "submitted_by": "mission",
            "source_kind": "sensor",
            "observed_from": f"2026-03-10T{n % 24:02d}:{n % 60:02d}:00+00:00",
            "lon": 37.6 + n % 97 / 1000,
            "lat": 48.5 + n % 89 / 1000,
            "event_type": "explosion",
        },
        context={"check_future": False},
    )


def test_a_writer_kept_out_past_the_busy_timeout_begins_again_and_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process's write (an ingest, `ceasefire fuse`) holds the lock for longer than one
    # busy timeout: the store begins its transaction again instead of failing (503 in the API).
    monkeypatch.setattr(store_backends, "LOCK_WAIT_S", 0.2)
    db = tmp_path / "locked.db"
    Store.open(db).close()
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        held.set()
        done.wait(0.5)  # two and a half busy timeouts of the writer, then let go
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(30)
        with Store.open(db, migrate=False) as store:
            added = store.add_reports([_report("late-1", 1)], entered_by=OPERATOR)
        assert added.added == 1
    finally:
        done.set()
        holder.join()


def test_fuse_beside_two_running_services_succeeds(
    demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two services write one SQLite file (each its own store and connections, as two processes
    # would) while an operator runs `ceasefire fuse` on it: every write goes in, none is a 503.
    monkeypatch.setattr(store_backends, "LOCK_WAIT_S", 1)
    db = copy_sqlite(demo_dir / "demo.db", tmp_path)
    failures: list[BaseException] = []
    added: list[int] = []

    def service(name: str) -> None:
        try:
            with Store.open(db, create=False) as store:
                for b in range(12):
                    batch = [_report(f"{name}-{b}-{i}", b * 20 + i) for i in range(20)]
                    added.append(store.add_reports(batch, entered_by=OPERATOR).added)
                    store.add_user(f"{name}-user-{b}", "monitor")
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=service, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    fused = CliRunner().invoke(app, ["fuse", "--db", str(db), "--json"])
    for t in threads:
        t.join()
    assert fused.exit_code == 0, fused.output
    assert not failures, failures
    assert sum(added) == 2 * 12 * 20
    with Store.open(db) as store:
        ledger.audit(store)
