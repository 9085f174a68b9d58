"""RFC 9162 Merkle hashing and proofs: the conformance vectors, the RFC's worked tree, and
properties of plans, appends and verifiers against a straight transcription of the RFC."""

from __future__ import annotations

import base64
import doctest
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backends import vector, vectors_dir
from ceasefire.errors import VerificationError
from ceasefire.ledger import merkle
from ceasefire.ledger.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    LEAF_PREFIX,
    NODE_PREFIX,
    Node,
    append,
    assemble,
    complete_levels,
    complete_nodes,
    consistency_proof_plan,
    fold,
    frontier_nodes,
    inclusion_proof_plan,
    leaf_hash,
    node_hash,
    plan_nodes,
    range_nodes,
    root,
    root_of_frontier,
    verify_consistency,
    verify_inclusion,
)

#: The RFC 9162 conformance vectors (backends.vector: skipped or, when required, failed if absent).
RFC9162 = vectors_dir() / "rfc9162"

#: The eight leaves of the CT test tree (certificate-transparency / transparency-dev test data),
#: the tree the RFC 9162 vectors prove against.
RFC_LEAVES = (
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
)
#: MTH of those eight leaves.
RFC_ROOT_8 = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")


def b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def vector_params(kind: str) -> list[Any]:
    """One param per JSON vector of ``kind``, id'd by its path ("inclusion/1/happy-path")."""
    if not RFC9162.is_dir():
        return [pytest.param(None, id=f"{kind}/vectors-absent")]
    files = sorted((RFC9162 / kind).rglob("*.json"))
    return [pytest.param(f, id=f.relative_to(RFC9162).with_suffix("").as_posix()) for f in files]


def load(path: Path | None) -> dict[str, Any]:
    if path is None:
        vector("rfc9162")  # absent: skips, or fails when the vectors are required
    data: dict[str, Any] = json.loads(path.read_text())
    return data


# -- conformance vectors -----------------------------------------------------------------------


@pytest.mark.parametrize("path", vector_params("inclusion"))
def test_inclusion_vector(path: Path | None) -> None:
    v = load(path)
    args = (
        b64(v["leafHash"]),
        v["leafIdx"],
        v["treeSize"],
        [b64(p) for p in v["proof"] or []],
        b64(v["root"]),
    )
    if v["wantErr"]:
        with pytest.raises(VerificationError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", vector_params("consistency"))
def test_consistency_vector(path: Path | None) -> None:
    v = load(path)
    args = (
        v["size1"],
        v["size2"],
        [b64(p) for p in v["proof"] or []],
        b64(v["root1"]),
        b64(v["root2"]),
    )
    if v["wantErr"]:
        with pytest.raises(VerificationError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_vector_count() -> None:
    """All 196 vectors are found (a moved folder must not silently shrink the suite)."""
    vector("rfc9162")
    assert len(vector_params("inclusion")) + len(vector_params("consistency")) == 196


def happy_paths(kind: str) -> list[dict[str, Any]]:
    folder = vector("rfc9162", kind)
    return [json.loads(f.read_text()) for f in sorted(folder.glob("*/happy-path.json"))]


# -- the RFC's test tree -----------------------------------------------------------------------


def test_root_of_the_eight_leaf_test_tree() -> None:
    assert root([leaf_hash(x) for x in RFC_LEAVES]) == RFC_ROOT_8


def test_happy_path_leaves_and_roots_match_the_test_tree() -> None:
    """The happy paths' leaf hashes are those leaves, and their roots the MTH of prefixes."""
    hashes = [leaf_hash(x) for x in RFC_LEAVES]
    for v in happy_paths("inclusion"):
        assert b64(v["leafHash"]) == hashes[v["leafIdx"]], v
        assert b64(v["root"]) == root(hashes[: v["treeSize"]]), v
    for v in happy_paths("consistency"):
        assert b64(v["root1"]) == root(hashes[: v["size1"]]), v
        assert b64(v["root2"]) == root(hashes[: v["size2"]]), v


def test_generated_proofs_equal_the_happy_paths() -> None:
    """Plan + assemble over the test tree gives exactly the proofs of the vectors."""
    hashes = [leaf_hash(x) for x in RFC_LEAVES]
    nodes = {(level, index): h for level, index, h in complete_nodes(hashes)}
    for v in happy_paths("inclusion"):
        plan = inclusion_proof_plan(v["leafIdx"], v["treeSize"])
        assert assemble(plan, nodes) == [b64(p) for p in v["proof"] or []], v
    for v in happy_paths("consistency"):
        plan = consistency_proof_plan(v["size1"], v["size2"])
        assert assemble(plan, nodes) == [b64(p) for p in v["proof"] or []], v


def test_constants() -> None:
    assert (LEAF_PREFIX, NODE_PREFIX, HASH_SIZE) == (b"\x00", b"\x01", 32)
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]) == EMPTY_ROOT == root_of_frontier([])


