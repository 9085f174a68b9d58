"""The HTTP service under bounded load on loopback: single reports and batches per second.

Starts ``ceasefire serve`` as a real process on 127.0.0.1 (a fresh SQLite store in a temporary
folder), drives it from this process with keep-alive connections, and prints one JSON line per
measurement. The peer is the library call the service makes, ``Store.add_reports`` with the
geo step (``ingest_reports``), on a second fresh store in this process: the ratio is what HTTP,
JSON parsing and the service layer cost on top. Both must store the same reports
(``same_answer``). Targets on the 2-core machine: >= 1,000 single reports/s with p99 <= 50 ms,
>= 50,000 reports/s in batches, zero errors.

A last line gives the storage floor of a batch: the SQL statements the peer's batches sent to
SQLite, replayed through the bare ``sqlite3`` driver on a fresh store of the same schema, with
no Python work around them (no parsing, validation, hashing or placement). No ingest on this
store can be faster than that line.

Usage: ``python benchmarks/api.py [--quick]``. Loopback only; every phase is bounded in count.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.geo.engine import GeoEngine
from ceasefire.intake.report import Report
from ceasefire.pipeline import ingest_reports
from ceasefire.publish.access import Principal
from ceasefire.store.facade import Store

V1 = "/api/v1"
#: Single reports sent before the measured ones (ids ``warm-N``, not compared).
#: Who enters the benchmark's reports (the store records it with each).
OPERATOR = Principal("benchmark", "admin")
WARM_UP = 1_000


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def report(prefix: str, i: int) -> dict[str, Any]:
    return {
        "id": f"{prefix}-{i}",
        "submitted_by": "mission",
        "source_kind": "sensor",
        "source_name": f"acoustic {i % 11}",
        "observed_from": f"2026-03-10T{18 + i % 6:02d}:{i % 60:02d}:{i % 59:02d}+00:00",
        "lon": 35.5 + (i * 37) % 1000 / 500,
        "lat": 47.3 + (i * 53) % 1000 / 800,
        "uncertainty_m": 300.0,
        "event_type": "explosion",
        "count": 1 + i % 4,
    }


class Served:
    """``ceasefire serve`` on a fresh database, as a child process."""

    def __init__(self, db: Path, fuse_every: float = 0.0) -> None:
        with Store.open(db) as store:
            token = store.add_user("load driver", "monitor")
        self.auth = {"Authorization": f"Bearer {token}"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from ceasefire.cli.app import main; main()", "serve",
             "--db", str(db), "--port", "0", "--log-level", "warning",
             # One token drives the whole load: the per-token limit would measure itself.
             "--token-rate", "0", "--fuse-every", str(fuse_every)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not found:
            raise SystemExit(f"the server did not start: {line!r}")
        self.port = int(found.group(1))
        deadline = time.monotonic() + 60
        while True:
            try:
                self.fusion()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        # Up means fusing too: live fusion's process starts (and fuses the store once) after
        # the server answers, and its start-up is not the steady state measured.
        self.fused_through(0)

    def fusion(self) -> dict[str, Any] | None:
        """What the service says of its live fusion (None: off)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        conn.request("GET", V1, headers=self.auth)
        found: dict[str, Any] | None = json.loads(conn.getresponse().read())["fusion"]
        conn.close()
        return found

    def fused_through(self, seq: int) -> None:
        """Wait until live fusion (if on) has started and taken in the reports up to ``seq``."""
        deadline = time.monotonic() + 120
        while (status := self.fusion()) is not None:
            if status["started"] and status["reports_through"] >= seq:
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"live fusion did not catch up: {status}")
            time.sleep(0.05)

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _post_singles(
    port: int, auth: dict[str, str], ids: range, clients: int, prefix: str = "single"
) -> list[Any]:
    """One client process: ``clients`` threads on keep-alive connections POST the reports
    ``ids`` (round robin); returns the latencies in seconds and the error statuses."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def work(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        for i in ids[k::clients]:
            body = json.dumps(report(prefix, i)).encode()
            t = time.perf_counter()
            conn.request(
                "POST", f"{V1}/reports", body, {"Content-Type": "application/json", **auth}
            )
            answer = conn.getresponse()
            answer.read()
            mine.append(time.perf_counter() - t)
            if answer.status not in (200, 201):
                with lock:
                    errors.append(str(answer.status))
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return [latencies, errors]


def singles(server: Served, n: int, clients: int, processes: int) -> dict[str, Any]:
    """``n`` single-report POSTs from ``clients`` keep-alive connections, spread over
    ``processes`` client processes (threads of one process would queue on its GIL and add
    their wait to the latencies measured)."""
    per = clients // processes
    shares = [range(p, n, processes) for p in range(processes)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        # Warm up first (connections, pools, caches), not counted: the steady state is measured.
        warm = [range(p, WARM_UP, processes) for p in range(processes)]
        pool.starmap(_post_singles, [(server.port, server.auth, w, per, "warm") for w in warm])
        server.fused_through(WARM_UP)  # the warm-up's reports are the first stored: seqs 1..
        t0 = time.perf_counter()
        parts = pool.starmap(
            _post_singles, [(server.port, server.auth, share, per) for share in shares]
        )
        seconds = time.perf_counter() - t0
    latencies = sorted(x for part in parts for x in part[0])
    errors = [x for part in parts for x in part[1]]
    return {
        "n": n,
        "clients": per * processes,
        "client_processes": processes,
        "seconds": round(seconds, 2),
        "per_s": round(n / seconds),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 2),
        "errors": len(errors),
    }


def batches(server: Served, n: int, size: int) -> dict[str, Any]:
    """``n`` reports in JSON Lines batches of ``size``, one request at a time."""
    conn = server.connect()
    errors = 0
    t0 = time.perf_counter()
    for start in range(0, n, size):
        body = "".join(
            json.dumps(report("batch", i)) + "\n" for i in range(start, min(n, start + size))
        ).encode()
        headers = {"Content-Type": "application/x-ndjson", **server.auth}
        conn.request("POST", f"{V1}/reports/batch", body, headers)
        answer = conn.getresponse()
        text = answer.read()
        if answer.status != 200:
            errors += 1
            print(answer.status, text[:300], file=sys.stderr)
    seconds = time.perf_counter() - t0
    conn.close()
    return {"n": n, "batch": size, "seconds": round(seconds, 2), "per_s": round(n / seconds),
            "errors": errors}  # fmt: skip


def library(
    n: int, size: int, prefix: str, folder: Path, sql: Recorder | None = None
) -> tuple[float, set[str]]:
    """The peer: the same reports through ``ingest_reports`` in this process; ``sql`` records
    the statements of the ingest calls (and only those) when given."""
    agreement = load_agreement(demo_agreement_path())
    engine = GeoEngine(agreement).prepare()
    with Store.open(folder / f"peer-{prefix}.db") as store:
        reports = [
            Report.model_validate(report(prefix, i), context={"check_future": False})
            for i in range(n)
        ]
        with sql or contextlib.nullcontext():
            t0 = time.perf_counter()
            for start in range(0, n, size):
                ingest_reports(store, reports[start : start + size], engine, entered_by=OPERATOR)
            seconds = time.perf_counter() - t0
        return seconds, {r.report.id for r in store.list_stored()}


class Recorder:
    """The SQL statements every engine of this process sends to its driver, and its commits,
    while recording."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, bool]] = []

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any,
                context: Any, executemany: bool) -> None:  # fmt: skip
        self.calls.append((statement, parameters, executemany))

    def _commit(self, conn: Any) -> None:
        self.calls.append(("COMMIT", (), False))  # the driver's commit(), not a statement

    def __enter__(self) -> Recorder:
        event.listen(Engine, "before_cursor_execute", self._record)
        event.listen(Engine, "commit", self._commit)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(Engine, "before_cursor_execute", self._record)
        event.remove(Engine, "commit", self._commit)


