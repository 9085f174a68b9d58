"""The tamper suite: every table and column of the store that carries meaning, edited behind the
store's back, and the audit naming the first bad entry each time (each backend).

A logged row must equal its leaf (:mod:`ceasefire.store.logged`); what the store keeps beside
the logged rows (report and incident columns, membership, current status and assessment, who
may see a hotline message and what each recipient sent back) must be what a recomputation from
the logged rows gives (:mod:`ceasefire.store.derived`). Each case edits one fact and says which
record's entry the audit must name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backends import BACKENDS, OPERATOR, Databases, databases_for, huliaipole_report, raw
from ceasefire import ledger
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.errors import VerificationError
from ceasefire.intake.report import Report
from ceasefire.ledger.notes import Signer
from ceasefire.pipeline import fuse_store, ingest_reports
from ceasefire.sim.demo_hotline import simulate_hotline
from ceasefire.store.facade import Store

NOW = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
LOG = Signer.generate("ceasefire.test/log")


def report(i: int, **changes: Any) -> Report:
    return huliaipole_report(i, NOW, **changes)


@pytest.fixture(scope="module", params=BACKENDS)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Databases, str]]:
    """Reports, incidents, violations, a monitor's decision with a perpetrator, a release and a
    day of hotline traffic (notifications, acknowledgements, answers, escalations)."""
    databases = databases_for(request, request.param, tmp_path_factory.mktemp("tamper"))
    where = databases.new("tamper.db")
    demo = load_agreement(demo_agreement_path())
    # Digests from two notifications on, so that a day's traffic holds some.
    agreement = dataclasses.replace(
        demo, hotline=dataclasses.replace(demo.hotline, digest_threshold=2)
    )
    with Store.open(where) as store:
        ingest_reports(store, [report(i) for i in range(16)], agreement, entered_by=OPERATOR)
        fuse_store(store, [agreement], now=NOW)
        target = _incident_of(store, "rep-005")
        store.set_status(
            target,
            status="verified",
            actor="monitor 7",
            basis="crater seen on site",
            at=NOW,
            assessed_perpetrator="RU",
            perpetrator_basis="crater_analysis",
        )
        store.release_incident(target, by="monitor 7", at=NOW)
        simulate_hotline(store, agreement, NOW + timedelta(hours=1), hours=30)
        ledger.sign_checkpoint(store, LOG)
        ledger.audit(store, LOG.verifier())  # holds as built
    yield databases, where
    databases.close()


def _incident_of(store: Store, report_id: str) -> str:
    with store.read() as conn:
        from sqlalchemy import text

        return str(
            conn.execute(
                text("SELECT incident_id FROM incident_reports WHERE report_id = :r"),
                {"r": report_id},
            ).scalar_one()
        )


@pytest.fixture
def store(built: tuple[Databases, str]) -> Iterator[Store]:
    databases, where = built
    copy = databases.copy(where)
    try:
        with Store.open(copy) as opened:
            yield opened
    finally:
        databases.drop(copy)


# Where the edits land: a report of the verified incident, that incident, a second incident,
# a notification that was acknowledged and answered, one that was escalated.
REP = "'rep-005'"
INC = f"(SELECT incident_id FROM incident_reports WHERE report_id = {REP})"
OTHER = f"(SELECT min(incident_id) FROM incidents WHERE incident_id <> {INC})"
ACKED = (
    "(SELECT min(message_id) FROM hotline_messages WHERE kind = 'notification'"
    " AND answered_at IS NOT NULL)"
)
ESCALATED = "(SELECT min(message_id) FROM hotline_messages WHERE level > 0)"
DIGEST = "(SELECT min(message_id) FROM hotline_messages WHERE kind = 'digest')"
LAST_STATUS = f"(SELECT max(seq) FROM status_changes WHERE incident_id = {INC})"

#: The record whose entry the audit must name, as (kind, SQL giving its record id).
REPORT = ("report", "SELECT 'rep-005'")
INCIDENT = ("incident", f"SELECT 'incident/' || {INC}")
STATUS = ("status_change", f"SELECT 'status/' || {LAST_STATUS}")
NOTIFICATION = ("hotline_message", f"SELECT 'hotline/' || {ACKED}")
ESCALATION = ("hotline_message", f"SELECT 'hotline/' || {ESCALATED}")
DIGESTED = ("hotline_message", f"SELECT 'hotline/' || {DIGEST}")


def _report(column: str, value: str) -> tuple[str, tuple[str, str]]:
    return f"UPDATE reports SET {column} = {value} WHERE report_id = {REP}", REPORT


def _incident(column: str, value: str) -> tuple[str, tuple[str, str]]:
    return f"UPDATE incidents SET {column} = {value} WHERE incident_id = {INC}", INCIDENT


TAMPERING: dict[str, tuple[str, tuple[str, str]]] = {
    # reports: every column the body gives, and the placement columns against the placement
    "report.submitted_by": _report("submitted_by", "'RU'"),
    "report.source_kind": _report("source_kind", "'sensor'"),
    "report.event_type": _report("event_type", "'small_arms'"),
    "report.weapon_class": _report("weapon_class", "'mortar'"),
    "report.observed_from": _report("observed_from", "'2026-11-19 10:00:00'"),
    "report.observed_to": _report("observed_to", "'2026-11-21 10:00:00'"),
    "report.lon": _report("lon", "lon + 0.5"),
    "report.lat": _report("lat", "lat - 0.5"),
    "report.uncertainty_m": _report("uncertainty_m", "5"),
    "report.content_hash": _report("content_hash", "'0000'"),
    "report.party": _report("party", "'XX'"),
    "report.side": _report("side", "'outside'"),
    "report.distance_m": _report("distance_m", "1"),
    "report.zones": _report("zones", "'[]'"),
    "report.oblast": _report("oblast", "'Kyiv'"),
    "report.body-not-json": _report("body", "'{not json'"),
    # the placement and its columns edited together, so they agree: the leaf holds the placement
    "report.placement": (
        "UPDATE reports SET placement = '{\"party\": \"XX\"}', party = 'XX', side = NULL, "
        f"distance_m = NULL, zones = NULL, oblast = NULL WHERE report_id = {REP}",
        REPORT,
    ),
    "report.placement_logged": _report("placement_logged", "NOT placement_logged"),
    "report.deleted": (
        f"DELETE FROM incident_reports WHERE report_id = {REP};"
        f"DELETE FROM reports WHERE report_id = {REP}",
        REPORT,
    ),
    # incidents: the fused body is logged; its columns, members, status and assessment derive
    "incident.body": _incident("body", "replace(body, 'rep-005', 'rep-099')"),
    "incident.body-not-json": _incident("body", "'[1, 2'"),
    "incident.event_type": _incident("event_type", "'airstrike'"),
    "incident.group_name": _incident("group_name", "'weapons'"),
    "incident.observed_from": _incident("observed_from", "'2026-11-19 10:00:00'"),
    "incident.lon": _incident("lon", "lon + 1"),
    "incident.lat": _incident("lat", "lat + 1"),
    "incident.uncertainty_m": _incident("uncertainty_m", "1"),
    "incident.place_precision": _incident("place_precision", "'oblast'"),
    "incident.n_reports": _incident("n_reports", "n_reports + 5"),
    "incident.n_sources": _incident("n_sources", "n_sources + 2"),
    "incident.party": _incident("party", "'XX'"),
    "incident.side": _incident("side", "'outside'"),
    "incident.distance_m": _incident("distance_m", "0"),
    "incident.zones": _incident("zones", "'[]'"),
    "incident.oblast": _incident("oblast", "'Kyiv'"),
    "incident.status": (
        f"UPDATE incidents SET status = 'unfounded' WHERE incident_id = {INC}",
        STATUS,
    ),
    "incident.assessed_perpetrator": (
        f"UPDATE incidents SET assessed_perpetrator = 'UA' WHERE incident_id = {INC}",
        STATUS,
    ),
    "incident.assessed_basis": (
        f"UPDATE incidents SET assessed_basis = 'claim' WHERE incident_id = {INC}",
        STATUS,
    ),
    "incident.merged_into": _incident("merged_into", OTHER),
    "incident.deleted": (
        f"DELETE FROM status_changes WHERE incident_id = {INC};"
        f"DELETE FROM violations WHERE incident_id = {INC};"
        f"DELETE FROM incident_reports WHERE incident_id = {INC};"
        # INC is gone with its members: the one live incident that has none left
        "DELETE FROM incidents WHERE merged_into IS NULL AND incident_id NOT IN "
        "(SELECT incident_id FROM incident_reports)",
        INCIDENT,
    ),
    "membership.moved": (
        f"UPDATE incident_reports SET incident_id = {OTHER} WHERE report_id = {REP}",
        INCIDENT,
    ),
    "membership.deleted": (f"DELETE FROM incident_reports WHERE report_id = {REP}", INCIDENT),
    # logged rows
    "status_change.actor": (
        f"UPDATE status_changes SET actor = 'someone else' WHERE seq = {LAST_STATUS}",
        STATUS,
    ),
    "status_change.deleted": (f"DELETE FROM status_changes WHERE seq = {LAST_STATUS}", STATUS),
    "release.full": (
        'UPDATE incident_releases SET "full" = NOT "full"',
        ("release", f"SELECT 'release/' || {INC}"),
    ),
    "agreement.title": (
        "UPDATE agreements SET title = 'another'",
        ("agreement", "SELECT agreement_id || '@' || version FROM agreements"),
    ),
    "violation.party": (
        "UPDATE violations SET party = 'XX' WHERE seq = (SELECT min(seq) FROM violations)",
        ("violation", "SELECT 'violation/' || min(seq) FROM violations"),
    ),
    # hotline: the record is logged; columns, addresses and each recipient's progress derive
    "hotline.record-not-json": (
        f"UPDATE hotline_messages SET record = 'x' WHERE message_id = {ACKED}",
        NOTIFICATION,
    ),
    "hotline.kind": (
        f"UPDATE hotline_messages SET kind = 'query' WHERE message_id = {ACKED}",
        NOTIFICATION,
    ),
    "hotline.sender": (
        f"UPDATE hotline_messages SET sender = 'RU' WHERE message_id = {ACKED}",
        NOTIFICATION,
    ),
    "hotline.answer_due": (
        f"UPDATE hotline_messages SET answer_due = NULL WHERE message_id = {ACKED}",
        NOTIFICATION,
    ),
    "hotline.acknowledged_at": (
        f"UPDATE hotline_messages SET acknowledged_at = NULL WHERE message_id = {ACKED}",
        NOTIFICATION,
    ),
    "hotline.answered_at": (
        f"UPDATE hotline_messages SET answered_at = NULL WHERE message_id = {ACKED}",
        NOTIFICATION,
    ),
    "hotline.level": (
        f"UPDATE hotline_messages SET level = 0 WHERE message_id = {ESCALATED}",
        ESCALATION,
    ),
    "hotline.deleted": (f"DELETE FROM hotline_messages WHERE message_id = {ACKED}", NOTIFICATION),
    "address.level": (
        "UPDATE hotline_addresses SET level = 0 WHERE level > 0 AND seq = (SELECT seq FROM "
        f"hotline_messages WHERE message_id = {ESCALATED})",
        ESCALATION,
    ),
    "address.answered_at": (
        "UPDATE hotline_addresses SET answered_at = NULL WHERE answered_at IS NOT NULL AND seq ="
        f" (SELECT seq FROM hotline_messages WHERE message_id = {ACKED})",
        NOTIFICATION,
    ),
    # A digest's items are part of its logged record: one slipped in (or left out) is caught.
    "hotline.digest-items": (
        'UPDATE hotline_messages SET record = replace(record, \'"items": ["\', '
        f'\'"items": ["sys:n.INC-999999.UA", "\') WHERE message_id = {DIGEST}',
        DIGESTED,
    ),
    "address.removed": (
        "DELETE FROM hotline_addresses WHERE address <> 'mission' AND seq = (SELECT seq FROM "
        f"hotline_messages WHERE message_id = {ACKED})",
        NOTIFICATION,
    ),
    "address.added": (
        "INSERT INTO hotline_addresses (address, seq, level) SELECT 'XX', seq, 0 FROM "
        f"hotline_messages WHERE message_id = {ACKED}",
        NOTIFICATION,
    ),
}


def _expected(store: Store, where: tuple[str, str]) -> int:
    kind, id_sql = where
    with raw(store) as conn:
        (record_id,) = conn.execute(id_sql).fetchone()
        (idx,) = conn.execute(
            "SELECT max(idx) FROM ledger_entries WHERE kind = ? AND record_id = ?",
            (kind, record_id),
        ).fetchone()
    assert idx is not None, f"no entry for {kind} {record_id}"
    return int(idx)


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_each_edit_is_named_at_its_record(store: Store, case: str) -> None:
    sql, where = TAMPERING[case]
    expected = _expected(store, where)
    with raw(store) as conn:
        conn.executescript(sql)
    with pytest.raises(VerificationError) as caught:
        ledger.audit(store, LOG.verifier())
    assert caught.value.entry == expected, str(caught.value)


def test_the_spatial_index_is_checked(store: Store) -> None:
    """SQLite's R*Tree answers bounding-box queries: a box moved off its point hides the report."""
    if store._engine.dialect.name != "sqlite":
        pytest.skip("PostGIS derives its index from lon/lat itself")
    expected = _expected(store, REPORT)
    with raw(store) as conn:
        conn.execute(
            "UPDATE reports_rtree SET min_lon = min_lon + 1, max_lon = max_lon + 1 "
            f"WHERE id = (SELECT seq FROM reports WHERE report_id = {REP})"
        )
    with pytest.raises(VerificationError) as caught:
        ledger.audit(store, LOG.verifier())
    assert caught.value.entry == expected