def test_docstring_examples() -> None:
    assert doctest.testmod(merkle, raise_on_error=True).attempted > 0


# -- a straight transcription of RFC 9162 2.1, to check the fast paths against -------------


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: Sequence[bytes]) -> bytes:
    """MTH (2.1.1) over leaf hashes."""
    if not d:
        return EMPTY_ROOT
    if len(d) == 1:
        return d[0]
    k = split(len(d))
    return node_hash(mth(d[:k]), mth(d[k:]))


def path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PATH (2.1.3.1)."""
    if len(d) == 1:
        return []
    k = split(len(d))
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: Sequence[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF (2.1.4.1)."""
    n = len(d)
    if m == n:
        return [] if whole else [mth(d)]
    k = split(n)
    if m <= k:
        return [*subproof(m, d[:k], whole), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


# -- properties --------------------------------------------------------------------------------


def leaves_for(n: int, seed: int) -> list[bytes]:
    return [leaf_hash(seed.to_bytes(8, "big") + i.to_bytes(8, "big")) for i in range(n)]


def grow(leaves: Sequence[bytes], batches: Sequence[int]) -> tuple[dict[Node, bytes], list[bytes]]:
    """Append ``leaves`` in batches of the given sizes (the rest in one), as the store would:
    load the frontier by :func:`frontier_nodes`, append, keep every new node."""
    nodes: dict[Node, bytes] = {}
    size = 0
    cuts = []
    for b in batches:
        if size + b >= len(leaves):
            break
        size += b
        cuts.append(size)
    cuts.append(len(leaves))
    size = 0
    frontier: list[bytes] = []
    for cut in cuts:
        assert frontier == [nodes[n] for n in frontier_nodes(size)]
        new, frontier = append(size, frontier, leaves[size:cut])
        for level, index, h in new:
            assert (level, index) not in nodes, "a node is completed only once"
            nodes[level, index] = h
        size = cut
    return nodes, frontier


tree = st.tuples(
    st.integers(1, 300),
    st.integers(0, 2**32),
    st.lists(st.integers(1, 70), max_size=12),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree, st.data())
def test_proofs_from_appended_nodes_verify(t: tuple[int, int, list[int]], data: Any) -> None:
    n, seed, batches = t
    leaves = leaves_for(n, seed)
    nodes, frontier = grow(leaves, batches)
    roots = [root(leaves[:size]) for size in range(n + 1)]
    assert root_of_frontier(frontier) == roots[n] == mth(leaves)

    for index in range(n):
        plan = inclusion_proof_plan(index, n)
        assert plan_nodes(plan) <= nodes.keys()
        proof = assemble(plan, nodes)
        verify_inclusion(leaves[index], index, n, proof, roots[n])

    size2 = data.draw(st.integers(1, n), label="size2")
    for size1 in data.draw(st.lists(st.integers(1, size2), min_size=1, max_size=20), "size1s"):
        plan = consistency_proof_plan(size1, size2)
        proof = assemble(plan, nodes)
        assert proof == subproof(size1, leaves[:size2], True)
        verify_consistency(size1, size2, proof, roots[size1], roots[size2])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.data())
