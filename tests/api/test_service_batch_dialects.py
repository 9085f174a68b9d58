"""A sheet posted as it was saved: ``POST /reports/batch`` with ``text/csv`` reads Excel's
semicolons, decimal commas and Windows-1251, and UTF-16, as ``ceasefire ingest`` does (the
same reader, :mod:`ceasefire.intake.dialect`); a number that reads two ways is refused by row."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_service import AGREEMENT, V1, assert_error, bearer

from ceasefire.api import create_app
from ceasefire.geo.engine import GeoEngine
from ceasefire.store.facade import Store

CSV = {"Content-Type": "text/csv"}
SHEET = (
    "id;submitted_by;source_kind;observed_from;lon;lat;event_type;count;notes\r\n"
    "xl-1;mission;patrol;2026-02-28T05:00:00+02:00;37,7051;48,5312;Shelling;6;Обстріл, 6 вибухів\r\n"
    "xl-2;mission;patrol;2026-02-28T05:20:00+02:00;37,6102;48,5710;explosion;2;Дружківка\r\n"
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "dialects.db") as s:
        yield s


@pytest.fixture
def client(store: Store, engine: GeoEngine) -> TestClient:
    app = create_app(store, AGREEMENT, engine=engine)
    return TestClient(app, headers=bearer(store, "admin", "admin"))


@pytest.mark.parametrize(
    "body",
    [
        SHEET.encode("cp1251"),
        codecs.BOM_UTF16_LE + SHEET.replace(";", "\t").encode("utf-16-le"),
    ],
    ids=["excel_cp1251_semicolons", "excel_unicode_text"],
)
def test_an_excel_sheet_posted_as_saved(client: TestClient, store: Store, body: bytes) -> None:
    r = client.post(f"{V1}/reports/batch", content=body, headers=CSV)
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 2
    one = client.get(f"{V1}/reports/xl-1").json()
    assert (one["lon"], one["lat"], one["count"]) == (37.7051, 48.5312, 6)
    assert one["notes"] == "Обстріл, 6 вибухів" and one["event_type"] == "shelling"


def test_a_count_of_one_and_a_half_is_refused_by_row(client: TestClient, store: Store) -> None:
    body = SHEET.replace(";6;", ";1,5;").encode("cp1251")
    error = assert_error(client.post(f"{V1}/reports/batch", content=body, headers=CSV), 422)
    assert [(p["where"], p["field"]) for p in error["problems"]] == [("row 2", "count")]
    assert "must be a whole number, got '1,5'" in error["problems"][0]["reason"]
    assert store.count_reports() == 0


PATROL = (
    "Date|Time|Patrol|Place|Lat|Lon|Seen|Weapon|Count|Notes\r\n"
    "04.03.2026|14:30|P-3|Дружківка|48,6197|37,5283|Shelling|Artillery|4|Чути зі сходу\r\n"
)


def test_a_patrol_sheet_posted_with_its_profile_and_the_dialect_named(
    client: TestClient, store: Store
) -> None:
    body = PATROL.encode("cp1251")
    query = {"profile": "patrol", "delimiter": "|", "encoding": "cp1251"}
    r = client.post(f"{V1}/reports/batch", content=body, headers=CSV, params=query)
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 1
    [report] = store.list_reports()
    assert (report.event_type, report.weapon_class, report.count) == ("shelling", "artillery", 4)
    assert report.notes == "Чути зі сходу" and report.source_name == "P-3"


def test_the_sheets_options_are_refused_for_other_bodies_and_unknown_profiles(
    client: TestClient, store: Store
) -> None:
    json_body = {"Content-Type": "application/json"}
    error = assert_error(
        client.post(
            f"{V1}/reports/batch", content=b"[]", headers=json_body, params={"delimiter": ";"}
        ),
        422,
    )
    assert [(p["where"], p["field"]) for p in error["problems"]] == [("query", "delimiter")]
    error = assert_error(
        client.post(
            f"{V1}/reports/batch",
            content=PATROL.encode(),
            headers=CSV,
            params={"profile": "spreadsheet"},
        ),
        422,
    )
    assert error["problems"][0]["field"] == "profile"
    assert "known: acled, patrol" in error["problems"][0]["reason"]
    assert store.count_reports() == 0


def test_a_party_cannot_post_a_sheet_as_the_missions_or_acleds(
    client: TestClient, store: Store
) -> None:
    party = bearer(store, "ua-desk", "party", "UA")
    for profile in ("patrol", "acled"):
        body = PATROL if profile == "patrol" else ACLED_ROW
        r = client.post(
            f"{V1}/reports/batch",
            content=body.encode("cp1251" if profile == "patrol" else "utf-8"),
            headers=CSV | party,
            params={"profile": profile},
        )
        assert_error(r, 403)
    assert store.count_reports() == 0
    # the same sheet is the mission's to post
    r = client.post(
        f"{V1}/reports/batch", content=ACLED_ROW.encode(), headers=CSV, params={"profile": "acled"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 1


ACLED_ROW = (
    "event_id_cnty,event_date,event_type,sub_event_type,actor1,latitude,longitude,"
    "geo_precision,fatalities,notes,source,time_precision\n"
    "UKR90001,2026-03-03,Explosions/Remote violence,Shelling/artillery/missile attack,"
    "Military Forces of Russia (2000-),48.5312,37.7051,1,0,Shelling of a village,Local,1\n"
)