def test_the_fixture_holds_what_the_cases_edit(store: Store) -> None:
    """Each case must have something to edit: otherwise it would pass by finding nothing."""
    with raw(store) as conn:
        for what in (ACKED, ESCALATED, DIGEST, OTHER, LAST_STATUS):
            (value,) = conn.execute(f"SELECT {what}").fetchone()
            assert value is not None, what
        kinds = {k for (k,) in conn.execute("SELECT DISTINCT kind FROM hotline_messages")}
    assert {"notification", "acknowledgement", "response", "escalation", "digest"} <= kinds


# -- a body that is not JSON --------------------------------------------------------------------


def test_an_unreadable_body_fails_verify_cleanly_and_listings_still_answer(
    store: Store, tmp_path: Any
) -> None:
    """A report body edited into something that is not JSON: `ledger verify` names its entry
    (exit 1, no traceback, no bytes of the body); the report listings answer 200 without it;
    reading that one report says the store holds something damaged, without its bytes."""
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from ceasefire.api import create_app
    from ceasefire.cli.app import app as cli_app

    expected = _expected(store, REPORT)
    with raw(store) as conn:
        conn.execute(f"UPDATE reports SET body = '{{\"SECRET-BYTES' WHERE report_id = {REP}")
    if store._engine.dialect.name == "sqlite":
        result = CliRunner().invoke(
            cli_app, ["ledger", "verify", "--db", str(store._engine.url.database)]
        )
        assert result.exit_code == 1, result.output
        assert f"first bad entry: {expected}" in result.output
        assert "Traceback" not in result.output and "SECRET-BYTES" not in result.output
    token = store.add_user("duty-monitor", "monitor")
    client = TestClient(create_app(store, load_agreement(demo_agreement_path())))
    auth = {"Authorization": f"Bearer {token}"}
    listing = client.get("/api/v1/reports?limit=100", headers=auth)
    assert listing.status_code == 200, listing.text
    ids = {f["id"] if "id" in f else f["properties"]["id"] for f in listing.json()["items"]}
    assert "rep-005" not in ids and "rep-004" in ids
    one = client.get("/api/v1/reports/rep-005", headers=auth)
    assert one.status_code != 500 and "SECRET-BYTES" not in one.text
    members = client.get(f"/api/v1/incidents/{_incident_of(store, 'rep-004')}", headers=auth)
    assert members.status_code == 200
