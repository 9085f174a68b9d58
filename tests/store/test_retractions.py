"""Retracting and correcting reports: logged, left out of every count and of fusion, kept as
history; an incident left with no report is withdrawn (each backend)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backends import OPERATOR, huliaipole_report, raw
from ceasefire import ledger
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.api import create_app
from ceasefire.cli.app import app as cli_app
from ceasefire.errors import ConflictError, ForbiddenError, InputError, NotFoundError
from ceasefire.intake.report import Report
from ceasefire.pipeline import fuse_store, ingest_reports
from ceasefire.publish.access import Principal
from ceasefire.store.facade import Store

NOW = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
AGREEMENT = load_agreement(demo_agreement_path())
UA = Principal("ua-liaison", "party", "UA")
RU = Principal("ru-liaison", "party", "RU")
MONITOR = Principal("monitor-3", "monitor")
MEDIATOR = Principal("mediator-1", "mediator")


def report(i: int, **changes: Any) -> Report:
    return huliaipole_report(i, NOW, **changes)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """Eight reports of four events, fused: four incidents of two sources each."""
    with Store.open(db_url) as opened:
        ingest_reports(opened, [report(i) for i in range(8)], AGREEMENT, entered_by=OPERATOR)
        fuse_store(opened, [AGREEMENT], now=NOW)
        yield opened


def _incident_of(store: Store, report_id: str) -> str | None:
    for s in store.list_incidents():
        if report_id in s.incident.report_ids and s.merged_into is None:
            return s.incident_id
    return None


def test_a_party_retracts_its_own_report_and_every_count_leaves_it_out(store: Store) -> None:
    before = store.count_reports()
    incident = _incident_of(store, "rep-002")
    done = store.retract_report("rep-002", by=UA, reason="wrong place: typed the next village")
    assert (done.by, done.party, done.left_incident, done.withdrawn) == (
        "ua-liaison",
        "UA",
        incident,
        False,
    )
    assert store.count_reports() == before - 1
    assert "rep-002" not in {r.id for r in store.list_reports()}
    assert "rep-002" in {r.id for r in store.list_reports(retracted=True)}  # history keeps it
    assert store.get_report("rep-002").id == "rep-002"
    assert store.retraction("rep-002") is not None
    (entry,) = store.ledger_entries("retraction/rep-002")
    assert '"reason":"wrong place: typed the next village"' in entry.body
    ledger.audit(store)
    # Fusion never sees it again: the incident keeps the patrol's report, one source now.
    fuse_store(store, [AGREEMENT], now=NOW + timedelta(hours=1))
    after = store.get_incident(incident or "")
    assert after.incident.report_ids == ("rep-003",)
    assert after.status == "reported"
    ledger.audit(store)


def test_an_incident_whose_last_report_is_retracted_is_withdrawn(store: Store) -> None:
    incident = _incident_of(store, "rep-004") or ""
    store.retract_report("rep-004", by=UA, reason="duplicate")
    violations = store.list_violations(incident_id=incident)
    done = store.retract_report("rep-005", by=MONITOR, reason="the patrol heard the UA report")
    assert (done.left_incident, done.withdrawn) == (incident, True)
    assert store.get_incident(incident).status == "withdrawn"
    history = store.status_history(incident)
    assert history[-1].to_status == "withdrawn" and history[-1].automatic
    assert not store.list_violations(incident_id=incident), violations  # superseded
    with pytest.raises(ConflictError, match="withdrawn"):
        store.set_status(incident, status="verified", actor="monitor-9", basis="visit", at=NOW)
    ledger.audit(store)
    fuse_store(store, [AGREEMENT], now=NOW + timedelta(hours=1))
    assert store.get_incident(incident).status == "withdrawn"
    ledger.audit(store)


def test_who_may_retract_what(store: Store) -> None:
    # Another party's report reads as a missing one: the error tells RU nothing.
    with pytest.raises(NotFoundError) as other:
        store.retract_report("rep-002", by=RU, reason="lies")
    with pytest.raises(NotFoundError) as missing:
        store.retract_report("rep-999", by=RU, reason="lies")
    assert str(other.value).replace("002", "999") == str(missing.value)
    with pytest.raises(NotFoundError):  # the mission's patrol is not UA's to withdraw
        store.retract_report("rep-003", by=UA, reason="not ours")
    for role in (MEDIATOR, Principal("anyone", "public")):
        with pytest.raises(ForbiddenError):
            store.retract_report("rep-002", by=role, reason="no")
    with pytest.raises(InputError, match="reason"):
        store.retract_report("rep-002", by=UA, reason="   ")
    store.retract_report("rep-002", by=UA, reason="mistake")
    with pytest.raises(ConflictError, match="already"):
        store.retract_report("rep-002", by=MONITOR, reason="again")
    assert store.ledger_entries("retraction/rep-003") == []


def test_a_correction_retracts_what_it_corrects(store: Store) -> None:
    fixed = report(2, id="rep-002b", corrects="rep-002", lon=36.38)
    ingest_reports(store, [fixed], AGREEMENT, entered_by=UA)
    gone = store.retraction("rep-002")
    # A party's own ids are stored in its space (UA:...); it names its reports by either.
    assert gone is not None and gone.corrected_by == "UA:rep-002b" and gone.by == "ua-liaison"
    ids = {r.id for r in store.list_reports()}
    assert "UA:rep-002b" in ids and "rep-002" not in ids
    ledger.audit(store)
    # Correcting it again, or another submitter's report, stores nothing.
    size = store.ledger_state().size
    with pytest.raises(ConflictError, match="retracted already"):
        ingest_reports(store, [report(2, id="rep-002c", corrects="rep-002")], AGREEMENT,
                       entered_by=UA)  # fmt: skip
    with pytest.raises(InputError, match="corrects"):
        ingest_reports(store, [report(4, id="rep-004b", corrects="rep-003")], AGREEMENT,
                       entered_by=UA)  # fmt: skip
    with pytest.raises(ValueError, match="names the report itself"):
        Report.model_validate(report(4).to_dict() | {"corrects": "rep-004"}, context={"now": NOW})
    assert store.ledger_state().size == size
    assert {"UA:rep-002c", "UA:rep-004b"}.isdisjoint({r.id for r in store.list_reports()})
    # The party retracts its correction by the id it chose.
    assert store.retract_report("rep-002b", by=UA, reason="x").report_id == "UA:rep-002b"


def test_a_deleted_or_edited_retraction_is_named_by_the_audit(store: Store) -> None:
    store.retract_report("rep-002", by=UA, reason="mistake")
    (entry,) = store.ledger_entries("retraction/rep-002")
    with raw(store) as conn:
        conn.execute("UPDATE report_retractions SET by_party = 'RU'")
    with pytest.raises(Exception) as caught:
        ledger.audit(store)
    assert f"first bad entry: {entry.idx}" in str(caught.value)


def test_the_api_and_the_cli_retract(store: Store, tmp_path: Any) -> None:
    tokens = {
        name: store.add_user(name, role, party)
        for name, role, party in (
            ("ua", "party", "UA"),
            ("ru", "party", "RU"),
            ("med", "mediator", None),
        )
    }
    client = TestClient(create_app(store, AGREEMENT))

    def post(who: str, report_id: str, body: Any) -> Any:
        auth = {"Authorization": f"Bearer {tokens[who]}"}
        return client.post(f"/api/v1/reports/{report_id}/retract", json=body, headers=auth)

    assert post("med", "rep-002", {"reason": "x"}).status_code == 403
    assert post("ru", "rep-002", {"reason": "x"}).status_code == 404
    bad = post("ua", "rep-002", {})
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "reason"
    done = post("ua", "rep-002", {"reason": "wrong place"})
    assert done.status_code == 200, done.text
    assert done.json()["by"] == {"name": "ua", "role": "party", "party": "UA"}
    assert post("ua", "rep-002", {"reason": "again"}).status_code == 409
    if store._engine.dialect.name == "sqlite":
        result = CliRunner().invoke(
            cli_app,
            ["retract", "rep-004", "--reason", "duplicate", "--db",
             str(store._engine.url.database), "--as", "duty-officer"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        gone = store.retraction("rep-004")
        assert gone is not None and (gone.by, gone.role) == ("duty-officer", "admin")
