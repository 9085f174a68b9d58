"""The daily report from a signed checkpoint (issue 20 section 1; :mod:`ceasefire.reporting`).

Two stores are made with the simulator, as ``ceasefire demo`` makes its night (not timed): a
night of about 2,000 reports and a month of about 100,000 (30 nights' worth of events), each
ingested, fused, judged and its log signed. Then, timed end to end: ``reporting.build`` for one
day (the night; the month's 15th), which picks the checkpoint, reads every leaf of it, checks
them against its root, replays them, builds the data for the tier and writes canonical JSON.

The peer is a plain SQL ``GROUP BY`` over the store's rows computing the day's violations by
oblast and by the party held responsible (what the report's first tables hold); ``same`` says
both give the same counts. The peer reads two indexed tables and trusts them; the report reads
and hashes the whole log, so the ratio is the price of a report checked against its checkpoint.
Targets: the night <= 2 s, the month <= 30 s.

``cold_process_s`` times the mission's report as the command ``ceasefire report daily`` in a
new process (Python's start, the imports, the monitored area of the coverage section: all a
caller waits for), and ``cold_same`` says it wrote the bytes built in this process.

Usage: ``python benchmarks/report.py [--quick]`` (``--quick``: the night only). One JSON line
per scale and tier.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select

from ceasefire import reporting
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.ledger.notes import Signer
from ceasefire.pipeline import fuse_store, ingest_files
from ceasefire.publish.access import Principal
from ceasefire.report import daily, scope
from ceasefire.sim import SimConfig, write_simulation
from ceasefire.store.facade import Store
from ceasefire.store.schema import incidents_table, violations_table

AGREEMENT = load_agreement(demo_agreement_path())
OPERATOR = Principal("bench intake", "admin")


def make_store(folder: Path, config: SimConfig) -> tuple[Store, int]:
    """A store holding the simulated reports, fused, judged and signed; and its report count."""
    reports = folder / "reports.jsonl"
    write_simulation(config, reports, folder / "truth.jsonl")
    store = Store.open(folder / "bench.db")
    ingest_files(store, [reports], AGREEMENT, entered_by=OPERATOR)
    fuse_store(store, [AGREEMENT])
    store.ledger_sign(Signer.generate("bench.report/log"), datetime.now(UTC))
    return store, store.count_reports()


def peer(store: Store, day: date) -> tuple[Counter[str | None], Counter[str], float]:
    """The day's violations by oblast and by party held responsible, by SQL GROUP BY."""
    start, end = scope.period(day, AGREEMENT.reporting)
    i, v = incidents_table.c, violations_table.c
    held = func.coalesce(i.assessed_perpetrator, v.party, daily.UNATTRIBUTED)
    where = and_(
        v.superseded_at.is_(None),
        i.merged_into.is_(None),
        i.status.not_in(sorted(daily.DISMISSED)),
        i.observed_from >= start,
        i.observed_from < end,
    )
    joined = violations_table.join(incidents_table, i.incident_id == v.incident_id)
    t0 = time.perf_counter()
    with store.read() as conn:
        oblast = Counter(
            {o: n for o, n in conn.execute(
                select(i.oblast, func.count()).select_from(joined).where(where).group_by(i.oblast)
            )}
        )  # fmt: skip
        party = Counter(
            {p: n for p, n in conn.execute(
                select(held, func.count()).select_from(joined).where(where).group_by(held)
            )}
        )  # fmt: skip
    return oblast, party, time.perf_counter() - t0


def ours(store: Store, day: date, tier: str) -> tuple[dict[str, Any], int, float, float]:
    """The report's data, its size, and the wall-clock and CPU seconds it took (on a machine
    shared with other work the CPU time is the steadier of the two)."""
    t0, c0 = time.perf_counter(), time.process_time()
    built = reporting.build(store, AGREEMENT, day=day, tier=tier, fmt="json")
    return built.data, len(built.body), time.perf_counter() - t0, time.process_time() - c0


def built_body(store: Store, day: date) -> bytes:
    return reporting.build(store, AGREEMENT, day=day, tier="mission", fmt="json").body


def cold_process(folder: Path, day: date, body: bytes) -> dict[str, Any]:
    """``ceasefire report daily`` as a command in a new process, start-up and imports included
    (what a liaison officer waits for): its wall seconds, and whether it wrote the very bytes
    built in this process."""
    out = folder / "cold.json"
    command = [sys.executable, "-c", "from ceasefire.cli.app import main; main()", "report",
               "daily", "--db", str(folder / "bench.db"), "--date", day.isoformat(),
               "--format", "json", "--out", str(out)]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return {
        "cold_process_s": round(time.perf_counter() - t0, 3),
        "cold_same": out.read_bytes() == body,
    }


def run(name: str, config: SimConfig, day: date, target_s: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        store, n_reports = make_store(Path(folder), config)
        setup = time.perf_counter() - t0
        try:
            size = store.ledger_checkpoint().size
            oblast, party, peer_s = peer(store, day)
            for tier in ("mission", "party:UA", "public"):
                data, n_bytes, s, cpu = ours(store, day, tier)
                line: dict[str, Any] = {
                    "bench": "report",
                    "scale": name,
                    "tier": tier,
                    "reports": n_reports,
                    "leaves": size,
                    "day_violations": data["summary"]["violations"],
                    "bytes": n_bytes,
                    "s": round(s, 3),
                    "cpu_s": round(cpu, 3),
                    "target_s": target_s,
                    "within": s <= target_s,
                    "setup_s": round(setup, 1),
                }
                if tier == "mission":
                    line.update(cold_process(Path(folder), day, built_body(store, day)))
                    got_oblast = Counter(
                        {
                            r["oblast"]: r["count"]
                            for r in data["violations_by_oblast"]
                            if r["count"]
                        }
                    )
                    got_party = Counter(
                        {r["party"]: r["count"] for r in data["violations_by_party"] if r["count"]}
                    )
                    line.update(
                        peer="SQL GROUP BY (violations JOIN incidents)",
                        peer_s=round(peer_s, 4),
                        ratio=round(s / peer_s, 1),
                        same=got_oblast == oblast and got_party == party,
                    )
                print(json.dumps(line), flush=True)
        finally:
            store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="the night only")
    quick = parser.parse_args().quick
    start = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    run("night", SimConfig(seed=7, start=start, n_reports=2_000), date(2026, 3, 11), 2.0)
    if not quick:
        month = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
        run(
            "month",
            SimConfig(seed=7, start=month, hours=30 * 24, n_reports=100_000),
            date(2026, 3, 15),
            30.0,
        )


if __name__ == "__main__":
    main()
