"""fuse_store: reports -> incidents -> violations -> statuses, re-runs and new agreement versions."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backends import OPERATOR
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.agreement.model import Agreement, Zone
from ceasefire.cli.app import app
from ceasefire.pipeline import fuse_store, ingest_files
from ceasefire.sim import SimConfig, write_simulation
from ceasefire.store.facade import Store

NOW = datetime(2026, 3, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def agreement() -> Agreement:
    return load_agreement(demo_agreement_path())


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short simulated night (3 hours) as a reports file."""
    folder = tmp_path_factory.mktemp("night")
    write_simulation(SimConfig(seed=11, hours=3.0), folder / "r.jsonl", folder / "t.jsonl")
    return folder / "r.jsonl"


@pytest.fixture
def store(db_url: str, night: Path, agreement: Agreement) -> Iterator[Store]:
    opened = Store.open(db_url)
    ingest_files(opened, [night], agreement, now=NOW, entered_by=OPERATOR)
    yield opened
    opened.close()


def test_fuse_store_saves_incidents_violations_and_statuses(
    store: Store, agreement: Agreement
) -> None:
    result = fuse_store(store, [agreement], now=NOW)
    stored = store.list_incidents()
    assert result.incidents == len(stored) == result.created > 0
    assert sum(len(s.incident.report_ids) for s in stored) == result.reports
    assert result.violations == len(store.list_violations()) > 0
    assert set(result.by_status) <= {"reported", "corroborated"}
    for s in stored:
        expected = "corroborated" if s.incident.n_sources >= 2 else "reported"
        assert s.status == expected


def test_fuse_store_again_changes_nothing(store: Store, agreement: Agreement) -> None:
    first = fuse_store(store, [agreement], now=NOW)
    ids = {s.incident_id for s in store.list_incidents()}
    again = fuse_store(store, [agreement], now=NOW + timedelta(hours=1))
    assert (again.created, again.merged, again.updated) == (0, 0, 0)
    assert again.unchanged == first.incidents
    assert {s.incident_id for s in store.list_incidents()} == ids
    assert again.violations_added == again.violations_superseded == 0


def test_new_agreement_version_rejudges_and_keeps_the_old_judgements(
    store: Store, agreement: Agreement
) -> None:
    fuse_store(store, [agreement], now=NOW)
    old = store.list_violations()
    assert any(v.rule == "armed_presence_dmz" for v in old) or any(v.rule == "fire" for v in old)
    # Version 2: no DMZ at all, and fire no longer listed: only withdrawal-zone acts remain.
    v2 = dataclasses.replace(
        agreement,
        version=agreement.version + 1,
        effective_from=agreement.effective_from + timedelta(days=1),
        prohibited_acts=tuple(
            a for a in agreement.prohibited_acts if a.code == "heavy_weapons_in_withdrawal_zone"
        ),
        zones=tuple(z for z in agreement.zones if z.kind != "dmz"),
    )
    assert all(isinstance(z, Zone) for z in v2.zones)
    result = fuse_store(store, [agreement, v2], now=NOW + timedelta(hours=2))
    current = store.list_violations()
    assert {v.agreement_version for v in current} == {v2.version}
    assert {v.rule for v in current} <= {"heavy_weapons_in_withdrawal_zone"}
    assert result.violations_superseded > 0
    everything = store.list_violations(include_superseded=True)
    assert len(everything) == len(current) + result.violations_superseded
    assert {v.agreement_version for v in everything} == {agreement.version, v2.version}


def test_cli_fuse_then_incidents_json_lists_report_ids(db_url: str, night: Path) -> None:
    db = db_url
    runner = CliRunner()
    ingest = runner.invoke(app, ["ingest", str(night), "--db", db])
    assert ingest.exit_code == 0, ingest.output
    fused = runner.invoke(app, ["fuse", "--db", db, "--json"])
    assert fused.exit_code == 0, fused.output
    summary = json.loads(fused.output)
    assert summary["incidents"] > 0 and summary["reports"] > summary["incidents"]
    listed = runner.invoke(app, ["incidents", "--db", db, "--json"])
    assert listed.exit_code == 0, listed.output
    incidents = json.loads(listed.output)
    assert len(incidents) == summary["incidents"]
    assert sum(len(i["report_ids"]) for i in incidents) == summary["reports"]
    text = runner.invoke(app, ["fuse", "--db", db])
    assert text.exit_code == 0 and "unchanged" in text.output


def test_assessed_perpetrator_decides_the_party_on_the_next_run(
    store: Store, agreement: Agreement
) -> None:
    fuse_store(store, [agreement], now=NOW)
    fire = next(v for v in store.list_violations(rule="fire"))
    other = "UA" if fire.party == "RU" else "RU"
    store.set_status(
        fire.incident_id,
        status="verified",
        actor="monitor on duty",
        basis="crater analysis on site",
        at=NOW,
        assessed_perpetrator=other,
        perpetrator_basis="crater_analysis",
        parties=tuple(agreement.parties),
    )
    result = fuse_store(store, [agreement], now=NOW + timedelta(hours=1))
    (now_fire,) = store.list_violations(incident_id=fire.incident_id, rule="fire")
    assert now_fire.party == other and now_fire.facts["party_basis"] == "assessed"
    assert result.violations_superseded >= 1
    assert store.get_incident(fire.incident_id).status == "verified"  # fusion never undoes it


def test_a_bad_stored_report_is_skipped_with_a_warning_not_the_whole_run(
    store: Store, agreement: Agreement, caplog: pytest.LogCaptureFixture
) -> None:
    """A row stored before intake refused such places (or written around it) must not stop
    every later fusion run: it is left out, named, and the rest is fused and judged."""
    from ceasefire.intake.validation import validate_report

    typo = validate_report(
        {
            "id": "typo-lon",
            "submitted_by": "mission",
            "source_kind": "patrol",
            "observed_from": "2026-03-10T21:00:00+00:00",
            "lon": -37.71,
            "lat": 48.5,
            "event_type": "shelling",
        },
        now=NOW,
    )
    store.add_reports(
        [typo], entered_by=OPERATOR
    )  # straight into the store, as an older version let it in
    with caplog.at_level("WARNING", logger="ceasefire"):
        result = fuse_store(store, [agreement], now=NOW)
    assert [(p.where, p.field) for p in result.skipped] == [("report 'typo-lon'", "lon/lat")]
    assert "typo-lon" in caplog.text
    assert result.incidents > 0 and result.violations > 0
    assert all("typo-lon" not in s.incident.report_ids for s in store.list_incidents())
