"""Checkpoints and their cosignatures (C2SP tlog-checkpoint, tlog-cosignature):
:mod:`ceasefire.ledger.checkpoints`, over the signed notes of :mod:`ceasefire.ledger.notes`."""

from __future__ import annotations

import base64

import pytest

from ceasefire.errors import InputError, VerificationError
from ceasefire.ledger.checkpoints import Checkpoint, cosign, verify_cosignatures
from ceasefire.ledger.notes import (
    COSIGNATURE_V1,
    Signer,
    cosigned_message,
    open_note,
    sign_note,
)

#: The checkpoint body from tlog-checkpoint.md's opening example.
SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)

LOG = "example.com/behind-the-sofa"
ROOT = bytes(range(32))


@pytest.fixture(scope="module")
def log_signer() -> Signer:
    return Signer.generate(LOG)


@pytest.fixture(scope="module")
def witnesses() -> list[Signer]:
    return [Signer.generate(f"witness.example.com/w{i}", cosigner=True) for i in (1, 2, 3)]


@pytest.fixture(scope="module")
def checkpoint_note(log_signer: Signer) -> str:
    return sign_note(Checkpoint(LOG, 7, ROOT).body(), log_signer)


def cosigned_by(note: str, signers: list[Signer], timestamp: int = 1679315147) -> str:
    for i, s in enumerate(signers):
        note = cosign(note, s, timestamp + i)
    return note


# -- checkpoints ----------------------------------------------------------------------------------


def test_spec_checkpoint_parses_and_formats_back() -> None:
    checkpoint = Checkpoint.parse(SPEC_CHECKPOINT)
    assert (checkpoint.origin, checkpoint.size, checkpoint.extensions) == (LOG, 20852163, ())
    assert len(checkpoint.root) == 32
    assert checkpoint.body() == SPEC_CHECKPOINT


@pytest.mark.parametrize(
    "checkpoint",
    [
        Checkpoint(LOG, 0, bytes(32)),
        Checkpoint(LOG, 2**64 - 1, ROOT),
        Checkpoint("origin with a space", 5, ROOT, ("ext one", "ext two")),
    ],
    ids=["empty-tree", "largest-size", "extensions"],
)
def test_checkpoint_round_trip(checkpoint: Checkpoint) -> None:
    assert Checkpoint.parse(checkpoint.body()) == checkpoint


_ROOT64 = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    ("text", "field"),
    [
        pytest.param(f"\n5\n{_ROOT64}\n", "origin", id="empty-origin"),
        pytest.param(f"{LOG}\n05\n{_ROOT64}\n", "size", id="size-leading-zero"),
        pytest.param(f"{LOG}\n00\n{_ROOT64}\n", "size", id="size-double-zero"),
        pytest.param(f"{LOG}\n-5\n{_ROOT64}\n", "size", id="size-negative"),
        pytest.param(f"{LOG}\n+5\n{_ROOT64}\n", "size", id="size-plus-sign"),
        pytest.param(f"{LOG}\n5_0\n{_ROOT64}\n", "size", id="size-underscore"),
        pytest.param(f"{LOG}\n\u0665\n{_ROOT64}\n", "size", id="size-non-ascii-digit"),
        pytest.param(f"{LOG}\n 5\n{_ROOT64}\n", "size", id="size-space"),
        pytest.param(f"{LOG}\n{2**64}\n{_ROOT64}\n", "size", id="size-over-uint64"),
        pytest.param(f"{LOG}\n5\n{base64.b64encode(bytes(31)).decode()}\n", "root", id="root-31"),
        pytest.param(f"{LOG}\n5\n{_ROOT64[:-1]}\n", "root", id="root-bad-padding"),
        pytest.param(f"{LOG}\n5\nnot base64!\n", "root", id="root-not-base64"),
        pytest.param(f"{LOG}\n5\n", "text", id="no-root-line"),
        pytest.param(f"{LOG}\n5\n{_ROOT64}", "text", id="no-final-newline"),
        pytest.param(f"{LOG}\n5\n{_ROOT64}\n\n", "extension", id="empty-extension"),
        pytest.param(f"{LOG}\n5\n{_ROOT64}\next\x07\n", "text", id="control-character"),
    ],
)
def test_malformed_checkpoint_is_rejected(text: str, field: str) -> None:
    with pytest.raises(InputError) as raised:
        Checkpoint.parse(text)
    assert raised.value.problems[0].field == field


