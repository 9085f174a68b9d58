"""OGC API - Features over incidents and reports: every endpoint through TestClient, filters
against a brute-force filter over the store, and GDAL's ``ogrinfo`` against ``ceasefire serve``.

``CEASEFIRE_TEST_GDAL=require`` (set by ``.ci/run``) makes a missing ``ogrinfo`` a failure
instead of a skip."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ceasefire.access import Principal
from ceasefire.agreement import demo_agreement_path, load_agreement
from ceasefire.api import API_PREFIX, create_app, get_caller
from ceasefire.api.routes_ogc import CONFORMANCE
from ceasefire.demo import run_demo
from ceasefire.geo import GeoEngine
from ceasefire.store import Store
from served import Served

AGREEMENT = load_agreement(demo_agreement_path())
OGC = f"{API_PREFIX}/ogc"
GEOJSON = "application/geo+json"


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert (error["status"], error["code"]) == (status, code)
    return error


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ogc")
    run_demo(str(folder / "demo.db"))
    return folder / "demo.db"


@pytest.fixture(scope="module")
def store(demo_db: Path) -> Iterator[Store]:
    with Store.open(demo_db) as s:
        yield s


#: A caller that reads everything: the collections are the mission's full view.
MONITOR = Principal("ogc-monitor", "monitor")


@pytest.fixture(scope="module")
def app(store: Store) -> Any:
    return create_app(store, AGREEMENT, engine=GeoEngine(AGREEMENT))


@pytest.fixture(scope="module")
def client(app: Any) -> TestClient:
    app.dependency_overrides[get_caller] = lambda: MONITOR
    return TestClient(app)


def walk(client: TestClient, url: str) -> list[dict[str, Any]]:
    """Every feature, following ``next`` links; checks each page's shape on the way."""
    features: list[dict[str, Any]] = []
    matched = None
    for _ in range(1_000):
        r = client.get(url)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith(GEOJSON)
        page = r.json()
        assert page["type"] == "FeatureCollection"
        assert page["numberReturned"] == len(page["features"])
        assert matched is None or page["numberMatched"] == matched
        matched = page["numberMatched"]
        assert datetime.fromisoformat(page["timeStamp"]).tzinfo is not None
        features += page["features"]
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if not nxt:
            assert len(features) == matched
            return features
        url = nxt[0]
    raise AssertionError("paging does not end")


def ids(features: list[dict[str, Any]]) -> list[str]:
    return [f["id"] for f in features]


# -- landing page, conformance, collections --------------------------------------------------


def test_landing_page_links_conformance_and_collections(client: TestClient) -> None:
    page = client.get(OGC).json()
    rels = {link["rel"]: link["href"] for link in page["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert client.get(rels["conformance"]).json()["conformsTo"] == CONFORMANCE
    assert client.get(rels["data"]).status_code == 200
    assert client.get(rels["service-desc"]).json()["openapi"].startswith("3.")
    assert any(c.endswith("/conf/geojson") for c in CONFORMANCE)


def test_collections_have_extents_and_item_links(client: TestClient, store: Store) -> None:
    body = client.get(f"{OGC}/collections").json()
    assert [c["id"] for c in body["collections"]] == ["incidents", "reports"]
    for c in body["collections"]:
        assert c == client.get(f"{OGC}/collections/{c['id']}").json()
        (x0, y0, x1, y1), = c["extent"]["spatial"]["bbox"]  # fmt: skip
        assert -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90
        (start, end), = c["extent"]["temporal"]["interval"]  # fmt: skip
        assert datetime.fromisoformat(start) <= datetime.fromisoformat(end)
        items = [link for link in c["links"] if link["rel"] == "items"]
        assert items[0]["type"] == GEOJSON
        assert client.get(items[0]["href"]).status_code == 200
    points = [(r.lon, r.lat) for r in store.list_stored()]
    reports = body["collections"][1]["extent"]["spatial"]["bbox"][0]
    assert reports == [
        min(p[0] for p in points),
        min(p[1] for p in points),
        max(p[0] for p in points),
        max(p[1] for p in points),
    ]


@pytest.mark.parametrize("role", ["public", "party"])
def test_only_the_mission_reads_the_collections(store: Store, role: str) -> None:
    app = create_app(store, AGREEMENT, engine=GeoEngine(AGREEMENT))
    caller = Principal("someone", role, "UA" if role == "party" else None)
    app.dependency_overrides[get_caller] = lambda: caller
    client = TestClient(app)
    assert client.get(OGC).status_code == 200
    assert client.get(f"{OGC}/conformance").status_code == 200
    first = store.list_incidents(limit=1)[0].incident_id
    for path in (
        "/collections",
        "/collections/incidents",
        "/collections/incidents/items",
        f"/collections/incidents/items/{first}",
        "/collections/reports/items",
    ):
        assert_error(client.get(OGC + path), 403, "forbidden")
    assert MONITOR.sees_all


def test_an_unknown_collection_or_feature_is_404(client: TestClient) -> None:
    assert_error(client.get(f"{OGC}/collections/violations"), 404, "not_found")
    assert_error(client.get(f"{OGC}/collections/violations/items"), 404, "not_found")
    assert_error(client.get(f"{OGC}/collections/reports/items/nope"), 404, "not_found")
    assert_error(client.get(f"{OGC}/collections/incidents/items/INC-999999"), 404, "not_found")
    assert_error(client.get(f"{OGC}/collections/reports/items?after=nope"), 404, "not_found")
    assert_error(client.get(f"{OGC}/collections/incidents/items?after=nope"), 404, "not_found")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=40,48,30,49", "bbox"),
        ("datetime=yesterday", "datetime"),
        ("datetime=2026-03-10T00:00:00", "datetime"),
        ("datetime=../..", "datetime"),
        ("datetime=2026-03-11T00:00:00Z/2026-03-10T00:00:00Z", "datetime"),
    ],
)
@pytest.mark.parametrize("collection", ["incidents", "reports"])
def test_a_bad_filter_is_422_naming_it(
    client: TestClient, collection: str, query: str, field: str
) -> None:
    error = assert_error(
        client.get(f"{OGC}/collections/{collection}/items?{query}"), 422, "invalid_input"
    )
    assert error["problems"][0]["field"] == field


