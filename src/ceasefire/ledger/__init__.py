"""The tamper-evident record: Merkle hashing and proofs, signed notes, the audit.

Every accepted record and state change is a leaf of one append-only Merkle log (RFC 9162), kept
in the store beside the records. The log signs checkpoints (C2SP tlog-checkpoint,
:mod:`~ceasefire.ledger.checkpoints`; signed notes with Ed25519, :mod:`~ceasefire.ledger.notes`);
each party may cosign them (C2SP tlog-cosignature) after checking that the log only grew since the
checkpoint it last saw. Nothing here runs SQL: the store is passed in
(:class:`~ceasefire.ledger.proofs.LedgerStore`, :class:`~ceasefire.ledger.auditor.AuditSource`).

- :mod:`~ceasefire.ledger.merkle`: RFC 9162 hashing, inclusion and consistency proofs.
- :mod:`~ceasefire.ledger.notes`: signed notes and their keys.
- :mod:`~ceasefire.ledger.checkpoints`: checkpoints and their cosignatures.
- :mod:`~ceasefire.ledger.log`: how records become leaves; entries and checkpoints as stored.
- :mod:`~ceasefire.ledger.proofs`: signing, cosigning, proving a record, verifying bundles.
- :mod:`~ceasefire.ledger.auditor`: rereading the whole store against its log.
- :mod:`~ceasefire.ledger.keys`: key files.
"""

from ceasefire.ledger.auditor import AuditReport, audit
from ceasefire.ledger.keys import read_signer, read_verifier, write_key
from ceasefire.ledger.proofs import (
    LedgerStore,
    Verified,
    add_cosignature,
    cosign_latest,
    prove,
    prove_entries,
    sign_checkpoint,
    verify_bundle,
    verify_consistency_from,
)

__all__ = [
    "AuditReport",
    "LedgerStore",
    "Verified",
    "add_cosignature",
    "audit",
    "cosign_latest",
    "prove",
    "prove_entries",
    "read_signer",
    "read_verifier",
    "sign_checkpoint",
    "verify_bundle",
    "verify_consistency_from",
    "write_key",
]
