"""The CLI end to end: every command documented, the demo flow, clean errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pyogrio
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from backends import BACKENDS, OPERATOR
from ceasefire import ledger
from ceasefire.cli.app import app
from ceasefire.ledger.notes import Signer
from ceasefire.store.facade import Store

runner = CliRunner()


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, cmd in group.commands.items():
        path = (*prefix, name)
        if isinstance(cmd, click.Group):
            found += _commands(cmd, path)
        else:
            found.append(path)
    return found


ALL_COMMANDS = _commands(get_command(app))  # type: ignore[arg-type]


def test_the_commands_of_the_design_exist() -> None:
    names = {" ".join(c) for c in ALL_COMMANDS}
    for expected in ("demo", "init", "ingest", "reports", "export", "simulate"):
        assert expected in names
    for sub in ("show", "check", "zones"):
        assert f"agreement {sub}" in names


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example: ceasefire " in result.output


def _report(i: int, **change: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": f"cli-{i}",
        "submitted_by": "mission",
        "source_kind": "patrol",
        "source_name": "team 4",
        "observed_from": "2026-03-10T21:00:00+00:00",
        "observed_to": "2026-03-10T21:05:00+00:00",
        "lon": 37.60 + i * 0.01,
        "lat": 48.50,
        "uncertainty_m": 200,
        "event_type": "shelling",
        "weapon_class": "artillery",
        "calibre_mm": 152,
        "count": 3,
        "notes": "Three outgoing rounds heard from the north-east.",
    }
    row.update(change)
    return row


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_ingest_list_and_export(tmp_path: Path, db_url: str) -> None:
    db = db_url
    src = _write_jsonl(tmp_path / "r.jsonl", [_report(i) for i in range(5)])
    result = runner.invoke(app, ["ingest", str(src), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["added"] == 5

    again = runner.invoke(app, ["ingest", str(src), "--db", db, "--json"])
    assert json.loads(again.output) | {"files": None} == {
        "files": None,
        "added": 0,
        "unchanged": 5,
        "skipped": [],
        "bad_rows": 0,
    }

    listed = json.loads(runner.invoke(app, ["reports", "--db", db, "--json"]).output)
    assert listed["total"] == 5
    first = listed["reports"][0]
    assert first["party"] == "UA"  # west of the line at Kostiantynivka's latitude
    assert first["oblast"] == "Donetsk"

    out = tmp_path / "r.geojson"
    exported = runner.invoke(app, ["export", "--db", db, "--format", "geojson", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    # GDAL reads it as it is: five points with their ids and placement facts.
    meta, _, geometry, fields = pyogrio.raw.read(out)
    assert len(geometry) == 5
    ids = fields[list(meta["fields"]).index("id")]
    assert sorted(ids) == [f"cli-{i}" for i in range(5)]


def test_bad_row_stores_nothing_and_names_file_row_field(tmp_path: Path, db_url: str) -> None:
    db = db_url
    src = _write_jsonl(tmp_path / "bad.jsonl", [_report(0), _report(1, lat=91.5), _report(2)])
    result = runner.invoke(app, ["ingest", str(src), "--db", db])
    assert result.exit_code == 1
    assert "bad.jsonl" in result.output and "lat" in result.output
    assert "nothing was stored" in result.output
    listed = json.loads(runner.invoke(app, ["reports", "--db", db, "--json"]).output)
    assert listed["total"] == 0

    partial = runner.invoke(app, ["ingest", str(src), "--db", db, "--skip-invalid", "--json"])
    assert partial.exit_code == 0, partial.output
    body = json.loads(partial.output)
    assert body["added"] == 2 and len(body["skipped"]) == 1 and body["bad_rows"] == 1


def test_ingest_records_the_local_operator_and_keeps_party_codes_to_party_reports(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "operator.db")
    rows = [_report(0), _report(1, submitted_by="UA", source_kind="party")]
    src = _write_jsonl(tmp_path / "r.jsonl", rows)
    result = runner.invoke(app, ["ingest", str(src), "--db", db, "--as", "duty-officer"])
    assert result.exit_code == 0, result.output
    with Store.open(db) as store:
        ledger.sign_checkpoint(store, Signer.generate("ceasefire.test/log"))
        entered = [
            ledger.prove(store, f"cli-{i}")["record"]["record"]["entered_by"] for i in (0, 1)
        ]
    assert entered == [
        {"name": "duty-officer", "role": "admin", "party": None},
        {"name": "duty-officer", "role": "admin", "party": None, "on_behalf_of": "UA"},
    ]
    # A party's code on the mission's patrol is refused from the command line too, naming the row.
    forged = _write_jsonl(tmp_path / "f.jsonl", [_report(2), _report(3, submitted_by="RU")])
    refused = runner.invoke(app, ["ingest", str(forged), "--db", db, "--skip-invalid"])
    assert refused.exit_code == 1
    assert "f.jsonl:row 2: submitted_by" in refused.output, refused.output
    with Store.open(db) as store:
        assert store.count_reports() == 2


def test_agreement_commands() -> None:
    shown = runner.invoke(app, ["agreement", "show", "--json"])
    assert shown.exit_code == 0, shown.output
    assert set(json.loads(shown.output)["parties"]) == {"RU", "UA"}
    zones = runner.invoke(app, ["agreement", "zones", "--json"])
    assert zones.exit_code == 0, zones.output
    assert any(z["zone"] == "dmz" for z in json.loads(zones.output))


def test_agreement_check_fails_on_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["agreement", "check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "nope.yaml" in result.output.replace("\n", "")  # a long path wraps


@pytest.mark.parametrize("backend", BACKENDS)
def test_demo_loads_and_summarises(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result: Any
    if backend == "sqlite":
        # The session's demo (conftest.py) is this very command on an SQLite file.
        result = request.getfixturevalue("demo_run")
    else:
        # With a server database the demo writes its night and keys under ./var: not this repo's.
        monkeypatch.chdir(tmp_path)
        db = request.getfixturevalue("pg_url")
        result = runner.invoke(app, ["demo", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["reports"] > 100
    assert set(summary["by_side"]) <= {"RU", "UA"}
    assert summary["by_zone"].get("dmz", 0) > 0
    # The simulated strikes hit infrastructure and leave people without supply.
    assert summary["harm"]["infrastructure"].get("energy", 0) > 0
    assert summary["harm"]["people_affected"] is not None
    assert summary["harm"]["injured"]["best"] > 0


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_an_export_read_back_is_the_same_reports(tmp_path: Path, db_url: str, fmt: str) -> None:
    """Exports carry placement facts; reading one back must not look like other content."""
    db = db_url
    rows = [_report(i, extra_field=f"kept {i}", team_size=4, tags=["night"]) for i in range(3)]
    observer = _report(3, extra_field="kept 3", lon=None, lat=None, uncertainty_m=50)
    observer.update(
        observer_lon=37.62, observer_lat=48.60, bearing_deg=95, distance_min_m=3000,
        distance_max_m=5000,
    )  # fmt: skip
    rows.append({k: v for k, v in observer.items() if v is not None})
    # Harm: lists and a count interval are written as JSON text in CSV and must read back.
    rows[0].update(infrastructure=["heating", "water"], utilities=["heating"],
                   people_affected={"min": 40_000, "max": 60_000},
                   outage_from="2026-03-10T21:10:00+00:00")  # fmt: skip
    src = _write_jsonl(tmp_path / "r.jsonl", rows)
    assert runner.invoke(app, ["ingest", str(src), "--db", db]).exit_code == 0
    out = tmp_path / f"r.{fmt}"
    runner.invoke(app, ["export", "--db", db, "--format", fmt, "--out", str(out)])
    again = runner.invoke(app, ["ingest", str(out), "--db", db, "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["unchanged"] == 4
    listed = json.loads(runner.invoke(app, ["reports", "--db", db, "--json"]).output)
    assert sorted(r["extra_field"] for r in listed["reports"]) == [f"kept {i}" for i in range(4)]


def test_errors_are_json_when_json_was_asked_for(tmp_path: Path, db_url: str) -> None:
    db = db_url
    src = _write_jsonl(tmp_path / "bad.jsonl", [_report(0, lat=91.5, count=-2)])
    result = runner.invoke(app, ["ingest", str(src), "--db", db, "--json"])
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert {p["field"] for p in body["problems"]} == {"lat", "count"}
    assert all(p["where"] == "bad.jsonl:row 1" for p in body["problems"])
    missing = runner.invoke(app, ["agreement", "show", str(tmp_path / "nope.yaml"), "--json"])
    assert missing.exit_code == 1
    assert "nope.yaml" in json.loads(missing.stdout)["error"]


# -- incidents, decisions, violations ---------------------------------------------------------


def _filled_store(db: str) -> str:
    """Two incidents over three reports, one violation; made through the store API, not fuse.

    INC-000001: r1 (mission patrol "team 4") and u1 (UA): corroborated, breaks fire_in_dmz.
    INC-000002: r2 alone (team 4 again): reported.
    """
    from datetime import UTC, datetime, timedelta

    from ceasefire.intake.report import Report
    from ceasefire.judge.rules import Violation
    from ceasefire.records import Incident
    from ceasefire.store.facade import Store

    t0 = datetime(2026, 3, 10, 21, 0, tzinfo=UTC)

    def report(rid: str, by: str, name: str) -> Report:
        row = _report(0, id=rid, submitted_by=by, source_name=name)
        if by != "mission":
            row["source_kind"] = "party"
        return Report.model_validate(row, context={"check_future": False})

    def incident(
        key: str, ids: tuple[str, ...], sources: tuple[str, ...], minutes: int
    ) -> Incident:
        start = t0 + timedelta(minutes=minutes)
        return Incident(
            key=key, event_type="shelling", group="fire", observed_from=start,
            observed_to=start + timedelta(minutes=5), lon=37.6, lat=48.5, uncertainty_m=300.0,
            place_precision="exact", report_ids=ids, anchor_ids=ids, sources=sources,
            source_kinds=("patrol",), submitters=("mission",), party="UA", side="left",
            distance_m=4200.0, zones=("dmz",), oblast="Donetsk",
        )  # fmt: skip

    with Store.open(db) as store:
        store.add_reports(
            [report("r1", "mission", "team 4"), report("u1", "UA", "UA General Staff"),
             report("r2", "mission", "team 4")], entered_by=OPERATOR
        )  # fmt: skip
        saved = store.save_incidents(
            [
                incident("r1", ("r1", "u1"), ("mission/patrol", "UA/party"), 0),
                incident("r2", ("r2",), ("mission/patrol",), 30),
            ],
            at=t0 + timedelta(hours=1),
        )
        store.save_violations(
            [
                Violation(
                    incident_key="r1", rule="fire_in_dmz", agreement_id="demo",
                    agreement_version=1, party="RU", evidence=("r1", "u1"),
                    facts={"zone": "dmz", "distance_m": 4200.0,
                           "observed_from": t0.isoformat()},
                    description="Fire in the demilitarised zone",
                )
            ],
            incident_ids=saved.ids, judged=list(saved.ids.values()), agreement_id="demo",
            agreement_version=1, at=t0 + timedelta(hours=1),
        )  # fmt: skip
    return db


def test_the_incident_commands_exist() -> None:
    names = {" ".join(c) for c in ALL_COMMANDS}
    assert {"incidents", "incident", "verify", "violations"} <= names


def test_incidents_lists_with_filters_and_json_has_report_ids(db_url: str) -> None:
    db = _filled_store(db_url)
    result = runner.invoke(app, ["incidents", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [i["id"] for i in listed] == ["INC-000001", "INC-000002"]
    assert listed[0]["report_ids"] == ["r1", "u1"]
    assert listed[0]["status"] == "corroborated" and listed[1]["status"] == "reported"

    only = json.loads(
        runner.invoke(app, ["incidents", "--db", db, "--status", "corroborated", "--json"]).output
    )
    assert [i["id"] for i in only] == ["INC-000001"]
    late = runner.invoke(
        app, ["incidents", "--db", db, "--since", "2026-03-10T21:20:00+00:00", "--json"]
    )
    assert [i["id"] for i in json.loads(late.output)] == ["INC-000002"]
    ru = runner.invoke(app, ["incidents", "--db", db, "--party", "RU", "--json"])
    assert [i["id"] for i in json.loads(ru.output)] == ["INC-000001"]  # the violation's party

    table = runner.invoke(app, ["incidents", "--db", db, "--zone", "dmz"])
    assert table.exit_code == 0, table.output
    assert "2 of 2 incident(s)" in table.output and "INC-000002" in table.output

    bad = runner.invoke(app, ["incidents", "--db", db, "--status", "confirmed"])
    assert bad.exit_code == 1 and "status" in bad.output


def test_incident_shows_reports_history_and_violations(db_url: str) -> None:
    db = _filled_store(db_url)
    result = runner.invoke(app, ["incident", "INC-000001", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["incident"]["id"] == "INC-000001"
    assert record["incident"]["report_ids"] == ["r1", "u1"]
    assert [r["id"] for r in record["reports"]] == ["r1", "u1"]
    assert [h["actor"] for h in record["history"]] == ["fusion"]
    assert [v["rule"] for v in record["violations"]] == ["fire_in_dmz"]

    text = runner.invoke(app, ["incident", "INC-000001", "--db", db])
    assert text.exit_code == 0, text.output
    for part in ("INC-000001", "status history:", "fusion", "fire_in_dmz", "u1"):
        assert part in text.output

    missing = runner.invoke(app, ["incident", "INC-000404", "--db", db])
    assert missing.exit_code == 1 and "no incident with id 'INC-000404'" in missing.output


def test_verify_records_the_decision(db_url: str) -> None:
    db = _filled_store(db_url)
    args = ["verify", "INC-000001", "--db", db, "--status", "verified", "--by", "Ben Osei"]
    result = runner.invoke(
        app,
        [*args, "--basis", "craters seen on site", "--perpetrator", "RU",
         "--perpetrator-basis", "crater_analysis", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    change = json.loads(result.output)
    assert (change["from_status"], change["to_status"], change["actor"]) == (
        "corroborated",
        "verified",
        "Ben Osei",
    )
    assert change["assessed_perpetrator"] == "RU" and change["automatic"] is False

    text = runner.invoke(app, ["verify", "INC-000002", "--db", db, "--status", "disputed",
                               "--by", "Ben Osei", "--basis", "no crater found"])  # fmt: skip
    assert text.exit_code == 0, text.output
    assert "INC-000002: reported -> disputed by Ben Osei" in text.output

    listed = json.loads(runner.invoke(app, ["incidents", "--db", db, "--json"]).output)
    assert [i["status"] for i in listed] == ["verified", "disputed"]
    assert listed[0]["assessed_perpetrator"] == "RU"


def test_verify_refuses_four_eyes_and_bad_input_with_exit_1(db_url: str) -> None:
    db = _filled_store(db_url)
    own = ["verify", "INC-000002", "--db", db, "--status", "verified", "--basis", "I saw it"]
    # Four eyes by identity: who entered the only report (the store recorded OPERATOR).
    refused = runner.invoke(app, [*own, "--by", OPERATOR.name.upper()])
    assert refused.exit_code == 1
    assert "may not verify incident INC-000002" in refused.output
    assert "own report" in refused.output
    as_json = runner.invoke(app, [*own, "--by", OPERATOR.name, "--json"])
    assert as_json.exit_code == 1
    assert "own report" in json.loads(as_json.stdout)["error"]

    unknown = runner.invoke(app, [*own, "--by", "Ben", "--perpetrator", "XX",
                                  "--perpetrator-basis", "claim"])  # fmt: skip
    assert unknown.exit_code == 1
    assert "assessed_perpetrator: unknown party 'XX'" in unknown.output
    automatic = runner.invoke(app, ["verify", "INC-000002", "--db", db, "--status",
                                    "corroborated", "--basis", "x", "--by", "Ben"])  # fmt: skip
    assert automatic.exit_code == 1 and "set by fusion" in automatic.output

    listed = json.loads(runner.invoke(app, ["incidents", "--db", db, "--json"]).output)
    assert listed[1]["status"] == "reported"  # nothing written


def test_violations_lists_with_filters(db_url: str) -> None:
    db = _filled_store(db_url)
    result = runner.invoke(app, ["violations", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [(v["incident_id"], v["rule"], v["party"]) for v in listed] == [
        ("INC-000001", "fire_in_dmz", "RU")
    ]
    assert listed[0]["evidence"] == ["r1", "u1"] and listed[0]["superseded_at"] is None
    for extra in (["--party", "UA"], ["--incident", "INC-000002"], ["--rule", "other"]):
        none = runner.invoke(app, ["violations", "--db", db, *extra, "--json"])
        assert json.loads(none.output) == [], extra
    table = runner.invoke(app, ["violations", "--db", db, "--all"])
    assert table.exit_code == 0, table.output
    assert "1 of 1 violation(s)" in table.output and "fire_in_dmz" in table.output


READERS = [
    ["serve"],
    ["ledger", "verify"],
    ["reports"],
    ["incidents"],
    ["violations"],
    ["export", "--out", "x.geojson"],
    ["hotline", "metrics"],
    ["users", "list"],
    ["fuse"],
]


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_a_command_on_a_mistyped_database_path_refuses_and_creates_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    # `ledger verify` on an empty store it had just made answered "ok: 0 entries"; `serve`
    # started a new, empty log and signed it with the real key.
    typo = tmp_path / "monitorng.db"
    result = runner.invoke(app, [*command, "--db", str(typo)])
    assert result.exit_code == 1, result.output
    assert "no database at" in result.output
    assert not typo.exists()


def test_serve_refuses_an_empty_database_unless_told_to_create_one(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    result = runner.invoke(app, ["serve", "--db", str(empty)])
    assert result.exit_code == 1 and "holds no ceasefire store" in result.output
    assert empty.stat().st_size == 0


def test_ingest_refuses_a_report_over_the_size_limit_naming_file_and_row(
    tmp_path: Path, db_url: str
) -> None:
    from ceasefire.cli._common import MAX_REPORT_KB
    from ceasefire.intake.files import MAX_REPORT_BYTES

    assert MAX_REPORT_KB * 1024 == MAX_REPORT_BYTES  # the option's default is the library's
    db = db_url
    rows = [_report(0), _report(1, notes="x" * 3000), _report(2)]
    src = _write_jsonl(tmp_path / "big.jsonl", rows)
    csv_src = tmp_path / "big.csv"
    csv_src.write_text(
        "id,submitted_by,source_kind,observed_from,lon,lat,event_type,notes\n"
        "c-1,mission,patrol,2026-03-10T21:00:00+00:00,37.6,48.5,shelling,ok\n"
        f"c-2,mission,patrol,2026-03-10T21:00:00+00:00,37.6,48.5,shelling,{'y' * 3000}\n",
        encoding="utf-8",
    )
    for path, where in ((src, "big.jsonl:row 2"), (csv_src, "big.csv:row 3")):
        result = runner.invoke(app, ["ingest", str(path), "--db", db, "--max-report-kb", "2"])
        assert result.exit_code == 1, result.output
        text = result.output.replace("\n", "")
        assert f"{where}: one report may be at most 2,048 bytes" in text, text
        assert "nothing was stored" in text
    listed = json.loads(runner.invoke(app, ["reports", "--db", db, "--json"]).output)
    assert listed["total"] == 0
    assert runner.invoke(app, ["ingest", str(src), "--db", db]).exit_code == 0  # 256 KiB default


def test_a_demo_database_holding_users_is_never_deleted_silently(
    demo_dir: Path, tmp_path: Path
) -> None:
    from backends import copy_sqlite
    from ceasefire.errors import ConflictError
    from ceasefire.sim.demo import run_demo
    from ceasefire.store.facade import Store

    db = copy_sqlite(demo_dir / "demo.db", tmp_path)
    with Store.open(db) as store:
        token = store.add_user("liaison-ua", "party", "UA")
    # A re-run of the demo (make run, twice) would have deleted the user and its token.
    refused = runner.invoke(app, ["demo", "--db", str(db)])
    assert refused.exit_code == 1, refused.output
    text = refused.output.replace("\n", " ")
    assert "holds 1 user(s) and their tokens (liaison-ua)" in text and "--keep" in text
    with pytest.raises(ConflictError, match="liaison-ua"):
        run_demo(str(db))
    # make run: `ceasefire demo --keep`, then serve: the database as it was, loudly.
    kept = runner.invoke(app, ["demo", "--db", str(db), "--keep"])
    assert kept.exit_code == 0, kept.output
    assert "kept" in kept.output and "liaison-ua" in kept.output
    with Store.open(db, create=False) as store:
        found = store.principal_for_token(token)
        assert found is not None and found.name == "liaison-ua"
    both = runner.invoke(app, ["demo", "--db", str(db), "--keep", "--replace"])
    assert both.exit_code == 1 and "not both" in both.output


def test_harm_rolls_up_what_fusion_combined(tmp_path: Path, db_url: str) -> None:
    """Three sources tell one strike: casualties and people affected are combined, not summed
    (ingest -> fuse -> harm, as an operator runs them)."""
    db = db_url
    harm = {"event_type": "drone_strike", "weapon_class": "long_range_drone", "count": None}
    rows = [
        _report(0, **harm, injured=3, infrastructure="energy",
                people_affected={"min": 4_000, "max": 6_000},
                outage_from="2026-03-10T21:10:00+00:00", utilities=["electricity"]),
        _report(0, **harm, id="cli-uav", source_kind="uav", source_name="uav 2", injured=5,
                infrastructure=["heating", "energy"], people_affected=5_000),
        _report(0, **harm, id="cli-news", source_kind="osint", source_name="news",
                submitted_by="news", injured=9),
    ]  # fmt: skip
    rows = [{k: v for k, v in r.items() if v is not None} for r in rows]
    src = _write_jsonl(tmp_path / "strike.jsonl", rows)
    assert runner.invoke(app, ["ingest", str(src), "--db", db]).exit_code == 0
    assert runner.invoke(app, ["fuse", "--db", db]).exit_code == 0
    result = runner.invoke(app, ["harm", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    (donetsk,) = got["groups"]
    assert donetsk["key"] == "Donetsk" and donetsk["incidents"] == 1
    assert donetsk["injured"] == {"low": 3, "best": 5, "high": 9}
    assert donetsk["infrastructure"] == {"energy": 1, "heating": 1}
    assert donetsk["people_affected"] == {"min": 4_000, "max": 6_000}
    by_day = json.loads(runner.invoke(app, ["harm", "--db", db, "--by", "day", "--json"]).output)
    assert [g["key"] for g in by_day["groups"]] == ["2026-03-10"]
    table = runner.invoke(app, ["harm", "--db", db])
    assert table.exit_code == 0, table.output
    assert "4,000-6,000" in table.output and "5 (3-9)" in table.output
    verified = runner.invoke(app, ["harm", "--db", db, "--status", "verified", "--json"])
    assert json.loads(verified.output)["total"]["incidents"] == 0  # nobody verified it yet
    bad = runner.invoke(app, ["harm", "--db", db, "--by", "party"])
    assert bad.exit_code == 1 and "--by" in bad.output
    shown = runner.invoke(app, ["incident", "INC-000001", "--db", db])
    assert "harm       5 injured (3-9); energy, heating hit; 4,000-6,000 people without" in (
        " ".join(shown.output.split("\n"))
    )