def replay(calls: list[tuple[str, Any, bool]], db: Path) -> float:
    """Seconds to send ``calls`` through the bare sqlite3 driver to a fresh store at ``db``
    (same schema and pragmas as the store's own connections; BEGIN and COMMIT included)."""
    Store.open(db).close()  # the schema, by the migrations
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA synchronous=FULL")
    t0 = time.perf_counter()
    for statement, parameters, many in calls:
        if many:
            con.executemany(statement, parameters)
        else:
            con.execute(statement, parameters or ())
    seconds = time.perf_counter() - t0
    con.close()
    return seconds


def arrival(server: Served, db: Path, n: int, rate: float) -> dict[str, Any]:
    """POST -> incident readable and POST -> notification sent, with live fusion on: ``n``
    single reports at ``rate`` a second, while a second reader of the same file (as any
    client's read would be) watches for each report's incident, and for its incident's
    notification when it gets one."""
    posted: dict[str, float] = {}
    fused: dict[str, float] = {}
    noted: dict[str, float] = {}
    incident_of: dict[str, str] = {}
    done = threading.Event()

    def watch() -> None:
        reader = sqlite3.connect(db, timeout=10)
        deadline = None
        while True:
            now = time.perf_counter()
            for rid, iid in reader.execute(
                "SELECT report_id, incident_id FROM incident_reports WHERE report_id LIKE 'probe-%'"
            ):
                if rid not in fused:
                    fused[rid] = now
                    incident_of[rid] = iid
            told = {i for (i,) in reader.execute(
                "SELECT DISTINCT incident_id FROM hotline_messages WHERE kind = 'notification'"
            )}  # fmt: skip
            for rid, iid in list(incident_of.items()):
                if rid not in noted and iid in told:
                    noted[rid] = now
            if done.is_set():
                deadline = deadline or now + 15  # what the last reports still get, bounded
                if now > deadline or (len(fused) == n and len(noted) == len(incident_of)):
                    break
            time.sleep(0.01)
        reader.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    conn = server.connect()
    headers = {"Content-Type": "application/json", **server.auth}
    for i in range(n):
        # A night of its own, so each probe makes a new incident rather than joining one of
        # the load's (whose notifications were sent long before).
        fresh = report("probe", i) | {
            "observed_from": f"2026-03-09T{18 + i % 6:02d}:{i % 60:02d}:00+00:00"
        }
        body = json.dumps(fresh).encode()
        sent = time.perf_counter()
        conn.request("POST", f"{V1}/reports", body, headers)
        answer = conn.getresponse()
        answer.read()
        posted[f"probe-{i}"] = sent
        time.sleep(max(0.0, 1 / rate - (time.perf_counter() - sent)))
    conn.close()
    done.set()
    watcher.join()
    to_incident = sorted(fused[r] - posted[r] for r in fused)
    to_note = sorted(noted[r] - posted[r] for r in noted)

    def p(xs: list[float], q: float) -> float | None:
        return round(xs[int(q * (len(xs) - 1))], 3) if xs else None

    return {
        "n": n,
        "rate_per_s": rate,
        "fused": len(fused),
        "incident_p50_s": p(to_incident, 0.5),
        "incident_p99_s": p(to_incident, 0.99),
        "notified": len(noted),
        "notification_p50_s": p(to_note, 0.5),
        "notification_p99_s": p(to_note, 0.99),
    }