# -- cosignatures ---------------------------------------------------------------------------------


def test_cosigned_message_is_the_spec_layout() -> None:
    # tlog-cosignature.md, "Ed25519 signed message": the example message.
    assert cosigned_message(SPEC_CHECKPOINT, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n" + SPEC_CHECKPOINT.encode()
    )


def test_cosignature_round_trip(
    log_signer: Signer, witnesses: list[Signer], checkpoint_note: str
) -> None:
    witness = witnesses[0]
    note = cosign(checkpoint_note, witness, 1679315147, log_verifier=log_signer.verifier())
    opened = open_note(note, [witness.verifier()])
    line = opened.signatures[-1]
    assert (line.name, line.key_id) == (witness.name, witness.key_id)
    # tlog-cosignature, "Format": u64 big-endian timestamp, then the 64-byte signature.
    assert len(line.signature) == 72
    assert int.from_bytes(line.signature[:8], "big") == 1679315147
    assert witness.verifier().verify(cosigned_message(opened.text, 1679315147), line.signature[8:])
    checked = verify_cosignatures(note, log_signer.verifier(), [witness.verifier()], 1)
    assert checked.checkpoint == Checkpoint(LOG, 7, ROOT)
    assert checked.cosigners == (witness.name,)
    assert checked.cosignatures[0].timestamp == 1679315147


def test_cosignature_covers_extension_lines(log_signer: Signer, witnesses: list[Signer]) -> None:
    note = sign_note(Checkpoint(LOG, 7, ROOT, ("ext",)).body(), log_signer)
    cosigned = cosign(note, witnesses[0], 5)
    verify_cosignatures(cosigned, log_signer.verifier(), [witnesses[0].verifier()], 1)
    # The same line under a note without the extension no longer verifies.
    stripped = cosigned.replace("ext\n", "", 1)
    with pytest.raises(VerificationError):
        open_note(stripped, [witnesses[0].verifier()])


def test_two_of_three_passes_with_two(
    log_signer: Signer, witnesses: list[Signer], checkpoint_note: str
) -> None:
    note = cosigned_by(checkpoint_note, witnesses[:2])
    checked = verify_cosignatures(note, log_signer.verifier(), [w.verifier() for w in witnesses], 2)
    assert checked.cosigners == (witnesses[0].name, witnesses[1].name)
    assert [c.timestamp for c in checked.cosignatures] == [1679315147, 1679315148]


def test_two_of_three_fails_with_one(
    log_signer: Signer, witnesses: list[Signer], checkpoint_note: str
) -> None:
    note = cosigned_by(checkpoint_note, witnesses[:1])
    with pytest.raises(VerificationError, match=r"1 trusted cosignature.* 2 needed") as raised:
        verify_cosignatures(note, log_signer.verifier(), [w.verifier() for w in witnesses], 2)
    assert (raised.value.expected, raised.value.computed) == ("2", "1")


def test_a_cosignature_from_an_untrusted_key_does_not_count(
    log_signer: Signer, witnesses: list[Signer], checkpoint_note: str
) -> None:
    stranger = Signer.generate("witness.example.com/stranger", cosigner=True)
    note = cosigned_by(checkpoint_note, [witnesses[0], stranger])
    with pytest.raises(VerificationError, match="1 trusted cosignature"):
        verify_cosignatures(note, log_signer.verifier(), [w.verifier() for w in witnesses], 2)


def test_a_duplicated_cosignature_counts_once(
    log_signer: Signer, witnesses: list[Signer], checkpoint_note: str
) -> None:
    note = cosigned_by(checkpoint_note, witnesses[:1])
    duplicated = note + note.splitlines(keepends=True)[-1]
    trusted = [w.verifier() for w in witnesses]
    assert len(open_note(duplicated, trusted).signatures) == 3
    with pytest.raises(VerificationError, match="1 trusted cosignature"):
        verify_cosignatures(duplicated, log_signer.verifier(), trusted, 2)


