"""The mirror's files laid out from values (:mod:`ceasefire.publish.mirror`, no store): a small
log built here, its proofs checked as they are laid out, names that could leave their folder
refused, the same content giving the same bytes."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ceasefire.canonical import canonical_json
from ceasefire.errors import InputError, VerificationError
from ceasefire.ledger import merkle
from ceasefire.ledger.checkpoints import Checkpoint
from ceasefire.ledger.notes import Signer, sign_note
from ceasefire.publish.mirror import (
    Leaf,
    MirrorContent,
    PublishedCheckpoint,
    Report,
    mirror_files,
    proofs_path,
)

LOG = Signer.generate("ceasefire.test/mirror-log")
UA = Signer.generate("UA-cosigner", cosigner=True)

#: Seven leaves: two about INC-000001 (its incident and its release), one about INC-000002,
#: the rest about nothing published.
BODIES = [
    canonical_json({"kind": kind, "id": rid, "record": {"incident_id": inc}}, where=rid).decode()
    for kind, rid, inc in [
        ("incident", "incident/INC-000001", "INC-000001"),
        ("report", "r-1", None),
        ("incident", "incident/INC-000002", "INC-000002"),
        ("release", "release/INC-000001", "INC-000001"),
        ("report", "r-2", None),
        ("release", "release/INC-000002", "INC-000002"),
        ("report", "r-3", None),
    ]
]
HASHES = [merkle.leaf_hash(b.encode()) for b in BODIES]
NODES = {(level, index): h for level, index, h in merkle.complete_nodes(HASHES)}


def _checkpoint(size: int) -> PublishedCheckpoint:
    body = Checkpoint(LOG.name, size, merkle.root(HASHES[:size])).body()
    return PublishedCheckpoint(sign_note(body, LOG))


def _leaf(index: int, size: int, shown: bool = False) -> Leaf:
    body = json.loads(BODIES[index])
    proof = merkle.assemble(merkle.inclusion_proof_plan(index, size), NODES)
    return Leaf(index, body["kind"], body["id"], BODIES[index], tuple(proof), shown)


def _content(**change: object) -> MirrorContent:
    old, new = _checkpoint(5), _checkpoint(7)
    content = MirrorContent(
        history=[old, new],
        consistency=[merkle.assemble(merkle.consistency_proof_plan(5, 7), NODES)],
        log_key=LOG.verifier().key,
        cosigner_keys=[(UA.name, UA.verifier().key)],
        report_keys=[],
        leaves={
            "INC-000001": [_leaf(0, 7), _leaf(3, 7, shown=True)],
            "INC-000002": [_leaf(2, 7), _leaf(5, 7)],
        },
        reports=[Report("daily-1.json", b"{}\n", b"note\n")],
        data=["incidents.geojson"],
        published_at="2026-03-12T00:00:00+00:00",
    )
    return replace(content, **change)  # type: ignore[arg-type]


def test_the_files_of_a_small_log() -> None:
    files = mirror_files(_content())
    assert sorted(files) == [
        "checkpoint.txt",
        "checkpoints/5.txt",
        "checkpoints/7.txt",
        "consistency/5-7.json",
        "keys/UA-cosigner.vkey",
        "keys/log.vkey",
        "mirror.json",
        "proofs/INC-000001.json",
        "proofs/INC-000002.json",
        "reports/daily-1.json",
        "reports/daily-1.json.note",
    ]
    doc = json.loads(files["proofs/INC-000001.json"])
    assert [leaf["index"] for leaf in doc["leaves"]] == [0, 3]
    assert "leaf" not in doc["leaves"][0] and doc["leaves"][1]["leaf"] == BODIES[3]
    index = json.loads(files["mirror.json"])
    assert index["consistency"] == [{"from": 5, "to": 7, "file": "consistency/5-7.json"}]
    assert index["reports"] == [
        {"file": "reports/daily-1.json", "note": "reports/daily-1.json.note"}
    ]
    assert mirror_files(_content()) == files  # the same content, the same bytes


def test_a_proof_that_does_not_verify_is_never_laid_out() -> None:
    bad = replace(_leaf(0, 7), proof=(bytes(32), *_leaf(0, 7).proof[1:]))
    with pytest.raises(VerificationError, match="another root"):
        mirror_files(_content(leaves={"INC-000001": [bad]}))
    uncovered = _leaf(5, 7)
    with pytest.raises(InputError, match="not covered"):
        mirror_files(
            _content(history=[_checkpoint(5)], consistency=[], leaves={"INC-000002": [uncovered]})
        )


def test_a_history_that_did_not_only_grow_is_refused() -> None:
    other = [merkle.leaf_hash(b"another log")] * 7
    forged = PublishedCheckpoint(sign_note(Checkpoint(LOG.name, 7, merkle.root(other)).body(), LOG))
    with pytest.raises(VerificationError, match="root of the new tree"):
        mirror_files(_content(history=[_checkpoint(5), forged], leaves={}))


@pytest.mark.parametrize("name", ["../INC-1", ".hidden", "a/b", ""])
def test_names_that_could_leave_their_folder_are_refused(name: str) -> None:
    with pytest.raises(InputError):
        proofs_path(name)
    with pytest.raises(InputError):
        mirror_files(_content(reports=[Report(name, b"x")]))


def test_a_mirror_first_published_empty_grows_without_a_proof() -> None:
    empty = PublishedCheckpoint(sign_note(Checkpoint(LOG.name, 0, merkle.EMPTY_ROOT).body(), LOG))
    files = mirror_files(_content(history=[empty, _checkpoint(7)], consistency=[[]]))
    assert json.loads(files["consistency/0-7.json"])["proof"] == []
    forged = PublishedCheckpoint(sign_note(Checkpoint(LOG.name, 0, bytes(32)).body(), LOG))
    with pytest.raises(VerificationError, match="empty tree"):
        mirror_files(_content(history=[forged, _checkpoint(7)], consistency=[[]]))