def test_plans_match_the_rfc_recursion(n: int, data: Any) -> None:
    leaves = leaves_for(n, 7)
    nodes = {(level, index): h for level, index, h in complete_nodes(leaves)}
    index = data.draw(st.integers(0, n - 1), label="index")
    proof = assemble(inclusion_proof_plan(index, n), nodes)
    assert proof == path(index, leaves)
    assert len(proof) == merkle._inclusion_proof_size(index, n)
    size1 = data.draw(st.integers(1, n), label="size1")
    proof = assemble(consistency_proof_plan(size1, n), nodes)
    assert proof == subproof(size1, leaves, True)
    if size1 < n:
        assert len(proof) == merkle._consistency_proof_size(size1, n)


@settings(max_examples=40, deadline=None)
@given(tree)
def test_frontier_and_complete_nodes_match_append(t: tuple[int, int, list[int]]) -> None:
    n, seed, batches = t
    leaves = leaves_for(n, seed)
    nodes, frontier = grow(leaves, batches)
    recomputed = {(level, index): h for level, index, h in complete_nodes(leaves)}
    assert recomputed == nodes
    assert frontier == [recomputed[node] for node in frontier_nodes(n)]
    # Every complete node covers a full, aligned block of leaves, and there are no others.
    assert all((index + 1) << level <= n for level, index in recomputed)
    assert len(recomputed) == sum(n >> level for level in range(n.bit_length()))
    for (level, index), h in recomputed.items():
        if level:
            assert h == node_hash(
                recomputed[level - 1, 2 * index], recomputed[level - 1, 2 * index + 1]
            )


def flip(value: bytes, bit: int) -> bytes:
    bit %= len(value) * 8
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 300), st.data())
def test_flipped_bit_in_an_inclusion_proof_fails(n: int, data: Any) -> None:
    leaves = leaves_for(n, 3)
    nodes = {(level, index): h for level, index, h in complete_nodes(leaves)}
    index = data.draw(st.integers(0, n - 1), label="index")
    proof = assemble(inclusion_proof_plan(index, n), nodes)
    element = data.draw(st.integers(0, len(proof) - 1), label="element")
    bit = data.draw(st.integers(0, 8 * HASH_SIZE - 1), label="bit")
    proof[element] = flip(proof[element], bit)
    with pytest.raises(VerificationError) as err:
        verify_inclusion(leaves[index], index, n, proof, root(leaves))
    assert err.value.expected == base64.b64encode(root(leaves)).decode()
    assert err.value.computed is not None and err.value.computed != err.value.expected
    assert err.value.entry == index


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 300), st.data())
def test_flipped_bit_in_a_consistency_proof_fails(n: int, data: Any) -> None:
    leaves = leaves_for(n, 5)
    nodes = {(level, index): h for level, index, h in complete_nodes(leaves)}
    size1 = data.draw(st.integers(1, n - 1), label="size1")
    proof = assemble(consistency_proof_plan(size1, n), nodes)
    element = data.draw(st.integers(0, len(proof) - 1), label="element")
    bit = data.draw(st.integers(0, 8 * HASH_SIZE - 1), label="bit")
    proof[element] = flip(proof[element], bit)
    with pytest.raises(VerificationError) as err:
        verify_consistency(size1, n, proof, root(leaves[:size1]), root(leaves))
    assert err.value.computed is not None and err.value.computed != err.value.expected


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 300), st.data())
def test_wrong_proof_lengths_fail(n: int, data: Any) -> None:
    leaves = leaves_for(n, 11)
    nodes = {(level, index): h for level, index, h in complete_nodes(leaves)}
    index = data.draw(st.integers(0, n - 1), label="index")
    size1 = data.draw(st.integers(1, n - 1), label="size1")
    good_incl = assemble(inclusion_proof_plan(index, n), nodes)
    good_cons = assemble(consistency_proof_plan(size1, n), nodes)
    extra = leaves[0]
    for proof in (good_incl[:-1], [*good_incl, extra], [extra, *good_incl]):
        if proof != good_incl:
            with pytest.raises(VerificationError):
                verify_inclusion(leaves[index], index, n, proof, root(leaves))
    for proof in (good_cons[:-1], [*good_cons, extra], [extra, *good_cons]):
        with pytest.raises(VerificationError):
            verify_consistency(size1, n, proof, root(leaves[:size1]), root(leaves))


