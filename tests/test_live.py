"""Live fusion: reports become incidents, violations and notifications as they arrive, and the
result is always what a bulk ``ceasefire fuse`` of the same reports gives (each backend)."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from backends import OPERATOR
from ceasefire import ledger
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.api import create_app
from ceasefire.intake.report import Report
from ceasefire.live import SAVE_INCIDENTS, STEP_REPORTS, LiveFusion
from ceasefire.pipeline import fuse_store, ingest_reports
from ceasefire.publish.access import Principal
from ceasefire.store.facade import Store
from served import Served

AGREEMENT = load_agreement(demo_agreement_path())
NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
V1 = "/api/v1"


@pytest.fixture(scope="module")
def night(demo_dir: Path) -> list[dict[str, Any]]:
    """The demo night's reports as submitted (a simulated night along the whole line)."""
    with (demo_dir / "demo-night" / "reports.jsonl").open() as f:
        return [json.loads(line) for line in f]


def _reports(rows: list[dict[str, Any]]) -> list[Report]:
    return [Report.model_validate(r, context={"now": NOW}) for r in rows]


def _unfused(store: Store) -> int:
    """Standing reports filed under no incident."""
    with store.read() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM reports r WHERE NOT EXISTS (SELECT 1 FROM "
                    "incident_reports m WHERE m.report_id = r.report_id) AND NOT EXISTS "
                    "(SELECT 1 FROM report_retractions t WHERE t.report_id = r.report_id)"
                )
            ).scalar_one()
        )


def _as_bulk(store: Store) -> None:
    """A bulk fusion of the same store changes nothing: live fusion left exactly its incidents
    (members, bodies, statuses) and its violations."""
    again = fuse_store(store, [AGREEMENT], now=NOW)
    assert (again.created, again.updated, again.merged) == (0, 0, 0), again.to_dict()
    assert (again.violations_added, again.violations_superseded) == (0, 0), again.to_dict()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as opened:
        yield opened


