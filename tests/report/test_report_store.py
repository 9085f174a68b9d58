"""The daily report against each backend (SQLite and PostgreSQL): the checkpoint picked, the
leaves read and checked, the note and its cosignatures kept (migration 0014), and a leaf
changed past the store failing the report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from backends import OPERATOR, huliaipole_report, raw
from ceasefire import reporting
from ceasefire.agreement.load import demo_agreement_path, load_agreement
from ceasefire.errors import ConflictError, VerificationError
from ceasefire.ledger.notes import Signer
from ceasefire.pipeline import fuse_store, ingest_reports
from ceasefire.report import scope
from ceasefire.store.facade import Store

AGREEMENT = load_agreement(demo_agreement_path())
LOG = Signer.generate("report.test/log")
UA = Signer.generate("UA-cosigner", cosigner=True)


def test_a_report_is_built_signed_cosigned_and_checked_on_each_backend(db_url: str) -> None:
    night = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # in the day ending 07:00 UTC on the 11th
    day = date(2026, 3, 11)
    with Store.open(db_url) as store:
        ingest_reports(
            store, [huliaipole_report(i, night) for i in range(6)], AGREEMENT, entered_by=OPERATOR
        )
        fuse_store(store, [AGREEMENT])
        store.ledger_sign(LOG, datetime(2026, 3, 11, 8, 0, tzinfo=UTC))
        built = reporting.build(store, AGREEMENT, day=day, tier="mission", fmt="json")
        assert built.data["summary"]["reports"] == 6 and built.data["summary"]["incidents"] > 0
        held = reporting.sign(store, built, LOG)
        assert reporting.sign(store, built, LOG).note == held.note  # the same report: kept once
        reporting.cosign(store, built.sha256, UA, LOG.verifier())
        ok = reporting.verify(
            built.body, AGREEMENT, store=store, log=LOG.verifier(),
            cosigners=[UA.verifier()], quorum=1,
        )  # fmt: skip
        assert ok.cosigners == ("UA-cosigner",)
        assert store.report_note_for(day.isoformat(), "mission", "json").sha256 == built.sha256
        with pytest.raises(ConflictError, match="records changed"):
            store.save_report_note(
                date=day.isoformat(), tier="mission", fmt="json", size=built.checkpoint.size,
                sha256="0" * 64, note=held.note,
            )  # fmt: skip
    with raw(db_url) as conn:
        conn.execute(
            "UPDATE ledger_entries SET body = replace(body, '\"shelling\"', '\"explosion\"') "
            "WHERE idx = (SELECT min(idx) FROM ledger_entries WHERE kind = 'report')"
        )
    with (
        Store.open(db_url) as store,
        pytest.raises(VerificationError, match="do not hash to the root"),
    ):
        reporting.verify(built.body, AGREEMENT, store=store, log=LOG.verifier())


def test_the_day_ends_at_the_agreements_cutoff() -> None:
    start, end = scope.period(date(2026, 3, 11), AGREEMENT.reporting)
    assert (start.isoformat(), end.isoformat()) == (
        "2026-03-10T07:00:00+00:00",
        "2026-03-11T07:00:00+00:00",
    )
    # Across the clock change (29 March 2026 in Kyiv) the day lasts 23 hours.
    start, end = scope.period(date(2026, 3, 29), AGREEMENT.reporting)
    assert end - start == timedelta(hours=23)
    assert scope.local_cutoff(AGREEMENT, end) is None
    assert scope.local_cutoff(AGREEMENT, end + timedelta(hours=10, minutes=30)) == "19:30"
