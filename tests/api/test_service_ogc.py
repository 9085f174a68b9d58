"""OGC API - Features over incidents and reports: every endpoint through TestClient, filters
against a brute-force filter over the store, each role's view against the rest of the API, and
GDAL's ``ogrinfo`` against ``ceasefire serve`` (as the mission, a party and the public).

``CEASEFIRE_TEST_GDAL=require`` (set by ``.ci/run``) makes a missing ``ogrinfo`` a failure
instead of a skip."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backends import copy_sqlite, system_tool
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.api import API_PREFIX, create_app, get_caller, visibility
from ceasefire.api.routes.ogc import CONFORMANCE, _flat
from ceasefire.geo.engine import GeoEngine
from ceasefire.publish import views
from ceasefire.publish.access import Principal, concerns
from ceasefire.store.facade import Store
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
def demo_db(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's copy of the session's demo database (its tests add users and releases)."""
    return copy_sqlite(demo_dir / "demo.db", tmp_path_factory.mktemp("ogc"))


@pytest.fixture(scope="module")
def store(demo_db: Path) -> Iterator[Store]:
    with Store.open(demo_db) as s:
        yield s


#: A caller that reads everything: the collections are the mission's full view.
MONITOR = Principal("ogc-monitor", "monitor")


@pytest.fixture(scope="module")
def app(store: Store, engine: GeoEngine) -> Any:
    return create_app(store, AGREEMENT, engine=engine)


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
    assert [c["id"] for c in body["collections"]] == ["incidents", "reports", "violations"]
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


def test_an_unknown_collection_or_feature_is_404(client: TestClient) -> None:
    assert_error(client.get(f"{OGC}/collections/ceasefires"), 404, "not_found")
    assert_error(client.get(f"{OGC}/collections/ceasefires/items"), 404, "not_found")
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


def test_properties_selects_what_each_feature_carries(client: TestClient) -> None:
    full = client.get(f"{OGC}/collections/incidents/items?limit=40").json()["features"]
    chosen = client.get(
        f"{OGC}/collections/incidents/items?limit=40&properties=status,zones,count,no_such"
    ).json()
    for whole, part in zip(full, chosen["features"], strict=True):
        assert part["id"] == whole["id"] and part["geometry"] == whole["geometry"]
        props = whole["properties"]
        assert part["properties"] == {
            k: props[k] for k in ("status", "zones", "count_low", "count_best", "count_high")
        }
    # The next page keeps the selection.
    paged = client.get(f"{OGC}/collections/incidents/items?limit=3&properties=status").json()
    nxt = next(link["href"] for link in paged["links"] if link["rel"] == "next")
    assert "properties=status" in nxt


@pytest.mark.parametrize("value", ["", "status;drop", "a b", ",".join(["x"] * 65)])
def test_a_bad_properties_list_is_422_naming_it(client: TestClient, value: str) -> None:
    error = assert_error(
        client.get(f"{OGC}/collections/incidents/items", params={"properties": value}),
        422,
        "invalid_input",
    )
    assert error["problems"][0]["field"] == "properties"


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


# -- each caller's view -----------------------------------------------------------------------

UA = Principal("ogc-ua", "party", "UA")
RU = Principal("ogc-ru", "party", "RU")
PUBLIC = Principal("ogc-public", "public")
#: Report and incident fields that name reports or sources, which the public never sees.
NAMING = {"report_ids", "anchor_ids", "key", "submitters", "sources", "claimed_perpetrators"}


@pytest.fixture(scope="module")
def released(store: Store) -> dict[str, str]:
    """Two incidents released (one in full, one coarsened), and one that concerns UA only and
    one that concerns RU only (both unreleased). Releases change no mission view, so the module's
    other tests read the store as before."""
    # The demo mediator released some (so `make run` shows the public something): none of the
    # incidents picked here is one of those.
    demo_released = set(store.releases())
    incidents = {
        s.incident_id: s.to_dict()
        for s in store.list_incidents()
        if s.incident_id not in demo_released
    }
    against = store.violation_parties(list(incidents))

    def only(party: str, other: str) -> str:
        return next(
            i
            for i, d in incidents.items()
            if concerns(d, party, against.get(i, ())) and not concerns(d, other, against.get(i, ()))
        )

    ids = {"ua_only": only("UA", "RU"), "ru_only": only("RU", "UA")}
    rest = [i for i in incidents if i not in ids.values()]
    ids |= {"full": rest[0], "coarse": rest[1]}
    store.release_incident(ids["full"], full=True, by="ogc-test")
    store.release_incident(ids["coarse"], full=False, by="ogc-test")
    return ids


