"""``/api/v1/coverage`` and ``ceasefire coverage``: the mission enters, the mission and the
mediator read shares per oblast and per cell; a party neither writes nor reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h3
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.api import create_app
from ceasefire.cli.app import app as cli_app
from ceasefire.coverage import MonitoredArea
from ceasefire.store.facade import Store

V1 = "/api/v1"
AGREEMENT = load_agreement(demo_agreement_path())
USERS = {"UA": ("party", "UA"), "monitor": ("monitor", None), "mediator": ("mediator", None)}
# A point on the demo line (halfway along it): inside the monitored area (the DMZ).
MID = AGREEMENT.line.interpolate(0.5, normalized=True)
WINDOW = {"start": "2026-11-19T07:00:00Z", "end": "2026-11-20T07:00:00Z"}


def status(rid: str, state: str = "up", start: str = "2026-11-19T07:00:00Z",
           end: str = "2026-11-19T13:00:00Z") -> dict[str, Any]:  # fmt: skip
    return {"kind": "sensor_status", "id": rid, "status": state, "start": start, "end": end,
            "sensor": {"id": "CAM-07", "kind": "camera", "lon": MID.x, "lat": MID.y,
                       "footprint": {"shape": "ring", "range_m": 3000.0}}}  # fmt: skip


RESTRICTION = {"kind": "restriction", "id": "r1", "at": "2026-11-19T09:30:00Z", "lon": MID.x,
               "lat": MID.y, "by": "RU", "reason": "no security guarantees"}  # fmt: skip


class Service:
    def __init__(self, store: Store) -> None:
        self.client = TestClient(create_app(store, AGREEMENT))
        self.headers = {"public": {}} | {
            name: {"Authorization": f"Bearer {store.add_user(f'u-{name}', role, party)}"}
            for name, (role, party) in USERS.items()
        }

    def post(self, who: str, body: Any) -> Any:
        return self.client.post(f"{V1}/coverage", json=body, headers=self.headers[who])

    def get(self, who: str, **params: Any) -> Any:
        return self.client.get(f"{V1}/coverage", params=params, headers=self.headers[who])


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    with Store.open(str(tmp_path / "c.db")) as store:
        yield Service(store)


def test_the_mission_enters_and_reads_per_oblast_and_per_cell(service: Service) -> None:
    r = service.post("monitor", [status("s1"), status("s2", "jammed", end="2026-11-19T15:00:00Z",
                                                      start="2026-11-19T13:00:00Z"), RESTRICTION])  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["stored"] == ["sensor_status/s1", "sensor_status/s2", "restriction/r1"]
    assert service.post("monitor", status("s1")).status_code == 200  # stored before: unchanged
    area = MonitoredArea.of_agreement(AGREEMENT)
    mine = area.oblast_of(MID.x, MID.y)
    body = service.get("mediator", **WINDOW).json()
    shares = {row["oblast"]: row["observed"] for row in body["by_oblast"]}
    # The ring holds 7 cells (the line's cell and its neighbours: 2.3-2.5 km off, 3 km reach,
    # as in test_compute) seen 6 of 24 hours, of the oblast's n cells: 7 * 0.25 / n.
    n = int((area.oblast == mine).sum())
    assert shares[mine] == round(7 * 0.25 / n, 4)
    assert sum(v > 0 for v in shares.values()) == 1
    assert body["sensors_down"] == [
        {"sensor": "CAM-07", "status": "jammed", "start": "2026-11-19T13:00:00Z",
         "end": "2026-11-19T15:00:00Z", "oblast": mine}
    ]  # fmt: skip
    assert [(x["by"], x["source"]) for x in body["restrictions"]] == [("RU", "restriction")]
    cells = service.get("monitor", **WINDOW, by="cell").json()
    assert cells["type"] == "FeatureCollection" and len(cells["features"]) == len(area)
    seen = {f["id"]: f for f in cells["features"] if f["properties"]["observed"] > 0}
    centre = h3.latlng_to_cell(MID.y, MID.x, 7)
    assert centre in seen and len(seen) == 7
    assert {f["properties"]["observed"] for f in seen.values()} == {0.25}
    ring = seen[centre]["geometry"]["coordinates"][0]
    assert seen[centre]["geometry"]["type"] == "Polygon" and ring[0] == ring[-1]


def test_bad_records_are_refused_naming_the_item_and_field(service: Service) -> None:
    bad = status("s3")
    bad["sensor"]["footprint"] = {"shape": "sector", "range_m": 3000.0, "bearing_from": 10.0}
    r = service.post("monitor", [status("s4"), bad])
    assert r.status_code == 422
    problem = r.json()["error"]["problems"][0]
    assert (problem["where"], problem["field"]) == ("body[1]", "sensor.footprint.bearing_to")
    # All or nothing: s4 was not stored.
    assert service.get("monitor", **WINDOW).json()["sensors_down"] == []
    r = service.post("monitor", {**RESTRICTION, "by": "XX"})
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "by"
    r = service.get("monitor", start=WINDOW["start"])
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "end"


@pytest.mark.parametrize("who", ["UA", "public"])
def test_a_party_neither_writes_nor_reads(service: Service, who: str) -> None:
    assert service.post("monitor", status("s1")).status_code == 201
    r = service.post(who, status("s9"))
    assert r.status_code in (401, 403) and "CAM-07" not in r.text
    r = service.get(who, **WINDOW)
    assert r.status_code in (401, 403) and "CAM-07" not in r.text
    r = service.get(who, **WINDOW, by="cell")
    assert r.status_code in (401, 403) and "Polygon" not in r.text
    assert service.post("mediator", status("s9")).status_code == 403


def test_the_cli_ingests_and_shows(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "cli.db")
    lines = tmp_path / "coverage.jsonl"
    lines.write_text("\n".join(json.dumps(x) for x in (status("s1"), RESTRICTION)) + "\n")
    result = runner.invoke(cli_app, ["coverage", "ingest", str(lines), "--db", db, "--as", "duty",
                                     "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["stored"] == ["sensor_status/s1", "restriction/r1"]
    result = runner.invoke(cli_app, ["coverage", "show", "--start", WINDOW["start"], "--end",
                                     WINDOW["end"], "--db", db, "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["restrictions"][0]["reason"] == "no security guarantees"
    assert any(row["observed"] > 0 for row in shown["by_oblast"])
    result = runner.invoke(cli_app, ["coverage", "show", "--start", WINDOW["start"], "--end",
                                     WINDOW["end"], "--db", db])  # fmt: skip
    assert result.exit_code == 0 and "guarantees" in result.output and "Observed" in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({**status("s2"), "status": "off"}) + "\n")
    result = runner.invoke(cli_app, ["coverage", "ingest", str(bad), "--db", db])
    assert result.exit_code != 0
    assert f"{bad}:1: status: must be 'up', 'down' or 'jammed'" in result.output
