"""The HTTP API against its own OpenAPI document, fuzzed with schemathesis, and the bad inputs a
fuzzer rarely reaches (huge numbers, invalid UTF-8, deep nesting, clashing ids in one batch).

The schema is loaded from the ASGI app in process (no network), by a fixture when the fuzz tests
run (collecting the suite builds no app); each operation is a subtest. Every operation runs a
bounded, derandomized number of generated cases (positive and negative) as an admin, a party and
the public, and every answer must be: not a 5xx, a documented status and content type, and a
body that conforms to the documented schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.pytest.lazy import get_all_tests, run_subtest
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from test_service import AGREEMENT, NDJSON, V1, all_routes, assert_error, bearer, lines, report

from ceasefire.api import create_app
from ceasefire.geo.engine import GeoEngine
from ceasefire.pipeline import fuse_store
from ceasefire.store.facade import Store

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
#: Examples per operation and caller: 21 operations x 3 callers x 25 runs in well under a minute.
EXAMPLES = 25


class Fuzzed:
    """A small store with a few reports fused into incidents, and a token of each caller."""

    def __init__(self, store: Store, engine: GeoEngine) -> None:
        self.store = store
        self.app = create_app(store, AGREEMENT, engine=engine)
        admin = store.add_user("fuzz-admin", "admin", None)
        self.headers: dict[str, dict[str, str]] = {
            "admin": {"Authorization": f"Bearer {admin}"},
            "party": {"Authorization": f"Bearer {store.add_user('fuzz-ua', 'party', 'UA')}"},
            "public": {},
        }
        client = TestClient(self.app, headers=self.headers["admin"])
        rows = [report(i, submitted_by="mission") for i in range(4)]
        rows += [report(10 + i, lon=38.2, lat=47.9, event_type="explosion") for i in range(2)]
        r = client.post(f"{V1}/reports/batch", content=lines(rows), headers=NDJSON)
        assert r.status_code == 200, r.text
        fuse_store(store, [AGREEMENT])


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, engine: GeoEngine) -> Iterator[Fuzzed]:
    with Store.open(tmp_path_factory.mktemp("fuzz") / "fuzz.db") as store:
        yield Fuzzed(store, engine)


@schemathesis.serializer("application/x-ndjson")
def _json_lines(ctx: Any, value: Any) -> bytes:
    """A generated batch as JSON Lines (schemathesis has no serializer of its own for it)."""
    items = value if isinstance(value, list) else [value]
    return "".join(json.dumps(item) + "\n" for item in items).encode()


@pytest.fixture(scope="module")
def api_schema(fuzzed: Fuzzed) -> Any:
    """The OpenAPI document, read from ``/openapi.json`` of the fuzzed app (the document does
    not depend on the data; the cases run against that app too). Built when a fuzz test first
    runs: collecting the suite builds no app."""
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed.app)


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def fuzz_every_operation(
    schema: Any, app: Any, subtests: pytest.Subtests, test: Callable[[Any], None]
) -> None:
    """``test(case)`` on FUZZ's generated cases of every operation of ``schema``, one subtest
    per operation, and every operation of ``app`` is one of them.

    What ``schemathesis.pytest.from_fixture`` runs (its per-operation tests, built the same way),
    by hand: its loader relabels the test through ``Function._nodeid``, which pytest 9.2 no
    longer has (AttributeError)."""
    operations = set()
    for result in get_all_tests(
        schema=schema, test_func=FUZZ(test), settings=FUZZ, given_kwargs={}
    ):
        if isinstance(result, Ok):
            operation, sub_test = result.ok()
            run_subtest(operation, {}, sub_test, subtests)
            operations.add((operation.method.upper(), operation.path))
        else:
            error = result.err()
            with subtests.test(msg=f"schema error: {error}"):
                error.as_failing_test_function()()
    routes = [r for r in all_routes(app) if r.methods and r.include_in_schema]
    assert operations == {(m, r.path.replace(":path}", "}")) for r in routes for m in r.methods}


def bounded(case: Any) -> Any:
    """The case with a stream's duration cut to a hundredth of a second: the change stream
    (``/changes/stream``) answers for as long as ``seconds`` says, up to ten minutes, which
    the generator would otherwise pick. An invalid value is left as generated, to be refused."""
    if not case.path.endswith("/changes/stream"):
        return case
    query = case.query if case.query is not None else {}
    try:  # left out: the route's default, a minute; generated as a number or as its text
        seconds = float(query.get("seconds", 60))
    except (TypeError, ValueError):
        return case
    if 0 < seconds <= 600:
        query["seconds"] = 0.01
        case.query = query
    return case


@pytest.mark.slow  # ~1,700 generated requests (~7 s)
def test_every_operation_answers_an_admin_as_documented(
    api_schema: Any, fuzzed: Fuzzed, subtests: pytest.Subtests
) -> None:
    def test(case: Any) -> None:
        bounded(case).call_and_validate(
            app=fuzzed.app, headers=fuzzed.headers["admin"], checks=CHECKS
        )

    fuzz_every_operation(api_schema, fuzzed.app, subtests, test)


@pytest.mark.slow  # ~1,700 generated requests (~7 s)
def test_every_operation_answers_a_party_as_documented(
    api_schema: Any, fuzzed: Fuzzed, subtests: pytest.Subtests
) -> None:
    def test(case: Any) -> None:
        bounded(case).call_and_validate(
            app=fuzzed.app, headers=fuzzed.headers["party"], checks=CHECKS
        )

    fuzz_every_operation(api_schema, fuzzed.app, subtests, test)


@pytest.mark.slow  # ~1,700 generated requests (~7 s)
def test_every_operation_answers_the_public_as_documented(
    api_schema: Any, fuzzed: Fuzzed, subtests: pytest.Subtests
) -> None:
    def test(case: Any) -> None:
        bounded(case).call_and_validate(
            app=fuzzed.app, headers=fuzzed.headers["public"], checks=CHECKS
        )

    fuzz_every_operation(api_schema, fuzzed.app, subtests, test)


# -- what the fuzzer found, pinned ------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty store; ``client`` is an admin's over it (as in test_service.py)."""
    with Store.open(tmp_path / "api.db") as s:
        yield s