def _as(principal: Principal) -> Any:
    return lambda: principal


@pytest.fixture(scope="module")
def clients(store: Store, released: dict[str, str], engine: GeoEngine) -> dict[str, TestClient]:
    """A client for UA, RU and the public (the caller set as the token lookup would set it)."""
    out: dict[str, TestClient] = {}
    for name, who in (("UA", UA), ("RU", RU), ("public", PUBLIC)):
        app = create_app(store, AGREEMENT, engine=engine)
        app.dependency_overrides[get_caller] = _as(who)
        out[name] = TestClient(app)
    return out


def walk_as(
    client: TestClient, collection: str, limit: int, query: str = ""
) -> tuple[list[dict[str, Any]], list[str], int | None]:
    """Every feature a caller gets, following ``next``; every answer's text (to search for
    leaks); and ``numberMatched`` (None when left out). Every page but the last is full, and
    ``numberMatched``, when given, is the same on every page and the number walked."""
    url = f"{OGC}/collections/{collection}/items?limit={limit}" + (f"&{query}" if query else "")
    features: list[dict[str, Any]] = []
    texts: list[str] = []
    matched: set[int | None] = set()
    for _ in range(10_000):
        r = client.get(url)
        assert r.status_code == 200, r.text
        texts.append(r.text)
        page = r.json()
        assert page["numberReturned"] == len(page["features"]) <= limit
        matched.add(page.get("numberMatched"))
        features += page["features"]
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if not nxt:
            (number,) = matched
            assert number is None or number == len(features)
            return features, texts, number
        assert len(page["features"]) == limit  # a page before the last is full
        url = nxt[0]
    raise AssertionError("paging does not end")


def api_list(client: TestClient, path: str, limit: int) -> list[dict[str, Any]]:
    """What GET /api/v1/<path> gives the caller, every page."""
    items: list[dict[str, Any]] = []
    url: str | None = f"{API_PREFIX}/{path}?limit={limit}"
    while url:
        body = client.get(url).json()
        items += body["items"]
        url = body["next"]
    return items


def api_incidents(client: TestClient) -> list[dict[str, Any]]:
    """What GET /api/v1/incidents gives the same caller, every page."""
    return api_list(client, "incidents", 97)


def api_violations(client: TestClient) -> list[dict[str, Any]]:
    """What GET /api/v1/violations gives the same caller (current ones), every page."""
    return api_list(client, "violations", 500)


def _same_but_id(a: dict[str, Any], b: dict[str, Any], id_a: str, id_b: str) -> None:
    assert (a["status"], a["code"], a["problems"]) == (b["status"], b["code"], b["problems"])
    assert a["message"].replace(id_a, "X") == b["message"].replace(id_b, "X")


def _hidden_as_absent(client: TestClient, url: str, hidden: str, absent: str) -> None:
    """The answer for an id the caller may not see is the answer for one that does not exist."""
    a = assert_error(client.get(url.format(hidden)), 404, "not_found")
    b = assert_error(client.get(url.format(absent)), 404, "not_found")
    _same_but_id(a, b, hidden, absent)


