"""Provenance through the HTTP API: the submitter of a stored report is who signed in
(DESIGN section 6). A party stores reports in its own name and with its own source kind only,
whatever the way in (one report, a JSON array, JSON Lines with or without the RFC 7464 record
separator, GeoJSON Features); the mission's source kinds are the mission's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_service import AGREEMENT, NDJSON, V1, assert_error, bearer, lines, report

from ceasefire import ledger
from ceasefire.api import create_app
from ceasefire.geo.engine import GeoEngine
from ceasefire.ledger.notes import Signer
from ceasefire.store.facade import Store


@pytest.fixture
def service(tmp_path: Path, engine: GeoEngine) -> tuple[Store, TestClient]:
    store = Store.open(tmp_path / "provenance.db")
    return store, TestClient(create_app(store, AGREEMENT, engine=engine))


def _ua(i: int, **change: Any) -> dict[str, Any]:
    return report(i, **({"submitted_by": "UA", "source_kind": "party"} | change))


FORGERIES: dict[str, tuple[str, bytes]] = {
    # RFC 7464 record separator before the object: the stored line is the forged one.
    "json-seq record separator": (
        "application/x-ndjson",
        b"\x1e" + json.dumps(report(1, submitted_by="RU", source_kind="party")).encode() + b"\n",
    ),
    # A Feature's own submitted_by is not what is stored; its properties are.
    "geojson feature properties": (
        "application/x-ndjson",
        json.dumps(
            {
                "type": "Feature",
                "submitted_by": "UA",
                "geometry": {"type": "Point", "coordinates": [37.6, 48.5]},
                "properties": {
                    k: v
                    for k, v in report(2, source_kind="sensor").items()
                    if k not in ("lon", "lat")
                }
                | {"submitted_by": "mission"},
            }
        ).encode()
        + b"\n",
    ),
    "mission source kind in a party's name": (
        "application/x-ndjson",
        json.dumps(_ua(3, source_kind="sensor")).encode() + b"\n",
    ),
    "array item as another party": (
        "application/json",
        json.dumps([_ua(4), report(5, submitted_by="RU", source_kind="party")]).encode(),
    ),
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_a_party_cannot_store_a_report_in_another_name(
    service: tuple[Store, TestClient], name: str
) -> None:
    store, client = service
    kind, body = FORGERIES[name]
    ua = bearer(store, "ua-officer", "party", "UA")
    for partial in ("false", "true"):
        r = client.post(
            f"{V1}/reports/batch?partial={partial}",
            content=body,
            headers=ua | {"Content-Type": kind},
        )
        assert_error(r, 403, "forbidden")
    assert store.count_reports() == 0


def test_a_single_report_keeps_to_the_party_s_own_source_kind(
    service: tuple[Store, TestClient],
) -> None:
    store, client = service
    ua = bearer(store, "ua-officer", "party", "UA")
    for kind in ("patrol", "sensor", "camera", "uav", "satellite", "osint"):
        r = client.post(f"{V1}/reports", json=_ua(10, source_kind=kind), headers=ua)
        assert "source_kind" in assert_error(r, 403, "forbidden")["message"]
    assert client.post(f"{V1}/reports", json=_ua(11), headers=ua).status_code == 201
    assert store.count_reports() == 1


def test_the_mission_keeps_party_codes_to_party_reports(
    service: tuple[Store, TestClient],
) -> None:
    store, client = service
    monitor = bearer(store, "monitor-7", "monitor")
    # A monitor enters a party's complaint on its behalf: allowed, with the party's kind.
    assert client.post(f"{V1}/reports", json=_ua(20), headers=monitor).status_code == 201
    # ...but a party's name on the mission's sensor is a forgery whoever sends it.
    r = client.post(f"{V1}/reports", json=_ua(21, source_kind="sensor"), headers=monitor)
    assert "submitted_by" in assert_error(r, 403, "forbidden")["message"]
    # ...and a party's report names a party of the agreement.
    r = client.post(
        f"{V1}/reports",
        json=report(22, submitted_by="Ukraine", source_kind="party"),
        headers=monitor,
    )
    assert "submitted_by" in assert_error(r, 403, "forbidden")["message"]
    assert store.count_reports() == 1


def test_the_leaf_of_a_report_says_who_entered_it(service: tuple[Store, TestClient]) -> None:
    store, client = service
    ua = bearer(store, "ua-officer", "party", "UA")
    monitor = bearer(store, "monitor-7", "monitor")
    assert client.post(f"{V1}/reports", json=_ua(30), headers=ua).status_code == 201
    batch = lines([_ua(31), report(32)])
    assert client.post(f"{V1}/reports/batch", content=batch, headers=monitor | NDJSON).is_success
    # An enterer a report claims for itself is not the mechanism's: it is dropped.
    forged = _ua(33, entered_by={"name": "monitor-7", "role": "monitor", "party": None})
    assert client.post(f"{V1}/reports", json=forged, headers=ua).status_code == 201
    ledger.sign_checkpoint(store, Signer.generate("ceasefire.test/log"))
    # A party's own submissions are stored under ids scoped to it (UA:<id>).
    entered = {
        rid: ledger.prove(store, rid)["record"]["record"]["entered_by"]
        for rid in ("UA:api-30", "api-31", "api-32", "UA:api-33")
    }
    assert entered == {
        "UA:api-30": {"name": "ua-officer", "role": "party", "party": "UA"},
        "api-31": {"name": "monitor-7", "role": "monitor", "party": None, "on_behalf_of": "UA"},
        "api-32": {"name": "monitor-7", "role": "monitor", "party": None},
        "UA:api-33": {"name": "ua-officer", "role": "party", "party": "UA"},
    }
    assert "entered_by" not in store.get_report("UA:api-33").to_dict()
    ledger.audit(store)
