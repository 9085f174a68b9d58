"""The shared record over a real store: every record logged with it, checkpoints signed and
cosigned, bundles that verify offline, and tampering with any row found and named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from backends import (
    BACKENDS,
    OPERATOR,
    Databases,
    copy_of,
    databases_for,
    huliaipole_report,
    raw,
    where_of,
)
from ceasefire import ledger
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.canonical import canonical_json
from ceasefire.cli.app import app
from ceasefire.errors import ConflictError, ForbiddenError, InputError, VerificationError
from ceasefire.intake.report import Report
from ceasefire.ledger import merkle
from ceasefire.ledger.notes import Signer
from ceasefire.pipeline import fuse_store, ingest_reports
from ceasefire.store.facade import Store

NOW = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
LOG = Signer.generate("ceasefire.test/log")
RU = Signer.generate("RU-cosigner", cosigner=True)
UA = Signer.generate("UA-cosigner", cosigner=True)
MEDIATOR = Signer.generate("mediator", cosigner=True)


def report(i: int, **changes: Any) -> Report:
    return huliaipole_report(i, NOW, **changes)


@pytest.fixture(scope="module", params=BACKENDS)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Databases, str]]:
    """A store with reports, incidents (status changes), violations and the agreement logged,
    one monitor's decision, and a signed checkpoint (each backend): where it is, and the
    databases to copy it with."""
    databases = databases_for(request, request.param, tmp_path_factory.mktemp("ledger"))
    where = databases.new("built.db")
    agreement = load_agreement(demo_agreement_path())
    with Store.open(where) as store:
        ingest_reports(store, [report(i) for i in range(16)], agreement, entered_by=OPERATOR)
        fuse_store(store, [agreement], now=NOW)
        target = store.list_incidents(status="corroborated")[0].incident_id
        store.set_status(target, status="verified", actor="monitor 7", basis="site visit", at=NOW)
        ledger.sign_checkpoint(store, LOG)
    yield databases, where
    databases.close()


@pytest.fixture
def store(built: tuple[Databases, str]) -> Iterator[Store]:
    """A private copy of the built store."""
    databases, where = built
    copy = databases.copy(where)
    try:
        with Store.open(copy) as opened:
            yield opened
    finally:
        databases.drop(copy)


# -- what is logged ------------------------------------------------------------------------------


def test_every_record_and_state_change_is_a_leaf(store: Store) -> None:
    kinds: dict[str, int] = {}
    with raw(store) as conn:
        for kind, n in conn.execute("SELECT kind, count(*) FROM ledger_entries GROUP BY kind"):
            kinds[kind] = n
        (changes,) = conn.execute("SELECT count(*) FROM status_changes").fetchone()
        (violations,) = conn.execute("SELECT count(*) FROM violations").fetchone()
    assert kinds["report"] == 16
    assert kinds["status_change"] == changes
    assert kinds["violation"] == violations > 0
    assert kinds["agreement"] == 1
    assert store.ledger_state().size == sum(kinds.values())
    report_ = ledger.audit(store, LOG.verifier())
    assert report_.records["reports"] == 16
    assert report_.checkpoints == 1


def test_resubmitting_adds_no_leaf_and_a_refused_batch_adds_none(store: Store) -> None:
    before = store.ledger_state().size
    store.add_reports([report(1), report(2)], entered_by=OPERATOR)
    assert store.ledger_state().size == before
    with pytest.raises(ConflictError):
        store.add_reports([report(100), report(1, count=99)], entered_by=OPERATOR)
    assert store.ledger_state().size == before
    store.add_reports([report(100)], entered_by=OPERATOR)
    assert store.ledger_state().size == before + 1
    assert store.ledger_entries("rep-100")[0].idx == before


def test_a_report_stored_with_free_text_infrastructure_still_audits(store: Store) -> None:
    """Before categories, ``infrastructure`` was free text: such a body reads (as the category
    its words name) and its columns, content hash included, recompute from it unchanged."""
    data = {**report(200).to_dict(), "infrastructure": "power substation"}
    old = Report.model_validate(data, context={"now": NOW, "stored": True})
    store.add_reports([old], entered_by=OPERATOR)
    with raw(store) as conn:
        (body,) = conn.execute("SELECT body FROM reports WHERE report_id = 'rep-200'").fetchone()
    assert json.loads(body)["infrastructure"] == "power substation"
    read = store.get_report("rep-200")
    assert read.infrastructure == ("energy",)
    assert read.content_hash() == old.content_hash()
    ledger.audit(store, LOG.verifier())  # raises naming the first stored fact that differs


def test_a_release_to_the_public_is_logged_and_the_row_must_be_the_latest(store: Store) -> None:
    incident = store.list_incidents()[0].incident_id
    key = f"release/{incident}"
    store.release_incident(incident, by="mediator 1", at=NOW)
    with raw(store) as conn:
        first = conn.execute(
            'SELECT released_at, "full" FROM incident_releases WHERE incident_id = ?', (incident,)
        ).fetchone()
    store.release_incident(incident, full=True, by="mediator 1", at=NOW + timedelta(hours=2))
    entries = store.ledger_entries(key)
    assert [e.kind for e in entries] == ["release", "release"]
    assert '"full":false' in entries[0].body and '"full":true' in entries[1].body
    held = ledger.audit(store, LOG.verifier())
    assert held.records["releases"] == 1
    # Rolled back behind the ledger's back to the first release (coarsened again): that row
    # matches a logged leaf, but not the latest one, and the audit names the latest.
    with raw(store) as conn:
        conn.execute(
            'UPDATE incident_releases SET released_at = ?, "full" = ? WHERE incident_id = ?',
            (*first, incident),
        )
    store_at_first = store.releases()[incident]
    assert store_at_first.full is False
    with pytest.raises(VerificationError) as caught:
        ledger.audit(store, LOG.verifier())
    assert caught.value.entry == entries[1].idx, str(caught.value)
    assert "differs from the latest entry" in str(caught.value)


def test_a_release_with_no_entry_is_caught(store: Store) -> None:
    incident = store.list_incidents()[0].incident_id
    with raw(store) as conn:
        conn.executescript(
            'INSERT INTO incident_releases (incident_id, released_at, "full", released_by) '
            f"VALUES ('{incident}', '2026-03-11 00:00:00.000000', "
            f"{'1' if conn.backend == 'sqlite' else 'true'}, 'nobody')"
        )
    with pytest.raises(VerificationError, match=f"releases: release/{incident} has no ledger"):
        ledger.audit(store, LOG.verifier())


# -- checkpoints, proofs, cosignatures -----------------------------------------------------------


def test_a_bundle_verifies_offline_with_the_log_key_only(store: Store) -> None:
    bundle = json.loads(json.dumps(ledger.prove(store, "rep-007")))
    assert set(bundle) >= {"record", "leafIdx", "treeSize", "leafHash", "proof", "root"}
    result = ledger.verify_bundle(bundle, LOG.verifier())
    assert result.size == bundle["treeSize"]
    # The proof is what RFC 9162 gives over the whole tree of leaves.
    with store.read() as conn:
        from ceasefire.store.ledger import iter_entries

        leaves = [e.leaf_hash for e in iter_entries(conn)]
    assert merkle.root(leaves).hex() == bytes(store.ledger_checkpoint().root).hex()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda b: b["record"]["record"].update(count=40), id="record-changed"),
        pytest.param(lambda b: b.update(leafIdx=b["leafIdx"] + 1), id="index-moved"),
        pytest.param(lambda b: b["proof"].reverse(), id="proof-reordered"),
        pytest.param(lambda b: b.update(root=b["proof"][0]), id="root-swapped"),
        pytest.param(
            lambda b: b.update(checkpoint=b["checkpoint"].replace("\n\n", "\nextra\n\n", 1)),
            id="checkpoint-edited",
        ),
    ],
)
def test_a_doctored_bundle_fails(store: Store, change: Any) -> None:
    bundle = ledger.prove(store, "rep-007")
    change(bundle)
    with pytest.raises((VerificationError, InputError)):
        ledger.verify_bundle(bundle, LOG.verifier())


def test_a_bundle_signed_by_another_log_fails(store: Store) -> None:
    with pytest.raises(VerificationError, match="no signature from a known key"):
        ledger.verify_bundle(ledger.prove(store, "rep-007"), Signer.generate("other").verifier())


def test_the_log_refuses_a_second_key(store: Store) -> None:
    store.add_reports([report(101)], entered_by=OPERATOR)
    with pytest.raises(ForbiddenError, match="refusing to sign"):
        ledger.sign_checkpoint(store, Signer.generate("ceasefire.test/log"))


def test_consistency_from_a_saved_checkpoint(store: Store) -> None:
    saved = store.ledger_checkpoint().text
    store.add_reports([report(i) for i in range(200, 230)], entered_by=OPERATOR)
    ledger.sign_checkpoint(store, LOG)
    result = ledger.verify_consistency_from(store, saved, LOG.verifier())
    assert result.size == store.ledger_state().size
    # The same checkpoint is consistent with itself; one from another log is refused.
    assert ledger.verify_consistency_from(store, store.ledger_checkpoint().text, LOG.verifier())
    other = Signer.generate("ceasefire.test/other")
    with pytest.raises(VerificationError):
        ledger.verify_consistency_from(store, saved, other.verifier())


def test_a_log_cut_back_fails_consistency(store: Store, built: tuple[Databases, str]) -> None:
    """A store rolled back to an older copy, and re-signed with the stolen key, still cannot
    pass a party holding a later checkpoint."""
    databases, _ = built
    older = copy_of(store, databases)
    store.add_reports([report(i) for i in range(300, 310)], entered_by=OPERATOR)
    ledger.sign_checkpoint(store, LOG)
    later = store.ledger_checkpoint().text
    with Store.open(older) as rolled_back:
        rolled_back.add_reports(
            [report(400)], entered_by=OPERATOR
        )  # a different history of the same size
        ledger.sign_checkpoint(rolled_back, LOG)
        with pytest.raises(VerificationError, match="cut back"):
            ledger.verify_consistency_from(rolled_back, later, LOG.verifier())


def test_cosignatures_k_of_n(store: Store) -> None:
    saved = store.ledger_checkpoint().text
    store.add_reports([report(500)], entered_by=OPERATOR)
    signed_at = int(ledger.sign_checkpoint(store, LOG).signed_at.timestamp())
    ledger.cosign_latest(store, UA, LOG.verifier(), since=saved, timestamp=signed_at)
    trusted = [RU.verifier(), UA.verifier(), MEDIATOR.verifier()]
    bundle = ledger.prove(store, "rep-500")
    assert ledger.verify_bundle(bundle, LOG.verifier(), cosigners=trusted, quorum=1).cosigners == (
        "UA-cosigner",
    )
    with pytest.raises(VerificationError, match="1 trusted cosignature"):
        ledger.verify_bundle(bundle, LOG.verifier(), cosigners=trusted, quorum=2)
    ledger.cosign_latest(store, RU, LOG.verifier(), timestamp=signed_at + 100)
    bundle = ledger.prove(store, "rep-500")
    checked = ledger.verify_bundle(bundle, LOG.verifier(), cosigners=trusted, quorum=2)
    assert sorted(checked.cosigners) == ["RU-cosigner", "UA-cosigner"]
    # A cosignature from a key the client does not trust does not count.
    with pytest.raises(VerificationError):
        ledger.verify_bundle(bundle, LOG.verifier(), cosigners=[MEDIATOR.verifier()], quorum=1)


# -- tampering -----------------------------------------------------------------------------------

#: A 32-byte zero hash, as each backend spells it.
ZEROS = {"sqlite": "zeroblob(32)", "postgresql": "decode(repeat('00', 32), 'hex')"}

TAMPERING = {
    # entry 5's content edited in place
    "entry-changed": (
        "UPDATE ledger_entries SET body = replace(body, '\"count\":', '\"count\":1') WHERE idx = 5",
        5,
    ),
    "entry-deleted": ("DELETE FROM ledger_entries WHERE idx = 9", 9),
    # entries 3 and 11 swap places (their content and leaf hashes move together)
    "entries-reordered": (
        "UPDATE ledger_entries SET idx = -1 WHERE idx = 3;"
        "UPDATE ledger_entries SET idx = 3 WHERE idx = 11;"
        "UPDATE ledger_entries SET idx = 11 WHERE idx = -1",
        3,
    ),
    "entry-inserted": (
        "INSERT INTO ledger_entries (idx, kind, record_id, body, appended_at) "
        "SELECT (SELECT max(idx) + 1 FROM ledger_entries), kind, record_id, body, appended_at "
        "FROM ledger_entries WHERE idx = 2",
        None,  # the log's size: past every real entry
    ),
    "leaf-hash-changed": (
        "UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 6",
        6,
    ),
    "report-row-changed": (
        "UPDATE reports SET body = replace(body, '\"count\": 5', '\"count\": 50') "
        "WHERE report_id = 'rep-004'",
        "rep-004",
    ),
    "report-enterer-changed": (
        "UPDATE reports SET entered_by = 'someone else' WHERE report_id = 'rep-004'",
        "rep-004",
    ),
    "report-enterer-role-changed": (
        "UPDATE reports SET entered_role = 'party', entered_party = 'UA' "
        "WHERE report_id = 'rep-004'",
        "rep-004",
    ),
    "report-row-deleted": (
        "DELETE FROM incident_reports WHERE report_id = 'rep-010';"
        "DELETE FROM reports WHERE report_id = 'rep-010'",
        "rep-010",
    ),
    "status-change-changed": (
        "UPDATE status_changes SET actor = 'someone else' WHERE to_status = 'verified'",
        "status/",
    ),
}


def _entry_of(store: Store, what: Any) -> int:
    if what is None:
        return store.ledger_state().size
    if isinstance(what, int):
        return what
    if what == "status/":
        return next(
            e.idx
            for e in _all(store)
            if e.kind == "status_change" and '"to_status":"verified"' in e.body
        )
    return store.ledger_entries(what)[0].idx


def _all(store: Store) -> list[Any]:
    from ceasefire.store.ledger import iter_entries

    with store.read() as conn:
        return list(iter_entries(conn))


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_names_the_first_bad_entry(store: Store, case: str) -> None:
    sql, where = TAMPERING[case]
    expected = _entry_of(store, where)
    ledger.audit(store, LOG.verifier())  # holds before
    with raw(store) as conn:
        conn.executescript(sql.replace("zeroblob(32)", ZEROS[conn.backend]))
    with pytest.raises(VerificationError) as caught:
        ledger.audit(store, LOG.verifier())
    assert caught.value.entry == expected, str(caught.value)
    assert f"first bad entry: {expected}" in str(caught.value)


def test_a_consistent_rewrite_is_caught_by_the_signed_checkpoint(store: Store) -> None:
    """Someone edits entry 4 and recomputes every stored hash: only the signature catches it,
    and the audit says the entries up to that checkpoint are not what it signed."""
    with store.read() as conn:
        from ceasefire.store.ledger import iter_entries

        entries = list(iter_entries(conn))
    bodies = [e.body for e in entries]
    bodies[4] = bodies[4].replace('"count":', '"count":1', 1)
    leaves = [merkle.leaf_hash(b.encode()) for b in bodies]
    with raw(store) as conn:
        conn.execute("UPDATE ledger_entries SET body = ? WHERE idx = 4", (bodies[4],))
        conn.execute("DELETE FROM ledger_nodes")
        conn.executemany(
            "INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)",
            list(merkle.complete_nodes(leaves)),
        )
        # ... and the report row too, so the tables agree with the forged entry.
        rid = json.loads(bodies[4])["id"]
        conn.execute(
            "UPDATE reports SET body = ? WHERE report_id = ?",
            (json.dumps(json.loads(bodies[4])["record"]), rid),
        )
    with pytest.raises(VerificationError, match="not what checkpoint") as caught:
        ledger.audit(store, LOG.verifier())
    assert caught.value.entry == 0  # no earlier checkpoint holds: the bad entry is in 0..size-1


# -- the command line ----------------------------------------------------------------------------

runner = CliRunner()


def test_cli_round_trip(store: Store, tmp_path: Path) -> None:
    db = where_of(store)
    keys = tmp_path / "keys"
    made = runner.invoke(
        app, ["ledger", "keygen", "UA-cosigner", "--out", str(keys / "ua.key"), "--cosigner"]
    )
    assert made.exit_code == 0, made.output
    assert (keys / "ua.key").stat().st_mode & 0o077 == 0
    log_pub = tmp_path / "log.pub"
    log_pub.write_text(LOG.verifier().key + "\n")
    log_key = tmp_path / "log.key"
    log_key.write_text(LOG.key + "\n")

    saved = tmp_path / "seen.checkpoint"
    shown = runner.invoke(app, ["ledger", "checkpoint", "--db", db, "--save", str(saved)])
    assert shown.exit_code == 0 and shown.output.startswith("ceasefire.test/log\n")
    store.add_reports([report(600)], entered_by=OPERATOR)
    signed = runner.invoke(app, ["ledger", "checkpoint", "--db", db, "--sign", str(log_key)])
    assert signed.exit_code == 0, signed.output
    cosigned = runner.invoke(
        app,
        [
            "ledger",
            "cosign",
            "--db",
            db,
            "--key",
            str(keys / "ua.key"),
            "--log-key",
            str(log_pub),
            "--since",
            str(saved),
        ],
    )
    assert cosigned.exit_code == 0, cosigned.output
    assert "\u2014 UA-cosigner " in cosigned.output

    proved = runner.invoke(app, ["ledger", "prove", "rep-600", "--db", db, "--json"])
    assert proved.exit_code == 0, proved.output
    bundle = tmp_path / "rep-600.json"
    bundle.write_text(proved.output)
    ok = runner.invoke(
        app,
        [
            "ledger",
            "verify",
            "--bundle",
            str(bundle),
            "--log-key",
            str(log_pub),
            "--cosigner",
            str(keys / "ua.key.pub"),
            "--quorum",
            "1",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "ok: entry" in ok.output

    audited = runner.invoke(
        app, ["ledger", "verify", "--db", db, "--log-key", str(log_pub), "--checkpoint", str(saved)]
    )
    assert audited.exit_code == 0, audited.output
    assert "extends the saved checkpoint" in audited.output and "ledger verified" in audited.output

    with raw(store) as conn:
        conn.execute("UPDATE ledger_entries SET body = body || ' ' WHERE idx = 12")
    failed = runner.invoke(app, ["ledger", "verify", "--db", db, "--log-key", str(log_pub)])
    assert failed.exit_code == 1
    assert "first bad entry: 12" in failed.output


# -- canonical JSON ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_canonical_json_is_rfc8785(value: Any) -> None:
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        with pytest.raises(InputError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (250.0, b"250"),
        (2.0**53, b"9007199254740992"),
        (1e16, b"10000000000000000"),
        (1.5e-5, b"0.000015"),
        (1e21, b"1e+21"),
        (1e-7, b"1e-7"),
        (0.1, b"0.1"),
        (-0.0, b"0"),
        ({"b": 1, "a": [True, None]}, b'{"a":[true,null],"b":1}'),
        ("\u2028\x7f\x1f", '"\u2028\x7f\\u001f"'.encode()),
    ],
)
def test_canonical_json_examples(value: Any, text: bytes) -> None:
    assert canonical_json(value) == text


def test_proof_hashes_are_read_by_key_not_by_scanning(store: Store) -> None:
    """The node lookup must search the primary key once per node: SQLite planned the plain
    ``(level, idx) IN (...)`` form as a scan of the whole table (45 ms a proof at 200k leaves)."""
    from ceasefire.store.ledger import _sqlite_fetch_sql

    if store._engine.dialect.name != "sqlite":
        # Measured: PostgreSQL 15 plans the plain form as one pk_ledger_nodes probe per node
        # (a BitmapOr of index scans, 40k nodes); on a table this small it rightly scans.
        pytest.skip("the SQLite form of the lookup")
    with raw(store) as conn:
        plan = conn.execute(
            "EXPLAIN QUERY PLAN " + _sqlite_fetch_sql(3), (0, 1, 1, 2, 2, 0)
        ).fetchall()
    details = " | ".join(str(row[-1]) for row in plan)
    assert "SEARCH n USING PRIMARY KEY" in details, details
    assert "SCAN n" not in details, details


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2**53, "lone \ud800", {1: "x"}])
def test_values_without_a_canonical_form_are_input_errors(value: Any) -> None:
    with pytest.raises(InputError, match="no canonical JSON form"):
        canonical_json(value)


def test_a_cosignature_made_elsewhere_is_checked_then_kept(store: Store) -> None:
    from ceasefire.ledger.checkpoints import cosign

    latest = store.ledger_checkpoint()
    at = int(latest.signed_at.timestamp()) + 1
    offline = cosign(latest.note, UA, at, log_verifier=LOG.verifier())
    kept = ledger.add_cosignature(store, offline, LOG.verifier(), UA.verifier())
    assert kept.cosignatures and kept.cosignatures[0].startswith("\u2014 UA-cosigner ")
    # Signed by a key other than the one the store was told: refused, nothing kept.
    with pytest.raises(VerificationError):
        ledger.add_cosignature(store, cosign(latest.note, RU, at), LOG.verifier(), UA.verifier())
    # A checkpoint the log never signed (another log of the same size) is refused too.
    other = Signer.generate("ceasefire.test/log")
    from ceasefire.ledger.checkpoints import Checkpoint
    from ceasefire.ledger.notes import sign_note

    forged = sign_note(Checkpoint("ceasefire.test/log", latest.size, b"\x01" * 32).body(), other)
    with pytest.raises(VerificationError):
        ledger.add_cosignature(store, cosign(forged, RU, at), other.verifier(), RU.verifier())
    assert len(store.ledger_checkpoint().cosignatures) == 1


# -- lookups by kind and id ----------------------------------------------------------------------


def test_a_lookup_never_answers_with_another_kinds_record(store: Store) -> None:
    # Report ids may hold '/', '#' and '@' (UA/2026/17): a party naming its report after a status
    # change, a violation, an entry number or an agreement must not have it proved in their stead.
    status = store.ledger_entries("status/1")
    assert [e.kind for e in status] == ["status_change"]
    lookalikes = ["status/1", "violation/1", "#1", "DEMO@1", "hotline/x", f"release/{'INC-1'}"]
    store.add_reports(
        [report(500 + n, id=rid) for n, rid in enumerate(lookalikes)], entered_by=OPERATOR
    )
    ledger.sign_checkpoint(store, LOG)
    for rid in lookalikes:
        mine = store.ledger_entries(rid, kind="report")
        assert [(e.kind, e.record_id) for e in mine] == [("report", rid)], rid
        assert ledger.prove(store, rid, kind="report")["record"]["id"] == rid
    assert [e.kind for e in store.ledger_entries("status/1")] == ["status_change"]
    assert ledger.prove(store, "status/1")["record"]["kind"] == "status_change"
    assert {e.kind for e in store.ledger_entries("violation/1")} <= {
        "violation",
        "violation_superseded",
    }
    assert store.ledger_entries("#1")[0].idx == 1  # entry 1, whatever its kind, by number
    assert store.ledger_entries("hotline/x") == []  # no such message: not the report
    assert store.ledger_entries(f"release/{'INC-1'}") == []
    assert store.ledger_entries("status/1", kind="violation") == []


# -- cosignatures: a sane time, and the first line stands ----------------------------------------


def test_a_cosignature_dated_before_its_checkpoint_or_ahead_of_now_is_refused(
    store: Store,
) -> None:
    from ceasefire.ledger.checkpoints import COSIGNATURE_SLACK_S, cosign

    latest = store.ledger_checkpoint()
    signed = int(latest.signed_at.timestamp())
    now = int(datetime.now(UTC).timestamp())
    for when, reason in (
        (signed - 1, "before the checkpoint was signed"),
        (1_000_000_000, "before the checkpoint was signed"),
        (now + COSIGNATURE_SLACK_S + 120, "minutes in the future"),
        (2**62, "minutes in the future"),
    ):
        with pytest.raises(InputError) as caught:
            ledger.cosign_latest(store, UA, LOG.verifier(), timestamp=when)
        (problem,) = caught.value.problems
        assert problem.field == "timestamp" and reason in problem.reason, problem
        offline = cosign(latest.note, RU, when, log_verifier=LOG.verifier())
        with pytest.raises(InputError, match=reason):
            ledger.add_cosignature(store, offline, LOG.verifier(), RU.verifier())
    assert store.ledger_checkpoint().cosignatures == ()  # nothing kept
    # At the moment of signing, and a little ahead (clock drift): kept.
    ledger.cosign_latest(store, UA, LOG.verifier(), timestamp=signed)
    offline = cosign(latest.note, RU, now + COSIGNATURE_SLACK_S - 60, log_verifier=LOG.verifier())
    ledger.add_cosignature(store, offline, LOG.verifier(), RU.verifier())
    assert len(store.ledger_checkpoint().cosignatures) == 2


def test_a_cosigners_later_line_never_replaces_its_first(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    from ceasefire.ledger.checkpoints import cosign

    latest = store.ledger_checkpoint()
    signed = int(latest.signed_at.timestamp())
    first = ledger.cosign_latest(store, UA, LOG.verifier(), timestamp=signed + 1).cosignatures
    # The very same line again (a retry): a no-op.
    again = cosign(latest.note, UA, signed + 1, log_verifier=LOG.verifier())
    assert ledger.add_cosignature(store, again, LOG.verifier(), UA.verifier()).cosignatures == first
    # A later line of the same cosigner, made in the CLI or sent over the API: refused, logged.
    with caplog.at_level("WARNING"), pytest.raises(ConflictError, match="first cosignature stands"):
        ledger.cosign_latest(store, UA, LOG.verifier(), timestamp=signed + 2)
    assert "refused a second cosignature line of UA-cosigner" in caplog.text
    later = cosign(latest.note, UA, signed + 3, log_verifier=LOG.verifier())
    with pytest.raises(ConflictError, match="UA-cosigner already cosigned checkpoint"):
        ledger.add_cosignature(store, later, LOG.verifier(), UA.verifier())
    assert store.ledger_checkpoint().cosignatures == first
