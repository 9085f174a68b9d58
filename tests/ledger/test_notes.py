"""Signed notes and their keys (C2SP signed-note), pinned by Go's sumdb/note vectors where those
exist; checkpoints and cosignatures are tested in test_checkpoints.py."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from backends import vector, vectors_dir
from ceasefire.errors import InputError, VerificationError
from ceasefire.ledger.notes import (
    COSIGNATURE_V1,
    ED25519,
    MAX_SIGNATURES,
    Signer,
    Verifier,
    add_signatures,
    open_note,
    sign_note,
)

GO_NOTE = vectors_dir() / "signed-note" / "go-note.json"


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
