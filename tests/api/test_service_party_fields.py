"""A report's party fields name parties of the agreement, and a party may require signed
reports: the same checks on every way in (one report, a JSON array, JSON Lines, GeoJSON and
CSV files through ``ceasefire ingest``), in the store's one writer."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_service import AGREEMENT, NDJSON, V1, assert_error, bearer, lines, report
from typer.testing import CliRunner

from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.agreement.model import Agreement
from ceasefire.api import create_app
from ceasefire.cli.app import app
from ceasefire.geo.engine import GeoEngine
from ceasefire.intake.report import Report
from ceasefire.intake.signing import sign_report
from ceasefire.ledger.notes import Signer
from ceasefire.store.facade import Store

UA_KEY = Signer.generate("UA-intake")


def _ua(i: int, **change: Any) -> dict[str, Any]:
    return report(i, **({"submitted_by": "UA", "source_kind": "party"} | change))


@pytest.fixture
def service(tmp_path: Path, engine: GeoEngine) -> Iterator[tuple[Store, TestClient]]:
    with Store.open(tmp_path / "parties.db") as store:
        yield store, TestClient(create_app(store, AGREEMENT, engine=engine))


# -- claimed_perpetrator and the other party fields ----------------------------------------------


def test_an_alias_is_stored_as_its_code_and_resubmits_as_the_same_report(
    service: tuple[Store, TestClient],
) -> None:
    store, client = service
    ua = bearer(store, "ua-officer", "party", "UA")
    r = client.post(
        f"{V1}/reports", json=_ua(1, claimed_perpetrator=" russian forces "), headers=ua
    )
    assert r.status_code == 201, r.text
    # The answer shows the report as stored, and the store holds the code.
    assert r.json()["report"]["claimed_perpetrator"] == "RU"
    assert store.get_report("UA:api-1").claimed_perpetrator == "RU"
    # Another spelling of the same party is the same report: a no-op, not a conflict.
    again = client.post(f"{V1}/reports", json=_ua(1, claimed_perpetrator="RU"), headers=ua)
    assert again.status_code == 200, again.text
    batch = client.post(
        f"{V1}/reports/batch",
        content=lines([_ua(2, claimed_perpetrator="Russia"), _ua(1, claimed_perpetrator="russia")]),
        headers=ua | NDJSON,
    )
    assert batch.json() | {"problems": []} == {
        "added": 1, "unchanged": 1, "rejected": 0, "problems": []
    }  # fmt: skip
    assert store.get_report("UA:api-2").claimed_perpetrator == "RU"


FREE_TEXT = ("the occupiers", "Rusia", "mission", "RU, UA")


@pytest.mark.parametrize("who", FREE_TEXT)
def test_free_text_for_a_party_is_refused_on_every_way_in(
    service: tuple[Store, TestClient], who: str
) -> None:
    store, client = service
    monitor = bearer(store, "monitor-3", "monitor")
    bad = report(9, claimed_perpetrator=who)
    single = client.post(f"{V1}/reports", json=bad, headers=monitor)
    error = assert_error(single, 422, "invalid_input")
    (problem,) = error["problems"]
    assert (problem["where"], problem["field"]) == ("body", "claimed_perpetrator")
    assert (
        repr(who) in problem["reason"] and "RU" in problem["reason"] and "UA" in problem["reason"]
    )
    for kind, body, where in (
        ("application/json", json.dumps([report(8), bad]).encode(), "item 2"),
        ("application/x-ndjson", lines([report(8), bad]), "line 2"),
    ):
        r = client.post(
            f"{V1}/reports/batch", content=body, headers=monitor | {"Content-Type": kind}
        )
        (problem,) = assert_error(r, 422, "invalid_input")["problems"]
        assert (problem["where"], problem["field"]) == (where, "claimed_perpetrator")
    # Nothing of any batch was stored.
    assert store.count_reports() == 0


def test_a_partial_batch_skips_a_report_naming_no_party(service: tuple[Store, TestClient]) -> None:
    store, client = service
    monitor = bearer(store, "monitor-3", "monitor")
    r = client.post(
        f"{V1}/reports/batch?partial=true",
        content=lines([report(1), report(2, claimed_perpetrator="somebody"), report(3)]),
        headers=monitor | NDJSON,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["added"], body["rejected"]) == (2, 1)
    assert [(p["where"], p["field"]) for p in body["problems"]] == [
        ("line 2", "claimed_perpetrator")
    ]
    assert sorted(r.id for r in store.list_reports()) == ["api-1", "api-3"]


def test_an_alias_is_no_other_source_kind_s_submitter(service: tuple[Store, TestClient]) -> None:
    store, client = service
    monitor = bearer(store, "monitor-3", "monitor")
    # "Ukraine" is a name of UA: a news item in its name would be one more UA source.
    r = client.post(
        f"{V1}/reports",
        json=report(4, submitted_by="Ukraine", source_kind="osint"),
        headers=monitor,
    )
    assert "submitted_by" in assert_error(r, 403, "forbidden")["message"]


def test_a_signed_report_must_name_the_party_by_its_code(
    service: tuple[Store, TestClient],
) -> None:
    store, client = service
    store.trust_key(UA_KEY.verifier(), "UA")
    ua = bearer(store, "ua-officer", "party", "UA")
    signed = sign_report(Report.model_validate(_ua(5, claimed_perpetrator="Russia")), UA_KEY)
    r = client.post(f"{V1}/reports", json=signed.to_dict(), headers=ua)
    (problem,) = assert_error(r, 422, "invalid_input")["problems"]
    assert problem["field"] == "claimed_perpetrator" and "by its code" in problem["reason"]
    good = sign_report(Report.model_validate(_ua(5, claimed_perpetrator="RU")), UA_KEY)
    assert client.post(f"{V1}/reports", json=good.to_dict(), headers=ua).status_code == 201


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    names = sorted({k for r in rows for k in r})
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)


def _write_geojson(path: Path, rows: list[dict[str, Any]]) -> None:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
            "properties": {k: v for k, v in r.items() if k not in ("lon", "lat")},
        }
        for r in rows
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "geojson"])
def test_ingest_files_check_party_fields(tmp_path: Path, suffix: str) -> None:
    runner = CliRunner()
    db = str(tmp_path / "ingest.db")
    rows = [report(1, claimed_perpetrator="Russia"), report(2, claimed_perpetrator="Moscow")]
    path = tmp_path / f"night.{suffix}"
    {"jsonl": lambda p, r: p.write_bytes(lines(r)), "csv": _write_csv, "geojson": _write_geojson}[
        suffix
    ](path, rows)
    refused = runner.invoke(app, ["ingest", str(path), "--db", db])
    assert refused.exit_code == 1
    row = {"jsonl": "row 2", "csv": "row 3", "geojson": "feature 2"}[suffix]  # CSV: header
    assert f"night.{suffix}:{row}: claimed_perpetrator: 'Moscow' names no party" in refused.output
    assert "nothing was stored" in refused.output
    kept = runner.invoke(app, ["ingest", str(path), "--db", db, "--skip-invalid", "--json"])
    assert kept.exit_code == 0, kept.output
    assert json.loads(kept.output)["added"] == 1  # so the refused ingest stored nothing
    with Store.open(db) as store:
        assert store.get_report("api-1").claimed_perpetrator == "RU"


# -- a party that requires signed reports --------------------------------------------------------


@pytest.fixture(scope="module")
def signed_only(tmp_path_factory: pytest.TempPathFactory) -> Agreement:
    """The demo agreement with UA requiring every report in its name to be signed."""
    folder = tmp_path_factory.mktemp("signed-only")
    demo = demo_agreement_path()
    for item in demo.parent.iterdir():
        (folder / item.name).write_bytes(item.read_bytes())
    text = (folder / "agreement.yaml").read_text()
    ua = "  UA:\n    name: Ukraine\n"
    assert ua in text
    (folder / "agreement.yaml").write_text(
        text.replace(ua, ua + "    require_signed_reports: true\n")
    )
    agreement = load_agreement(folder / "agreement.yaml")
    assert agreement.signed_parties == {"UA"}
    return agreement


@pytest.fixture(scope="module")
def signed_engine(signed_only: Agreement) -> GeoEngine:
    return GeoEngine(signed_only)


def test_a_party_requiring_signatures_gets_no_unsigned_report_over_the_api(
    tmp_path: Path, signed_only: Agreement, signed_engine: GeoEngine
) -> None:
    with Store.open(tmp_path / "signed.db") as store:
        store.trust_key(UA_KEY.verifier(), "UA")
        client = TestClient(create_app(store, signed_only, engine=signed_engine))
        ua = bearer(store, "ua-officer", "party", "UA")
        monitor = bearer(store, "monitor-3", "monitor")
        for who in (ua, monitor):  # a monitor entering it on UA's behalf too
            r = client.post(f"{V1}/reports", json=_ua(1), headers=who)
            (problem,) = assert_error(r, 422, "invalid_input")["problems"]
            assert problem["field"] == "signature"
            assert "UA requires every report in its name to be signed" in problem["reason"]
            r = client.post(f"{V1}/reports/batch", content=lines([_ua(2)]), headers=who | NDJSON)
            assert assert_error(r, 422, "invalid_input")["problems"][0]["field"] == "signature"
        assert store.count_reports() == 0
        signed = sign_report(Report.model_validate(_ua(3, claimed_perpetrator="RU")), UA_KEY)
        assert client.post(f"{V1}/reports", json=signed.to_dict(), headers=ua).status_code == 201
        batch = [sign_report(Report.model_validate(_ua(4)), UA_KEY).to_dict()]
        r = client.post(f"{V1}/reports/batch", content=lines(batch), headers=ua | NDJSON)
        assert r.json()["added"] == 1, r.text
        # Other parties' and the mission's reports need no signature.
        assert client.post(f"{V1}/reports", json=report(5), headers=monitor).status_code == 201
        ru = bearer(store, "ru-officer", "party", "RU")
        assert (
            client.post(
                f"{V1}/reports", json=report(6, submitted_by="RU", source_kind="party"), headers=ru
            ).status_code
            == 201
        )
        assert store.count_reports() == 4


def test_a_party_requiring_signatures_gets_no_unsigned_report_from_ingest(
    tmp_path: Path, signed_only: Agreement
) -> None:
    runner = CliRunner()
    db = str(tmp_path / "signed-ingest.db")
    agreement = str(signed_only.source)
    key = tmp_path / "ua.key"
    assert runner.invoke(app, ["ledger", "keygen", "UA-desk", "--out", str(key)]).exit_code == 0
    trusted = runner.invoke(app, ["ledger", "trust", f"{key}.pub", "--party", "UA", "--db", db])
    assert trusted.exit_code == 0, trusted.output
    plain = tmp_path / "complaints.jsonl"
    plain.write_bytes(lines([_ua(1), _ua(2)]))
    refused = runner.invoke(app, ["ingest", str(plain), "--db", db, "--agreement", agreement])
    assert refused.exit_code == 1
    assert "api-1: signature: missing: UA requires every report" in refused.output
    signed = tmp_path / "signed.jsonl"
    made = runner.invoke(
        app, ["ledger", "sign-reports", str(plain), "--key", str(key), "--out", str(signed)]
    )
    assert made.exit_code == 0, made.output
    accepted = runner.invoke(
        app, ["ingest", str(signed), "--db", db, "--agreement", agreement, "--json"]
    )
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(accepted.output)["added"] == 2
