"""Signed submissions: a party signs its reports with its Ed25519 key; the store checks them.

A report's ``signature`` field is ``<key name> <base64(key ID || Ed25519 signature)>``, the
shape of a C2SP signed-note signature line without its leading dash, with the key ID as
signed-note derives it. What is signed is the RFC 8785 canonical JSON of the report as the
mechanism stores and logs it (:meth:`Report.to_dict`, without ``signature``), so the signature
can be checked again by anyone from the ledger leaf, long after intake.

A party may require every report in its name to be signed (``require_signed_reports`` in the
agreement, :mod:`ceasefire.agreement.parties`): an unsigned one is then refused as well.

A report signed with a key the store does not trust, or whose signature does not verify, or
signed with one party's key but submitted in another's name, is refused with a clear error
naming the report and the field, and nothing of its batch is stored
(:meth:`ceasefire.store.writing.BulkWriter.add` calls :func:`check_signatures` before writing).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ceasefire.agreement.parties import party_scoped_id
from ceasefire.canonical import canonical_json
from ceasefire.errors import InputError, Problem
from ceasefire.intake.places import without_resolved
from ceasefire.intake.report import RECORDED_FIELDS, Report
from ceasefire.ledger.notes import ED25519, Signer, Verifier

__all__ = ["SIGNATURE_FIELD", "TrustedKey", "check_signatures", "sign_report", "signed_message"]

#: The report field that carries the signature.
SIGNATURE_FIELD = "signature"
_KEY_ID_LEN = 4
_SIG_LEN = 64


@dataclass(frozen=True)
class TrustedKey:
    """A submitter's public key the store accepts signatures from, and the ``submitted_by``
    it may sign for (None: any)."""

    verifier: Verifier
    party: str | None


def signed_message(report: Report | Mapping[str, Any]) -> bytes:
    """The bytes a submitter signs: the canonical JSON of the report without its signature.

    The id signed is the one the report is stored under (a party's scoped to it,
    :func:`ceasefire.intake.report.party_scoped_id`), whichever of the two it was sent with.
    A report's ledger leaf may be given as well: what the mechanism recorded beside it (who
    stored it, where it placed it: :func:`ceasefire.ledger.log.report_item`) is not the
    submitter's and is left out too; no report carries those names itself
    (:data:`ceasefire.intake.report.RECORDED_FIELDS`).
    """
    data = report.to_dict() if isinstance(report, Report) else dict(report)
    data.pop(SIGNATURE_FIELD, None)
    for name in RECORDED_FIELDS:
        data.pop(name, None)
    # What a place name filled in is the mechanism's, not the submitter's: the submitter signed
    # {"place": "Kupiansk"}, not the point the gazetteer gave it (ceasefire.intake.places).
    data = without_resolved(data)
    # The id as stored: a party's scoped to it (``UA:<id>``), so a report signed with the id
    # it was sent with verifies again from its ledger leaf.
    ident, who, kind = data.get("id"), data.get("submitted_by"), data.get("source_kind")
    if isinstance(ident, str) and isinstance(who, str) and isinstance(kind, str):
        data["id"] = party_scoped_id(ident, who, kind)
    return canonical_json(data, where=str(data.get("id", "report")))


def sign_report(report: Report, signer: Signer) -> Report:
    """The report with ``signature`` set by ``signer`` (a note key, type 0x01)."""
    if signer.sig_type != ED25519:
        raise InputError(Problem("key", signer.name, "a cosigning key cannot sign reports"))
    signature = signer.sign(signed_message(report))
    payload = signer.key_id.to_bytes(_KEY_ID_LEN, "big") + signature
    return report.replaced(
        **{SIGNATURE_FIELD: f"{signer.name} {base64.b64encode(payload).decode()}"}
    )


def _problem(report: Report, trusted: Mapping[tuple[str, int], TrustedKey]) -> str | None:
    """Why the report's signature is refused, or None when it holds (or there is none)."""
    text = report.signature
    if text is None:
        return None
    name, _, b64 = text.partition(" ")
    try:
        payload = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        return "must be '<key name> <base64 of key ID and signature>'"
    if not name or len(payload) != _KEY_ID_LEN + _SIG_LEN:
        return "must be '<key name> <base64 of key ID and signature>' (68 bytes)"
    key_id = int.from_bytes(payload[:_KEY_ID_LEN], "big")
    key = trusted.get((name, key_id))
    if key is None:
        return f"key {name}+{key_id:08x} is not among the store's trusted submitter keys"
    if key.party is not None and key.party != report.submitted_by:
        return (
            f"key {name} signs for {key.party}, but the report is submitted_by "
            f"{report.submitted_by!r}"
        )
    if not key.verifier.verify(signed_message(report), payload[_KEY_ID_LEN:]):
        return f"does not verify with key {name}+{key_id:08x}: the report was changed or forged"
    return None


def check_signatures(
    reports: Iterable[Report],
    keys: Iterable[TrustedKey],
    *,
    required: Collection[str] = (),
) -> None:
    """Check every signed report; unsigned ones pass unless submitted in the name of a party
    in ``required`` (the agreement's parties with ``require_signed_reports``).

    Raises
    ------
    InputError
        One problem per refused report, each naming the report and ``signature``.
    """
    trusted = {(k.verifier.name, k.verifier.key_id): k for k in keys}
    problems = []
    for report in reports:
        if report.signature is None:
            if report.submitted_by not in required:
                continue
            reason: str | None = (
                f"missing: {report.submitted_by} requires every report in its name to be "
                "signed with one of its keys"
            )
        else:
            reason = _problem(report, trusted)
        if reason is not None:
            problems.append(Problem(report.id, SIGNATURE_FIELD, reason))
    if problems:
        raise InputError(problems)
