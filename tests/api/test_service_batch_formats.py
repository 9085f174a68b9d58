"""``POST /reports/batch`` takes what ``ceasefire ingest`` takes: CSV sheets and GeoJSON
FeatureCollections besides JSON and JSON Lines, with the same problems (named by row or
Feature), all or nothing unless ``partial=true``, within the body limits; place names and folded
words come through the one validation path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_service import AGREEMENT, V1, assert_error, bearer

from ceasefire.api import Limits, create_app
from ceasefire.errors import InputError
from ceasefire.geo.engine import GeoEngine
from ceasefire.intake.files import parse_file
from ceasefire.store.facade import Store

DATA = Path(__file__).parents[1] / "data"
CSV = {"Content-Type": "text/csv"}
GEOJSON = {"Content-Type": "application/geo+json"}
HEADER = "id,submitted_by,source_kind,observed_from,place,lon,lat,event_type,weapon_class\n"


def sheet(*rows: str) -> bytes:
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode()


def feature(ident: str, place: str | None = None, **props: Any) -> dict[str, Any]:
    properties = {
        "id": ident,
        "submitted_by": "mission",
        "source_kind": "uav",
        "observed_from": "2026-02-28T05:00:00+02:00",
        "event_type": "shelling",
        **({"place": place} if place is not None else {}),
        **props,
    }
    return {"type": "Feature", "geometry": None, "properties": properties}


def collection(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "formats.db") as s:
        yield s


def client_of(store: Store, engine: GeoEngine, limits: Limits | None = None) -> TestClient:
    app = create_app(store, AGREEMENT, engine=engine, **({"limits": limits} if limits else {}))
    return TestClient(app, headers=bearer(store, "admin", "admin"))


@pytest.fixture
def client(store: Store, engine: GeoEngine) -> TestClient:
    return client_of(store, engine)


# -- CSV ---------------------------------------------------------------------------------------


def test_a_csv_sheet_of_place_names_goes_in_as_the_cli_reads_it(
    client: TestClient, store: Store
) -> None:
    body = (DATA / "places_by_name.csv").read_bytes()
    r = client.post(f"{V1}/reports/batch", content=body, headers=CSV)
    assert r.status_code == 200, r.text
    assert r.json() == {"added": 5, "unchanged": 0, "rejected": 0, "problems": []}
    from_file = {x.id: x for x in parse_file(DATA / "places_by_name.csv").reports}
    for stored in store.list_reports():
        assert stored.content_hash() == from_file[stored.id].content_hash()
        assert (stored.lon, stored.lat) == (from_file[stored.id].lon, from_file[stored.id].lat)
    one = client.get(f"{V1}/reports/pl-101").json()
    assert one["place"] == "Kupiansk" and one["event_type"] == "shelling"
    assert one["place_precision"] == "near" and one["lon"] == from_file["pl-101"].lon
    # The same sheet again: stored before, nothing new.
    again = client.post(f"{V1}/reports/batch", content=body, headers=CSV).json()
    assert (again["added"], again["unchanged"]) == (0, 5)


def test_a_bad_csv_row_stores_nothing_and_has_the_cli_s_problem_by_row(
    client: TestClient, store: Store
) -> None:
    body = (DATA / "bad_row_place_unknown.csv").read_bytes()
    error = assert_error(client.post(f"{V1}/reports/batch", content=body, headers=CSV), 422)
    assert error["code"] == "invalid_input" and store.count_reports() == 0
    with pytest.raises(InputError) as cli:
        parse_file(DATA / "bad_row_place_unknown.csv")
    # The CLI names the file's row, the API the body's: otherwise the same problem.
    assert [(p["where"], p["field"], p["reason"]) for p in error["problems"]] == [
        (p.where.replace("bad_row_place_unknown.csv:", ""), p.field, p.reason)
        for p in cli.value.problems
    ]
    assert error["problems"][0]["where"] == "row 3"
    assert error["problems"][0]["field"] == "place"


def test_a_partial_csv_batch_keeps_the_good_rows_and_lists_the_bad(
    client: TestClient, store: Store
) -> None:
    body = sheet(
        "cs-1,mission,Patrol,2026-02-28T09:00:00+02:00,Kupiansk,,,Shelling,",
        "cs-2,mission,patrol,2026-02-28T09:05:00+02:00,,37.6,49.7,shellling,",
        "cs-3,mission,patrol,2026-02-28T09:10:00+02:00,Mykolaivka,,,shelling,artilery",
        "cs-4,mission,patrol,2026-02-28T09:15:00+02:00,,37.6,49.7,shelling,mortar,extra cell",
    )
    r = client.post(f"{V1}/reports/batch?partial=true", content=body, headers=CSV)
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["added"], result["rejected"]) == (1, 3)
    assert [(p["where"], p["field"]) for p in result["problems"]] == [
        ("row 3", "event_type"),
        ("row 4", "weapon_class"),
        ("row 5", ""),
    ]
    assert "did you mean 'shelling'?" in result["problems"][0]["reason"]
    assert "did you mean 'artillery'?" in result["problems"][1]["reason"]
    assert [x.id for x in store.list_reports()] == ["cs-1"]
    # Without partial the same sheet stores nothing, naming every problem.
    store_before = store.count_reports()
    body2 = body.replace(b"cs-", b"cz-")
    error = assert_error(client.post(f"{V1}/reports/batch", content=body2, headers=CSV), 422)
    assert len(error["problems"]) == 3 and store.count_reports() == store_before


def test_a_sheet_that_is_no_csv_is_named_as_the_body(client: TestClient) -> None:
    error = assert_error(
        client.post(f"{V1}/reports/batch", content=b"id,,x\n1,2,3\n", headers=CSV), 422
    )
    assert error["problems"][0]["where"] == "row 1" and "empty column name" in str(error)
    empty = assert_error(client.post(f"{V1}/reports/batch", content=b"", headers=CSV), 422)
    assert empty["problems"][0]["where"] == "body"


def test_csv_bodies_keep_the_size_limits(store: Store, engine: GeoEngine) -> None:
    client = client_of(store, engine, Limits(batch_bytes=2_000, report_bytes=400))
    long_row = sheet(
        "cl-1,mission,patrol,2026-02-28T09:00:00+02:00,Kupiansk,,,shelling," + "x" * 500
    )
    error = assert_error(
        client.post(f"{V1}/reports/batch", content=long_row, headers=CSV), 413, "too_large"
    )
    assert error["problems"][0]["where"] == "line 2"
    rows = [
        f"cl-{i},mission,patrol,2026-02-28T09:00:00+02:00,Kupiansk,,,shelling," for i in range(40)
    ]
    assert_error(client.post(f"{V1}/reports/batch", content=sheet(*rows), headers=CSV), 413)
    assert store.count_reports() == 0


# -- GeoJSON -----------------------------------------------------------------------------------


def test_a_feature_collection_goes_in_with_points_or_place_names(
    client: TestClient, store: Store
) -> None:
    body = (DATA / "places_by_name.geojson").read_bytes()
    r = client.post(f"{V1}/reports/batch", content=body, headers=GEOJSON)
    assert r.status_code == 200, r.text
    assert (r.json()["added"], r.json()["rejected"]) == (2, 0)
    pointed = feature("gj-3")
    pointed["geometry"] = {"type": "Point", "coordinates": [37.7, 48.1]}
    r = client.post(f"{V1}/reports/batch", content=collection(pointed), headers=GEOJSON)
    assert r.json()["added"] == 1
    assert (store.get_report("gj-3").lon, store.get_report("gj-3").lat) == (37.7, 48.1)
    assert store.get_report("pl-202").place_precision == "region"


def test_a_bad_feature_is_named_by_its_number_all_or_nothing_unless_partial(
    client: TestClient, store: Store
) -> None:
    body = collection(
        feature("gj-1", "Kupiansk"),
        feature("gj-2", "Mykolaivka"),
        feature("gj-3", "Kharkiv region", source_kind="Drone"),
    )
    error = assert_error(client.post(f"{V1}/reports/batch", content=body, headers=GEOJSON), 422)
    assert [(p["where"], p["field"]) for p in error["problems"]] == [
        ("feature 2", "place"),
        ("feature 3", "source_kind"),
    ]
    assert "is ambiguous" in error["problems"][0]["reason"]
    assert store.count_reports() == 0
    r = client.post(f"{V1}/reports/batch?partial=true", content=body, headers=GEOJSON)
    assert (r.json()["added"], r.json()["rejected"]) == (1, 2)
    assert [x.id for x in store.list_reports()] == ["gj-1"]


def test_a_geojson_body_that_is_no_feature_collection_is_refused(
    client: TestClient, store: Store
) -> None:
    point = json.dumps({"type": "Point", "coordinates": [37.7, 48.1]}).encode()
    error = assert_error(client.post(f"{V1}/reports/batch", content=point, headers=GEOJSON), 422)
    assert error["problems"] == [
        {
            "where": "body",
            "field": "type",
            "reason": "must be a GeoJSON FeatureCollection, got 'Point'",
        }
    ]
    assert_error(
        client.post(f"{V1}/reports/batch", content=b'{"type": "Feat', headers=GEOJSON),
        400,
        "malformed_body",
    )
    deep = b'{"type": "FeatureCollection", "features": ' + b"[" * 40 + b"]" * 40 + b"}"
    assert_error(client.post(f"{V1}/reports/batch", content=deep, headers=GEOJSON), 400)
    assert store.count_reports() == 0


def test_geojson_bodies_keep_the_size_limits(store: Store, engine: GeoEngine) -> None:
    client = client_of(store, engine, Limits(batch_bytes=3_000, report_bytes=600))
    big = feature("gb-1", "Kupiansk", notes="n" * 700)
    r = client.post(
        f"{V1}/reports/batch?partial=true",
        content=collection(big, feature("gb-2", "Kupiansk")),
        headers=GEOJSON,
    )
    assert (r.json()["added"], r.json()["rejected"]) == (1, 1)
    assert r.json()["problems"][0]["where"] == "feature 1"
    many = collection(*(feature(f"gm-{i}", "Kupiansk") for i in range(20)))
    assert_error(client.post(f"{V1}/reports/batch", content=many, headers=GEOJSON), 413)


# -- one report by name, the documentation -----------------------------------------------------


def test_one_report_by_place_name_through_the_api(client: TestClient) -> None:
    body = feature("one-1", "Kharkiv oblast", event_type="Drone strike")["properties"]
    r = client.post(f"{V1}/reports", json=body)
    assert r.status_code == 201, r.text
    stored = r.json()["report"]
    assert stored["place"] == "Kharkiv oblast" and stored["place_precision"] == "region"
    assert stored["event_type"] == "drone_strike" and stored["uncertainty_m"] > 50_000
    error = assert_error(
        client.post(f"{V1}/reports", json={**body, "id": "one-2", "place": "Atlantis"}), 422
    )
    assert [(p["where"], p["field"]) for p in error["problems"]] == [("body", "place")]


def test_the_openapi_document_lists_the_batch_media_types(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    content = doc["paths"][f"{V1}/reports/batch"]["post"]["requestBody"]["content"]
    assert set(content) == {
        "application/json",
        "application/x-ndjson",
        "text/csv",
        "application/geo+json",
    }
    assert_error(
        client.post(
            f"{V1}/reports/batch",
            content=b"a\n",
            headers={"Content-Type": "text/tab-separated-values"},
        ),
        415,
        "unsupported_media_type",
    )
