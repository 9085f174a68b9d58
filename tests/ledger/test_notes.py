"""Signed notes, checkpoints and cosignatures (C2SP signed-note, tlog-checkpoint,
tlog-cosignature), pinned by Go's sumdb/note vectors where those exist."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from backends import vector, vectors_dir
from ceasefire.errors import InputError, VerificationError
from ceasefire.ledger.checkpoints import Checkpoint, cosign, verify_cosignatures
from ceasefire.ledger.notes import (
    COSIGNATURE_V1,
    ED25519,
    MAX_SIGNATURES,
    Signer,
    Verifier,
    add_signatures,
    cosigned_message,
    open_note,
    sign_note,
)

GO_NOTE = vectors_dir() / "signed-note" / "go-note.json"

#: The checkpoint body from tlog-checkpoint.md's opening example.
SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)

LOG = "example.com/behind-the-sofa"
ROOT = bytes(range(32))


def _load_go_note() -> dict[str, Any] | None:
    if not GO_NOTE.is_file():
        return None
    data: dict[str, Any] = json.loads(GO_NOTE.read_text(encoding="utf-8"))
    return data


GO: dict[str, Any] | None = _load_go_note()


@pytest.fixture
def go() -> dict[str, Any]:
    """The go-note.json vector (backends.vector: skipped or, when required, failed if absent)."""
    vector("signed-note", "go-note.json")
    assert GO is not None
    return GO


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


# -- Go sumdb/note vectors ------------------------------------------------------------------------


def test_go_vector_signed_note_is_reproduced_byte_for_byte(go: dict[str, Any]) -> None:
    signer = Signer.from_key(go["signer_key"])
    assert sign_note(go["text"], signer) == go["signed_note"]


def test_go_vector_keys_round_trip(go: dict[str, Any]) -> None:
    signer = Signer.from_key(go["signer_key"])
    assert signer.key == go["signer_key"]
    assert signer.verifier().key == go["verifier_key"]
    assert Verifier.from_key(go["verifier_key"]) == signer.verifier()


def test_go_vector_note_opens_with_its_verifier_key(go: dict[str, Any]) -> None:
    verifier = Verifier.from_key(go["verifier_key"])
    note = open_note(go["signed_note"], [verifier])
    assert note.text == go["text"]
    assert note.verified == (verifier,)
    assert [(s.name, s.key_id) for s in note.signatures] == [("PeterNeumann", 0xC74F20A3)]


def test_go_vector_second_signature_verifies(go: dict[str, Any]) -> None:
    first = Verifier.from_key(go["verifier_key"])
    second = Verifier.from_key(go["second_verifier_key"])
    signed = go["signed_note"] + go["second_signature_line"]
    assert open_note(signed, [second]).verified == (second,)
    assert open_note(signed, [first, second]).verified_names == ("PeterNeumann", "EnochRoot")


def _signature_line(go: dict[str, Any]) -> str:
    signed: str = go["signed_note"]
    return signed[len(go["text"]) + 1 :]


def _name_with_space(go: dict[str, Any]) -> list[bytes]:
    line = _signature_line(go).replace("PeterNeumann", "Peter Neumann")
    return [(go["text"] + "\n" + line).encode()]


#: One builder per case of ``malformed_notes_must_be_rejected``: the malformed note(s) it names.
MALFORMED: dict[str, Callable[[dict[str, Any]], list[bytes]]] = {
    "text without a blank line and signature": lambda go: [go["text"].encode()],
    "text + blank line but no signature": lambda go: [(go["text"] + "\n").encode()],
    "signature line missing its final newline": lambda go: [go["signed_note"][:-1].encode()],
    "a control byte (0x01) or an invalid UTF-8 byte (0xff) at the start of the text": lambda go: [
        b"\x01" + go["signed_note"].encode(),
        b"\xff" + go["signed_note"].encode(),
    ],
    "a signer name containing a space": _name_with_space,
    "an extra non-signature line after the signatures": lambda go: [
        (go["signed_note"] + "extra line\n").encode()
    ],
    "more than 100 signature lines": lambda go: [
        (go["text"] + "\n" + _signature_line(go) * (MAX_SIGNATURES + 1)).encode()
    ],
}

MALFORMED_CASES = GO["malformed_notes_must_be_rejected"] if GO is not None else list(MALFORMED)


@pytest.mark.parametrize("case", MALFORMED_CASES)
def test_go_vector_malformed_note_is_rejected(go: dict[str, Any], case: str) -> None:
    assert case in MALFORMED, f"no builder for the vector case {case!r}"
    verifier = Verifier.from_key(go["verifier_key"])
    for note in MALFORMED[case](go):
        with pytest.raises(InputError):
            open_note(note, [verifier])


def test_go_vector_note_with_100_signatures_is_accepted(go: dict[str, Any]) -> None:
    note = go["text"] + "\n" + _signature_line(go) * MAX_SIGNATURES
    assert len(open_note(note, [Verifier.from_key(go["verifier_key"])]).signatures) == 100


# -- keys -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("cosigner", [False, True], ids=["ed25519", "cosignature-v1"])
def test_generated_keys_round_trip(cosigner: bool) -> None:
    signer = Signer.generate("example.com/k", cosigner=cosigner)
    again = Signer.from_key(signer.key)
    assert again.key == signer.key
    assert again.sig_type == (COSIGNATURE_V1 if cosigner else ED25519)
    verifier = Verifier.from_key(signer.verifier().key)
    assert verifier == signer.verifier()
    assert (verifier.name, verifier.key_id) == ("example.com/k", signer.key_id)
    assert verifier.verify(b"msg", signer.sign(b"msg"))
    assert not verifier.verify(b"other", signer.sign(b"msg"))


def test_the_key_id_depends_on_the_signature_type() -> None:
    seed = Signer.generate("example.com/k").private_key
    assert Signer("example.com/k", seed).key_id != Signer("example.com/k", seed, 0x04).key_id


def _vkey(name: str = "example.com/k", key_id: str | None = None, material: bytes = b"") -> str:
    signer = Signer.generate(name)
    real = signer.verifier().key.split("+", 2)
    material = material or base64.b64decode(real[2])
    return f"{name}+{key_id or real[1]}+{base64.b64encode(material).decode()}"


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("example.com/k", id="no-fields"),
        pytest.param(_vkey(key_id="00000000"), id="key-id-does-not-match"),
        pytest.param(_vkey(key_id="c74f20a"), id="key-id-not-8-hex-digits"),
        pytest.param(_vkey(material=b"\x02" + bytes(32)), id="unsupported-type"),
        pytest.param(_vkey(material=b"\x01" + bytes(31)), id="short-key"),
        pytest.param("example.com/k+c74f20a3+not*base64", id="not-base64"),
        pytest.param("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", id="empty-name"),
        pytest.param("a b+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", id="name-space"),
    ],
)
def test_malformed_verifier_key_is_rejected(key: str) -> None:
    with pytest.raises(InputError):
        Verifier.from_key(key)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(lambda k: k.replace("PRIVATE+KEY+", ""), id="no-private-prefix"),
        pytest.param(lambda k: k.replace("+KEY+", "+KYE+"), id="misspelt-prefix"),
        pytest.param(lambda k: k[:-4] + "AAAA", id="key-id-does-not-match-seed"),
    ],
)
def test_malformed_signer_key_is_rejected(key: Callable[[str], str]) -> None:
    with pytest.raises(InputError):
        Signer.from_key(key(Signer.generate("example.com/k").key))


# -- opening notes --------------------------------------------------------------------------------


def test_signature_from_a_key_with_the_same_name_but_another_id_is_ignored() -> None:
    signer = Signer.generate("example.com/a")
    impostor = Signer.generate("example.com/a").verifier()
    note = sign_note("hello\n", signer)
    assert open_note(note, [impostor, signer.verifier()]).verified == (signer.verifier(),)
    with pytest.raises(VerificationError, match="no signature from a known key"):
        open_note(note, [impostor])


def test_signature_under_another_name_with_the_same_id_is_ignored() -> None:
    signer = Signer.generate("example.com/a")
    note = sign_note("hello\n", signer).replace("example.com/a", "example.com/b")
    with pytest.raises(VerificationError, match="no signature from a known key"):
        open_note(note, [signer.verifier()])


def test_unknown_signatures_are_kept_but_not_verified() -> None:
    known, unknown = Signer.generate("example.com/a"), Signer.generate("example.com/b")
    note = open_note(sign_note("hello\n", unknown, known), [known.verifier()])
    assert note.verified_names == ("example.com/a",)
    assert [s.name for s in note.signatures] == ["example.com/b", "example.com/a"]


def test_tampered_text_fails() -> None:
    signer = Signer.generate("example.com/a")
    note = sign_note("pay 10\n", signer).replace("pay 10", "pay 99")
    with pytest.raises(VerificationError, match="does not verify") as raised:
        open_note(note, [signer.verifier()])
    assert raised.value.expected == f"a valid Ed25519 signature by {signer.verifier().key}"


def test_a_bad_signature_from_a_known_key_rejects_the_note_even_if_another_verifies() -> None:
    a, b = Signer.generate("example.com/a"), Signer.generate("example.com/b")
    note = sign_note("hello\n", a)
    forged = sign_note("other\n", b).split("\n\n", 1)[1]
    with pytest.raises(VerificationError, match=r"example\.com/b"):
        open_note(note + forged, [a.verifier(), b.verifier()])


def test_add_signatures_keeps_existing_lines_and_replaces_the_same_key() -> None:
    a, b = Signer.generate("example.com/a"), Signer.generate("example.com/b")
    note = add_signatures(sign_note("hello\n", a), b)
    assert open_note(note, [a.verifier(), b.verifier()]).verified_names == (
        "example.com/a",
        "example.com/b",
    )
    assert add_signatures(note, a).count("example.com/a") == 1


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("no final newline", id="no-final-newline"),
        pytest.param("tab\there\n", id="control-character"),
        pytest.param("", id="empty"),
    ],
)
def test_sign_note_refuses_an_invalid_text(text: str) -> None:
    with pytest.raises(InputError):
        sign_note(text, Signer.generate("example.com/a"))


def test_a_cosigner_cannot_sign_a_plain_note() -> None:
    with pytest.raises(InputError, match="cosign"):
        sign_note("hello\n", Signer.generate("example.com/w", cosigner=True))


def test_text_with_empty_lines_round_trips() -> None:
    signer = Signer.generate("example.com/a")
    text = "first\n\nthird\n\n"
    assert open_note(sign_note(text, signer), [signer.verifier()]).text == text


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