# -- edges and misuse --------------------------------------------------------------------------


def test_verifiers_refuse_bad_shapes() -> None:
    leaves = leaves_for(5, 1)
    r = root(leaves)
    nodes = {(level, index): h for level, index, h in complete_nodes(leaves)}
    proof = assemble(inclusion_proof_plan(2, 5), nodes)
    verify_inclusion(leaves[2], 2, 5, proof, r)
    with pytest.raises(VerificationError, match="not in a tree"):
        verify_inclusion(leaves[2], 5, 5, proof, r)
    with pytest.raises(VerificationError, match="not in a tree"):
        verify_inclusion(leaves[0], 0, 0, [], EMPTY_ROOT)
    with pytest.raises(VerificationError, match="bytes long"):
        verify_inclusion(leaves[2][:31], 2, 5, proof, r)
    with pytest.raises(VerificationError, match="bytes long"):
        verify_inclusion(leaves[2], 2, 5, [proof[0] + b"\x00", *proof[1:]], r)
    with pytest.raises(VerificationError, match="bytes long"):
        verify_inclusion(leaves[2], 2, 5, proof, r + b"\x00")
    with pytest.raises(VerificationError) as err:
        verify_inclusion(leaves[3], 2, 5, proof, r)
    assert err.value.expected == base64.b64encode(r).decode()

    r3 = root(leaves[:3])
    cproof = assemble(consistency_proof_plan(3, 5), nodes)
    verify_consistency(3, 5, cproof, r3, r)
    verify_consistency(5, 5, [], r, r)
    with pytest.raises(VerificationError, match="larger"):
        verify_consistency(5, 3, cproof, r, r3)
    with pytest.raises(VerificationError, match="empty tree"):
        verify_consistency(0, 5, [], EMPTY_ROOT, r)
    with pytest.raises(VerificationError, match="empty proof"):
        verify_consistency(5, 5, [r], r, r)
    with pytest.raises(VerificationError, match="different roots"):
        verify_consistency(5, 5, [], r, r3)
    with pytest.raises(VerificationError, match="old tree"):
        verify_consistency(3, 5, cproof, r, r)
    with pytest.raises(VerificationError, match="new tree"):
        verify_consistency(3, 5, cproof, r3, r3)


def test_plans_refuse_misuse() -> None:
    with pytest.raises(ValueError):
        inclusion_proof_plan(3, 3)
    with pytest.raises(ValueError):
        inclusion_proof_plan(-1, 3)
    with pytest.raises(ValueError):
        consistency_proof_plan(0, 3)
    with pytest.raises(ValueError):
        consistency_proof_plan(4, 3)
    assert consistency_proof_plan(3, 3) == []
    assert inclusion_proof_plan(0, 1) == []
    with pytest.raises(ValueError):
        range_nodes(3, 3)
    with pytest.raises(ValueError, match="boundary"):
        range_nodes(2, 6)
    with pytest.raises(ValueError):
        fold([])
    with pytest.raises(ValueError, match="level 0, index 1"):
        assemble([[(0, 1)]], {(0, 0): EMPTY_ROOT})


def test_append_refuses_a_frontier_that_does_not_fit() -> None:
    leaves = leaves_for(3, 2)
    _, frontier = append(0, [], leaves)
    assert len(frontier) == 2
    with pytest.raises(ValueError, match="frontier"):
        append(4, frontier, leaves)
    with pytest.raises(ValueError, match="bytes"):
        append(3, frontier, [b"short"])
    assert append(3, frontier, []) == ([], frontier)


def test_complete_levels_of_no_leaves() -> None:
    assert list(complete_levels([])) == []
    assert list(complete_nodes([])) == []