def stored_ids(db: Path, prefix: str) -> set[str]:
    with Store.open(db) as store:
        return {r.report.id for r in store.list_stored() if r.report.id.startswith(prefix)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (about a minute)")
    parser.add_argument(
        "--only-live", action="store_true", help="only the live-fusion lines (and their peer)"
    )
    args = parser.parse_args()
    n_single = 5_000 if args.quick else 20_000
    n_batch = 50_000 if args.quick else 200_000
    size = 10_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "served.db"
        server = Served(db)
        try:
            one = singles(server, n_single, clients=32, processes=4)
            many = batches(server, n_batch, size) if not args.only_live else {}
        finally:
            server.stop()
        live_db = folder / "live.db"
        server = Served(live_db, fuse_every=0.25)
        try:
            live_one = singles(server, n_single, clients=32, processes=4)
            # The arrival probes measure a steady state: the load's reports fused first (how
            # long that took after the load ended is reported with it).
            t0 = time.perf_counter()
            server.fused_through(WARM_UP + n_single)
            live_one["fusion_lag_s"] = round(time.perf_counter() - t0, 2)
            probe = arrival(server, live_db, 100 if args.quick else 300, rate=20.0)
        finally:
            server.stop()
        if args.only_live:
            emit(benchmark="single-report POSTs, live fusion off", **one)
            emit(
                benchmark="single-report POSTs with live fusion on (serve --fuse-every 0.25)",
                **live_one,
                target_per_s=1000,
                target_p99_ms=50,
                ratio=round(live_one["per_s"] / one["per_s"], 2),
                same_answer=stored_ids(live_db, "single-") == stored_ids(db, "single-"),
            )
            emit(benchmark="POST -> incident readable, POST -> notification", **probe,
                 target_incident_p99_s=1.0, target_notification_s=6)  # fmt: skip
            return
        peer_single_s, peer_single = library(n_single, 1, "single", folder)
        sql = Recorder()
        peer_batch_s, peer_batch = library(n_batch, size, "batch", folder, sql)
        floor_s = replay(sql.calls, folder / "floor.db")
        emit(
            benchmark="single-report POSTs (32 keep-alive clients in 4 processes; group commit)",
            **one,
            target_per_s=1000,
            target_p99_ms=50,
            peer="Store.add_reports via ingest_reports, one report per call, in process",
            peer_per_s=round(n_single / peer_single_s),
            ratio=round(one["per_s"] / (n_single / peer_single_s), 2),
            same_answer=stored_ids(db, "single-") == peer_single,
        )
        emit(
            benchmark="single-report POSTs with live fusion on (serve --fuse-every 0.25)",
            **live_one,
            target_per_s=1000,
            target_p99_ms=50,
            peer="the same POSTs with live fusion off (the line above)",
            ratio=round(live_one["per_s"] / one["per_s"], 2),
            same_answer=stored_ids(live_db, "single-") == stored_ids(db, "single-"),
        )
        emit(
            benchmark="POST -> incident readable, POST -> notification (live fusion 0.25 s, "
            "hotline tick 5 s)",
            **probe,
            target_incident_p99_s=1.0,
            target_notification_s="one tick + 1 s = 6",
        )
        emit(
            benchmark="batch POSTs (JSON Lines, streamed)",
            **many,
            target_per_s=50_000,
            peer=f"ingest_reports in batches of {size}, in process",
            peer_per_s=round(n_batch / peer_batch_s),
            ratio=round(many["per_s"] / (n_batch / peer_batch_s), 2),
            same_answer=stored_ids(db, "batch-") == peer_batch,
        )
        emit(
            benchmark="batch storage floor (the peer's SQL replayed through the sqlite3 driver)",
            n=n_batch,
            seconds=round(floor_s, 2),
            per_s=round(n_batch / floor_s),
            target_per_s=50_000,
            same_answer=stored_ids(folder / "floor.db", "batch-") == peer_batch,
        )


if __name__ == "__main__":
    main()
