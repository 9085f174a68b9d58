"""``ceasefire extract``: proposals per text (a listing, --json), files that are not UTF-8, and
--ingest: an osint report and a strike tally per accepted event, once, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from backends import OPERATOR
from ceasefire.cli.app import app
from ceasefire.extract.accepted import record_id, text_sha256
from ceasefire.store.facade import Store
from proposals import AIR_ATTACK, PUBLISHED

runner = CliRunner()
NIGHT = ("--published", PUBLISHED.isoformat())


def _write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def _json(args: list[str], stdin: str | None = None) -> Any:
    result = runner.invoke(app, ["extract", *args, "--json"], input=stdin)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_gives_each_texts_source_date_hash_and_events(tmp_path: Path) -> None:
    one = _write(tmp_path, "one.txt", "\ufeff" + AIR_ATTACK)  # a byte-order mark is fine
    two = _write(tmp_path, "two.txt", "No figures in this text at all.")
    got = _json([str(one), str(two), *NIGHT])
    assert [g["source"] for g in got] == ["one.txt", "two.txt"]
    assert {g["published"] for g in got} == {"2026-02-17"}
    assert got[0]["sha256"] == text_sha256(AIR_ATTACK)  # of the text, without its mark
    for g in got:
        assert set(g) >= {"source", "published", "events", "sha256", "proposal"}
        assert isinstance(g["events"], list)
    assert got[1]["events"] == []
    named = _json([str(two), "--source", "Reuters"])
    assert (named[0]["source"], named[0]["published"]) == ("Reuters", None)


def test_stdin_is_read_for_a_dash() -> None:
    [got] = _json(["-"], stdin="A quiet night on the line.")
    assert got["source"] is None and got["sha256"] == text_sha256("A quiet night on the line.")


def test_a_file_in_another_encoding_or_missing_is_refused_naming_it(tmp_path: Path) -> None:
    latin = _write(tmp_path, "cp1251.txt", "Харків: вибухи", encoding="cp1251")
    result = runner.invoke(app, ["extract", str(latin)])
    assert result.exit_code == 1
    assert f"{latin}: is not UTF-8 text (byte 0x" in result.output
    gone = runner.invoke(app, ["extract", str(tmp_path / "gone.txt"), "--json"])
    assert gone.exit_code == 1
    assert json.loads(gone.stdout)["problems"][0]["where"] == str(tmp_path / "gone.txt")
    bad = runner.invoke(app, ["extract", str(latin), "--published", "17.02.2026"])
    assert "--published: must be a date YYYY-MM-DD" in bad.output
    lone = runner.invoke(app, ["extract", str(latin), "--event", "0"])
    assert "--event: picks events to store: give --ingest" in lone.output


def test_help_says_relative_dates_stay_null_without_published() -> None:
    result = runner.invoke(app, ["extract", "--help"])
    assert "Without it they stay null" in " ".join(result.output.split())


def test_ingest_stores_a_report_and_a_tally_once(tmp_path: Path, db_url: str) -> None:
    text = _write(tmp_path, "kharkiv.txt", AIR_ATTACK)
    args = [str(text), *NIGHT, "--source", "Air Force", "--ingest", "--db", db_url, "--as", "desk"]
    first = _json(args)
    rid = record_id(text_sha256(AIR_ATTACK), 0)
    assert first[0]["stored"]["reports"] == {"stored": [rid], "unchanged": []}
    assert first[0]["stored"]["tallies"] == {"stored": [rid], "unchanged": []}
    with Store.open(db_url) as store:
        size = store.ledger_state().size
        report = store.get_report(rid)
        assert report.source_kind == "osint" and report.source_name == "Air Force"
        assert report.extra["extracted"]["text_sha256"] == text_sha256(AIR_ATTACK)
        [tally] = store.tallies(by=OPERATOR, issuer="mission")
        assert tally.entered_by == "desk"
    again = _json(args)  # the same text accepted twice stores nothing new
    assert again[0]["stored"]["reports"] == {"stored": [], "unchanged": [rid]}
    assert again[0]["stored"]["tallies"] == {"stored": [], "unchanged": [rid]}
    listing = runner.invoke(app, ["extract", *args])  # the listing, no --json
    assert "stored 0 report(s), 0 tally(ies); unchanged 1 report(s), 1 tally(ies)" in (
        listing.output
    )
    with Store.open(db_url) as store:
        assert store.ledger_state().size == size


def test_ingest_refuses_an_event_it_cannot_record_and_stores_nothing(
    tmp_path: Path, db_url: str
) -> None:
    text = _write(tmp_path, "kharkiv.txt", AIR_ATTACK)
    # No publication date: "overnight" resolves to no date, and a record needs one.
    result = runner.invoke(app, ["extract", str(text), "--ingest", "--db", db_url])
    assert result.exit_code == 1
    assert "event 0: date: is required for a record" in result.output
    assert "nothing was stored" in result.output
    with Store.open(db_url) as store:
        assert store.count_reports() == 0
        assert store.tallies(by=OPERATOR) == []


def test_the_listing_quotes_each_figures_words(tmp_path: Path) -> None:
    text = _write(tmp_path, "kharkiv.txt", AIR_ATTACK)
    result = runner.invoke(app, ["extract", str(text), *NIGHT])
    assert result.exit_code == 0, result.output
    assert "[0] air_attack 2026-02-17 by RU" in result.output
    assert "launched drones 120; destroyed drones 100" in result.output
    start = AIR_ATTACK.index("100 were")
    assert f'destroyed.drones: "100 were shot down" (characters {start}-{start + 18})' in (
        result.output
    )


def test_extract_cli_proposes_the_air_attack(tmp_path: Path) -> None:
    """On the real rules: the brief's example proposes the night's attack with its figures."""
    text = _write(tmp_path, "kharkiv.txt", AIR_ATTACK)
    [got] = _json([str(text), *NIGHT])
    [event] = got["events"]
    assert (event["date"], event["perpetrator"]) == ("2026-02-17", "RU")
    assert event["launched"]["drones"] == 120 and event["destroyed"]["drones"] == 100
    assert event["oblasts"] == ["Kharkiv"]
    for ev in event["evidence"]:
        assert AIR_ATTACK[ev["start"] : ev["end"]] == ev["text"]