@pytest.mark.parametrize("party", ["UA", "RU"])
def test_a_party_sees_its_own_reports_and_the_incidents_that_concern_it(
    store: Store, released: dict[str, str], clients: dict[str, TestClient], party: str
) -> None:
    client = clients[party]
    mine = store.list_stored(submitted_by=party)
    reports, _, matched = walk_as(client, "reports", 17)
    assert ids(reports) == [r.report.id for r in mine]
    assert matched == len(mine) > 0  # counted in the query: its own only
    assert {f["properties"]["submitted_by"] for f in reports} == {party}
    collection = client.get(f"{OGC}/collections/reports").json()
    assert collection["extent"]["spatial"]["bbox"] == [
        [
            min(r.lon for r in mine),
            min(r.lat for r in mine),
            max(r.lon for r in mine),
            max(r.lat for r in mine),
        ]
    ]
    # Incidents: those that concern it and the released ones, exactly as /api/v1/incidents.
    everything = store.list_incidents()
    against = store.violation_parties([s.incident_id for s in everything])
    public = set(store.releases())
    want = [
        s.incident_id
        for s in everything
        if s.incident_id in public or concerns(s.to_dict(), party, against.get(s.incident_id, ()))
    ]
    assert 0 < len(want) < len(everything)
    incidents, _, matched = walk_as(client, "incidents", 13)
    assert matched is None  # not countable in the query: left out rather than inexact
    api = api_incidents(client)
    assert ids(incidents) == [i["id"] for i in api] == want
    assert [f["properties"] for f in incidents] == [_flat(i) for i in api]
    one = client.get(f"{OGC}/collections/incidents/items/{want[0]}").json()
    assert one == incidents[0]
    own = mine[0].report.id
    assert client.get(f"{OGC}/collections/reports/items/{own}").json()["id"] == own
    theirs = released["ru_only" if party == "UA" else "ua_only"]
    _hidden_as_absent(client, f"{OGC}/collections/incidents/items/{{}}", theirs, "INC-999999")
    _hidden_as_absent(client, f"{OGC}/collections/incidents/items?after={{}}", theirs, "INC-9")


@pytest.mark.slow  # every OGC answer RU can get, over the whole demo (~5 s)
def test_ru_never_meets_a_ua_report_id_in_ogc_answers(
    store: Store, released: dict[str, str], clients: dict[str, TestClient]
) -> None:
    ru = clients["RU"]
    stored = store.list_stored()
    own = {r.report.id for r in stored if r.report.submitted_by == "RU"}
    ua = [r for r in stored if r.report.submitted_by == "UA"]
    texts = [ru.get(OGC + path).text for path in ("", "/collections", "/collections/reports")]
    texts.append(ru.get(f"{OGC}/collections/incidents").text)
    # A box around UA's reports and a time they span: counts and pages of RU's own only.
    box = (
        min(r.lon for r in ua),
        min(r.lat for r in ua),
        max(r.lon for r in ua),
        max(r.lat for r in ua),
    )
    bbox = ",".join(str(v) for v in box)
    when = f"{ua[0].report.observed_from:%Y-%m-%dT%H:%M:%SZ}/.."
    for query in ("", f"bbox={bbox}", f"datetime={when}", f"bbox={bbox}&datetime={when}"):
        reports, seen, matched = walk_as(ru, "reports", 5, query)
        texts += seen
        assert set(ids(reports)) <= own and matched == len(reports)
        texts += walk_as(ru, "incidents", 9, query)[1]
    want = [r.report.id for r in store.list_stored(submitted_by="RU", bbox=box)]
    assert ids(walk_as(ru, "reports", 1000, f"bbox={bbox}")[0]) == want
    for incident in walk_as(ru, "incidents", 1000)[0][:60]:
        texts.append(ru.get(f"{OGC}/collections/incidents/items/{incident['id']}").text)
    # Properties hold lists as JSON text: unescaped, an id is quoted as anywhere else.
    blob = "".join(texts).replace('\\"', '"')
    others = {r.report.id for r in stored} - own
    found = {rid for rid in others if f'"{rid}"' in blob or f"={rid}" in blob}
    assert not found, sorted(found)[:5]
    assert "UA/party" not in blob and "mission/sensor" not in blob
    assert f'"{next(iter(own))}"' in blob  # the search finds ids where they are
    # A UA report as a feature or a cursor answers as a missing one, naming only what was sent.
    ua_id = ua[0].report.id
    _hidden_as_absent(ru, f"{OGC}/collections/reports/items/{{}}", ua_id, "no-such-report")
    _hidden_as_absent(ru, f"{OGC}/collections/reports/items?after={{}}", ua_id, "no-such-report")
    _hidden_as_absent(
        ru, f"{OGC}/collections/incidents/items?after={{}}", released["ua_only"], "INC-999999"
    )


