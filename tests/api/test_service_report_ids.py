"""Report ids are the submitters' idempotency keys, and a party's are its own: it stores its
reports under ``<party>:<id>`` (:func:`ceasefire.agreement.parties.party_scoped_id`), so no
answer tells it whether another submitter used an id, while its own resubmissions stay
idempotent."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_service import AGREEMENT, NDJSON, V1, assert_error, bearer, lines, report

from backends import OPERATOR
from ceasefire import ledger
from ceasefire.api import create_app
from ceasefire.geo.engine import GeoEngine
from ceasefire.intake.report import Report
from ceasefire.intake.signing import sign_report, signed_message
from ceasefire.ledger.notes import Signer
from ceasefire.store.facade import Store

UA_KEY = Signer.generate("UA-officers")


def _party(code: str, i: int, **change: Any) -> dict[str, Any]:
    return report(i, **({"submitted_by": code, "source_kind": "party"} | change))


@pytest.fixture
def service(tmp_path: Path, engine: GeoEngine) -> Iterator[tuple[Store, TestClient]]:
    with Store.open(tmp_path / "ids.db") as store:
        yield store, TestClient(create_app(store, AGREEMENT, engine=engine))


def _answer(r: Any) -> tuple[int, str]:
    """What a submitter learns from an answer: its status and the id it names."""
    return r.status_code, r.json()["report"]["id"]


def test_an_id_another_submitter_used_answers_as_a_fresh_one(
    service: tuple[Store, TestClient],
) -> None:
    store, client = service
    ua = bearer(store, "ua-officer", "party", "UA")
    ru = bearer(store, "ru-officer", "party", "RU")
    monitor = bearer(store, "monitor-2", "monitor")
    # The mission's patrol report and RU's complaint hold ids UA will try.
    assert client.post(f"{V1}/reports", json=report(1), headers=monitor).status_code == 201
    assert client.post(f"{V1}/reports", json=_party("RU", 2), headers=ru).status_code == 201
    # UA sends other content under those ids and under one no one used: the same answer.
    taken = [
        client.post(f"{V1}/reports", json=_party("UA", i, count=9), headers=ua) for i in (1, 2)
    ]
    fresh = client.post(f"{V1}/reports", json=_party("UA", 3, count=9), headers=ua)
    assert [_answer(r) for r in [*taken, fresh]] == [
        (201, "UA:api-1"), (201, "UA:api-2"), (201, "UA:api-3")
    ]  # fmt: skip
    batch = client.post(
        f"{V1}/reports/batch",
        content=lines([_party("UA", i, count=7, lon=37.7) for i in (1, 2, 4)]),
        headers=ua | NDJSON,
    )
    assert batch.status_code == 409  # its own api-1 and api-2 hold other content...
    assert "'UA:api-1'" in batch.json()["error"]["message"]
    assert "'api-1'" not in batch.json()["error"]["message"]
    # ...and every report keeps its own: the mission's, RU's and UA's.
    assert store.get_report("api-1").submitted_by == "mission"
    assert store.get_report("RU:api-2").submitted_by == "RU"
    assert store.get_report("UA:api-2").count == 9


def test_a_party_s_own_resubmission_is_idempotent(service: tuple[Store, TestClient]) -> None:
    store, client = service
    ua = bearer(store, "ua-officer", "party", "UA")
    first = client.post(f"{V1}/reports", json=_party("UA", 5), headers=ua)
    assert _answer(first) == (201, "UA:api-5")
    assert first.headers["Location"] == f"{V1}/reports/UA%3Aapi-5"
    # The same report again, by the id it chose or the id it is stored under: a no-op.
    for rid in ("api-5", "UA:api-5"):
        again = client.post(f"{V1}/reports", json=_party("UA", 5, id=rid), headers=ua)
        assert _answer(again) == (200, "UA:api-5")
    batch = client.post(
        f"{V1}/reports/batch", content=lines([_party("UA", 5)]), headers=ua | NDJSON
    )
    assert (batch.json()["added"], batch.json()["unchanged"]) == (0, 1)
    # Other content under its own id: a conflict naming its own id, nothing stored.
    clash = client.post(f"{V1}/reports", json=_party("UA", 5, injured=4), headers=ua)
    assert "'UA:api-5'" in assert_error(clash, 409, "conflict")["message"]
    assert store.count_reports() == 1 and store.get_report("UA:api-5").injured is None


def test_a_party_reads_its_own_by_either_id_and_no_one_else_s(
    service: tuple[Store, TestClient],
) -> None:
    store, client = service
    ua = bearer(store, "ua-officer", "party", "UA")
    monitor = bearer(store, "monitor-2", "monitor")
    assert client.post(f"{V1}/reports", json=_party("UA", 6), headers=ua).status_code == 201
    assert client.post(f"{V1}/reports", json=report(7), headers=monitor).status_code == 201
    for rid in ("api-6", "UA:api-6", "UA%3Aapi-6"):
        r = client.get(f"{V1}/reports/{rid}", headers=ua)
        assert r.status_code == 200 and r.json()["id"] == "UA:api-6", (rid, r.text)
        ogc = client.get(f"{V1}/ogc/collections/reports/items/{rid}", headers=ua)
        assert ogc.status_code == 200, ogc.text
    # The mission's report, the mission's name for UA's own, and a missing one: one answer.
    answers = {
        rid: assert_error(client.get(f"{V1}/reports/{rid}", headers=ua), 404, "not_found")
        for rid in ("api-7", "api-99")
    }
    assert answers["api-7"]["message"].replace("api-7", "X") == answers["api-99"][
        "message"
    ].replace("api-99", "X")
    # The mission reads UA's report by the id it is stored under.
    assert client.get(f"{V1}/reports/UA:api-6", headers=monitor).status_code == 200
    # A cursor by the id UA chose pages after its own report.
    page = client.get(f"{V1}/reports", params={"after": "api-6"}, headers=ua)
    assert page.status_code == 200 and page.json()["items"] == []
    assert_error(client.get(f"{V1}/reports", params={"after": "api-7"}, headers=ua), 404)


def test_a_party_proves_its_own_report_by_the_id_it_chose(
    service: tuple[Store, TestClient],
) -> None:
    store, client = service
    ua = bearer(store, "ua-officer", "party", "UA")
    monitor = bearer(store, "monitor-2", "monitor")
    assert client.post(f"{V1}/reports", json=_party("UA", 8), headers=ua).status_code == 201
    assert client.post(f"{V1}/reports", json=report(9), headers=monitor).status_code == 201
    ledger.sign_checkpoint(store, Signer.generate("ceasefire.test/log"))
    for rid in ("api-8", "UA:api-8"):
        r = client.get(f"{V1}/ledger/proof/inclusion", params={"record_id": rid}, headers=ua)
        assert r.status_code == 200, r.text
        assert r.json()["record"]["id"] == "UA:api-8"
    hidden = client.get(f"{V1}/ledger/proof/inclusion", params={"record_id": "api-9"}, headers=ua)
    missing = client.get(f"{V1}/ledger/proof/inclusion", params={"record_id": "api-0"}, headers=ua)
    assert assert_error(hidden, 404)["message"] == "no ledger entry for 'api-9'"
    assert assert_error(missing, 404)["message"] == "no ledger entry for 'api-0'"


def test_a_report_stored_before_ids_were_scoped_is_still_its_party_s(
    service: tuple[Store, TestClient],
) -> None:
    store, client = service
    # Entered by the mission's desk in UA's name, under the bare id (as every party report was
    # before its ids were scoped): the stored id and its ledger leaf stay as they are.
    old = Report.model_validate(_party("UA", 10))
    assert store.add_reports([old], entered_by=OPERATOR).added_ids == ("api-10",)
    ua = bearer(store, "ua-officer", "party", "UA")
    ru = bearer(store, "ru-officer", "party", "RU")
    again = client.post(f"{V1}/reports", json=_party("UA", 10), headers=ua)
    assert _answer(again) == (200, "api-10")
    clash = client.post(f"{V1}/reports", json=_party("UA", 10, injured=2), headers=ua)
    assert "'UA:api-10'" in assert_error(clash, 409, "conflict")["message"]
    assert client.get(f"{V1}/reports/api-10", headers=ua).json()["id"] == "api-10"
    # Not RU's: RU's report of that id is its own, and it learns nothing of UA's.
    assert _answer(client.post(f"{V1}/reports", json=_party("RU", 10), headers=ru)) == (
        201,
        "RU:api-10",
    )
    assert store.count_reports() == 2


def test_the_mission_keeps_out_of_a_party_s_ids(service: tuple[Store, TestClient]) -> None:
    store, client = service
    monitor = bearer(store, "monitor-2", "monitor")
    r = client.post(f"{V1}/reports", json=report(11, id="UA:patrol-11"), headers=monitor)
    (problem,) = assert_error(r, 422, "invalid_input")["problems"]
    assert problem["field"] == "id" and "UA's ids" in problem["reason"]
    # A report in UA's name may take an id of UA's.
    ok = client.post(f"{V1}/reports", json=_party("UA", 12, id="UA:desk-12"), headers=monitor)
    assert _answer(ok) == (201, "UA:desk-12")
    assert store.count_reports() == 1


def test_a_signed_report_verifies_under_its_scoped_id(service: tuple[Store, TestClient]) -> None:
    store, client = service
    store.trust_key(UA_KEY.verifier(), "UA")
    ua = bearer(store, "ua-officer", "party", "UA")
    signed = sign_report(Report.model_validate(_party("UA", 13)), UA_KEY)
    assert signed.id == "api-13"  # signed with the id UA chose
    assert _answer(client.post(f"{V1}/reports", json=signed.to_dict(), headers=ua)) == (
        201,
        "UA:api-13",
    )
    ledger.sign_checkpoint(store, Signer.generate("ceasefire.test/log"))
    record = ledger.prove(store, "UA:api-13")["record"]["record"]
    assert record["id"] == "UA:api-13"
    payload = base64.b64decode(record["signature"].split(" ")[1])
    assert UA_KEY.verifier().verify(signed_message(record), payload[4:])
    ledger.audit(store)


def test_a_scoped_id_must_fit(service: tuple[Store, TestClient]) -> None:
    store, client = service
    ua = bearer(store, "ua-officer", "party", "UA")
    r = client.post(f"{V1}/reports", json=_party("UA", 14, id="x" * 199), headers=ua)
    (problem,) = assert_error(r, 422, "invalid_input")["problems"]
    assert problem["field"] == "id" and "at most 197 characters" in problem["reason"]
