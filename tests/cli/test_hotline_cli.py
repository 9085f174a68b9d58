"""``ceasefire hotline`` at wartime volume: many messages acknowledged in one command, all or
none; the inbox shows what is owed first and reads at 80 columns, ids never cut."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from backends import copy_sqlite
from ceasefire.cli.app import app
from ceasefire.store.facade import Store

runner = CliRunner()
NARROW = {"COLUMNS": "80"}


def _open(db: Path, party: str) -> list[str]:
    with Store.open(db, create=False) as store:
        found = store.hotline_messages(
            datetime.now(UTC), address=party, kind="notification", limit=None
        )
    return [s.message.id for s in found if s.of(party).acknowledged_at is None]


def test_one_command_acknowledges_many_messages_all_or_none(demo_dir: Path, tmp_path: Path) -> None:
    db = copy_sqlite(demo_dir / "demo.db", tmp_path)
    ru = _open(db, "RU")
    ua = _open(db, "UA")
    assert len(ru) >= 3 and ua
    # One of UA's among RU's: refused as missing, named, and none of RU's acknowledged.
    refused = runner.invoke(app, ["hotline", "ack", "--as", "RU", *ru[:3], ua[0], "--db", db])
    assert refused.exit_code == 1
    assert ua[0] in refused.output and "MESSAGE_IDS[3]" in refused.output
    assert _open(db, "RU") == ru
    done = runner.invoke(app, ["hotline", "ack", "--as", "RU", *ru, "--db", db])
    assert done.exit_code == 0, done.output
    assert f"acknowledged {len(ru)} of {len(ru)}" in done.output
    assert _open(db, "RU") == []
    again = runner.invoke(app, ["hotline", "ack", "--as", "RU", *ru[:2], "--db", db, "--json"])
    assert [m["id"] for m in json.loads(again.output)] == ru[:2]
    # One id as before: one record.
    one = runner.invoke(app, ["hotline", "ack", "--as", "UA", ua[0], "--db", db, "--json"])
    assert json.loads(one.output)["id"] == ua[0]


def test_the_inbox_shows_what_is_owed_first_at_80_columns_ids_whole(
    demo_dir: Path, tmp_path: Path
) -> None:
    db = copy_sqlite(demo_dir / "demo.db", tmp_path)
    # A caller's id as long as the table keeps on one line, in an open query to RU.
    key = "q-" + "x" * 35
    sent = runner.invoke(
        app,
        ["hotline", "send", "--as", "UA", "--kind", "query", "--to", "RU", "--id", key,
         "--subject", "A question with a subject long enough to need wrapping at 80 columns",
         "--db", db],
    )  # fmt: skip
    assert sent.exit_code == 0, sent.output
    for address, only in (("RU", ["--state", "open"]), ("RU", []), ("UA", []),
                          ("mediator", [])):  # fmt: skip
        args = ["hotline", "inbox", "--as", address, "--db", db, "--limit", "40", *only]
        records = json.loads(runner.invoke(app, [*args, "--json"]).output)
        table = runner.invoke(app, args, env=NARROW)
        assert table.exit_code == 0, table.output
        lines = table.output.splitlines()
        assert max(len(line) for line in lines) <= 80
        # Every id whole at the start of its row, in the order the JSON gives.
        starts = [line.split()[0] for line in lines if line and line[0] not in " ─"]
        assert starts[1:] == [r["id"] for r in records] and starts[0] == "id", address
        # Owed first: the messages the address still owes come before the rest.
        owes = [r["state"] not in ("answered", None) and r["sender"] != address for r in records]
        assert owes == sorted(owes, reverse=True), address
        if only:
            assert f"UA:{key}" in starts
    owed = json.loads(
        runner.invoke(app, ["hotline", "inbox", "--as", "RU", "--db", db, "--json"]).output
    )
    stored = json.loads(
        runner.invoke(
            app, ["hotline", "inbox", "--as", "RU", "--db", db, "--order", "stored", "--json"]
        ).output
    )
    assert [r["id"] for r in owed] != [r["id"] for r in stored]
    bad = runner.invoke(app, ["hotline", "inbox", "--as", "RU", "--db", db, "--order", "x"])
    assert bad.exit_code == 1 and "--order" in bad.output
