"""The HTTP API end to end: every endpoint through FastAPI's TestClient, the one error shape on
every route, and ``ceasefire serve`` as a real process."""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastapi.routing
import pytest
from fastapi.testclient import TestClient

from backends import copy_sqlite
from ceasefire import ledger
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.api import API_PREFIX, Limits, create_app, get_caller
from ceasefire.api.body import MAX_DEPTH
from ceasefire.api.errors import CODES
from ceasefire.errors import ForbiddenError, StoreError
from ceasefire.geo.engine import GeoEngine
from ceasefire.ledger import merkle
from ceasefire.ledger.checkpoints import cosign
from ceasefire.ledger.notes import Signer
from ceasefire.pipeline import fuse_store
from ceasefire.store.facade import Store
from served import Served

AGREEMENT = load_agreement(demo_agreement_path())
V1 = API_PREFIX
NDJSON = {"Content-Type": "application/x-ndjson"}


def report(i: int, **change: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"api-{i}",
        "submitted_by": "mission",
        "source_kind": "patrol",
        "source_name": "team 4",
        "observed_from": "2026-03-10T21:00:00+00:00",
        "observed_to": "2026-03-10T21:05:00+00:00",
        "lon": 37.60 + (i % 1000) * 0.001,
        "lat": 48.50 + (i // 1000) * 0.001,
        "uncertainty_m": 200,
        "event_type": "shelling",
        "weapon_class": "artillery",
        "calibre_mm": 152,
        "count": 3,
        "notes": "Three outgoing rounds heard from the north-east.",
    }
    row.update(change)
    return row


def lines(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error shape, pinned: every error answer of every endpoint goes through here."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert {"status", "code", "message", "problems"} <= set(error)
    assert set(error) <= {"status", "code", "message", "problems", "expected", "computed", "entry"}
    assert error["status"] == status
    assert CODES[error["code"]] == status
    if code is not None:
        assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    for problem in error["problems"]:
        assert set(problem) == {"where", "field", "reason"}
        assert all(isinstance(v, str) for v in problem.values())
    return error


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "api.db") as s:
        yield s


def bearer(store: Store, name: str, role: str, party: str | None = None) -> dict[str, str]:
    """The Authorization header of a new user (tests/test_service_access.py walks the roles)."""
    return {"Authorization": f"Bearer {store.add_user(name, role, party)}"}


@pytest.fixture
def client(store: Store, engine: GeoEngine) -> TestClient:
    return TestClient(
        create_app(store, AGREEMENT, engine=engine), headers=bearer(store, "a", "admin")
    )


#: A cosigner the demo service trusts whose line is not stored yet.
OBSERVER = Signer.generate("observer-cosigner", cosigner=True)


@pytest.fixture
def demo_store(demo_dir: Path, tmp_path: Path) -> Iterator[Store]:
    """A copy of the session's demo database (reports, incidents, violations, a cosigned
    checkpoint): tests here write to it."""
    with Store.open(copy_sqlite(demo_dir / "demo.db", tmp_path)) as s:
        yield s


@pytest.fixture
def demo(demo_store: Store, engine: GeoEngine) -> TestClient:
    return TestClient(
        create_app(demo_store, AGREEMENT, engine=engine, cosigners=[OBSERVER.verifier()]),
        headers=bearer(demo_store, "admin", "admin"),
    )


# -- meta ------------------------------------------------------------------------------------


def test_index_names_the_agreement_and_the_links(client: TestClient) -> None:
    body = client.get(V1).json()
    assert body["agreement"]["id"] == AGREEMENT.id
    assert body["links"]["openapi"] == "/openapi.json"
    assert client.get("/").json()["api"] == V1


def test_openapi_lists_every_route_and_documents_the_error_shape(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert set(schemas["ErrorResponse"]["required"]) == {"error"}
    assert {"status", "code", "message"} <= set(schemas["ErrorBody"]["required"])
    assert "HTTPValidationError" not in schemas  # FastAPI's own shape is never answered
    routes = [r for r in all_routes(client.app) if r.methods and r.include_in_schema]
    assert len(routes) == len(FAILING)
    for route in routes:
        path = route.path.replace(":path}", "}")
        for method in route.methods:
            operation = doc["paths"][path][method.lower()]
            default = operation["responses"]["default"]["content"]["application/json"]
            assert default["schema"]["$ref"].endswith("/ErrorResponse"), (method, path)
    batch = doc["paths"][f"{V1}/reports/batch"]["post"]["requestBody"]["content"]
    assert set(batch) == {
        "application/json",
        "application/x-ndjson",
        "text/csv",
        "application/geo+json",
    }


def test_the_interactive_docs_are_off_as_they_load_from_a_cdn(client: TestClient) -> None:
    assert_error(client.get("/docs"), 404, "not_found")


# -- intake: one report ----------------------------------------------------------------------


def test_a_report_is_stored_placed_and_read_back(client: TestClient) -> None:
    r = client.post(f"{V1}/reports", json=report(1, extra_field="kept"))
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"{V1}/reports/api-1"
    stored = r.json()["report"]
    assert r.json()["result"] == "added"
    assert stored["party"] in AGREEMENT.parties and stored["extra_field"] == "kept"
    back = client.get(r.headers["location"])
    assert back.status_code == 200 and back.json() == stored


def test_resubmitting_is_a_no_op_and_other_content_is_409(client: TestClient, store: Store) -> None:
    assert client.post(f"{V1}/reports", json=report(1)).status_code == 201
    again = client.post(f"{V1}/reports", json=report(1))
    assert again.status_code == 200 and again.json()["result"] == "unchanged"
    error = assert_error(client.post(f"{V1}/reports", json=report(1, count=4)), 409, "conflict")
    assert "api-1" in error["message"] and "nothing was stored" in error["message"]
    assert store.get_report("api-1").count == 3
    assert store.count_reports() == 1


def test_a_bad_report_is_422_naming_the_field_and_stores_nothing(
    client: TestClient, store: Store
) -> None:
    error = assert_error(client.post(f"{V1}/reports", json=report(1, lat=91)), 422, "invalid_input")
    assert error["problems"][0]["where"] == "body"
    assert error["problems"][0]["field"] == "lat"
    assert "between" in error["problems"][0]["reason"]
    error = assert_error(client.post(f"{V1}/reports", json={"id": "x"}), 422, "invalid_input")
    assert {"submitted_by", "source_kind", "observed_from", "event_type"} <= {
        p["field"] for p in error["problems"]
    }
    assert_error(client.post(f"{V1}/reports", json=[report(1)]), 422, "invalid_input")
    assert store.count_reports() == 0


def test_a_report_id_with_a_slash_is_one_path(client: TestClient) -> None:
    r = client.post(f"{V1}/reports", json=report(1, id="UA/2026/17"))
    assert r.headers["location"] == f"{V1}/reports/UA%2F2026%2F17"
    assert client.get(f"{V1}/reports/UA/2026/17").json()["id"] == "UA/2026/17"
    assert client.get(r.headers["location"]).json()["id"] == "UA/2026/17"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1", None],
)
def test_a_body_of_another_type_is_415(
    client: TestClient, store: Store, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    body = json.dumps(report(1)).encode()
    error = assert_error(
        client.post(f"{V1}/reports", content=body, headers=headers), 415, "unsupported_media_type"
    )
    assert error["problems"][0]["field"] == "Content-Type"
    assert_error(
        client.post(f"{V1}/reports/batch", content=body, headers=headers),
        415,
        "unsupported_media_type",
    )
    assert store.count_reports() == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"id": "a",', "not valid JSON"),
        (b'{"id": "caf\xe9"}', "not valid UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, f"deeper than {MAX_DEPTH}"),
        (b'{"id": "a", "id": "b"}', "appears twice"),
        (b"", "empty"),
    ],
    ids=["broken", "latin-1", "deep", "duplicate-key", "empty"],
)
def test_a_body_that_cannot_be_read_is_400(
    client: TestClient, store: Store, body: bytes, reason: str
) -> None:
    headers = {"Content-Type": "application/json"}
    for path in ("/reports", "/reports/batch"):
        error = assert_error(
            client.post(V1 + path, content=body, headers=headers), 400, "malformed_body"
        )
        assert reason in error["problems"][0]["reason"], error
        assert "nothing was stored" in error["message"]
    assert store.count_reports() == 0


def test_deep_nesting_inside_a_report_is_refused(client: TestClient) -> None:
    deep: Any = "leaf"
    for _ in range(MAX_DEPTH + 1):
        deep = {"x": deep}
    assert_error(client.post(f"{V1}/reports", json=report(1, payload=deep)), 400, "malformed_body")
    error = assert_error(
        client.post(
            f"{V1}/reports/batch",
            content=lines([report(1), report(2, payload=deep)]),
            headers=NDJSON,
        ),
        400,
        "malformed_body",
    )
    assert error["problems"][0]["where"] == "line 2"


def test_a_body_over_the_limit_is_413_whether_declared_or_streamed(
    store: Store, engine: GeoEngine
) -> None:
    app = create_app(
        store, AGREEMENT, engine=engine, limits=Limits(batch_bytes=2_000, body_bytes=600)
    )
    client = TestClient(app, headers=bearer(store, "a", "admin"))
    big = report(1, notes="x" * 1_000)
    assert_error(client.post(f"{V1}/reports", json=big), 413, "too_large")
    body = lines([report(i) for i in range(10)])
    assert_error(client.post(f"{V1}/reports/batch", content=body, headers=NDJSON), 413, "too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for i in range(0, len(body), 300):
            yield body[i : i + 300]

    assert_error(
        client.post(f"{V1}/reports/batch", content=chunks(), headers=NDJSON), 413, "too_large"
    )
    assert store.count_reports() == 0


def test_one_report_over_its_limit_is_413_alone_or_in_a_batch_naming_it(
    store: Store, engine: GeoEngine
) -> None:
    limits = Limits(batch_bytes=100_000, body_bytes=50_000, report_bytes=2_000)
    client = TestClient(
        create_app(store, AGREEMENT, engine=engine, limits=limits),
        headers=bearer(store, "a", "admin"),
    )
    big = report(2, notes="x" * 3_000)
    error = assert_error(client.post(f"{V1}/reports", json=big), 413, "too_large")
    assert "2,000 bytes" in error["message"] and "report" in error["message"]
    body = lines([report(1), big, report(3)])
    error = assert_error(
        client.post(f"{V1}/reports/batch", content=body, headers=NDJSON), 413, "too_large"
    )
    assert error["problems"][0]["where"] == "line 2"
    assert "at most 2,000 bytes" in error["problems"][0]["reason"]

    def chunks() -> Iterator[bytes]:  # no Content-Length, the long line cut in small pieces
        for i in range(0, len(body), 500):
            yield body[i : i + 500]

    error = assert_error(
        client.post(f"{V1}/reports/batch", content=chunks(), headers=NDJSON), 413, "too_large"
    )
    assert error["problems"][0]["where"] == "line 2"
    error = assert_error(
        client.post(f"{V1}/reports/batch", json=[report(1), report(3), big]), 413, "too_large"
    )
    assert error["problems"][0]["where"] == "item 3"
    error = assert_error(
        client.post(f"{V1}/reports/batch", content=lines([report(i) for i in range(300)]),
                    headers=NDJSON),
        413,
        "too_large",
    )  # fmt: skip
    assert "batch" in error["message"] and "100,000 bytes" in error["message"]
    assert store.count_reports() == 0
    assert client.post(f"{V1}/reports", json=report(1)).status_code == 201


# -- intake: batches -------------------------------------------------------------------------


def test_a_batch_is_all_or_nothing_and_names_the_item(client: TestClient, store: Store) -> None:
    rows = [report(1), report(2), report(3, source_kind="rumour"), report(4)]
    error = assert_error(client.post(f"{V1}/reports/batch", json=rows), 422, "invalid_input")
    assert [(p["where"], p["field"]) for p in error["problems"]] == [("item 3", "source_kind")]
    assert "nothing was stored" in error["message"]
    assert store.count_reports() == 0


def test_a_partial_batch_keeps_the_good_and_lists_the_bad(client: TestClient, store: Store) -> None:
    rows = [report(1), report(2, lat="north"), report(3)]
    body = lines(rows).replace(b'"api-3"', b'"api-3",') + b"{broken\n"
    r = client.post(f"{V1}/reports/batch?partial=true", content=body, headers=NDJSON)
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["added"], result["unchanged"], result["rejected"]) == (1, 0, 3)
    assert [(p["where"], p["field"]) for p in result["problems"]] == [
        ("line 2", "lat"),
        ("line 3", ""),
        ("line 4", ""),
    ]
    assert "not valid JSON" in result["problems"][2]["reason"]
    assert [r.id for r in store.list_reports()] == ["api-1"]
    arr = client.post(f"{V1}/reports/batch?partial=true", json=[report(1), report(5), 7])
    assert (arr.json()["added"], arr.json()["unchanged"], arr.json()["rejected"]) == (1, 1, 1)
    assert arr.json()["problems"][0]["where"] == "item 3"


def test_a_batch_is_idempotent_by_id_and_a_clash_stores_nothing(
    client: TestClient, store: Store
) -> None:
    rows = [report(i) for i in range(5)]
    first = client.post(f"{V1}/reports/batch", content=lines(rows), headers=NDJSON).json()
    assert (first["added"], first["unchanged"]) == (5, 0)
    again = client.post(f"{V1}/reports/batch", json=rows).json()
    assert (again["added"], again["unchanged"]) == (0, 5)
    clash = [report(9), report(2, count=9)]
    for query in ("", "?partial=true"):
        assert_error(
            client.post(f"{V1}/reports/batch{query}", content=lines(clash), headers=NDJSON),
            409,
            "conflict",
        )
    assert store.count_reports() == 5
    assert_error(client.post(f"{V1}/reports/batch", json=[]), 422, "invalid_input")
    assert_error(client.post(f"{V1}/reports/batch", json={"id": "x"}), 422, "invalid_input")


@pytest.mark.slow  # 50,000 reports through the API: the size is the point (~8 s)
def test_fifty_thousand_reports_in_one_streamed_json_lines_request(
    client: TestClient, store: Store
) -> None:
    body = lines([report(i) for i in range(50_000)])

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 1 << 16):
            yield body[i : i + (1 << 16)]

    r = client.post(f"{V1}/reports/batch", content=chunks(), headers=NDJSON)
    assert r.status_code == 200, r.text
    assert r.json() == {"added": 50_000, "unchanged": 0, "rejected": 0, "problems": []}
    assert store.count_reports() == 50_000
    assert client.get(f"{V1}/reports/api-49999").json()["lat"] == pytest.approx(48.549)


