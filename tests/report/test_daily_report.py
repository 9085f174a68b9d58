"""The daily report of the demo night: rebuilt byte for byte from its checkpoint, signed,
verified against the store and against a bundle, and failing on any change; each tier cut by
the one access policy (a party never reads the other's, the public only what was released)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from render_fixture import pdf_text

from backends import copy_sqlite
from ceasefire import reporting
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.errors import ForbiddenError, InputError, NotFoundError, VerificationError
from ceasefire.ledger.keys import read_signer, read_verifier
from ceasefire.publish.access import Principal, report_tier
from ceasefire.publish.views import coarsen
from ceasefire.publish.visibility import Viewer
from ceasefire.report import scope
from ceasefire.report.layout import HEADINGS
from ceasefire.report.notes import ReportNote
from ceasefire.store.facade import Store

AGREEMENT = load_agreement(demo_agreement_path())
#: The demo night (2026-03-10 18:00 to 06:00 UTC) ends before 09:00 Kyiv (07:00 UTC) on the 11th.
NIGHT = date(2026, 3, 11)


@pytest.fixture
def demo_db(demo_dir: Path, tmp_path: Path) -> Path:
    return copy_sqlite(demo_dir / "demo.db", tmp_path)


@pytest.fixture
def store(demo_db: Path) -> Iterator[Store]:
    with Store.open(demo_db, create=False) as s:
        yield s


def _build(store: Store, tier: str = "mission", **kw: Any) -> reporting.Built:
    return reporting.build(store, AGREEMENT, day=NIGHT, tier=tier, fmt="json", **kw)


def _data(store: Store, tier: str) -> dict[str, Any]:
    return json.loads(_build(store, tier).body)


def test_the_demo_nights_report_is_rebuilt_byte_for_byte(
    store: Store, demo_db: Path, tmp_path: Path
) -> None:
    first, second = _build(store), _build(store)
    assert first.body == second.body
    data = json.loads(first.body)
    assert data["format"] == "ceasefire-daily-report/1" and data["date"] == "2026-03-11"
    assert data["period"] == {"start": "2026-03-10T07:00:00Z", "end": "2026-03-11T07:00:00Z"}
    assert data["cutoff_local"] == "2026-03-11 09:00 Europe/Kyiv"
    assert data["checkpoint"]["size"] == store.ledger_checkpoint().size
    # The night has violations on both sides and harm; every section is there in order.
    assert data["summary"]["violations"] > 100 and data["summary"]["previous_violations"] == 0
    assert {r["party"] for r in data["violations_by_party"]} >= {"RU", "UA"}
    assert data["harm"]["killed"]["best"] > 0 and data["strikes"]
    assert len(data["annex"]) == data["summary"]["violations"]
    # A second process (another interpreter, hash seed and all) writes the same bytes.
    out = tmp_path / "again.json"
    subprocess.run(
        [sys.executable, "-m", "ceasefire", "report", "daily", "--date", "2026-03-11",
         "--format", "json", "--out", str(out), "--db", str(demo_db)],
        check=True, capture_output=True, env={"PYTHONHASHSEED": "123", "PATH": ""},
    )  # fmt: skip
    assert out.read_bytes() == first.body


def test_the_checkpoint_is_the_first_signed_at_or_after_the_cutoff(store: Store) -> None:
    built = _build(store)
    assert built.checkpoint.signed_at >= scope.period(NIGHT, AGREEMENT.reporting)[1]
    assert _build(store, size=built.checkpoint.size).body == built.body
    with pytest.raises(NotFoundError, match="tree size 3"):
        _build(store, size=3)
    # A day whose cutoff comes after every checkpoint has none yet.
    with pytest.raises(NotFoundError, match="no checkpoint signed at or after the cutoff"):
        reporting.build(store, AGREEMENT, day=date(2099, 1, 1), tier="mission", fmt="json")


def test_a_signed_report_verifies_and_any_change_fails(store: Store, demo_dir: Path) -> None:
    log = read_signer(demo_dir / "demo-keys" / "log.key")
    built = _build(store)
    held = reporting.sign(store, built, log)
    note = ReportNote.parse(held.note.split("\n\n")[0] + "\n")
    assert note.sha256 == built.sha256 and note.size == built.checkpoint.size
    ok = reporting.verify(built.body, AGREEMENT, store=store, log=log.verifier())
    assert ok.note.tier == "mission"
    # One byte of the file changed: no note is over these bytes.
    changed = built.body.replace(b'"verified":1', b'"verified":2', 1)
    assert changed != built.body
    with pytest.raises(VerificationError, match="no report with these bytes"):
        reporting.verify(changed, AGREEMENT, store=store, log=log.verifier())
    # With the note given, the hash is named.
    with pytest.raises(VerificationError, match="not those its note was signed over"):
        reporting.verify(changed, AGREEMENT, note=held.text, store=store, log=log.verifier())
    # Another key is not the log's.
    other = read_signer(demo_dir / "demo-keys" / "UA.key")
    with pytest.raises(VerificationError, match="no signature from a known key"):
        reporting.verify(built.body, AGREEMENT, store=store, log=other.verifier())


def test_a_record_changed_behind_the_stores_back_fails_the_report(
    demo_db: Path, demo_dir: Path
) -> None:
    log = read_signer(demo_dir / "demo-keys" / "log.key")
    with Store.open(demo_db, create=False) as store:
        built = _build(store)
        reporting.sign(store, built, log)
    with sqlite3.connect(demo_db) as conn:  # behind the store's back: an incident's casualties
        idx, body = conn.execute(
            "SELECT idx, body FROM ledger_entries WHERE kind = 'incident' "
            'AND body LIKE \'%"killed":{"best":1,%\' ORDER BY idx LIMIT 1'
        ).fetchone()
        forged = body.replace('"killed":{"best":1,', '"killed":{"best":0,', 1)
        conn.execute("UPDATE ledger_entries SET body = ? WHERE idx = ?", (forged, idx))
    with Store.open(demo_db, create=False) as store:
        with pytest.raises(VerificationError, match="do not hash to the root of checkpoint"):
            reporting.verify(built.body, AGREEMENT, store=store, log=log.verifier())
        with pytest.raises(VerificationError, match="do not hash to the root"):
            _build(store)


def test_a_bundle_verifies_without_the_store_and_a_changed_leaf_fails(
    store: Store, demo_dir: Path
) -> None:
    log = read_signer(demo_dir / "demo-keys" / "log.key")
    built = _build(store)
    note = reporting.sign(store, built, log).text
    bundle = json.loads(json.dumps(reporting.make_bundle(store, built, note)))
    ok = reporting.verify(built.body, AGREEMENT, bundle=bundle, log=log.verifier())
    assert ok.note.sha256 == built.sha256
    # A leaf of the bundle edited: the leaves no longer hash to the checkpoint's root.
    i = next(n for n, (kind, _, _) in enumerate(bundle["leaves"]) if kind == "violation")
    bundle["leaves"][i][2] = bundle["leaves"][i][2].replace('"rule":"', '"rule":"x', 1)
    with pytest.raises(VerificationError, match="do not hash to the root"):
        reporting.verify(built.body, AGREEMENT, bundle=bundle, log=log.verifier())
    # A leaf left out likewise.
    bundle = reporting.make_bundle(store, built, note)
    bundle["leaves"].pop()
    with pytest.raises(VerificationError, match="leaves read do not hash"):
        reporting.verify(built.body, AGREEMENT, bundle=bundle, log=log.verifier())
    # Only the mission's report has a bundle: it holds every record.
    party = _build(store, "party:UA")
    with pytest.raises(InputError, match="only the mission tier"):
        reporting.make_bundle(store, party, note)


def test_parties_cosign_a_report_and_a_quorum_is_checked(store: Store, demo_dir: Path) -> None:
    keys = demo_dir / "demo-keys"
    log = read_signer(keys / "log.key")
    built = _build(store, "party:UA")
    reporting.sign(store, built, log)
    ua = read_signer(keys / "UA.key")
    held = reporting.cosign(store, built.sha256, ua, log.verifier())
    assert len(held.cosignatures) == 1 and held.cosignatures[0].startswith("\u2014 UA-cosigner ")
    ok = reporting.verify(
        built.body, AGREEMENT, store=store, log=log.verifier(),
        cosigners=[read_verifier(str(keys / "UA.key.pub"))], quorum=1,
    )  # fmt: skip
    assert ok.cosigners == ("UA-cosigner",)
    with pytest.raises(VerificationError, match="1 trusted cosignature"):
        reporting.verify(
            built.body, AGREEMENT, store=store, log=log.verifier(),
            cosigners=[read_verifier(str(keys / "UA.key.pub")), read_verifier(str(keys / "RU.key.pub"))],
            quorum=2,
        )  # fmt: skip


# -- tiers ----------------------------------------------------------------------------------------


def test_the_tiers_a_caller_may_read() -> None:
    mediator, ua = Principal("m", "mediator"), Principal("u", "party", "UA")
    public = Principal("p", "public")
    assert report_tier(mediator) == "mission" and report_tier(mediator, "party:RU") == "party:RU"
    assert report_tier(ua) == "party:UA" and report_tier(ua, "public") == "public"
    assert report_tier(public) == "public"
    for caller, asked in ((ua, "mission"), (ua, "party:RU"), (public, "party:UA")):
        with pytest.raises(ForbiddenError, match="may not read"):
            report_tier(caller, asked)
    with pytest.raises(InputError, match="tier"):
        scope.tier_principal("party:XX", AGREEMENT.parties)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def test_a_party_reads_what_concerns_it_as_the_api_shows_it(store: Store) -> None:
    data = _data(store, "party:UA")
    mission = _data(store, "mission")
    assert 0 < data["summary"]["violations"] < mission["summary"]["violations"]
    viewer = Viewer(Principal("u", "party", "UA"), store, now=store.ledger_checkpoint().signed_at)
    rows = store.incidents_by_id({r["incident"] for r in data["annex"]})
    views = {v["id"]: v for v in viewer.incidents(list(rows.values())) if v is not None}
    for row in data["annex"]:  # each one the API shows UA, at the place it shows it
        assert (row["lon"], row["lat"]) == (
            views[row["incident"]]["lon"],
            views[row["incident"]]["lat"],
        )
        assert row["sources"] is None  # how many sources would tell of the mission's sensors
    every = store.list_incidents()
    hidden = {s.incident_id for s in every} - {v["id"] for v in viewer.incidents(every) if v}
    assert hidden  # RU's own incidents, unreleased
    text = set(_strings(data))
    ru_reports = {r.id for r in store.list_reports() if r.submitted_by == "RU"}
    assert not text & ru_reports and not text & hidden
    assert not any(s.startswith("RU/") or "/sensor" in s for s in text)
    # Its own reports only: those behind the day's incidents that UA submitted.
    start, end = scope.period(NIGHT, AGREEMENT.reporting)
    members = {
        r for s in every if s.merged_into is None and start <= s.incident.observed_from < end
        for r in s.incident.report_ids
    }  # fmt: skip
    submitted = {r.id: r.submitted_by for r in store.list_reports()}
    assert data["summary"]["reports"] == sum(1 for r in members if submitted[r] == "UA") > 0
    # Which sensors were out, as the mission once listed them by hand, but never where one
    # stands or what it sees: only the shared keys.
    mission = _data(store, "mission")["coverage"]
    down = data["coverage"]["sensors_down"]
    assert [r["sensor"] for r in down] == [r["sensor"] for r in mission["sensors_down"]] != []
    assert all(set(r) == {"sensor", "status", "start", "end", "oblast"} for r in down)
    assert data["coverage"]["by_oblast"] == mission["by_oblast"] != []


def test_the_public_reads_released_incidents_only_coarsened(store: Store) -> None:
    data = _data(store, "public")
    released = store.releases()
    assert data["annex"] and {r["incident"] for r in data["annex"]} <= set(released)
    rows = store.incidents_by_id({r["incident"] for r in data["annex"]})
    for row in data["annex"]:
        stored = rows[row["incident"]].incident
        if not released[row["incident"]].full:
            lon, lat, _ = coarsen(stored.lon, stored.lat, stored.uncertainty_m)
            assert (row["lon"], row["lat"]) == (lon, lat) != (stored.lon, stored.lat)
    assert data["strikes"] == [] and data["hotline"]["notifications"] == 0
    # Restrictions of movement are published, as the mission once did; the hotline's denials
    # are traffic between the parties and the mission, and stay out.
    assert data["coverage"]["restrictions"] != []
    assert {r["source"] for r in data["coverage"]["restrictions"]} == {"restriction"}
    assert all(r["sources"] is None for r in data["annex"])


def test_the_hotline_day_after_the_night(store: Store) -> None:
    data = json.loads(
        reporting.build(store, AGREEMENT, day=date(2026, 3, 12), tier="mission", fmt="json").body
    )
    hot = data["hotline"]
    assert hot["notifications"] > 0 and hot["acknowledged"] > 0
    assert hot["median_minutes_to_acknowledge"] is not None
    assert [d["by"] for d in hot["access_denied"]] == ["RU"]
    assert data["coverage"]["restrictions"][0]["source"] == "hotline"
    ua = json.loads(
        reporting.build(store, AGREEMENT, day=date(2026, 3, 12), tier="party:UA", fmt="json").body
    )
    assert 0 < ua["hotline"]["notifications"] < hot["notifications"]
    assert ua["hotline"]["access_denied"] == []  # RU's denial was to the mission, not to UA


def test_the_demo_nights_pdf_is_rebuilt_byte_for_byte_and_holds_each_section(
    store: Store, demo_db: Path, demo_dir: Path, tmp_path: Path
) -> None:
    built = reporting.build(store, AGREEMENT, day=NIGHT, tier="mission", fmt="pdf")
    again = reporting.build(store, AGREEMENT, day=NIGHT, tier="mission", fmt="pdf")
    assert built.body.startswith(b"%PDF-") and built.body == again.body
    # Another interpreter, from the same checkpoint, writes the same bytes.
    out = tmp_path / "again.pdf"
    subprocess.run(
        [sys.executable, "-m", "ceasefire", "report", "daily", "--date", "2026-03-11",
         "--format", "pdf", "--out", str(out), "--db", str(demo_db)],
        check=True, capture_output=True, env={"PYTHONHASHSEED": "7", "PATH": ""},
    )  # fmt: skip
    assert out.read_bytes() == built.body
    # Its text, as poppler reads it: every section in order, and the night's own numbers.
    lines = [line.strip() for line in pdf_text(built.body, tmp_path).splitlines()]
    at = [lines.index(heading) for heading in HEADINGS]
    assert at == sorted(at)
    data = json.loads(_build(store).body)
    text = "\n".join(lines)
    assert "Ledger checkpoint: size" in text and data["checkpoint"]["root"][:16] in text
    for row in data["violations_by_oblast"][:3]:
        assert row["oblast"] in text
    assert data["summary"]["lines"][0].split(" ")[0] in text  # the night's count of violations
    # Signed and verified as a PDF; the HTML of the same checkpoint is its own file and note.
    log = read_signer(demo_dir / "demo-keys" / "log.key")
    reporting.sign(store, built, log)
    assert (
        reporting.verify(built.body, AGREEMENT, store=store, log=log.verifier()).note.format
        == "pdf"
    )
    html = reporting.build(store, AGREEMENT, day=NIGHT, tier="mission", fmt="html")
    assert all(heading.encode() in html.body for heading in HEADINGS)
    with pytest.raises(InputError, match="format"):
        reporting.build(store, AGREEMENT, day=NIGHT, tier="mission", fmt="docx")


def test_a_cutoff_moves_the_day(store: Store) -> None:
    built = reporting.build(store, AGREEMENT, day=NIGHT, tier="mission", fmt="json", cutoff="19:30")
    data = json.loads(built.body)
    assert data["cutoff"] == "2026-03-11T17:30:00Z"
    assert data["cutoff_local"] == "2026-03-11 19:30 Europe/Kyiv"
    with pytest.raises(InputError, match="HH:MM"):
        reporting.build(store, AGREEMENT, day=NIGHT, tier="mission", fmt="json", cutoff="7pm")
