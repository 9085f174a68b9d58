"""Durability under a kill: the server is SIGKILLed in the middle of sustained ingestion.

Every report the server acknowledged must be there after a restart, nothing half-written, and
the ledger's consistency proof from the last checkpoint a party saw before the kill verifies.
Runs on each backend (``db_url``); loopback only, bounded in count and time.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from ceasefire import ledger
from ceasefire.ledger.notes import Signer
from ceasefire.store.facade import Store
from served import Served

V1 = "/api/v1"
BATCH = 150  # reports per request
STOP_AFTER = 8  # acknowledged batches before the kill
LIMIT_S = 120  # the whole test, at most


def rows(batch: int) -> bytes:
    lines = []
    for i in range(BATCH):
        lines.append(
            {
                "id": f"kill-{batch}-{i}",
                "submitted_by": "mission",
                "source_kind": "sensor",
                "source_name": f"acoustic {i % 7}",
                "observed_from": f"2026-03-10T{18 + batch % 6:02d}:{i % 60:02d}:00+00:00",
                "lon": 36.0 + (batch * BATCH + i) % 97 / 100,
                "lat": 47.6 + (batch * BATCH + i) % 89 / 200,
                "uncertainty_m": 400.0,
                "event_type": "explosion",
            }
        )
    return "".join(json.dumps(r) + "\n" for r in lines).encode()


class Server(Served):
    """The service on ``db``, signing checkpoints every 0.1 s, called with a monitor's token;
    without the hotline's scheduler, so that every ledger entry is a report (the scheduler's
    own kill test is in test_hotline_service.py)."""

    def __init__(self, db: str, key: Path, token: str) -> None:
        self.headers = {"Authorization": f"Bearer {token}"}
        super().__init__(
            "--db",
            db,
            "--sign-key",
            str(key),
            "--checkpoint-every",
            "0.1",
            "--hotline-every",
            "0",
            "--fuse-every",
            "0",
        )

    def get(self, path: str) -> str:
        request = urllib.request.Request(self.base + V1 + path, headers=self.headers)
        with urllib.request.urlopen(request, timeout=10) as r:
            return str(r.read().decode())

    def post_batch(self, body: bytes) -> Any:
        request = urllib.request.Request(
            self.base + V1 + "/reports/batch",
            data=body,
            headers={"Content-Type": "application/x-ndjson", **self.headers},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as r:
            return json.load(r)


@pytest.mark.slow
@pytest.mark.served
def test_sigkill_mid_ingestion_loses_nothing_acknowledged(db_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    log = Signer.generate("ceasefire.test/durable-log")
    key = tmp_path / "log.key"
    ledger.write_key(log, key)
    with Store.open(db_url) as store:
        token = store.add_user("sensor gateway", "monitor")
    acknowledged: list[str] = []
    seen_checkpoint = ""
    server = Server(db_url, key, token)
    sending: dict[str, Any] = {}

    def drive() -> None:
        """Post batches back to back until the server dies; record what it acknowledged."""
        batch = 0
        while True:
            body = rows(batch)
            sending["batch"] = batch
            try:
                answer = server.post_batch(body)
            except (OSError, urllib.error.URLError):
                return  # the kill landed during this request: not acknowledged
            assert answer["added"] + answer["unchanged"] == BATCH, answer
            acknowledged.extend(f"kill-{batch}-{i}" for i in range(BATCH))
            batch += 1

    try:
        driver = threading.Thread(target=drive, daemon=True)
        driver.start()
        while len(acknowledged) < STOP_AFTER * BATCH:
            assert driver.is_alive() and time.monotonic() - started < LIMIT_S
            try:
                seen_checkpoint = server.get("/ledger/checkpoint")  # a party's last view
            except urllib.error.HTTPError as exc:
                # 404 until the server's first signing, which a loaded machine may delay.
                assert exc.code == 404, exc
            time.sleep(0.05)
        server.kill()  # mid-stream: the driver is sending the next batch
        driver.join(timeout=30)
        assert not driver.is_alive()
    finally:
        server.stop()
    assert seen_checkpoint, "no checkpoint was signed while ingesting"
    in_flight = sending["batch"]

    restarted = Server(db_url, key, token)
    try:
        # The restarted server signs the log as it found it within a tick.
        deadline = time.monotonic() + 30
        while True:
            after = restarted.get("/ledger/checkpoint")
            assert after.startswith("ceasefire.test/durable-log\n")
            if int(after.split("\n")[1]) >= len(acknowledged):
                break
            assert time.monotonic() < deadline, after
            time.sleep(0.1)
    finally:
        restarted.stop()

    with Store.open(db_url) as store:
        stored = {r.report.id for r in store.list_stored()}
        missing = [i for i in acknowledged if i not in stored]
        assert not missing, f"{len(missing)} acknowledged report(s) lost, e.g. {missing[:3]}"
        # The batch under way when the server died is there whole or not at all.
        partial = {i for i in stored if i.startswith(f"kill-{in_flight}-")}
        assert len(partial) in (0, BATCH)
        assert len(stored) in (len(acknowledged), len(acknowledged) + BATCH)
        # The log extends what the party saw before the kill, and holds exactly the reports.
        proved = ledger.verify_consistency_from(store, seen_checkpoint, log.verifier())
        assert proved.size >= len(acknowledged)
        audit = ledger.audit(store, log.verifier())
        assert audit.records["reports"] == len(stored) == store.ledger_state().size - 1
        assert audit.records["users"] == 1  # the gateway's user, the log's first leaf
    assert time.monotonic() - started < LIMIT_S + 60
