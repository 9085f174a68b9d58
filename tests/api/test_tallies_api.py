"""``/api/v1/tallies``: a party enters its own account, every role but the public reads both,
the reconciliation counts the strikes the caller may see."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backends import OPERATOR
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.api import create_app
from ceasefire.intake.report import Report
from ceasefire.pipeline import fuse_store, ingest_reports
from ceasefire.store.facade import Store

V1 = "/api/v1"
AGREEMENT = load_agreement(demo_agreement_path())
NOW = datetime(2026, 2, 17, 9, 0, tzinfo=UTC)
USERS = {"UA": ("party", "UA"), "RU": ("party", "RU"), "monitor": ("monitor", None),
         "mediator": ("mediator", None)}  # fmt: skip


def tally(tally_id: str, issuer: str = "UA", **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": tally_id, "issuer": issuer, "attacker": "RU",
        "window_from": "2026-02-16T18:00:00+02:00", "window_to": "2026-02-17T08:00:00+02:00",
        "lines": [{"weapon_class": "drone", "launched": {"min": 360, "max": 399}, "destroyed": 352}],
        "regions": ["Odesa"],
    }  # fmt: skip
    data.update(over)
    return data


class Service:
    def __init__(self, store: Store) -> None:
        self.client = TestClient(create_app(store, AGREEMENT))
        self.headers: dict[str, dict[str, str]] = {"public": {}}
        for name, (role, party) in USERS.items():
            self.headers[name] = {
                "Authorization": f"Bearer {store.add_user(f'u-{name}', role, party)}"
            }

    def post(self, who: str, body: Any) -> Any:
        return self.client.post(f"{V1}/tallies", json=body, headers=self.headers[who])

    def get(self, who: str, path: str, **params: Any) -> Any:
        return self.client.get(f"{V1}{path}", params=params, headers=self.headers[who])


@pytest.fixture
def service(tmp_path) -> Iterator[Service]:
    with Store.open(str(tmp_path / "t.db")) as store:
        # Two strikes on Odesa the night of the tallies: one RU's by UA's claim; one UA's by RU's.
        reports = [
            Report.model_validate(
                {
                    "id": f"s-{i}",
                    "submitted_by": who,
                    "source_kind": "party",
                    "observed_from": "2026-02-17T03:00:00+02:00",
                    "lon": 30.73 + i * 0.05,
                    "lat": 46.48,
                    "uncertainty_m": 300,
                    "event_type": "drone_strike",
                    "claimed_perpetrator": perp,
                },
                context={"now": NOW},
            )
            for i, (who, perp) in enumerate((("UA", "RU"), ("RU", "UA")))
        ]
        ingest_reports(store, reports, AGREEMENT, entered_by=OPERATOR)
        fuse_store(store, [AGREEMENT], now=NOW)
        yield Service(store)


def test_a_party_enters_its_account_and_the_other_reads_it(service: Service) -> None:
    r = service.post("UA", tally("af-1"))
    assert r.status_code == 201, r.text
    assert r.json() == {"stored": ["af-1"], "unchanged": [], "flags": {"af-1": []}}
    assert service.post("UA", tally("af-1")).status_code == 200  # the same again: no-op
    items = service.get("RU", "/tallies").json()["items"]
    assert [(i["tally"]["id"], i["entered"]["by"]) for i in items] == [("af-1", "u-UA")]
    one = service.get("mediator", "/tallies/UA/af-1").json()
    assert one["rates"]["drones"]["interception"] == {"min": round(352 / 399, 4), "max": 0.9778}


def test_refusals_name_the_field_and_store_nothing(service: Service) -> None:
    r = service.post("UA", [tally("af-2"), tally("ru-1", issuer="RU")])
    assert r.status_code == 403 and "its own tallies" in r.text
    r = service.post(
        "UA", [tally("af-2"), tally("af-3", lines=[{"weapon_class": "drone", "lanched": 5}])]
    )
    assert r.status_code == 422
    assert r.json()["error"]["problems"][0]["where"] == "body[1]"
    assert r.json()["error"]["problems"][0]["field"] == "lines[0].lanched"
    assert service.post("public", tally("x")).status_code in (401, 403)
    assert service.get("public", "/tallies").status_code in (401, 403)
    assert service.get("monitor", "/tallies").json()["items"] == []


def test_flags_come_back_and_a_correction_supersedes(service: Service) -> None:
    wrong = tally("af-4", lines=[{"weapon_class": "drone", "launched": 40, "destroyed": 45}])
    r = service.post("UA", wrong)
    assert [f["check"] for f in r.json()["flags"]["af-4"]] == ["conservation"]
    assert service.post("UA", tally("af-4", regions=["Kyiv"])).status_code == 409
    fixed = tally(
        "af-4b",
        supersedes="af-4",
        lines=[{"weapon_class": "drone", "launched": 45, "destroyed": 40}],
    )
    assert service.post("UA", fixed).status_code == 201
    current = service.get("monitor", "/tallies").json()["items"]
    assert [i["tally"]["id"] for i in current] == ["af-4b"]
    every = service.get("monitor", "/tallies", all="true").json()["items"]
    assert {i["tally"]["id"]: i["superseded_by"] for i in every} == {"af-4": "af-4b", "af-4b": None}


def test_the_reconciliation_counts_the_attackers_strikes_the_caller_sees(service: Service) -> None:
    service.post("UA", tally("af-5"))
    service.post(
        "monitor", tally("mod-5", issuer="RU", lines=[{"weapon_class": "drone", "launched": 410}])
    )
    [attack] = service.get("mediator", "/tallies/reconcile").json()["items"]
    assert attack["record"]["strikes"] == 1  # RU's strike only, not the one UA is blamed for
    assert {d["figure"]: d["size"] for d in attack["differences"]}["drones.launched"] == 11
    assert attack["record"]["accounts"]["UA"]["regions_in_both"] == ["Odesa"]
    series = service.get("UA", "/tallies/series").json()["items"]
    assert [s["tally"] for s in series] == ["mod-5", "af-5"]  # one window: by issuer
    assert service.get("UA", "/tallies/series", attacker="UA").json()["items"] == []
    [ua] = service.get("UA", "/tallies/series", issuer="UA", attacker="RU").json()["items"]
    assert ua["tally"] == "af-5" and set(ua["destroyed"]) == {"drones", "missiles"}
