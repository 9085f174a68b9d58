"""Signed submissions: a party's signature is checked at intake, kept in the ledger, and a bad
one refuses the batch with nothing stored."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from backends import OPERATOR
from ceasefire import ledger
from ceasefire.cli.app import app
from ceasefire.errors import ConflictError, InputError
from ceasefire.intake.report import Report
from ceasefire.intake.signing import sign_report, signed_message
from ceasefire.ledger.notes import Signer
from ceasefire.store.facade import Store

NOW = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
UA_KEY = Signer.generate("UA-submissions")
RU_KEY = Signer.generate("RU-submissions")


def complaint(i: int, submitted_by: str = "UA", **changes: Any) -> Report:
    data: dict[str, Any] = {
        "id": f"{submitted_by.lower()}-complaint-{i}",
        "submitted_by": submitted_by,
        "source_kind": "party",
        "observed_from": (NOW - timedelta(hours=i)).isoformat(),
        "lon": 35.9 + i / 100,
        "lat": 47.5,
        "uncertainty_m": 2000.0,
        "event_type": "shelling",
        "claimed_perpetrator": "RU" if submitted_by == "UA" else "UA",
        "injured": i % 3,
    }
    data.update(changes)
    return Report.model_validate(data, context={"now": NOW})


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as opened:
        opened.trust_key(UA_KEY.verifier(), "UA")
        opened.trust_key(RU_KEY.verifier(), "RU")
        yield opened


def test_a_signed_report_is_stored_and_its_signature_logged(store: Store) -> None:
    signed = sign_report(complaint(1), UA_KEY)
    assert signed.signature is not None and signed.signature.startswith("UA-submissions ")
    assert store.add_reports([signed], entered_by=OPERATOR).added == 1
    assert store.get_report(signed.id).signature == signed.signature
    # Anyone holding the ledger leaf can check the party's signature again.
    ledger.sign_checkpoint(store, Signer.generate("ceasefire.test/log"))
    record = ledger.prove(store, signed.id)["record"]["record"]
    import base64

    payload = base64.b64decode(record["signature"].split(" ")[1])
    assert UA_KEY.verifier().verify(signed_message(record), payload[4:])


def _refused(store: Store, reports: list[Report], reason: str) -> InputError:
    before = store.ledger_state().size
    with pytest.raises(InputError) as caught:
        store.add_reports(reports, entered_by=OPERATOR)
    problem = caught.value.problems[0]
    assert problem.field == "signature"
    assert reason in problem.reason, problem.reason
    assert store.count_reports() == 0 and store.ledger_state().size == before
    return caught.value


def test_a_report_signed_with_a_place_name_verifies_once_placed_and_from_its_leaf(
    store: Store,
) -> None:
    """The party signs what it sends, a place name without a point; the point the gazetteer
    gives it is stored and logged beside it and the signature still holds, at intake and from
    the ledger leaf."""
    sent = {
        "id": "ua-by-name-1",
        "submitted_by": "UA",
        "source_kind": "party",
        "observed_from": "2026-11-21T05:00:00+02:00",  # as the report serialises it
        "place": "Kupiansk",
        "event_type": "shelling",
        "claimed_perpetrator": "RU",
    }
    signature = UA_KEY.sign(signed_message(sent))
    payload = UA_KEY.key_id.to_bytes(4, "big") + signature
    text = f"{UA_KEY.name} {base64.b64encode(payload).decode()}"
    report = Report.model_validate({**sent, "signature": text}, context={"now": NOW})
    assert report.lon is not None and report.place_precision == "near"
    assert store.add_reports([report], entered_by=OPERATOR).added == 1
    stored = store.get_report(report.id)
    assert (stored.lon, stored.place) == (report.lon, "Kupiansk")
    ledger.sign_checkpoint(store, Signer.generate("ceasefire.test/log"))
    record = ledger.prove(store, report.id)["record"]["record"]
    assert record["lon"] == report.lon  # the point is in the record...
    assert UA_KEY.verifier().verify(signed_message(record), signature)  # ...not in what was signed
    # Another place under the same signature is refused: the name is what was signed.
    moved = Report.model_validate(
        {**sent, "id": "ua-by-name-2", "place": "Kharkiv", "signature": text}, context={"now": NOW}
    )
    with pytest.raises(InputError, match="does not verify"):
        store.add_reports([moved], entered_by=OPERATOR)


def test_a_report_changed_after_signing_is_refused(store: Store) -> None:
    signed = sign_report(complaint(2), UA_KEY)
    changed = signed.model_copy(update={"injured": 9})
    error = _refused(store, [sign_report(complaint(3), UA_KEY), changed], "does not verify")
    assert error.problems[0].where == changed.id


def test_an_untrusted_key_is_refused(store: Store) -> None:
    stranger = Signer.generate("UA-submissions")  # the same name, another key
    _refused(store, [sign_report(complaint(4), stranger)], "not among the store's trusted")


def test_a_key_signs_only_for_its_own_party(store: Store) -> None:
    forged = sign_report(complaint(5, submitted_by="RU"), UA_KEY)
    _refused(store, [forged], "signs for UA")


@pytest.mark.parametrize(
    "text", ["UA-submissions", "UA-submissions not-base64!", "UA-submissions AAAA", " AAAA"]
)
def test_a_malformed_signature_is_refused(store: Store, text: str) -> None:
    _refused(store, [complaint(6).model_copy(update={"signature": text})], "must be")


def test_unsigned_reports_still_go_in(store: Store) -> None:
    assert store.add_reports([complaint(7)], entered_by=OPERATOR).added == 1


def test_a_key_is_trusted_once(store: Store) -> None:
    assert store.trust_key(UA_KEY.verifier(), "UA") is False
    with pytest.raises(ConflictError):
        store.trust_key(UA_KEY.verifier(), "RU")
    assert {k.party for k in store.trusted_keys()} == {"UA", "RU"}


def test_cli_sign_trust_ingest(tmp_path: Path, db_url: str) -> None:
    runner = CliRunner()
    db = db_url
    key = tmp_path / "keys" / "ua.key"
    assert (
        runner.invoke(app, ["ledger", "keygen", "UA-submissions", "--out", str(key)]).exit_code == 0
    )
    trusted = runner.invoke(app, ["ledger", "trust", f"{key}.pub", "--party", "UA", "--db", db])
    assert trusted.exit_code == 0 and "now trusted for UA" in trusted.output
    plain = tmp_path / "complaints.jsonl"
    plain.write_text("".join(json.dumps(complaint(i).to_dict()) + "\n" for i in range(3)))
    signed = tmp_path / "signed.jsonl"
    made = runner.invoke(
        app, ["ledger", "sign-reports", str(plain), "--key", str(key), "--out", str(signed)]
    )
    assert made.exit_code == 0, made.output
    forged = tmp_path / "forged.jsonl"
    forged.write_text(signed.read_text().replace('"injured": 1', '"injured": 7'))
    refused = runner.invoke(app, ["ingest", str(forged), "--db", db])
    assert refused.exit_code == 1
    assert "ua-complaint-1: signature: does not verify" in refused.output
    accepted = runner.invoke(app, ["ingest", str(signed), "--db", db, "--json"])
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(accepted.output)["added"] == 3