@pytest.mark.parametrize("per_transaction", [2, SAVE_INCIDENTS])
def test_live_fusion_gives_the_bulk_incidents_whatever_the_arrival(
    store: Store, night: list[dict[str, Any]], per_transaction: int
) -> None:
    """The night's reports arrive in a shuffled order, in batches of every size; after each
    step the store holds what a bulk fusion of the reports so far would, however few
    incidents each of its transactions saves (merges and splits of stored incidents among
    them: a store refuses a stored incident covered in part)."""
    rows = night[:900]
    random.Random(5).shuffle(rows)
    saves: list[int] = []
    live = LiveFusion(store, [AGREEMENT], save_incidents=per_transaction, on_saved=saves.append)
    live.start(NOW)
    sizes = [1, 2, 7, 40, 150, 300, 400]  # the last more than a step takes in
    at = 0
    for size in sizes:
        batch = _reports(rows[at : at + size])
        at += size
        ingest_reports(store, batch, AGREEMENT, entered_by=OPERATOR)
        steps = [live.step(NOW)]
        while steps[-1].behind:  # more than a step takes in: the rest in the next ones
            steps.append(live.step(NOW))
        assert len(steps) == -(-size // STEP_REPORTS)
        assert sum(s.reports for s in steps) == len(batch)
        assert not any(s.restarted for s in steps)
        assert _unfused(store) == 0
    if per_transaction == 2:  # one incident more only when linked through a stored one
        assert len(saves) > len(sizes) and max(saves) > 2 and sorted(saves)[len(saves) // 2] <= 2
    _as_bulk(store)
    ledger.audit(store)


def _step_then_die(url: str, rows: list[dict[str, Any]]) -> None:
    """In a process of its own: live fusion of the store, then a step over ``rows`` killed
    (SIGKILL) as soon as its first write transaction has committed."""
    with Store.open(url, create=False) as store:
        live = LiveFusion(store, [AGREEMENT], save_incidents=5)
        live.start(NOW)
        ingest_reports(store, _reports(rows), AGREEMENT, entered_by=OPERATOR)
        live.on_saved = lambda _n: os.kill(os.getpid(), signal.SIGKILL)
        live.step(NOW)
    raise AssertionError("the step saved nothing")


def test_a_kill_between_the_transactions_of_a_step_leaves_a_store_that_verifies(
    db_url: str, night: list[dict[str, Any]]
) -> None:
    """A step saves its incidents a few at a time; killed after the first transaction, it
    leaves a store the audit passes (each transaction saved whole incidents with their
    leaves and violations) and the restart fuses the rest into the bulk result."""
    rows = night[:400]
    random.Random(7).shuffle(rows)
    with Store.open(db_url) as store:
        ingest_reports(store, _reports(rows[:250]), AGREEMENT, entered_by=OPERATOR)
    child = multiprocessing.get_context("spawn").Process(
        target=_step_then_die, args=(db_url, rows[250:])
    )
    child.start()
    child.join(120)
    assert child.exitcode == -signal.SIGKILL
    with Store.open(db_url) as store:
        unfused = _unfused(store)
        assert 0 < unfused < 150  # the kill fell between two transactions of the step
        assert ledger.audit(store).problems == []
        saves: list[int] = []
        restarted = LiveFusion(store, [AGREEMENT], save_incidents=5, on_saved=saves.append)
        assert restarted.step(NOW).restarted
        assert len(saves) > 1  # the whole store again, a few incidents at a time
        assert _unfused(store) == 0
        _as_bulk(store)
        ledger.audit(store)


def test_a_retraction_goes_through_live_fusion(store: Store, night: list[dict[str, Any]]) -> None:
    ingest_reports(store, _reports(night[:300]), AGREEMENT, entered_by=OPERATOR)
    live = LiveFusion(store, [AGREEMENT])
    live.start(NOW)
    busiest = max(store.list_incidents(), key=lambda s: len(s.incident.report_ids))
    gone = busiest.incident.report_ids[0]
    store.retract_report(gone, by=Principal("monitor-2", "monitor"), reason="a duplicate")
    step = live.step(NOW)
    assert step.restarted
    after = store.get_incident(busiest.incident_id)
    assert gone not in after.incident.report_ids
    ingest_reports(store, _reports(night[300:360]), AGREEMENT, entered_by=OPERATOR)
    assert not live.step(NOW).restarted
    _as_bulk(store)
    ledger.audit(store)


def test_the_service_fuses_judges_and_notifies_without_a_manual_step(tmp_path: Path) -> None:
    """Reports posted to the service become an incident, a violation and a notification to the
    party held responsible, with nobody running `ceasefire fuse` or `hotline tick`."""
    with Store.open(tmp_path / "live.db") as store:
        token = store.add_user("patrol-lead", "monitor")
        liaison = {p: store.add_user(f"{p}-liaison", "party", p) for p in ("UA", "RU")}
        app = create_app(store, AGREEMENT, fuse_every=0.05, hotline_every=0.1)
        auth = {"Authorization": f"Bearer {token}"}
        # A mission sensor and a patrol record the same heavy shelling close to the line, inside
        # the zone artillery is withdrawn from, fired from the RU side.
        shots = [
            {
                "id": f"live-{n}",
                "submitted_by": "mission",
                "source_kind": kind,
                "source_name": f"{kind} {n}",
                "observed_from": "2026-03-10T21:00:00+00:00",
                "observed_to": "2026-03-10T21:06:00+00:00",
                "lon": 37.62 + 0.002 * n,
                "lat": 47.98,
                "uncertainty_m": 300,
                "event_type": "shelling",
                "weapon_class": "artillery",
                "calibre_mm": 152,
                "direction_of_fire_deg": 95,
                "claimed_perpetrator": "RU",
            }
            for n, kind in enumerate(("sensor", "patrol"))
        ]
        with TestClient(app) as client:
            for shot in shots:
                assert client.post(f"{V1}/reports", json=shot, headers=auth).status_code == 201
            incident = _wait(
                lambda: [
                    i
                    for i in client.get(f"{V1}/incidents", headers=auth).json()["items"]
                    # both reports in one incident: the second may come a step later
                    if {"live-0", "live-1"} <= set(i.get("report_ids", ()))
                ]
            )[0]
            assert set(incident["report_ids"]) == {"live-0", "live-1"}
            assert incident["status"] == "corroborated"
            violations = _wait(
                lambda: client.get(
                    f"{V1}/violations", params={"incident_id": incident["id"]}, headers=auth
                ).json()["items"]
            )
            (held,) = {v["party"] for v in violations}
            assert held in liaison, violations
            told = _wait(
                lambda: [
                    m
                    for m in client.get(
                        f"{V1}/hotline/messages",
                        params={"kind": "notification", "limit": 100},
                        headers={"Authorization": f"Bearer {liaison[held]}"},
                    ).json()["messages"]
                    if m.get("incident_id") == incident["id"]
                ]
            )
            assert told[0]["sender"] == "mission"


def _wait(look: Any, limit_s: float = 120.0) -> Any:
    """What ``look`` returns once it is not empty, polling; fails after ``limit_s``. The limit
    only stops a broken service from hanging the suite (it comes within a second when the
    machine is idle; a loaded shared machine took over 20 s): it is no claim of speed."""
    deadline = time.monotonic() + limit_s
    while True:
        found = look()
        if found:
            return found
        assert time.monotonic() < deadline, "nothing came within the time limit"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.served
def test_after_a_kill_the_live_incidents_are_the_bulk_ones(
    tmp_path: Path, night: list[dict[str, Any]]
) -> None:
    """The service is killed while reports stream in and live fusion saves them; restarted,
    it fuses what the kill left unfused, and the store then holds what a bulk fusion gives."""
    db = tmp_path / "killed.db"
    with Store.open(db) as store:
        token = store.add_user("gateway", "monitor")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
    args = ("--db", str(db), "--fuse-every", "0.05", "--hotline-every", "0")
    sent = 0
    server = Served(*args)
    try:
        while sent < 900:
            body = "".join(json.dumps(r) + "\n" for r in night[sent : sent + 100]).encode()
            request = urllib.request.Request(
                server.base + V1 + "/reports/batch", data=body, headers=headers, method="POST"
            )
            with urllib.request.urlopen(request, timeout=60) as r:
                assert r.status == 200
            sent += 100
            time.sleep(0.02)  # live fusion saves between batches: the kill lands mid-work
        server.kill()
    finally:
        server.stop()
    with Store.open(db) as store:
        top, _ = store.report_marks()
    restarted = Served(*args)
    try:
        # Up once it has fused the whole store again and taken in every report since.
        def caught_up() -> bool:
            request = urllib.request.Request(restarted.base + V1, headers=headers)
            with urllib.request.urlopen(request, timeout=10) as r:
                fusion = json.load(r)["fusion"]
            return bool(fusion["started"] and fusion["reports_through"] >= top)

        _wait(caught_up, limit_s=60)
    finally:
        restarted.stop()
    with Store.open(db) as store:
        assert _unfused(store) == 0
        _as_bulk(store)
        ledger.audit(store)