@pytest.fixture
def client(store: Store, engine: GeoEngine) -> TestClient:
    return TestClient(
        create_app(store, AGREEMENT, engine=engine), headers=bearer(store, "a", "admin")
    )


JSON = {"Content-Type": "application/json"}
#: One past the largest integer a store column holds.
TOO_BIG = 2**63


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"/incidents?offset={TOO_BIG}", "offset"),
        (f"/violations?offset={TOO_BIG}", "offset"),
        (f"/violations?agreement_version={TOO_BIG}", "agreement_version"),
        (f"/ledger/checkpoint?size={TOO_BIG}", "size"),
        (f"/ledger/proof/consistency?from={TOO_BIG}", "from"),
        (f"/ledger/proof/consistency?from=1&to={TOO_BIG}", "to"),
        ("/incidents?offset=1e400", "offset"),
        (f"/changes?since={TOO_BIG}", "since"),
        (f"/changes/stream?since={TOO_BIG}", "since"),
    ],
)
def test_an_integer_past_64_bits_in_a_query_is_422_not_an_overflow(
    client: TestClient, query: str, field: str
) -> None:
    """Was 500 (OverflowError in the SQLite driver); found by schemathesis on /proof/consistency,
    and again on /changes."""
    error = assert_error(client.get(V1 + query), 422, "invalid_input")
    assert error["problems"][0]["field"] == field


def test_a_last_event_id_past_64_bits_is_no_overflow(client: TestClient) -> None:
    """The stream's ``Last-Event-ID`` is the client's text: a huge one reads as the end."""
    r = client.get(
        V1 + "/changes/stream",
        params={"seconds": 0.01},
        headers={"Last-Event-ID": str(TOO_BIG * 10)},
    )
    assert r.status_code == 200 and "data:" not in r.text


def _with_lone_surrogate(i: int) -> bytes:
    return json.dumps(report(i)).replace('"notes": "', '"notes": "\\ud800').encode()


def _with_lone_surrogate_key(i: int) -> bytes:
    return json.dumps(report(i)).replace('"notes": "', '"\\udc00": "').encode()