# -- items -----------------------------------------------------------------------------------


def test_paging_walks_every_incident_and_report_once(client: TestClient, store: Store) -> None:
    incidents = walk(client, f"{OGC}/collections/incidents/items?limit=37")
    assert ids(incidents) == [s.incident_id for s in store.list_incidents()]
    reports = walk(client, f"{OGC}/collections/reports/items?limit=397")
    assert ids(reports) == [r.id for r in store.list_reports()]
    assert len(reports) > 1_000
    first = client.get(f"{OGC}/collections/reports/items").json()
    assert first["numberReturned"] == 100 and first["numberMatched"] == len(reports)


def test_features_are_points_with_flat_properties(client: TestClient, store: Store) -> None:
    page = client.get(f"{OGC}/collections/incidents/items?limit=50").json()
    for feature in page["features"]:
        assert feature["geometry"]["type"] == "Point"
        props = feature["properties"]
        assert feature["geometry"]["coordinates"] == [props["lon"], props["lat"]]
        assert not any(isinstance(v, dict | list) for v in props.values()), props
    stored = store.get_incident(page["features"][0]["id"])
    props = page["features"][0]["properties"]
    assert props["count_best"] == stored.incident.count.best
    assert props["report_ids"].startswith("[")


def test_one_feature_by_id(client: TestClient, store: Store) -> None:
    report = store.list_stored(limit=1)[0]
    r = client.get(f"{OGC}/collections/reports/items/{report.report.id}")
    assert r.status_code == 200 and r.headers["content-type"].startswith(GEOJSON)
    assert r.json()["id"] == report.report.id
    assert r.json()["geometry"]["coordinates"] == [report.lon, report.lat]
    incident = store.list_incidents(limit=1)[0]
    body = client.get(f"{OGC}/collections/incidents/items/{incident.incident_id}").json()
    assert body["properties"]["status"] == incident.status


