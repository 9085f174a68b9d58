"""The CLI end to end: every command documented, the demo flow, clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pyogrio
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from ceasefire.cli import app

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


def test_ingest_list_and_export(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
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


def test_bad_row_stores_nothing_and_names_file_row_field(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
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
    assert "nope.yaml" in result.output


def test_demo_loads_and_summarises(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    result = runner.invoke(app, ["demo", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["reports"] > 100
    assert set(summary["by_side"]) <= {"RU", "UA"}
    assert summary["by_zone"].get("dmz", 0) > 0


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_an_export_read_back_is_the_same_reports(tmp_path: Path, fmt: str) -> None:
    """Exports carry placement facts; reading one back must not look like other content."""
    db = str(tmp_path / "t.db")
    rows = [_report(i, extra_field=f"kept {i}", team_size=4, tags=["night"]) for i in range(3)]
    observer = _report(3, extra_field="kept 3", lon=None, lat=None, uncertainty_m=50)
    observer.update(
        observer_lon=37.62, observer_lat=48.60, bearing_deg=95, distance_min_m=3000,
        distance_max_m=5000,
    )  # fmt: skip
    rows.append({k: v for k, v in observer.items() if v is not None})
    src = _write_jsonl(tmp_path / "r.jsonl", rows)
    assert runner.invoke(app, ["ingest", str(src), "--db", db]).exit_code == 0
    out = tmp_path / f"r.{fmt}"
    runner.invoke(app, ["export", "--db", db, "--format", fmt, "--out", str(out)])
    again = runner.invoke(app, ["ingest", str(out), "--db", db, "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["unchanged"] == 4
    listed = json.loads(runner.invoke(app, ["reports", "--db", db, "--json"]).output)
    assert sorted(r["extra_field"] for r in listed["reports"]) == [f"kept {i}" for i in range(4)]


def test_errors_are_json_when_json_was_asked_for(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    src = _write_jsonl(tmp_path / "bad.jsonl", [_report(0, lat=91.5, count=-2)])
    result = runner.invoke(app, ["ingest", str(src), "--db", db, "--json"])
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert {p["field"] for p in body["problems"]} == {"lat", "count"}
    assert all(p["where"] == "bad.jsonl:row 1" for p in body["problems"])
    missing = runner.invoke(app, ["agreement", "show", str(tmp_path / "nope.yaml"), "--json"])
    assert missing.exit_code == 1
    assert "nope.yaml" in json.loads(missing.stdout)["error"]
