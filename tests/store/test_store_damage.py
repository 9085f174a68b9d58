"""A damaged database fails closed: refused when opened, no writes once found damaged while in
use, and no error (library, CLI, API) shows the database's path or bytes read from it.

Every case damages a real copy of the session's demo database (SQLite): pages overwritten with
garbage, the ledger's tables dropped or rebuilt without their columns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backends import OPERATOR, copy_sqlite
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.api import create_app
from ceasefire.cli.app import app
from ceasefire.errors import CorruptStoreError, StoreError
from ceasefire.geo.engine import GeoEngine
from ceasefire.intake.report import Report
from ceasefire.store.facade import Store

#: What the garbage says, so a test can tell it was not echoed back.
GARBAGE = b"\xde\xad\xbe\xefGARBAGE-/secret/path" * 200
PAGE = 4096


def _overwrite(page: int) -> Callable[[Path], None]:
    def damage(db: Path) -> None:
        with db.open("r+b") as f:
            f.seek(page * PAGE)
            f.write(GARBAGE[:PAGE])

    return damage


def _sql(script: str) -> Callable[[Path], None]:
    def damage(db: Path) -> None:
        with sqlite3.connect(db) as conn:
            conn.executescript(script)
        conn.close()

    return damage


def _middle_page(db: Path) -> None:
    # A page of the reports' table, far from the header: found only by reading every page.
    _overwrite(db.stat().st_size // PAGE // 2)(db)


DAMAGES = {
    "header-overwritten": _overwrite(0),
    "second-page-overwritten": _overwrite(1),
    "middle-page-overwritten": _middle_page,
    "ledger-entries-dropped": _sql("DROP TABLE ledger_entries"),
    "ledger-checkpoints-rebuilt": _sql(
        "ALTER TABLE ledger_checkpoints RENAME TO old; CREATE TABLE ledger_checkpoints (size INT)"
    ),
}


@pytest.fixture
def damaged_copy(demo_dir: Path, tmp_path: Path) -> Callable[[str], Path]:
    def make(case: str) -> Path:
        folder = tmp_path / case
        folder.mkdir()
        db = copy_sqlite(demo_dir / "demo.db", folder)
        _sql("PRAGMA wal_checkpoint(TRUNCATE)")(db)  # every page in the main file
        DAMAGES[case](db)
        return db

    return make


def _report() -> Report:
    return Report.model_validate(
        {
            "id": "after-damage-1",
            "submitted_by": "mission",
            "source_kind": "patrol",
            "observed_from": "2026-03-10T21:00:00+00:00",
            "lon": 37.6,
            "lat": 48.5,
            "event_type": "shelling",
        }
    )


def _clean(message: str, db: Path) -> None:
    assert str(db.parent) not in message and db.name not in message, message
    assert "GARBAGE" not in message and "secret" not in message and "\\x" not in message


@pytest.mark.parametrize("case", sorted(DAMAGES))
def test_a_damaged_file_is_refused_when_opened_and_stays_as_it_was(
    case: str, damaged_copy: Callable[[str], Path]
) -> None:
    db = damaged_copy(case)
    before = db.read_bytes()
    with pytest.raises(CorruptStoreError) as caught:
        Store.open(db)
    assert "damaged" in str(caught.value) and "accepts no writes" in str(caught.value)
    _clean(str(caught.value), db)
    assert db.read_bytes() == before  # nothing written: no migration, no log, no header


@pytest.mark.parametrize("case", ["middle-page-overwritten", "ledger-entries-dropped"])
def test_the_cli_says_damaged_without_the_path_or_the_bytes(
    case: str, damaged_copy: Callable[[str], Path], tmp_path: Path
) -> None:
    db = damaged_copy(case)
    rows = tmp_path / "one.jsonl"
    rows.write_text(_report().model_dump_json(exclude={"extra"}) + "\n", encoding="utf-8")
    for command in (["ingest", str(rows)], ["reports"], ["ledger", "verify"]):
        result = CliRunner().invoke(app, [*command, "--db", str(db)])
        assert result.exit_code == 1, result.output
        assert "the database is damaged" in result.output
        _clean(result.output.replace("\n", ""), db)


def test_damage_found_in_use_stops_every_write_and_the_api_names_no_path(
    demo_dir: Path, tmp_path: Path, engine: GeoEngine
) -> None:
    db = copy_sqlite(demo_dir / "demo.db", tmp_path)
    with Store.open(db) as store:
        token = store.add_user("desk", "admin")
        client = TestClient(
            create_app(store, load_agreement(demo_agreement_path()), engine=engine),
            headers={"Authorization": f"Bearer {token}"},
        )
        # The ledger's table goes behind the running service's back.
        _sql("DROP TABLE ledger_entries")(db)
        r = client.post("/api/v1/reports", json=_report().to_dict())
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "store_damaged"
        _clean(r.text, db)
        # From now on no write is even tried, whatever it would touch.
        with pytest.raises(CorruptStoreError, match="accepts no writes"):
            store.add_user("another", "monitor")
        with pytest.raises(CorruptStoreError):
            store.add_reports([_report()], entered_by=OPERATOR)


def test_a_store_error_names_no_path(tmp_path: Path) -> None:
    db = tmp_path / "secret-place" / "x.db"
    with Store.open(db) as store:
        _sql("DROP TABLE users; CREATE TABLE users (x INT)")(db)
        with pytest.raises(StoreError) as caught:
            store.list_users()
    _clean(str(caught.value), db)