def _inside(lon: float, lat: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def _touches(start: datetime, end: datetime, lo: datetime | None, hi: datetime | None) -> bool:
    return (lo is None or end >= lo) and (hi is None or start <= hi)


def test_bbox_and_datetime_match_a_brute_force_filter(client: TestClient, store: Store) -> None:
    reports = store.list_stored()
    incidents = store.list_incidents()
    lons = sorted(r.lon for r in reports)
    lats = sorted(r.lat for r in reports)
    box = (lons[len(lons) // 4], lats[len(lats) // 4], lons[3 * len(lons) // 4], lats[-1])
    starts = sorted(r.report.observed_from for r in reports)
    t0, t1 = starts[len(starts) // 3], starts[2 * len(starts) // 3]
    z = "%Y-%m-%dT%H:%M:%SZ"
    bbox = ",".join(str(v) for v in box)
    cases: list[tuple[str, datetime | None, datetime | None]] = [
        (f"{t0:{z}}/{t1:{z}}", t0, t1),
        (f"{t0:{z}}", t0, t0),
        (f"../{t0:{z}}", None, t0),
        (f"{t1:{z}}/..", t1, None),
        (f"{t1:{z}}/", t1, None),
    ]
    for when, lo, hi in cases:
        for query in (f"datetime={when}", f"bbox={bbox}&datetime={when}", f"bbox={bbox}"):
            spatial = "bbox" in query
            timed = "datetime" in query
            want = [
                r.report.id
                for r in reports
                if (not spatial or _inside(r.lon, r.lat, box))
                and (
                    not timed
                    or _touches(
                        r.report.observed_from,
                        r.report.observed_to or r.report.observed_from,
                        lo,
                        hi,
                    )
                )
            ]
            got = walk(client, f"{OGC}/collections/reports/items?limit=250&{query}")
            assert ids(got) == want, query
            want_inc = [
                s.incident_id
                for s in incidents
                if (not spatial or _inside(s.incident.lon, s.incident.lat, box))
                and (
                    not timed or _touches(s.incident.observed_from, s.incident.observed_to, lo, hi)
                )
            ]
            got_inc = walk(client, f"{OGC}/collections/incidents/items?limit=60&{query}")
            assert ids(got_inc) == want_inc, query
        assert want and want_inc  # the cases select something
    # A six-number bbox (with heights) is the same box.
    six = f"{box[0]},{box[1]},0,{box[2]},{box[3]},100"
    assert ids(walk(client, f"{OGC}/collections/reports/items?limit=500&bbox={six}")) == ids(
        walk(client, f"{OGC}/collections/reports/items?limit=500&bbox={bbox}")
    )
    assert t1 - t0 > timedelta(0)


# -- GDAL against the real process -----------------------------------------------------------


def _ogrinfo() -> str:
    found = shutil.which("ogrinfo")
    if found is None:
        reason = "ogrinfo (Debian's gdal-bin) is not installed"
        if os.environ.get("CEASEFIRE_TEST_GDAL") == "require":
            pytest.fail(f"{reason}, and CEASEFIRE_TEST_GDAL=require")
        pytest.skip(reason)
    return found


@pytest.fixture
def token(store: Store) -> str:
    """A monitor's bearer token, stored in the demo database before ``served`` copies it."""
    return store.add_user(f"ogc-gdal-{time.monotonic_ns()}", "monitor")


@pytest.fixture
def served(demo_db: Path, tmp_path: Path, token: str) -> Iterator[str]:
    """``ceasefire serve`` on a copy of the demo database; yields its base address."""
    for name in ("demo.db", "demo.db-wal", "demo.db-shm"):
        if (demo_db.parent / name).exists():
            shutil.copy(demo_db.parent / name, tmp_path / name)
    with Served("--db", str(tmp_path / "demo.db")) as server:
        yield server.base


def _run(command: list[str], token: str) -> str:
    env = {
        **os.environ,
        "NO_PROXY": "127.0.0.1",
        "no_proxy": "127.0.0.1",
        "GDAL_HTTP_HEADERS": f"Authorization: Bearer {token}",
    }
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_gdal_reads_the_collections_as_they_are(served: str, token: str, store: Store) -> None:
    ogrinfo = _ogrinfo()
    source = f"OAPIF:{served}{OGC}"
    summary = _run([ogrinfo, "-ro", "-al", "-so", source], token)
    layers = re.findall(r"^Layer name: (\S+)$", summary, re.M)
    counts = [int(n) for n in re.findall(r"^Feature Count: (\d+)$", summary, re.M)]
    assert dict(zip(layers, counts, strict=True)) == {
        "incidents": store.count_incidents(),
        "reports": store.count_reports(),
    }
    assert "Geometry: Point" in summary
    listing = _run([ogrinfo, "-ro", source, "incidents"], token)
    assert len(re.findall(r"^OGRFeature\(incidents\):\d+$", listing, re.M)) == (
        store.count_incidents()
    )
    seen = re.findall(r"^  id \(String\) = (\S+)$", listing, re.M)
    assert seen == [s.incident_id for s in store.list_incidents()]
    assert "count_best (Integer)" in listing
