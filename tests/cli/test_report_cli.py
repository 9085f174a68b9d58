"""``ceasefire report daily / verify / cosign`` on the demo database, and the same report over
the API (same bytes, its note once signed)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backends import copy_sqlite
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.api import create_app
from ceasefire.cli.app import app
from ceasefire.geo.engine import GeoEngine
from ceasefire.store.facade import Store

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_daily_writes_the_report_and_its_note_and_verify_checks_them(
    demo_dir: Path, tmp_path: Path
) -> None:
    db = str(copy_sqlite(demo_dir / "demo.db", tmp_path))
    keys = demo_dir / "demo-keys"
    out, bundle = tmp_path / "night.json", tmp_path / "night.bundle.json"
    code, text = _run(
        "report", "daily", "--date", "2026-03-11", "--format", "json", "--out", str(out),
        "--key", str(keys / "log.key"), "--bundle", str(bundle), "--db", db,
    )  # fmt: skip
    assert code == 0, text
    assert "signed" in text and out.exists() and Path(f"{out}.note").exists()
    pub = str(keys / "log.key.pub")
    code, text = _run("report", "verify", str(out), "--db", db, "--log-key", pub)
    assert code == 0 and text.startswith("ok: the mission report of 2026-03-11"), text
    code, text = _run("report", "verify", str(out), "--bundle", str(bundle), "--log-key", pub)
    assert code == 0, text
    # A party cosigns it; a quorum of one then holds.
    code, text = _run(
        "report", "cosign", str(out), "--key", str(keys / "UA.key"), "--log-key", pub, "--db", db
    )
    assert code == 0 and "\u2014 UA-cosigner " in Path(f"{out}.note").read_text(), text
    code, text = _run(
        "report", "verify", str(out), "--db", db, "--log-key", pub,
        "--cosigner", str(keys / "UA.key.pub"), "--quorum", "1",
    )  # fmt: skip
    assert code == 0 and "cosigned by UA-cosigner" in text, text
    # A leaf changed behind the store's back: verify fails, saying what failed.
    with sqlite3.connect(db) as conn:
        conn.execute(
            'UPDATE ledger_entries SET body = replace(body, \'"rule":"fire"\', '
            '\'"rule":"none"\') WHERE idx = (SELECT min(idx) FROM ledger_entries '
            "WHERE kind = 'violation')"
        )
    code, text = _run("report", "verify", str(out), "--db", db, "--log-key", pub)
    assert code == 1 and "do not hash to the root of checkpoint" in text, text
    # The file changed: the note is not over its bytes.
    out.write_bytes(out.read_bytes().replace(b'"date":"2026-03-11"', b'"date":"2026-03-12"'))
    code, text = _run("report", "verify", str(out), "--bundle", str(bundle), "--log-key", pub)
    assert code == 1 and "not those its note was signed over" in text, text


def test_a_pdf_is_written_signed_and_verified(demo_dir: Path, tmp_path: Path) -> None:
    db = str(copy_sqlite(demo_dir / "demo.db", tmp_path))
    out = tmp_path / "night.pdf"
    key = str(demo_dir / "demo-keys" / "log.key")
    code, text = _run(
        "report", "daily", "--date", "2026-03-11", "--format", "pdf", "--out", str(out),
        "--key", key, "--db", db,
    )  # fmt: skip
    assert code == 0 and out.read_bytes().startswith(b"%PDF-"), text
    assert Path(f"{out}.note").read_text().startswith("ceasefire-daily-report/1")
    code, text = _run("report", "verify", str(out), "--db", db, "--log-key", f"{key}.pub")
    assert code == 0, text
    out.write_bytes(out.read_bytes() + b"\n")  # one byte more: no longer the signed file
    code, text = _run("report", "verify", str(out), "--db", db, "--log-key", f"{key}.pub")
    assert code == 1, text


def test_the_api_gives_the_same_bytes_and_the_note_once_signed(
    demo_dir: Path, tmp_path: Path, engine: GeoEngine
) -> None:
    db = copy_sqlite(demo_dir / "demo.db", tmp_path)
    out = tmp_path / "ua.json"
    code, text = _run(
        "report", "daily", "--date", "2026-03-11", "--tier", "party:UA", "--out", str(out),
        "--db", str(db),
    )  # fmt: skip
    assert code == 0 and "not signed" in text, text
    with Store.open(db, create=False) as store:
        token = store.add_user("ua-liaison-test", "party", "UA")
        client = TestClient(create_app(store, load_agreement(demo_agreement_path()), engine=engine))
        ua = {"Authorization": f"Bearer {token}"}
        r = client.get("/api/v1/reports/daily?date=2026-03-11", headers=ua)
        assert r.status_code == 200 and r.content == out.read_bytes()
        assert r.headers["x-report-sha256"] and r.headers["content-type"] == "application/json"
        assert (
            client.get("/api/v1/reports/daily/note?date=2026-03-11", headers=ua).status_code == 404
        )
        code, text = _run(
            "report", "daily", "--date", "2026-03-11", "--tier", "party:UA", "--out", str(out),
            "--key", str(demo_dir / "demo-keys" / "log.key"), "--db", str(db),
        )  # fmt: skip
        assert code == 0, text
        note = client.get("/api/v1/reports/daily/note?date=2026-03-11", headers=ua)
        assert note.status_code == 200 and note.text == Path(f"{out}.note").read_text()
        public = client.get("/api/v1/reports/daily?date=2026-03-11")
        assert public.status_code == 200 and b'"tier":"public"' in public.content
        mission = client.get("/api/v1/reports/daily?date=2026-03-11&tier=mission", headers=ua)
        assert mission.status_code == 403
