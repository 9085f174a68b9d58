"""``ceasefire tallies``: list, show, check and reconcile a night, as a table and as JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from backends import OPERATOR
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.cli.app import app
from ceasefire.intake.report import Report
from ceasefire.pipeline import fuse_store, ingest_reports
from ceasefire.store.facade import Store
from ceasefire.tallies.model import read_tally

runner = CliRunner()
NOW = datetime(2026, 2, 17, 9, 0, tzinfo=UTC)
AGREEMENT = load_agreement(demo_agreement_path())
#: Odesa, Kyiv and Kharkiv, where the drones of the night struck (lon, lat).
CITIES = {"odesa": (30.73, 46.48), "kyiv": (30.52, 50.45), "kharkiv": (36.23, 49.99)}


def strike(i: int, city: str, hour: int) -> Report:
    lon, lat = CITIES[city]
    data = {"id": f"strike-{i}", "submitted_by": "UA", "source_kind": "party",
            "observed_from": f"2026-02-17T{hour:02d}:10:00+02:00", "lon": lon, "lat": lat,
            "uncertainty_m": 500, "event_type": "drone_strike", "claimed_perpetrator": "RU"}  # fmt: skip
    return Report.model_validate(data, context={"now": NOW})


def tally(tally_id: str, issuer: str, lines: list[dict[str, Any]], **over: Any):
    data = {"id": tally_id, "issuer": issuer, "attacker": "RU",
            "window_from": "2026-02-16T18:00:00+02:00", "window_to": "2026-02-17T08:00:00+02:00",
            "lines": lines}  # fmt: skip
    data.update(over)
    return read_tally(data)


@pytest.fixture
def db(tmp_path) -> Iterator[str]:
    path = str(tmp_path / "night.db")
    with Store.open(path) as store:
        reports = [strike(1, "odesa", 2), strike(2, "odesa", 4), strike(3, "kharkiv", 5)]
        ingest_reports(store, reports, AGREEMENT, entered_by=OPERATOR)
        fuse_store(store, [AGREEMENT], now=NOW)
        ua = tally("af-0217", "UA",
                   [{"weapon_class": "drone", "launched": {"min": 360, "max": 399}, "destroyed": 352},
                    {"weapon_class": "cruise_missile", "model": "Kh-101", "launched": 29,
                     "destroyed": 25, "hit": 4}],
                   regions=["Odesa", "Kyiv"], locations_hit=17, injured=9)  # fmt: skip
        ru = tally("mod-0217", "RU", [{"weapon_class": "drone", "launched": 410}])
        bad = tally("af-0210", "UA", [{"weapon_class": "drone", "launched": 40, "destroyed": 45}],
                    window_from="2026-02-09T18:00:00+02:00", window_to="2026-02-10T08:00:00+02:00")  # fmt: skip
        store.add_tallies([ua, ru, bad], by=OPERATOR, at=NOW)
    yield path


def run(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_list_shows_both_accounts_of_the_night_and_the_flagged_one(db: str) -> None:
    rows = json.loads(run("tallies", "list", "--db", db, "--json"))
    assert [(r["tally"]["issuer"], r["tally"]["id"]) for r in rows] == [
        ("UA", "af-0210"), ("RU", "mod-0217"), ("UA", "af-0217"),
    ]  # fmt: skip
    assert [f["check"] for f in rows[0]["flags"]] == ["conservation"]
    text = run("tallies", "list", "--db", db, "--since", "2026-02-16T12:00:00+00:00")
    assert "af-0217" in text and "af-0210" not in text and "360-399/352" in text


def test_show_gives_lines_rates_and_who_entered_it(db: str) -> None:
    body = json.loads(run("tallies", "show", "UA", "af-0217", "--db", db, "--json"))
    assert body["entered"]["by"] == OPERATOR.name
    assert body["rates"]["missiles"]["hit"] == {"min": round(4 / 29, 4), "max": round(4 / 29, 4)}
    text = run("tallies", "show", "UA", "af-0217", "--db", db)
    assert "Kh-101" in text and "injured: 9" in text


def test_check_lists_what_does_not_add_up(db: str) -> None:
    found = json.loads(run("tallies", "check", "--db", db, "--json"))
    assert [(f["tally"], f["check"], f["size"]) for f in found] == [("af-0210", "conservation", 5)]


def test_reconcile_sets_the_accounts_side_by_side_and_against_the_record(db: str) -> None:
    [attack] = json.loads(
        run("tallies", "reconcile", "--db", db, "--since", "2026-02-16T12:00:00+00:00", "--json")
    )
    diffs = {(d["figure"], d["a"], d["b"]): d for d in attack["differences"]}
    assert diffs[("drones.launched", "RU", "UA")]["size"] == 11
    record = attack["record"]
    assert record["strikes"] == 3
    assert record["by_oblast"] == {"Kharkiv": 1, "Odesa": 2}
    assert record["accounts"]["UA"]["regions_only_in_record"] == ["Kharkiv"]
    assert record["accounts"]["UA"]["regions_only_in_account"] == ["Kyiv"]
    text = run("tallies", "reconcile", "--db", db, "--since", "2026-02-16T12:00:00+00:00")
    assert "drones.launched" in text and "3 strike incident(s)" in text


def test_ingest_reads_files_all_or_nothing_and_export_reads_back(db: str, tmp_path) -> None:
    exported = tmp_path / "all.csv"
    run("tallies", "export", "--db", db, "--format", "csv", "--all", "-o", str(exported))
    jsonl = run("tallies", "export", "--db", db)
    assert len(jsonl.splitlines()) == 3
    other = str(tmp_path / "other.db")
    done = json.loads(run("tallies", "ingest", str(exported), "--db", other, "--json"))
    assert sorted(done["stored"]) == ["af-0210", "af-0217", "mod-0217"]
    assert [f["check"] for f in done["flags"]["af-0210"]] == ["conservation"]
    again = json.loads(run("tallies", "ingest", str(exported), "--db", other, "--json"))
    assert again["stored"] == [] and len(again["unchanged"]) == 3
    with Store.open(db, create=False) as a, Store.open(other, create=False) as b:
        assert [s.tally for s in a.tallies(by=OPERATOR)] == [
            s.tally for s in b.tallies(by=OPERATOR)
        ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        jsonl.replace('"lines": [', '"lines": [{"weapon_class": "drone", "lanched": 1}, ', 1)
    )
    result = runner.invoke(app, ["tallies", "ingest", str(bad), "--db", str(tmp_path / "third.db")])
    assert result.exit_code == 1 and "lanched" in result.output


def test_a_community_file_edited_upstream_becomes_a_new_version(tmp_path) -> None:
    fixture = Path(__file__).parents[1] / "data" / "community_missile_attacks_daily.csv"
    db = str(tmp_path / "c.db")
    first = json.loads(run("tallies", "ingest", "--community", str(fixture), "--db", db, "--json"))
    assert first["stored"] and not first["unchanged"]
    same = json.loads(run("tallies", "ingest", "--community", str(fixture), "--db", db, "--json"))
    assert same["stored"] == []
    # One figure of the first data row edited in place, as the data set's history is edited.
    with fixture.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rows[0]["launched"] = str(int(rows[0]["launched"]) + 1)
    edited = tmp_path / "edited.csv"
    with edited.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    then = json.loads(run("tallies", "ingest", "--community", str(edited), "--db", db, "--json"))
    assert len(then["stored"]) == 1
    with Store.open(db, create=False) as store:
        [new] = [
            s
            for s in store.tallies(by=OPERATOR, current_only=False)
            if s.tally.id == then["stored"][0]
        ]
        assert new.tally.supersedes is not None
        assert store.tally("UA", new.tally.supersedes, by=OPERATOR).superseded_by == new.tally.id