def test_one_key_trusted_under_two_names_counts_once(
    log_signer: Signer, witnesses: list[Signer], checkpoint_note: str
) -> None:
    # tlog-cosignature: the Ed25519 message does not commit to the cosigner's name.
    alias = Signer("witness.example.com/alias", witnesses[0].private_key, COSIGNATURE_V1)
    note = cosign(cosigned_by(checkpoint_note, witnesses[:1]), alias, 9)
    trusted = [witnesses[0].verifier(), alias.verifier()]
    with pytest.raises(VerificationError, match="1 trusted cosignature"):
        verify_cosignatures(note, log_signer.verifier(), trusted, 2)


def test_a_cosignature_over_a_different_checkpoint_fails(
    log_signer: Signer, witnesses: list[Signer], checkpoint_note: str
) -> None:
    other = sign_note(Checkpoint(LOG, 8, ROOT).body(), log_signer)
    stolen = cosigned_by(other, witnesses[:1]).splitlines(keepends=True)[-1]
    note = cosigned_by(checkpoint_note, witnesses[1:2]) + stolen
    with pytest.raises(VerificationError, match=witnesses[0].name.replace(".", r"\.")):
        verify_cosignatures(note, log_signer.verifier(), [w.verifier() for w in witnesses], 1)


def test_cosignatures_without_the_log_signature_fail(
    log_signer: Signer, witnesses: list[Signer], checkpoint_note: str
) -> None:
    note = cosigned_by(checkpoint_note, witnesses)
    body, block = note.split("\n\n", 1)
    without_log = body + "\n\n" + "".join(block.splitlines(keepends=True)[1:])
    with pytest.raises(VerificationError, match="not signed by the log"):
        verify_cosignatures(
            without_log, log_signer.verifier(), [w.verifier() for w in witnesses], 1
        )


def test_a_checkpoint_signed_by_another_log_key_fails(
    witnesses: list[Signer], checkpoint_note: str
) -> None:
    note = cosigned_by(checkpoint_note, witnesses)
    impostor = Signer.generate(LOG).verifier()
    with pytest.raises(VerificationError, match="not signed by the log"):
        verify_cosignatures(note, impostor, [w.verifier() for w in witnesses], 1)


def test_cosign_refuses_a_note_that_is_not_a_checkpoint(
    log_signer: Signer, witnesses: list[Signer]
) -> None:
    with pytest.raises(InputError):
        cosign(sign_note("hello\n", log_signer), witnesses[0], 1)


def test_cosign_checks_the_log_signature_when_asked(
    witnesses: list[Signer], checkpoint_note: str
) -> None:
    with pytest.raises(VerificationError):
        cosign(checkpoint_note, witnesses[0], 1, log_verifier=Signer.generate(LOG).verifier())


@pytest.mark.parametrize("timestamp", [-1, 2**63], ids=["negative", "over-2^63-1"])
def test_cosign_refuses_a_timestamp_out_of_range(
    witnesses: list[Signer], checkpoint_note: str, timestamp: int
) -> None:
    with pytest.raises(InputError):
        cosign(checkpoint_note, witnesses[0], timestamp)


def test_verify_cosignatures_refuses_a_plain_key_as_cosigner(
    log_signer: Signer, checkpoint_note: str
) -> None:
    with pytest.raises(InputError, match="cosignature/v1"):
        verify_cosignatures(checkpoint_note, log_signer.verifier(), [log_signer.verifier()], 1)


@pytest.mark.parametrize("k", [0, -1])
def test_verify_cosignatures_refuses_k_below_one(
    log_signer: Signer, witnesses: list[Signer], checkpoint_note: str, k: int
) -> None:
    with pytest.raises(InputError):
        verify_cosignatures(checkpoint_note, log_signer.verifier(), [witnesses[0].verifier()], k)