def test_the_public_sees_released_incidents_only_coarsened_unless_full(
    store: Store, released: dict[str, str], clients: dict[str, TestClient]
) -> None:
    public = clients["public"]
    listed = public.get(f"{OGC}/collections").json()["collections"]
    # What it may read, nothing to refuse.
    assert [c["id"] for c in listed] == ["incidents", "violations"]
    some_report = store.list_reports(limit=1)[0].id
    for path in ("", "/items", f"/items/{some_report}"):
        assert_error(public.get(f"{OGC}/collections/reports{path}"), 403, "forbidden")
    features, texts, matched = walk_as(public, "incidents", 1)
    assert matched is None
    assert ids(features) == [i["id"] for i in api_incidents(public)]
    by_id = {f["id"]: f for f in features}
    assert set(by_id) == set(store.releases())
    assert {released["full"], released["coarse"]} <= set(by_id)
    for feature in features:
        assert not NAMING & set(feature["properties"])
    full = store.get_incident(released["full"]).incident
    assert by_id[released["full"]]["geometry"]["coordinates"] == [full.lon, full.lat]
    coarse = store.get_incident(released["coarse"]).incident
    shown = views.coarsen(coarse.lon, coarse.lat, coarse.uncertainty_m)
    feature = by_id[released["coarse"]]
    assert feature["geometry"]["coordinates"] == [shown[0], shown[1]]
    assert feature["properties"]["place_precision"] == "coarsened"
    assert abs(shown[0] - coarse.lon) + abs(shown[1] - coarse.lat) > 1e-3
    # The extent is of the places shown.
    points = [f["geometry"]["coordinates"] for f in features]
    assert listed[0]["extent"]["spatial"]["bbox"] == [
        [
            min(p[0] for p in points),
            min(p[1] for p in points),
            max(p[0] for p in points),
            max(p[1] for p in points),
        ]
    ]
    # A box tests the place shown: a small box at the true place finds nothing there.
    d = 1e-4
    at_true = f"{coarse.lon - d},{coarse.lat - d},{coarse.lon + d},{coarse.lat + d}"
    at_shown = f"{shown[0] - d},{shown[1] - d},{shown[0] + d},{shown[1] + d}"
    assert released["coarse"] not in ids(walk_as(public, "incidents", 10, f"bbox={at_true}")[0])
    assert ids(walk_as(public, "incidents", 10, f"bbox={at_shown}")[0]) == [released["coarse"]]
    blob = "".join(texts).replace('\\"', '"')
    assert not {r for r in store.list_reports() if f'"{r.id}"' in blob}
    hidden = released["ua_only"]
    _hidden_as_absent(public, f"{OGC}/collections/incidents/items/{{}}", hidden, "INC-999999")
    _hidden_as_absent(public, f"{OGC}/collections/incidents/items?after={{}}", hidden, "INC-9")


def _when(item: dict[str, Any], key: str) -> datetime:
    return datetime.fromisoformat(item[key])