@pytest.mark.parametrize("bad", [_with_lone_surrogate, _with_lone_surrogate_key])
def test_a_lone_surrogate_escape_is_refused_and_stores_nothing(
    client: TestClient, store: Store, bad: Any
) -> None:
    """``"\\ud800"`` is valid JSON but not Unicode: it was a 500 (UnicodeEncodeError while
    hashing the report) on every intake route."""
    good = json.dumps(report(1)).encode()
    error = assert_error(client.post(f"{V1}/reports", content=bad(2), headers=JSON), 400)
    assert "lone surrogate" in error["problems"][0]["reason"]
    array = b"[" + good + b"," + bad(2) + b"]"
    assert_error(client.post(f"{V1}/reports/batch", content=array, headers=JSON), 400)
    body = good + b"\n" + bad(2) + b"\n"
    error = assert_error(client.post(f"{V1}/reports/batch", content=body, headers=NDJSON), 422)
    assert error["problems"][0]["where"] == "line 2"
    assert "lone surrogate" in error["problems"][0]["reason"]
    assert store.count_reports() == 0
    r = client.post(f"{V1}/reports/batch?partial=true", content=body, headers=NDJSON)
    assert (r.json()["added"], r.json()["rejected"]) == (1, 1)
    assert [r.id for r in store.list_reports()] == ["api-1"]


def test_an_escaped_surrogate_pair_is_one_character_and_is_kept(client: TestClient) -> None:
    body = json.dumps(report(1, notes="\U0001f4a5 heard"), ensure_ascii=True).encode()
    assert b"\\ud83d\\udca5" in body
    r = client.post(f"{V1}/reports", content=body, headers=JSON)
    assert r.status_code == 201, r.text
    assert r.json()["report"]["notes"] == "\U0001f4a5 heard"


def test_a_conflict_says_nothing_was_stored_once(client: TestClient) -> None:
    assert client.post(f"{V1}/reports", json=report(1)).status_code == 201
    error = assert_error(client.post(f"{V1}/reports", json=report(1, count=4)), 409, "conflict")
    assert error["message"].count("nothing") == 1, error["message"]


# -- bad input: huge numbers, wrong types, invalid UTF-8, clashing ids --------------------------


def _swap(row: dict[str, Any], field: str, raw: str) -> bytes:
    """``row`` as JSON with ``field``'s value written as the raw JSON text ``raw``."""
    text = json.dumps({**row, field: "@@"})
    return text.replace('"@@"', raw).encode()


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("lon", "1e400"),
        ("lat", "-1e400"),
        ("lon", "1" + "0" * 400),
        ("count", "1" + "0" * 400),
        ("count", str(2**63)),
        ("calibre_mm", "1e400"),
        ("extra_number", "1" + "0" * 400),
        ("id", "7"),
        ("lon", '{"x": 1}'),
        ("lat", "[48.5]"),
        ("count", "3.5"),
        ("observed_from", "1773176400"),
        ("event_type", "null"),
    ],
)
def test_a_huge_number_or_a_wrong_type_is_422_and_stores_nothing(
    client: TestClient, store: Store, field: str, raw: str
) -> None:
    bad = _swap(report(2), field, raw)
    error = assert_error(client.post(f"{V1}/reports", content=bad, headers=JSON), 422)
    assert error["code"] == "invalid_input"
    body = lines([report(1)]) + bad + b"\n"
    assert_error(client.post(f"{V1}/reports/batch", content=body, headers=NDJSON), 422)
    array = b"[" + json.dumps(report(1)).encode() + b"," + bad + b"]"
    assert_error(client.post(f"{V1}/reports/batch", content=array, headers=JSON), 422)
    assert store.count_reports() == 0


def test_invalid_utf8_in_a_json_lines_batch_names_the_line(
    client: TestClient, store: Store
) -> None:
    body = lines([report(1)]) + b'{"id": "caf\xe9"}\n' + lines([report(3)])
    error = assert_error(client.post(f"{V1}/reports/batch", content=body, headers=NDJSON), 422)
    assert error["problems"][0]["where"] == "line 2"
    assert "not valid UTF-8" in error["problems"][0]["reason"]
    assert store.count_reports() == 0


def test_one_id_twice_with_different_content_in_one_batch_stores_nothing(
    client: TestClient, store: Store
) -> None:
    rows = [report(1), report(2), report(1, count=9)]
    for body, headers, where in (
        (lines(rows), NDJSON, "line 3"),
        (json.dumps(rows).encode(), JSON, "item 3"),
    ):
        error = assert_error(client.post(f"{V1}/reports/batch", content=body, headers=headers), 422)
        assert [(p["where"], p["field"]) for p in error["problems"]] == [(where, "id")]
        assert "nothing was stored" in error["message"]
    assert store.count_reports() == 0
    same = client.post(f"{V1}/reports/batch", json=[report(1), report(1)])
    assert (same.json()["added"], same.json()["unchanged"]) == (1, 0), same.text
    assert store.count_reports() == 1
