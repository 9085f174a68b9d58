"""``POST /api/v1/extract`` and ``/extract/accept``: proposals per text (text/plain or JSON),
only for the mission; accepting a reviewed text stores its events once, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_service import AGREEMENT, V1, assert_error

from backends import OPERATOR
from ceasefire.api import create_app
from ceasefire.api.deps import Limits
from ceasefire.extract.accepted import record_id, text_sha256
from ceasefire.geo.engine import GeoEngine
from ceasefire.store.facade import Store
from proposals import AIR_ATTACK, PUBLISHED

USERS = {"admin": ("admin", None), "monitor": ("monitor", None), "mediator": ("mediator", None),
         "UA": ("party", "UA"), "RU": ("party", "RU")}  # fmt: skip
RID = record_id(text_sha256(AIR_ATTACK), 0)
TEXT = {"Content-Type": "text/plain; charset=utf-8"}


class Api:
    def __init__(self, store: Store, engine: GeoEngine, limits: Limits | None = None) -> None:
        self.store = store
        self.client = TestClient(create_app(store, AGREEMENT, engine=engine, limits=limits))
        self.headers: dict[str, dict[str, str]] = {"public": {}}
        for name, (role, party) in USERS.items():
            token = store.add_user(f"x-{name}", role, party)
            self.headers[name] = {"Authorization": f"Bearer {token}"}

    def post(self, who: str, path: str, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {}) | self.headers[who]
        return self.client.post(f"{V1}{path}", headers=headers, **kwargs)


@pytest.fixture
def api(db_url: str, engine: GeoEngine) -> Iterator[Api]:
    with Store.open(db_url) as store:
        yield Api(store, engine)


def _accept(api: Api, who: str = "monitor", **over: Any) -> Any:
    body = {"text": AIR_ATTACK, "published": "2026-02-17", "source": "Air Force", "events": [0]}
    return api.post(who, "/extract/accept", json=body | over)


def test_a_plain_text_and_json_texts_give_the_same_proposals(api: Api) -> None:
    plain = api.post(
        "monitor", "/extract?published=2026-02-17&source=Air%20Force", content=AIR_ATTACK,
        headers=TEXT,
    )  # fmt: skip
    assert plain.status_code == 200, plain.text
    [one] = plain.json()["items"]
    assert (one["source"], one["published"], one["sha256"]) == (
        "Air Force", "2026-02-17", text_sha256(AIR_ATTACK),
    )  # fmt: skip
    assert set(one) >= {"events", "proposal"}
    texts = [{"text": AIR_ATTACK, "published": "2026-02-17", "source": "Air Force"},
             {"text": "Nothing happened."}]  # fmt: skip
    many = api.post("admin", "/extract", json=texts).json()["items"]
    assert many[0] == one
    assert (many[1]["published"], many[1]["events"]) == (None, [])
    single = api.post("admin", "/extract", json=texts[0]).json()["items"]
    assert single == [one]


def test_bad_bodies_name_the_item_and_field(api: Api) -> None:
    cases: list[tuple[dict[str, Any], int, tuple[str, str]]] = [
        ({"json": [{"text": "ok"}, {"text": "x", "published": "17.02.2026"}]}, 422,
         ("body[1]", "published")),
        ({"json": {"text": "x", "lang": "en"}}, 422, ("body", "lang")),
        ({"json": {"text": "   "}}, 422, ("body", "text")),
        ({"json": [{"text": "ok"}, {"text": ""}]}, 422, ("body[1]", "text")),
        ({"json": []}, 422, ("body", "")),
        ({"json": {"text": "x"}, "params": {"published": "2026-02-17"}}, 422,
         ("query", "published")),
        ({"content": b"\xff\xfe", "headers": TEXT}, 400, ("body", "")),
        ({"content": "x", "headers": TEXT, "params": {"published": "soon"}}, 422,
         ("query", "published")),
        ({"content": "x", "headers": {"Content-Type": "text/csv"}}, 415,
         ("header", "Content-Type")),
    ]  # fmt: skip
    for kwargs, status, (where, field) in cases:
        error = assert_error(api.post("monitor", "/extract", **kwargs), status)
        assert (where, field) in {(p["where"], p["field"]) for p in error["problems"]}, error


def test_a_text_over_the_size_limit_is_413(db_url: str, engine: GeoEngine) -> None:
    with Store.open(db_url) as store:
        small = Api(store, engine, Limits(body_bytes=1000))
        assert_error(small.post("monitor", "/extract", content="x" * 1001, headers=TEXT), 413)


def test_only_the_mission_extracts(api: Api) -> None:
    for who in ("mediator", "UA", "RU", "public"):
        for path, kwargs in (("/extract", {"json": {"text": AIR_ATTACK}}),
                             ("/extract/accept", {"json": {"text": AIR_ATTACK, "events": [0]}})):  # fmt: skip
            error = assert_error(api.post(who, path, **kwargs), 403, "forbidden")
            assert "may not extract records from text" in error["message"]
    bad = api.client.post(f"{V1}/extract", json={"text": "x"},
                          headers={"Authorization": "Bearer cf_nobody"})  # fmt: skip
    assert_error(bad, 401, "unauthorized")
    assert api.store.count_reports() == 0


def test_accepting_a_reviewed_text_stores_its_records_once(api: Api) -> None:
    [proposed] = api.post(
        "monitor", "/extract", json={"text": AIR_ATTACK, "published": "2026-02-17",
                                      "source": "Air Force"}).json()["items"]  # fmt: skip
    review = {"sha256": proposed["sha256"], "proposal": proposed["proposal"]}
    first = _accept(api, **review)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["reports"] == {"stored": [RID], "unchanged": []}
    assert body["tallies"] == {"stored": [RID], "unchanged": []}
    assert body["events"] == [{"event": 0, "report": RID, "tally": RID, "note": None}]
    stored = api.client.get(f"{V1}/reports/{RID}", headers=api.headers["monitor"]).json()
    assert (stored["source_kind"], stored["place_precision"]) == ("osint", "region")
    # The ledger leaves of the report and of the tally carry the words of their figures.
    [leaf] = api.store.ledger_entries(RID, kind="report")
    assert "100 were shot down" in leaf.body and text_sha256(AIR_ATTACK) in leaf.body
    [tally_leaf] = api.store.ledger_entries(f"tally/mission/{RID}")
    assert "120 drones" in tally_leaf.body
    size = api.store.ledger_state().size
    again = _accept(api, who="admin", **review)
    assert again.status_code == 200, again.text
    assert again.json()["reports"] == {"stored": [], "unchanged": [RID]}
    assert api.store.ledger_state().size == size
    # The same text with another source is another report of the same event: refused.
    assert_error(_accept(api, source="Reuters"), 409, "conflict")


def test_an_accept_that_is_not_what_was_reviewed_stores_nothing(api: Api) -> None:
    assert_error(_accept(api, sha256="0" * 64), 409, "conflict")
    assert_error(_accept(api, proposal="0" * 64), 409, "conflict")
    for events, reason in (([], "at least one"), ([3], "no event 3")):
        error = assert_error(_accept(api, events=events), 422)
        assert reason in error["message"]
    # Without the publication date "overnight" has no date: the event and its field named.
    error = assert_error(_accept(api, published=None), 422)
    assert [(p["where"], p["field"]) for p in error["problems"]] == [("event 0", "date")]
    assert api.store.count_reports() == 0
    assert api.store.tallies(by=OPERATOR) == []


def test_api_accept_proposes_the_air_attack(api: Api) -> None:
    """On the real rules: the proposal's figures, and its accept stores a report and a tally."""
    [proposed] = api.post(
        "monitor", "/extract?published=2026-02-17", content=AIR_ATTACK, headers=TEXT
    ).json()["items"]
    [event] = proposed["events"]
    assert event["launched"]["drones"] == 120 and event["destroyed"]["drones"] == 100
    done = _accept(api, proposal=proposed["proposal"], source=None)
    assert done.status_code == 201, done.text
    assert done.json()["tallies"]["stored"] == [RID]
    assert PUBLISHED.isoformat() == proposed["published"]