@pytest.mark.slow  # walks each caller's whole view page by page, several ways (~2.5 s each)
@pytest.mark.parametrize("chunk", [7, visibility.SCAN_CHUNK])
@pytest.mark.parametrize("who", ["UA", "RU", "public"])
def test_paging_over_what_the_caller_sees_is_exact(
    clients: dict[str, TestClient],
    released: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    who: str,
    chunk: int,
) -> None:
    # A small scan step makes every page cross many chunk boundaries of the keyset scan.
    monkeypatch.setattr(visibility, "SCAN_CHUNK", chunk)
    client = clients[who]
    api = api_incidents(client)
    assert api
    for limit in (1, 2) if who == "public" else (3, 17):  # parties see a few hundred
        assert ids(walk_as(client, "incidents", limit)[0]) == [i["id"] for i in api]
    # Filters over what the caller sees, against a brute-force filter of its API list.
    lons = sorted(i["lon"] for i in api)
    lats = sorted(i["lat"] for i in api)
    box = (lons[0], lats[0], lons[len(lons) // 2], lats[-1])
    starts = sorted(_when(i, "observed_from") for i in api)
    t0, t1 = starts[len(starts) // 3], starts[2 * len(starts) // 3]
    z = "%Y-%m-%dT%H:%M:%SZ"
    bbox = ",".join(str(v) for v in box)
    lo, hi = t0.replace(microsecond=0), t1.replace(microsecond=0)
    for query, spatial, timed in (
        (f"bbox={bbox}", True, False),
        (f"datetime={lo:{z}}/{hi:{z}}", False, True),
        (f"bbox={bbox}&datetime={lo:{z}}/..", True, True),
    ):
        upper = hi if "/.." not in query else None
        want = [
            i["id"]
            for i in api
            if (not spatial or _inside(i["lon"], i["lat"], box))
            and (
                not timed or _touches(_when(i, "observed_from"), _when(i, "observed_to"), lo, upper)
            )
        ]
        assert want, query
        assert ids(walk_as(client, "incidents", 3, query)[0]) == want, query


# -- GDAL against the real process -----------------------------------------------------------


def _ogrinfo() -> str:
    return system_tool("ogrinfo", "gdal-bin", "CEASEFIRE_TEST_GDAL")


@pytest.fixture
def token(store: Store) -> str:
    """A monitor's bearer token, stored in the demo database before ``served`` copies it."""
    return store.add_user(f"ogc-gdal-{time.monotonic_ns()}", "monitor")


def _serve(demo_db: Path, tmp_path: Path) -> Iterator[str]:
    with Served("--db", str(copy_sqlite(demo_db, tmp_path))) as server:
        yield server.base


@pytest.fixture
def served(demo_db: Path, tmp_path: Path, token: str) -> Iterator[str]:
    """``ceasefire serve`` on a copy of the demo database; yields its base address."""
    yield from _serve(demo_db, tmp_path)


@pytest.fixture
def party_token(store: Store, released: dict[str, str]) -> str:
    """A UA party user's token, stored (with the releases) before ``served_views`` copies."""
    return store.add_user(f"ogc-gdal-ua-{time.monotonic_ns()}", "party", "UA")


@pytest.fixture
def served_views(demo_db: Path, tmp_path: Path, party_token: str) -> Iterator[str]:
    """``ceasefire serve`` on a copy holding the releases and a UA user."""
    yield from _serve(demo_db, tmp_path)


def _run(command: list[str], token: str | None) -> str:
    """The command's output, with the token in GDAL's headers (None: none, the public)."""
    env = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    env.pop("GDAL_HTTP_HEADERS", None)
    if token is not None:
        env["GDAL_HTTP_HEADERS"] = f"Authorization: Bearer {token}"
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.served
def test_gdal_reads_the_collections_as_they_are(served: str, token: str, store: Store) -> None:
    ogrinfo = _ogrinfo()
    source = f"OAPIF:{served}{OGC}"
    summary = _run([ogrinfo, "-ro", "-al", "-so", source], token)
    layers = re.findall(r"^Layer name: (\S+)$", summary, re.M)
    counts = [int(n) for n in re.findall(r"^Feature Count: (\d+)$", summary, re.M)]
    assert dict(zip(layers, counts, strict=True)) == {
        "incidents": store.count_incidents(),
        "reports": store.count_reports(),
        "violations": store.count_violations(),
    }
    assert "Geometry: Point" in summary
    listing = _run([ogrinfo, "-ro", source, "incidents"], token)
    assert len(re.findall(r"^OGRFeature\(incidents\):\d+$", listing, re.M)) == (
        store.count_incidents()
    )
    seen = re.findall(r"^  id \(String\) = (\S+)$", listing, re.M)
    assert seen == [s.incident_id for s in store.list_incidents()]
    assert "count_best (Integer)" in listing
    # Violations: one feature per current violation, numbered by it, its columns typed.
    listing = _run([ogrinfo, "-ro", source, "violations"], token)
    seqs = [int(n) for n in re.findall(r"^  seq \(Integer\) = (\d+)$", listing, re.M)]
    assert seqs == sorted(v.seq for v in store.list_violations())
    assert "rule (String) = " in listing and "agreement_version (Integer) = " in listing


def _layers(summary: str) -> dict[str, int]:
    layers = re.findall(r"^Layer name: (\S+)$", summary, re.M)
    counts = [int(n) for n in re.findall(r"^Feature Count: (\d+)$", summary, re.M)]
    return dict(zip(layers, counts, strict=True))


@pytest.mark.served
def test_gdal_reads_what_a_party_and_the_public_may_see(
    served_views: str, party_token: str, store: Store, clients: dict[str, TestClient]
) -> None:
    ogrinfo = _ogrinfo()
    source = f"OAPIF:{served_views}{OGC}"
    # The public: reports is not offered; its released incidents and their violations.
    public = [i["id"] for i in api_incidents(clients["public"])]
    assert _layers(_run([ogrinfo, "-ro", "-al", "-so", source], None)) == {
        "incidents": len(public),
        "violations": len(api_violations(clients["public"])),
    }
    listing = _run([ogrinfo, "-ro", source, "incidents"], None)
    assert re.findall(r"^  id \(String\) = (\S+)$", listing, re.M) == public
    assert "place_precision (String) = coarsened" in listing
    # A party: both layers, its own reports and its incidents (counted by reading: no
    # numberMatched for its incidents).
    ua = [i["id"] for i in api_incidents(clients["UA"])]
    assert _layers(_run([ogrinfo, "-ro", "-al", "-so", source], party_token)) == {
        "incidents": len(ua),
        "reports": store.count_reports(submitted_by="UA"),
        "violations": len(api_violations(clients["UA"])),
    }
    listing = _run([ogrinfo, "-ro", source, "incidents"], party_token)
    assert re.findall(r"^  id \(String\) = (\S+)$", listing, re.M) == ua


def _hrefs(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "href"] + [
            h for v in value.values() for h in _hrefs(v)
        ]
    if isinstance(value, list):
        return [h for v in value for h in _hrefs(v)]
    return []


@pytest.mark.parametrize("base_url", [None, "https://ceasefire.invalid:8443/mission/"])
def test_links_come_from_the_configured_base_url_never_the_host_header(
    store: Store, engine: GeoEngine, base_url: str | None
) -> None:
    configured = {} if base_url is None else {"base_url": base_url}
    app = create_app(store, AGREEMENT, engine=engine, **configured)
    app.dependency_overrides[get_caller] = lambda: MONITOR
    client = TestClient(app)
    expected = (base_url or "http://127.0.0.1:8000").rstrip("/")
    hostile = {"Host": "attacker.invalid", "X-Forwarded-Host": "attacker.invalid"}
    pages = [
        client.get(OGC, headers=hostile),
        client.get(f"{OGC}/collections", headers=hostile),
        client.get(f"{OGC}/collections/incidents", headers=hostile),
        client.get(f"{OGC}/collections/incidents/items", params={"limit": 2}, headers=hostile),
    ]
    hrefs = []
    for page in pages:
        assert page.status_code == 200, page.text
        assert "attacker" not in page.text
        hrefs += _hrefs(page.json())
    assert {"self", "next", "collection", "items", "data", "conformance"} <= {
        link["rel"] for page in pages for link in page.json().get("links", [])
    }
    assert hrefs and all(h.startswith(f"{expected}{API_PREFIX}") or
                         h == f"{expected}/openapi.json" for h in hrefs), hrefs  # fmt: skip
    nxt = next(link["href"] for link in pages[3].json()["links"] if link["rel"] == "next")
    assert nxt.startswith(f"{expected}{OGC}/collections/incidents/items?")
    assert "limit=2" in nxt and "after=" in nxt


def test_a_base_url_that_is_not_an_http_url_is_refused() -> None:
    from ceasefire.api.deps import check_base_url
    from ceasefire.errors import InputError

    for bad in (
        "ftp://x.invalid",
        "x.invalid:8000",
        "http://",
        "http://h.invalid/?q=1",
        "http://a b",
    ):
        with pytest.raises(InputError, match="--base-url"):
            check_base_url(bad)


@pytest.mark.parametrize("box", ["", "&bbox=36.0,47.5,38.5,49.5"])
def test_the_missions_map_listing_read_from_columns_is_the_one_read_from_bodies(
    client: TestClient, box: str
) -> None:
    """The map's properties come from the store's columns for a caller who sees everything
    (no body parsed); one more property the columns lack goes through the bodies. The two must
    give the same features, pages and count."""
    shown = "id,status,event_type,observed_from,assessed_perpetrator,side,zones,oblast"
    fast, _, fast_matched = walk_as(client, "incidents", 97, f"properties={shown}{box}")
    slow, _, slow_matched = walk_as(client, "incidents", 97, f"properties={shown},n_sources{box}")
    assert len(fast) > 100 and fast_matched == slow_matched == len(fast)
    assert [f["id"] for f in fast] == [f["id"] for f in slow]
    for a, b in zip(fast, slow, strict=True):
        assert a["geometry"] == b["geometry"]
        assert a["properties"] == {k: v for k, v in b["properties"].items() if k != "n_sources"}
        assert set(a["properties"]) == set(shown.split(","))
    assert any(f["properties"]["zones"] != "[]" for f in fast)