# -- reading ---------------------------------------------------------------------------------


def walk(client: TestClient, url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    pages = 0
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        assert (page["next"] is None) == ("link" not in r.headers)
        url = page["next"]
        pages += 1
        assert pages < 1_000
    return items


def test_paging_reports_walks_every_report_exactly_once(
    demo: TestClient, demo_store: Store
) -> None:
    every = [r.id for r in demo_store.list_reports()]
    assert len(every) > 1_000
    walked = [r["id"] for r in walk(demo, f"{V1}/reports?limit=97")]
    assert walked == every
    shelling = walk(demo, f"{V1}/reports?limit=50&event_type=shelling&source_kind=sensor")
    assert len(shelling) == demo_store.count_reports(event_type="shelling", source_kind="sensor")
    assert {(r["event_type"], r["source_kind"]) for r in shelling} == {("shelling", "sensor")}
    assert len({r["id"] for r in shelling}) == len(shelling)


def test_paging_is_stable_while_reports_arrive(client: TestClient) -> None:
    client.post(
        f"{V1}/reports/batch",
        json=[report(i, observed_from=f"2026-03-10T20:{i:02d}:00+00:00") for i in range(10)],
    )
    first = client.get(f"{V1}/reports?limit=4").json()
    # A late report observed before the page boundary does not shift the pages after it.
    client.post(f"{V1}/reports", json=report(99, observed_from="2026-03-10T19:00:00+00:00"))
    rest = walk(client, first["next"])
    assert [r["id"] for r in first["items"] + rest] == [f"api-{i}" for i in range(10)]


def test_report_filters(demo: TestClient, demo_store: Store) -> None:
    since, until = "2026-03-10T22:00:00+00:00", "2026-03-11T01:00:00Z"
    rows = walk(demo, f"{V1}/reports?limit=1000&since={since.replace('+', '%2B')}&until={until}")
    assert len(rows) == demo_store.count_reports(
        since=datetime.fromisoformat(since), until=datetime.fromisoformat(until)
    )
    assert 0 < len(rows) < demo_store.count_reports()
    box = "37.5,47.5,38.5,48.5"
    inside = walk(demo, f"{V1}/reports?limit=1000&bbox={box}")
    assert inside and all(37.5 <= r["lon"] <= 38.5 and 47.5 <= r["lat"] <= 48.5 for r in inside)
    by = walk(demo, f"{V1}/reports?limit=1000&submitted_by=UA&submitted_by=RU")
    assert by and {r["submitted_by"] for r in by} <= {"UA", "RU"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=yesterday", "since"),
        ("until=2026-03-10T10:00:00", "until"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=3,2,1,4", "bbox"),
        ("limit=0", "limit"),
        ("limit=many", "limit"),
    ],
)
def test_a_bad_filter_is_422_naming_it(client: TestClient, query: str, field: str) -> None:
    error = assert_error(client.get(f"{V1}/reports?{query}"), 422, "invalid_input")
    assert error["problems"][0]["where"] == "query"
    assert error["problems"][0]["field"] == field


def test_an_unknown_cursor_or_id_is_404(client: TestClient) -> None:
    assert_error(client.get(f"{V1}/reports?after=nope"), 404, "not_found")
    assert_error(client.get(f"{V1}/reports/nope"), 404, "not_found")
    assert_error(client.get(f"{V1}/incidents/INC-999999"), 404, "not_found")


def test_incidents_filter_and_page(demo: TestClient, demo_store: Store) -> None:
    every = [s.incident_id for s in demo_store.list_incidents()]
    walked = walk(demo, f"{V1}/incidents?limit=40")
    assert [i["id"] for i in walked] == every
    dmz = walk(demo, f"{V1}/incidents?limit=1000&zone=dmz&status=corroborated")
    assert len(dmz) == demo_store.count_incidents(zone="dmz", status="corroborated") > 0
    assert all(i["status"] == "corroborated" and "dmz" in i["zones"] for i in dmz)
    ua = walk(demo, f"{V1}/incidents?limit=1000&party=UA&event_type=shelling")
    assert len(ua) == demo_store.count_incidents(party="UA", event_type="shelling") > 0


def test_an_incident_comes_with_reports_history_and_violations(
    demo: TestClient, demo_store: Store
) -> None:
    judged = demo_store.list_violations(limit=1)[0].incident_id
    record = demo.get(f"{V1}/incidents/{judged}").json()
    assert set(record) == {"incident", "reports", "history", "violations"}
    assert record["incident"]["id"] == judged
    assert sorted(r["id"] for r in record["reports"]) == sorted(record["incident"]["report_ids"])
    assert record["history"] and record["violations"]


def test_violations_filter_and_page(demo: TestClient, demo_store: Store) -> None:
    every = walk(demo, f"{V1}/violations?limit=25")
    assert len(every) == demo_store.count_violations() > 0
    ru = walk(demo, f"{V1}/violations?limit=1000&party=RU")
    assert len(ru) == demo_store.count_violations(party="RU") > 0
    assert all(v["party"] == "RU" for v in ru)
    one = every[0]["incident_id"]
    assert {v["incident_id"] for v in walk(demo, f"{V1}/violations?incident_id={one}")} == {one}


def test_agreements(demo: TestClient) -> None:
    body = demo.get(f"{V1}/agreements").json()
    assert [(a["id"], a["version"]) for a in body["items"]] == [(AGREEMENT.id, AGREEMENT.version)]
    assert body["placing_against"]["id"] == AGREEMENT.id


def test_the_reporting_day_is_the_agreements_last_one_ended(demo: TestClient) -> None:
    # The demo's day ends at 09:00 Kyiv time; 11:20 there (UTC+2 in March) ended 10-11 March.
    got = demo.get(f"{V1}/reporting-day", params={"at": "2026-03-11T09:20:00Z"}).json()
    assert got == {
        "start": "2026-03-10T07:00:00+00:00",
        "end": "2026-03-11T07:00:00+00:00",
        "hours": 24.0,
        "day_ends": "09:00",
        "timezone": "Europe/Kyiv",
    }
    # The day the clocks go forward is an hour short.
    short = demo.get(f"{V1}/reporting-day", params={"at": "2026-03-29T12:00:00+03:00"}).json()
    assert short["hours"] == 23.0 and short["end"] == "2026-03-29T06:00:00+00:00"
    now = demo.get(f"{V1}/reporting-day").json()
    assert datetime.fromisoformat(now["end"]) <= datetime.now(UTC)
    for bad, words in (("2026-03-11T09:20", "no UTC offset"), ("yesterday", "ISO 8601"),
                       ("0001-01-01T00:00:00+00:00", "out of range")):  # fmt: skip
        problem = assert_error(demo.get(f"{V1}/reporting-day", params={"at": bad}), 422)
        assert words in json.dumps(problem)


# -- actions ---------------------------------------------------------------------------------


def test_a_monitor_decides_an_incident_status(demo: TestClient, demo_store: Store) -> None:
    target = demo_store.list_incidents(status="corroborated", limit=1)[0].incident_id
    decision = {
        "status": "verified",
        "basis": "crater seen on site",
        "assessed_perpetrator": "RU",
        "perpetrator_basis": "crater_analysis",
    }
    monitor = bearer(demo_store, "monitor 7", "monitor")
    r = demo.post(f"{V1}/incidents/{target}/status", json=decision, headers=monitor)
    assert r.status_code == 200, r.text
    assert (r.json()["from_status"], r.json()["to_status"]) == ("corroborated", "verified")
    record = demo.get(f"{V1}/incidents/{target}").json()
    assert record["incident"]["status"] == "verified"
    assert record["history"][-1]["actor"] == "monitor 7"


def test_status_errors(demo: TestClient, demo_store: Store) -> None:
    target = demo_store.list_incidents(limit=1)[0].incident_id
    url = f"{V1}/incidents/{target}/status"
    good = {"status": "disputed", "basis": "b"}
    error = assert_error(demo.post(url, json=good | {"status": "maybe"}), 422, "invalid_input")
    assert error["problems"][0]["field"] == "status"
    error = assert_error(demo.post(url, json={"status": "verified"}), 422, "invalid_input")
    assert {p["field"] for p in error["problems"]} == {"basis"}
    error = assert_error(demo.post(url, json=good | {"actor": "m"}), 422, "invalid_input")
    assert error["problems"][0]["field"] == "actor"  # the caller decides, by name
    error = assert_error(demo.post(url, json=good | {"by": "x"}), 422, "invalid_input")
    assert error["problems"][0]["field"] == "by"
    assert_error(demo.post(f"{V1}/incidents/INC-999999/status", json=good), 404, "not_found")
    assert demo_store.get_incident(target).status != "disputed"


def test_four_eyes_refusal_is_403(client: TestClient, store: Store) -> None:
    # Four eyes by identity: the user who entered the only report may not verify it, whatever
    # names the report gives (here none of theirs); a name in a report is no identity.
    doe = bearer(store, "J. Doe", "monitor")
    posted = client.post(f"{V1}/reports", json=report(1, source_name="team 4"), headers=doe)
    assert posted.status_code == 201, posted.text
    client.post(f"{V1}/reports", json=report(2, lon=36.0, lat=47.2, source_name="Ben Osei"))
    fuse_store(store, [AGREEMENT])
    of = {r: s.incident_id for s in store.list_incidents() for r in s.incident.report_ids}
    mine, other = of["api-1"], of["api-2"]
    decision = {"status": "verified", "basis": "I saw it"}
    error = assert_error(
        client.post(f"{V1}/incidents/{mine}/status", json=decision, headers=doe),
        403,
        "forbidden",
    )
    assert "own" in error["message"]
    assert store.get_incident(mine).status == "reported"
    # A report naming a monitor (as a hostile source might) does not make it theirs.
    ben = bearer(store, "Ben Osei", "monitor")
    r = client.post(f"{V1}/incidents/{other}/status", json=decision, headers=ben)
    assert r.status_code == 200, r.text


# -- ledger ----------------------------------------------------------------------------------


def log_verifier(store: Store) -> Any:
    from ceasefire.ledger.notes import Verifier

    key = store.ledger_state().log_key
    assert key is not None
    return Verifier.from_key(key)


def test_checkpoint_is_the_cosigned_note(demo: TestClient, demo_store: Store) -> None:
    r = demo.get(f"{V1}/ledger/checkpoint")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == demo_store.ledger_checkpoint().text
    assert {"RU-cosigner", "UA-cosigner"} <= {
        line.split(" ")[1] for line in r.text.splitlines() if line.startswith("\u2014 ")
    }
    size = demo_store.ledger_checkpoint().size
    assert demo.get(f"{V1}/ledger/checkpoint?size={size}").text == r.text
    assert_error(demo.get(f"{V1}/ledger/checkpoint?size=3"), 404, "not_found")


def test_no_checkpoint_yet_is_404(client: TestClient) -> None:
    assert_error(client.get(f"{V1}/ledger/checkpoint"), 404, "not_found")
    assert_error(client.get(f"{V1}/ledger/proof/inclusion?record_id=x"), 404, "not_found")


def test_inclusion_bundle_verifies_offline(demo: TestClient, demo_store: Store) -> None:
    first = demo_store.list_reports(limit=1)[0].id
    bundle = demo.get(f"{V1}/ledger/proof/inclusion", params={"record_id": first}).json()
    assert bundle == ledger.prove(demo_store, first)
    checked = ledger.verify_bundle(bundle, log_verifier(demo_store))
    assert checked.size == bundle["treeSize"]
    assert_error(demo.get(f"{V1}/ledger/proof/inclusion?record_id=nope"), 404, "not_found")
    error = assert_error(demo.get(f"{V1}/ledger/proof/inclusion"), 422, "invalid_input")
    assert error["problems"][0]["field"] == "record_id"


def test_consistency_proof_from_a_saved_checkpoint(
    demo: TestClient, demo_store: Store, demo_dir: Path
) -> None:
    old = demo_store.ledger_checkpoint()
    logged = demo_store.ledger_state().size  # the caller's user is logged after the checkpoint
    demo.post(f"{V1}/reports", json=report(1))
    ledger.sign_checkpoint(demo_store, ledger.read_signer(demo_dir / "demo-keys" / "log.key"))
    new = demo_store.ledger_checkpoint()
    assert new.size == logged + 1 > old.size
    body = demo.get(f"{V1}/ledger/proof/consistency?from={old.size}").json()
    assert (body["from"], body["to"], body["checkpoint"]) == (old.size, new.size, new.text)
    proof = [base64.b64decode(p) for p in body["proof"]]
    merkle.verify_consistency(old.size, new.size, proof, old.root, new.root)
    same = demo.get(f"{V1}/ledger/proof/consistency?from={old.size}&to={old.size}").json()
    assert same["proof"] == []
    error = assert_error(
        demo.get(f"{V1}/ledger/proof/consistency?from={new.size}&to={old.size}"),
        422,
        "invalid_input",
    )
    assert error["problems"][0]["field"] == "from"
    error = assert_error(demo.get(f"{V1}/ledger/proof/consistency?from=0"), 422, "invalid_input")
    assert error["problems"][0]["field"] == "from"
    assert_error(demo.get(f"{V1}/ledger/proof/consistency?from=1&to=5"), 404, "not_found")


def test_a_trusted_party_cosignature_is_kept(demo: TestClient, demo_store: Store) -> None:
    latest = demo_store.ledger_checkpoint()
    note = cosign(latest.note, OBSERVER, int(time.time()), log_verifier=log_verifier(demo_store))
    mediator = bearer(demo_store, "mediator", "mediator")
    r = demo.post(
        f"{V1}/ledger/cosignature",
        content=note,
        headers={"Content-Type": "text/plain"} | mediator,
    )
    assert r.status_code == 200, r.text
    assert r.json()["cosigners"] == ["RU-cosigner", "UA-cosigner", "observer-cosigner"]
    assert "\u2014 observer-cosigner " in demo.get(f"{V1}/ledger/checkpoint").text


def test_cosignature_refusals(demo: TestClient, demo_store: Store) -> None:
    latest = demo_store.ledger_checkpoint()
    url = f"{V1}/ledger/cosignature"
    ua = bearer(demo_store, "kyiv", "party", "UA")
    text = {"Content-Type": "text/plain; charset=utf-8"} | ua
    stranger = Signer.generate("stranger-cosigner", cosigner=True)
    note = cosign(latest.note, stranger, int(time.time()))
    assert_error(demo.post(url, content=note, headers=text), 403, "forbidden")
    good = cosign(latest.note, OBSERVER, int(time.time()))
    line = good.splitlines()[-1]
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[-1] ^= 1
    forged = good.replace(line, f"{line.rsplit(' ', 1)[0]} {base64.b64encode(bytes(raw)).decode()}")
    assert_error(demo.post(url, content=forged, headers=text), 422, "verification_failed")
    assert_error(demo.post(url, content="not a note", headers=text), 403, "forbidden")
    assert_error(
        demo.post(url, content=good, headers={"Content-Type": "application/json"} | ua), 415
    )
    assert_error(demo.post(url, content=b"\xff\xfe", headers=text), 400, "malformed_body")
    assert demo_store.ledger_checkpoint().text == latest.text  # nothing kept


# -- one error shape, one caller dependency, on every route ----------------------------------

#: A request each route must refuse, and how: every route of the app has one (pinned below).
FAILING: dict[tuple[str, str], tuple[str, dict[str, Any], int]] = {
    ("GET", V1): ("", {}, 0),  # takes no input: 0 = checked for 405 only
    ("POST", f"{V1}/reports"): ("", {"json": {"id": ""}}, 422),
    ("POST", f"{V1}/reports/batch"): ("?partial=maybe", {"json": []}, 422),
    ("GET", f"{V1}/reports"): ("?limit=-1", {}, 422),
    ("GET", f"{V1}/reports/{{report_id:path}}"): ("", {}, 404),
    ("POST", f"{V1}/reports/{{report_id:path}}/retract"): ("", {"json": {}}, 422),
    ("GET", f"{V1}/incidents"): ("?offset=-1", {}, 422),
    ("GET", f"{V1}/incidents/{{incident_id}}"): ("", {}, 404),
    ("GET", f"{V1}/harm"): ("?by=party", {}, 422),
    ("GET", f"{V1}/violations"): ("?agreement_version=zero", {}, 422),
    ("GET", f"{V1}/incidents/export"): ("?format=shapefile", {}, 422),
    ("GET", f"{V1}/violations/export"): ("", {}, 422),  # format is required
    ("GET", f"{V1}/changes"): ("?since=-5", {}, 422),
    ("GET", f"{V1}/changes/stream"): ("?seconds=0", {}, 422),
    ("GET", f"{V1}/agreements"): ("", {}, 0),
    ("GET", f"{V1}/reporting-day"): ("?at=noon", {}, 422),
    ("POST", f"{V1}/incidents/{{incident_id}}/status"): (
        "",
        {"content": b"{", "headers": {"Content-Type": "application/json"}},
        400,
    ),
    ("POST", f"{V1}/incidents/{{incident_id}}/release"): ("", {"json": {"full": "maybe"}}, 422),
    ("GET", f"{V1}/ledger/checkpoint"): ("?size=x", {}, 422),
    ("GET", f"{V1}/ledger/proof/inclusion"): ("", {}, 422),
    ("GET", f"{V1}/ledger/proof/consistency"): ("?from=0", {}, 422),
    ("POST", f"{V1}/ledger/cosignature"): ("", {"content": b"x"}, 403),  # admin: not a cosigner
    ("GET", f"{V1}/ogc"): ("", {}, 0),
    ("GET", f"{V1}/ogc/conformance"): ("", {}, 0),
    ("GET", f"{V1}/ogc/collections"): ("", {}, 0),
    ("GET", f"{V1}/ogc/collections/{{collection_id}}"): ("", {}, 404),
    ("GET", f"{V1}/ogc/collections/{{collection_id}}/items"): ("", {}, 404),
    ("GET", f"{V1}/ogc/collections/{{collection_id}}/items/{{feature_id:path}}"): ("", {}, 404),
    ("GET", f"{V1}/hotline/messages"): ("?state=lost", {}, 422),
    ("POST", f"{V1}/hotline/messages"): (
        "",
        {"json": {"kind": "notification", "recipients": ["RU"], "subject": "Made up"}},
        422,
    ),
    ("GET", f"{V1}/hotline/messages/{{message_id}}"): ("", {}, 404),
    ("GET", f"{V1}/hotline/messages/{{message_id}}/cap"): ("", {}, 404),
    ("POST", f"{V1}/hotline/messages/{{message_id}}/ack"): ("", {}, 404),
    ("POST", f"{V1}/hotline/messages/{{message_id}}/answer"): ("", {"json": {}}, 404),
    ("POST", f"{V1}/hotline/messages/ack"): ("", {"json": {"ids": []}}, 422),
    ("GET", f"{V1}/hotline/metrics"): ("?party=XX", {}, 422),
    ("POST", f"{V1}/tallies"): ("", {"json": {"id": ""}}, 422),
    ("GET", f"{V1}/tallies"): ("?since=yesterday", {}, 422),
    ("GET", f"{V1}/tallies/reconcile"): ("?until=soon", {}, 422),
    ("GET", f"{V1}/tallies/series"): ("?since=last-week", {}, 422),
    ("GET", f"{V1}/tallies/{{issuer}}/{{tally_id:path}}"): ("", {}, 404),
    ("POST", f"{V1}/coverage"): ("", {"json": {"kind": "sensor_status", "id": ""}}, 422),
    ("GET", f"{V1}/coverage"): (
        "?start=2026-03-10T18:00:00Z&end=2026-03-11T06:00:00Z&by=region",
        {},
        422,
    ),
    ("POST", f"{V1}/extract"): ("", {"json": {"text": ""}}, 422),
    ("GET", f"{V1}/reports/daily"): ("?date=2026-13-01", {}, 422),
    ("GET", f"{V1}/reports/daily/note"): ("?date=2026-03-11&format=docx", {}, 422),
    ("POST", f"{V1}/extract/accept"): ("", {"json": {"text": "no events named"}}, 422),
}


def all_routes(app: Any) -> list[Any]:
    """Every route of the app, through included routers (newer FastAPI keeps them nested)."""
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    return list(flatten(app.routes)) if flatten is not None else list(app.routes)


def _api_routes(app: Any) -> list[Any]:
    return [r for r in all_routes(app) if r.path.startswith(V1) and r.methods]


def test_every_route_answers_errors_in_the_one_shape(client: TestClient) -> None:
    routes = {(m, r.path): r for r in _api_routes(client.app) for m in r.methods}
    assert set(routes) == set(FAILING), "a new route needs a failing request here"
    for (method, path), (query, kwargs, status) in FAILING.items():
        url = re.sub(r"\{[^}]+\}", "no-such-id", path)
        if status:
            response = client.request(method, url + query, **kwargs)
            assert_error(response, status)
        other = "DELETE" if method != "DELETE" else "PUT"
        error = assert_error(client.request(other, url), 405, "method_not_allowed")
        assert method in error["message"]
    assert_error(client.get("/no/such/route"), 404, "not_found")


def test_every_route_depends_on_the_caller(client: TestClient, store: Store) -> None:
    for route in _api_routes(client.app):
        assert get_caller in [d.call for d in route.dependant.dependencies], route.path

    def refuse() -> None:
        raise ForbiddenError("no token")

    client.app.dependency_overrides[get_caller] = refuse
    for (method, path), _ in FAILING.items():
        url = re.sub(r"\{[^}]+\}", "x", path)
        assert_error(client.request(method, url, json=report(1)), 403, "forbidden")
    assert store.count_reports() == 0


def test_a_store_failure_is_503_and_a_bug_is_500_in_the_shape(
    store: Store, engine: GeoEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = TestClient(
        create_app(store, AGREEMENT, engine=engine),
        raise_server_exceptions=False,
        headers=bearer(store, "a", "admin"),
    )

    def down(*args: Any, **kwargs: Any) -> None:
        raise StoreError("database is locked")

    def bug(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(store, "list_stored", down)
    assert_error(client.get(f"{V1}/reports"), 503, "store_unavailable")
    monkeypatch.setattr(store, "list_stored", bug)
    error = assert_error(client.get(f"{V1}/reports"), 500, "internal_error")
    assert "boom" not in error["message"]


# -- the real process ------------------------------------------------------------------------


@pytest.mark.served
def test_serve_runs_the_api_and_prints_its_address(tmp_path: Path) -> None:
    with Store.open(tmp_path / "served.db") as made:
        admin = bearer(made, "admin", "admin")
    with Served("--db", str(tmp_path / "served.db")) as server:
        base = server.base
        post = urllib.request.Request(
            f"{base}{V1}/reports",
            data=json.dumps(report(1)).encode(),
            headers={"Content-Type": "application/json"} | admin,
            method="POST",
        )
        with urllib.request.urlopen(post, timeout=30) as r:
            assert r.status == 201
        get = urllib.request.Request(f"{base}{V1}/reports/api-1", headers=admin)
        with urllib.request.urlopen(get, timeout=30) as r:
            assert json.load(r)["id"] == "api-1"


def test_a_json_report_with_a_number_as_text_is_422_and_stores_nothing(
    client: TestClient, store: Store
) -> None:
    # JSON has its own types, so "3" for count is refused, not converted as a CSV cell would be.
    error = assert_error(client.post(f"{V1}/reports", json=report(1, count="3")), 422)
    assert [(p["where"], p["field"], p["reason"]) for p in error["problems"]] == [
        ("body", "count", 'must be a JSON integer, got the string "3"')
    ]
    error = assert_error(client.post(f"{V1}/reports", json=report(1, lat=True)), 422)
    assert [p["field"] for p in error["problems"]] == ["lat"]
    batch = [report(2), report(3, notes=5)]
    error = assert_error(client.post(f"{V1}/reports/batch", json=batch), 422, "invalid_input")
    assert [(p["where"], p["field"], p["reason"]) for p in error["problems"]] == [
        ("item 2", "notes", "must be a JSON string, got the number 5")
    ]
    assert store.count_reports() == 0
    assert client.post(f"{V1}/reports", json=report(1)).status_code == 201
