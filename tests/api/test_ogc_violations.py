"""The ``violations`` collection of OGC API - Features: one feature per current violation at
its incident's place, paged, filtered, and for each caller exactly what ``GET /api/v1/violations``
shows it (a party those of incidents it sees, the public those of released incidents, coarsened
unless released in full)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_service_ogc import (
    AGREEMENT,
    OGC,
    _hidden_as_absent,
    api_violations,
    assert_error,
    walk_as,
)

from backends import copy_sqlite
from ceasefire.api import create_app, get_caller
from ceasefire.geo.engine import GeoEngine
from ceasefire.publish import views
from ceasefire.publish.access import Principal, concerns
from ceasefire.store.facade import Store

MONITOR = Principal("ogcv-monitor", "monitor")
UA = Principal("ogcv-ua", "party", "UA")
RU = Principal("ogcv-ru", "party", "RU")
PUBLIC = Principal("ogcv-public", "public")
#: What the brief of the collection promises on every feature.
PROMISED = {
    "seq", "incident_id", "rule", "party", "agreement_id", "agreement_version", "status",
    "weapon_class", "oblast", "judged_at", "description",
}  # fmt: skip


@pytest.fixture(scope="module")
def store(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with Store.open(copy_sqlite(demo_dir / "demo.db", tmp_path_factory.mktemp("ogcv"))) as s:
        yield s


@pytest.fixture(scope="module")
def picked(store: Store) -> dict[str, str]:
    """Incidents with violations: one that concerns UA only, one RU only (both unreleased),
    and two released here, one in full and one coarsened."""
    judged = {v.incident_id for v in store.list_violations()}
    demo_released = set(store.releases())
    rows = {
        s.incident_id: s.to_dict()
        for s in store.list_incidents()
        if s.incident_id in judged and s.incident_id not in demo_released
    }
    against = store.violation_parties(list(rows))

    def only(party: str, other: str) -> str:
        return next(
            i
            for i, d in rows.items()
            if concerns(d, party, against.get(i, ())) and not concerns(d, other, against.get(i, ()))
        )

    ids = {"ua_only": only("UA", "RU"), "ru_only": only("RU", "UA")}
    rest = [i for i in rows if i not in ids.values()]
    ids |= {"full": rest[0], "coarse": rest[1]}
    store.release_incident(ids["full"], full=True, by="ogcv-test")
    store.release_incident(ids["coarse"], full=False, by="ogcv-test")
    return ids


@pytest.fixture(scope="module")
def clients(store: Store, picked: dict[str, str], engine: GeoEngine) -> dict[str, TestClient]:
    out: dict[str, TestClient] = {}
    for name, who in (("monitor", MONITOR), ("UA", UA), ("RU", RU), ("public", PUBLIC)):
        app = create_app(store, AGREEMENT, engine=engine)
        app.dependency_overrides[get_caller] = lambda who=who: who
        out[name] = TestClient(app)
    return out


def seqs(features: list[dict[str, Any]]) -> list[int]:
    return [f["id"] for f in features]


def test_the_mission_reads_every_current_violation_at_its_incidents_place(
    store: Store, clients: dict[str, TestClient]
) -> None:
    features, _, matched = walk_as(clients["monitor"], "violations", 37)
    stored = store.list_violations()
    assert seqs(features) == sorted(v.seq for v in stored) and matched == len(stored) > 37
    incidents = {s.incident_id: s for s in store.list_incidents(include_merged=True)}
    by_seq = {v.seq: v for v in stored}
    for f in features:
        props = f["properties"]
        assert set(props) >= PROMISED and "superseded_at" not in props
        v, incident = by_seq[f["id"]], incidents[props["incident_id"]]
        assert f["geometry"] == {
            "type": "Point",
            "coordinates": [incident.incident.lon, incident.incident.lat],
        }
        assert (props["rule"], props["party"], props["agreement_version"]) == (
            v.rule,
            v.party,
            v.agreement_version,
        )
        assert props["status"] == incident.status
        assert props["oblast"] == incident.incident.oblast
        assert not any(isinstance(x, dict | list) for x in props.values())
    one = clients["monitor"].get(f"{OGC}/collections/violations/items/{features[5]['id']}")
    assert one.json() == features[5]
    collection = clients["monitor"].get(f"{OGC}/collections/violations").json()
    (x0, y0, x1, y1), = collection["extent"]["spatial"]["bbox"]  # fmt: skip
    points = [f["geometry"]["coordinates"] for f in features]
    assert [x0, y0, x1, y1] == [
        min(p[0] for p in points), min(p[1] for p in points),
        max(p[0] for p in points), max(p[1] for p in points),
    ]  # fmt: skip


def _touches(props: dict[str, Any], lo: datetime | None, hi: datetime | None) -> bool:
    start = datetime.fromisoformat(props["observed_from"])
    end = datetime.fromisoformat(props["observed_to"])
    return (lo is None or end >= lo) and (hi is None or start <= hi)


@pytest.mark.parametrize("who", ["monitor", "UA", "public"])
def test_bbox_and_datetime_match_a_brute_force_filter(
    clients: dict[str, TestClient], who: str
) -> None:
    client = clients[who]
    everything, _, _ = walk_as(client, "violations", 10_000)
    assert everything
    points = sorted(f["geometry"]["coordinates"] for f in everything)
    lons = sorted(p[0] for p in points)
    lats = sorted(p[1] for p in points)
    box = (lons[0], lats[0], lons[len(lons) // 2], lats[-1])
    starts = sorted(datetime.fromisoformat(f["properties"]["observed_from"]) for f in everything)
    lo, hi = (starts[len(starts) // 3].replace(microsecond=0),
              starts[2 * len(starts) // 3].replace(microsecond=0))  # fmt: skip
    z = "%Y-%m-%dT%H:%M:%SZ"
    bbox = ",".join(str(v) for v in box)
    for query, spatial, lower, upper in (
        (f"bbox={bbox}", True, None, None),
        (f"datetime={lo:{z}}/{hi:{z}}", False, lo, hi),
        (f"bbox={bbox}&datetime={lo:{z}}/..", True, lo, None),
    ):
        want = [
            f["id"]
            for f in everything
            if (
                not spatial
                or (
                    box[0] <= f["geometry"]["coordinates"][0] <= box[2]
                    and box[1] <= f["geometry"]["coordinates"][1] <= box[3]
                )
            )
            and _touches(f["properties"], lower, upper)
        ]
        assert want or who == "public", query
        assert seqs(walk_as(client, "violations", 3, query)[0]) == want, query


@pytest.mark.parametrize("who", ["UA", "RU", "public"])
def test_each_caller_reads_the_violations_the_api_shows_it(
    store: Store, picked: dict[str, str], clients: dict[str, TestClient], who: str
) -> None:
    client = clients[who]
    api = api_violations(client)
    features, _, matched = walk_as(client, "violations", 7)
    assert matched is None  # not countable in the query: left out rather than inexact
    assert seqs(features) == sorted(v["seq"] for v in api)
    shown = {v["seq"]: v for v in api}
    for f in features:
        props = f["properties"]
        v = shown[f["id"]]
        assert (props["rule"], props["party"], props["incident_id"]) == (
            v["rule"],
            v["party"],
            v["incident_id"],
        )
    about = {f["properties"]["incident_id"] for f in features}
    assert {picked["full"], picked["coarse"]} <= about
    hidden = picked["ru_only"] if who != "RU" else picked["ua_only"]
    assert hidden not in about
    if who == "public":
        assert about <= set(store.releases())
        coarse = store.get_incident(picked["coarse"]).incident
        at = views.coarsen(coarse.lon, coarse.lat, coarse.uncertainty_m)
        for f in features:
            if f["properties"]["incident_id"] == picked["coarse"]:
                assert f["geometry"]["coordinates"] == [at[0], at[1]]
                assert f["properties"]["place_precision"] == "coarsened"
    # A violation of an incident the caller may not see, as a feature or a cursor, answers
    # exactly as one that does not exist.
    theirs = next(v.seq for v in store.list_violations(incident_id=hidden))
    url = f"{OGC}/collections/violations/items"
    _hidden_as_absent(client, url + "/{}", str(theirs), "999999")
    _hidden_as_absent(client, url + "?after={}", str(theirs), "999999")
    assert_error(client.get(url + "?after=nope"), 404, "not_found")


def test_properties_selects_columns_and_estimates_by_name(clients: dict[str, TestClient]) -> None:
    page = clients["UA"].get(
        f"{OGC}/collections/violations/items", params={"limit": 5, "properties": "rule,count"}
    )
    assert page.status_code == 200, page.text
    for f in page.json()["features"]:
        assert set(f["properties"]) == {"rule", "count_low", "count_best", "count_high"}
    nxt = next(link["href"] for link in page.json()["links"] if link["rel"] == "next")
    assert "properties=rule%2Ccount" in nxt or "properties=rule,count" in nxt


def test_a_superseded_violation_leaves_the_collection(
    demo_dir: Path, tmp_path: Path, engine: GeoEngine
) -> None:
    with Store.open(copy_sqlite(demo_dir / "demo.db", tmp_path)) as store:
        app = create_app(store, AGREEMENT, engine=engine)
        app.dependency_overrides[get_caller] = lambda: MONITOR
        client = TestClient(app)
        before, _, _ = walk_as(client, "violations", 500)
        victim = before[0]["properties"]["incident_id"]
        gone = {f["id"] for f in before if f["properties"]["incident_id"] == victim}
        # Every report of the incident retracted: the incident is withdrawn and its standing
        # violations superseded (ceasefire.store.retractions).
        for rid in store.get_incident(victim).incident.report_ids:
            store.retract_report(rid, by=MONITOR, reason="a test withdraws the evidence")
        after, _, matched = walk_as(client, "violations", 500)
        assert seqs(after) == [f["id"] for f in before if f["id"] not in gone]
        assert matched == len(after) == store.count_violations()
        assert all(v.superseded_at is not None for v in store.list_violations(
            incident_id=victim, include_superseded=True))  # fmt: skip
        missing = client.get(f"{OGC}/collections/violations/items/{min(gone)}")
        assert_error(missing, 404, "not_found")
        # A cursor superseded meanwhile still marks where a walk was.
        walked = client.get(f"{OGC}/collections/violations/items?after={min(gone)}&limit=3")
        assert walked.status_code == 200
        assert all(f["id"] > min(gone) for f in walked.json()["features"])
