"""Merkle tree hashing and proofs of RFC 9162 (Certificate Transparency v2), section 2.1.

The ledger is an append-only log whose tree head is the Merkle Tree Hash (MTH) of RFC 9162
section 2.1.1 over SHA-256, with the RFC 6962 domain separation: a leaf is hashed as
``SHA-256(0x00 || data)``, an interior node as ``SHA-256(0x01 || left || right)``.

This module is pure: hashes in, hashes out, or a :class:`~ceasefire.errors.VerificationError`.
The store keeps the hash of every *complete* subtree, named by a :data:`Node`
``(level, index)`` that covers the leaves ``[index * 2**level, (index + 1) * 2**level)``.
Every proof element (and every tree head) is the hash of a range whose right fold over a few
such nodes gives its MTH, so the store

1. asks for a plan (:func:`inclusion_proof_plan`, :func:`consistency_proof_plan`),
2. fetches :func:`plan_nodes` of it in one query, and
3. hands the hashes back to :func:`assemble`, which returns the proof.

Appending (:func:`append`) needs only the *frontier*: the complete nodes that decompose
``[0, size)``, one per set bit of ``size``, largest first (:func:`frontier_nodes`).
:func:`complete_nodes` recomputes every stored node from the leaves, for an auditor.

Errors: anything that does not verify raises ``VerificationError`` with the expected and the
computed value in base64; a misuse (an index outside the tree, a frontier that does not match
its size) raises ``ValueError``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Final, TypeAlias

from ceasefire.errors import VerificationError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "LEAF_PREFIX",
    "NODE_PREFIX",
    "Node",
    "append",
    "assemble",
    "complete_levels",
    "complete_nodes",
    "consistency_proof_plan",
    "fold",
    "frontier_nodes",
    "inclusion_proof_plan",
    "leaf_hash",
    "node_hash",
    "plan_nodes",
    "range_nodes",
    "root",
    "root_of_frontier",
    "verify_consistency",
    "verify_inclusion",
]

#: Prepended to a leaf's data before hashing (RFC 9162 2.1.1, as RFC 6962 2.1): a leaf hash can
#: never be mistaken for a node hash, which closes the second-preimage attack on the tree.
LEAF_PREFIX: Final = b"\x00"
#: Prepended to the two child hashes of an interior node (RFC 9162 2.1.1).
NODE_PREFIX: Final = b"\x01"
#: Bytes in a SHA-256 digest, the hash of every node and tree head.
HASH_SIZE: Final = 32
#: MTH({}) = SHA-256() (RFC 9162 2.1.1): the root of the empty tree.
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()

#: A complete subtree ``(level, index)``: the ``2**level`` leaves from ``index * 2**level`` on.
Node: TypeAlias = tuple[int, int]

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """The hash of one leaf, ``SHA-256(0x00 || data)`` (RFC 9162 2.1.1).

    Examples
    --------
    >>> leaf_hash(b"").hex()[:16]
    '6e340b9cffb37a98'
    """
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node, ``SHA-256(0x01 || left || right)`` (RFC 9162 2.1.1)."""
    return _sha256(NODE_PREFIX + left + right).digest()


def fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold of node hashes: ``node_hash(h0, node_hash(h1, ... node_hash(hn-2, hn-1)))``.

    The fold of the complete nodes of :func:`range_nodes` (largest first) is the MTH of the
    range, because RFC 9162 2.1.1 always splits off the largest power of two on the left.

    Raises
    ------
    ValueError
        for an empty sequence (the empty range has no nodes; its MTH is :data:`EMPTY_ROOT`).
    """
    if not hashes:
        raise ValueError("cannot fold an empty sequence of hashes")
    h = hashes[-1]
    for x in reversed(hashes[:-1]):
        h = _sha256(NODE_PREFIX + x + h).digest()
    return h


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash over leaf hashes (RFC 9162 2.1.1); :data:`EMPTY_ROOT` for none.

    Examples
    --------
    >>> root([]) == EMPTY_ROOT
    True
    >>> a, b, c = (leaf_hash(x) for x in (b"a", b"b", b"c"))
    >>> root([a, b, c]) == node_hash(node_hash(a, b), c)
    True
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    return root_of_frontier(_frontier_of(leaf_hashes))


def _largest_power_of_two_below(n: int) -> int:
    """RFC 9162 2.1.1's split point k: the largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _set_bits_high_first(n: int) -> Iterator[int]:
    """The exponents of the set bits of ``n``, highest first."""
    for level in range(n.bit_length() - 1, -1, -1):
        if n >> level & 1:
            yield level


def range_nodes(start: int, end: int) -> list[Node]:
    """The complete nodes whose :func:`fold` is MTH(D[start:end]), largest first.

    The MTH of ``n = end - start`` leaves is the hash of the largest power of two ``k < n`` on
    the left (one complete node) and the MTH of the rest (RFC 9162 2.1.1), so the nodes are one
    per set bit of ``n``. This holds for the ranges the RFC's recursions produce, whose ``start``
    is a multiple of the largest of those nodes.

    Examples
    --------
    >>> range_nodes(0, 8), range_nodes(4, 7), range_nodes(6, 7)
    ([(3, 0)], [(1, 2), (0, 6)], [(0, 6)])

    Raises
    ------
    ValueError
        when the range is empty or ``start`` is not aligned to its largest node.
    """
    n = end - start
    if start < 0 or n <= 0:
        raise ValueError(f"range [{start}, {end}) is empty or negative")
    if start % (1 << (n.bit_length() - 1)):
        raise ValueError(
            f"range [{start}, {end}) does not start on a boundary of its largest subtree"
        )
    nodes: list[Node] = []
    for level in _set_bits_high_first(n):
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def inclusion_proof_plan(index: int, size: int) -> list[list[Node]]:
    """The nodes behind each element of the inclusion proof of leaf ``index`` (RFC 9162 2.1.3.1).

    ``PATH(m, D[n])`` for ``k`` the largest power of two below ``n``::

        PATH(0, D[1]) = {}
        PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])        for m < k
        PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])    for m >= k

    so the element next to the leaf comes first. Element ``i`` is :func:`fold` of the hashes of
    ``plan[i]``; only the sibling on the tree's right edge may take more than one node.

    Examples
    --------
    >>> inclusion_proof_plan(5, 8)
    [[(0, 4)], [(1, 3)], [(2, 0)]]
    >>> inclusion_proof_plan(0, 7)
    [[(0, 1)], [(1, 1)], [(1, 2), (0, 6)]]

    Raises
    ------
    ValueError
        unless ``0 <= index < size``.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    path: list[list[Node]] = []
    start, m, n = 0, index, size
    while n > 1:
        k = _largest_power_of_two_below(n)
        if m < k:
            path.append(range_nodes(start + k, start + n))
            n = k
        else:
            path.append(range_nodes(start, start + k))
            start, m, n = start + k, m - k, n - k
    path.reverse()
    return path


def consistency_proof_plan(size1: int, size2: int) -> list[list[Node]]:
    """The nodes behind each element of the consistency proof size1 -> size2 (RFC 9162 2.1.4.1).

    ``PROOF(m, D[n]) = SUBPROOF(m, D[n], true)``, for ``k`` the largest power of two below ``n``::

        SUBPROOF(m, D[m], true)  = {}
        SUBPROOF(m, D[m], false) = {MTH(D[m])}
        SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])              for m <= k
        SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])      for m > k

    Equal sizes give the empty proof.

    Examples
    --------
    >>> consistency_proof_plan(6, 8)
    [[(1, 2)], [(1, 3)], [(2, 0)]]
    >>> consistency_proof_plan(4, 7)
    [[(1, 2), (0, 6)]]

    Raises
    ------
    ValueError
        unless ``0 < size1 <= size2``: RFC 9162 defines no proof from the empty tree.
    """
    if not 0 < size1 <= size2:
        raise ValueError(f"no consistency proof from size {size1} to size {size2}")
    outer: list[list[Node]] = []
    start, m, n, whole = 0, size1, size2, True
    while m != n:
        k = _largest_power_of_two_below(n)
        if m <= k:
            outer.append(range_nodes(start + k, start + n))
            n = k
        else:
            outer.append(range_nodes(start, start + k))
            start, m, n, whole = start + k, m - k, n - k, False
    # The innermost SUBPROOF comes first; it is MTH(D[m]) itself unless the old tree is a
    # left subtree of the new one (b still true), whose hash the verifier already holds.
    plan = [] if whole else [range_nodes(start, start + m)]
    plan.extend(reversed(outer))
    return plan


def plan_nodes(plan: Sequence[Sequence[Node]]) -> set[Node]:
    """Every node a proof plan needs: what the store fetches, in one query."""
    return {node for element in plan for node in element}


def assemble(plan: Sequence[Sequence[Node]], hashes: Mapping[Node, bytes]) -> list[bytes]:
    """The proof: for each element of ``plan``, the :func:`fold` of its nodes' hashes.

    Raises
    ------
    ValueError
        when ``hashes`` lacks a node of the plan (the store did not fetch or does not hold it).
    """
    proof: list[bytes] = []
    for element in plan:
        try:
            proof.append(fold([hashes[node] for node in element]))
        except KeyError as missing:
            level, index = missing.args[0]
            raise ValueError(f"no hash for node (level {level}, index {index})") from None
    return proof


def frontier_nodes(size: int) -> list[Node]:
    """The complete nodes that decompose ``[0, size)``, largest first: the tree's right edge.

    Examples
    --------
    >>> frontier_nodes(6), frontier_nodes(8), frontier_nodes(0)
    ([(2, 0), (1, 2)], [(3, 0)], [])
    """
    if size < 0:
        raise ValueError(f"tree size {size} is negative")
    return [(level, (size >> level) - 1) for level in _set_bits_high_first(size)]


def root_of_frontier(frontier: Sequence[bytes]) -> bytes:
    """The root of the tree whose frontier this is; :data:`EMPTY_ROOT` for the empty tree."""
    return fold(frontier) if frontier else EMPTY_ROOT


def append(
    size: int, frontier: Sequence[bytes], leaves: Sequence[bytes]
) -> tuple[list[tuple[int, int, bytes]], list[bytes]]:
    """Append leaf hashes to a tree of ``size`` leaves whose right edge is ``frontier``.

    Parameters
    ----------
    size
        Leaves in the tree before the append.
    frontier
        Hashes of :func:`frontier_nodes` ``(size)``, largest first.
    leaves
        Leaf hashes (:func:`leaf_hash`) to append, in order.

    Returns
    -------
    nodes
        Every node completed by the append, as ``(level, index, hash)``, children before their
        parent; level 0 entries are the leaves themselves.
    frontier
        The frontier of the tree of ``size + len(leaves)`` leaves.

    Raises
    ------
    ValueError
        when the frontier does not have one hash per set bit of ``size``, or a hash is not
        :data:`HASH_SIZE` bytes long.
    """
    if size < 0:
        raise ValueError(f"tree size {size} is negative")
    if len(frontier) != size.bit_count():
        raise ValueError(
            f"a tree of size {size} has {size.bit_count()} frontier nodes, got {len(frontier)}"
        )
    for h in (*frontier, *leaves):
        if len(h) != HASH_SIZE:
            raise ValueError(f"hash of {len(h)} bytes, expected {HASH_SIZE}")
    stack = list(frontier)
    nodes: list[tuple[int, int, bytes]] = []
    sha = _sha256
    for position, h in enumerate(leaves, start=size):
        nodes.append((0, position, h))
        # Each trailing one bit of the position is a complete left sibling on the stack, which
        # the new leaf completes into a node one level up.
        level, index = 0, position
        while index & 1:
            h = sha(NODE_PREFIX + stack.pop() + h).digest()
            level, index = level + 1, index >> 1
            nodes.append((level, index, h))
        stack.append(h)
    return nodes, stack


def complete_levels(leaf_hashes: Sequence[bytes]) -> Iterator[list[bytes]]:
    """The hashes of every complete node, one level at a time from the leaves up.

    Level ``L`` is a list whose item ``i`` is the hash of node ``(L, i)``; level 0 is
    ``leaf_hashes`` itself. Stops after the highest level that has a complete node.
    """
    level = list(leaf_hashes)
    sha = _sha256
    prefix = NODE_PREFIX
    while level:
        yield level
        # One C-level hash call per node and no other per-node objects keeps a full audit of
        # the log cheap. An odd last node has no sibling yet: zip drops it on purpose.
        level = [
            sha(prefix + a + b).digest() for a, b in zip(level[0::2], level[1::2], strict=False)
        ]


def complete_nodes(leaf_hashes: Sequence[bytes]) -> Iterator[tuple[int, int, bytes]]:
    """Every complete node ``(level, index, hash)`` of the tree over ``leaf_hashes``.

    Level by level from the leaves (level 0) up; the same nodes :func:`append` produces.
    """
    for level, hashes in enumerate(complete_levels(leaf_hashes)):
        for index, h in enumerate(hashes):
            yield level, index, h


def _frontier_of(leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """The frontier of the tree over ``leaf_hashes``: the last node of every odd-sized level."""
    frontier = [hashes[-1] for hashes in complete_levels(leaf_hashes) if len(hashes) % 2 == 1]
    frontier.reverse()
    return frontier


# -- verification ------------------------------------------------------------------------------


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise VerificationError(
            f"{what} is {len(value)} bytes long, a SHA-256 hash is {HASH_SIZE}",
            computed=_b64(value),
        )


def _inclusion_proof_size(index: int, size: int) -> int:
    """Elements in the inclusion proof of ``index`` in a tree of ``size`` (0 <= index < size).

    The path splits where ``index`` and the last leaf ``size - 1`` part: below that the
    siblings are complete "inner" subtrees, one per level; above it the leaf sits on the right
    edge and only the set bits left over in ``index`` (complete left siblings) contribute.
    """
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def _consistency_proof_size(size1: int, size2: int) -> int:
    """Elements in the consistency proof from ``size1`` to ``size2`` (0 < size1 < size2).

    The inclusion path of the old tree's last leaf, less the levels below the largest complete
    subtree ending there (its hash stands for them), plus that subtree's hash unless the old
    tree is exactly that subtree (the verifier holds it already as the old root).
    """
    shift = (size1 & -size1).bit_length() - 1
    seed = 0 if size1 == 1 << shift else 1
    return _inclusion_proof_size(size1 - 1, size2) - shift + seed


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with head ``root``.

    The algorithm of RFC 9162 2.1.3.2.

    Raises
    ------
    VerificationError
        when the index is outside the tree, the proof has the wrong number of elements, a hash
        is not 32 bytes, or the proof leads to another root (``expected`` the given root,
        ``computed`` the root the proof leads to, ``entry`` the index).
    """
    if not 0 <= index < size:
        raise VerificationError(f"leaf index {index} is not in a tree of size {size}", entry=index)
    _check_hash(leaf_hash, "the leaf hash")
    _check_hash(root, "the root")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof element {i}")
    want = _inclusion_proof_size(index, size)
    if len(proof) != want:
        raise VerificationError(
            f"the inclusion proof of leaf {index} in a tree of size {size} has {want} hashes, "
            f"got {len(proof)}",
            entry=index,
        )
    # RFC 9162 2.1.3.2: fn walks up from the leaf, sn from the last leaf; where fn is a right
    # child or the last node of its level (fn == sn), the proof element goes on the left.
    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:  # 2.1.3.2 step 4a: more elements than levels (caught above; kept per RFC)
            raise VerificationError("the inclusion proof is too long", entry=index)
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # A last node without a sibling moves up unchanged until it is a right child.
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:  # 2.1.3.2 step 5
        raise VerificationError("the inclusion proof is too short", entry=index)
    if r != root:
        raise VerificationError(
            f"the inclusion proof of leaf {index} leads to another root of the tree of size {size}",
            expected=_b64(root),
            computed=_b64(r),
            entry=index,
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size2`` with head ``root2`` extends that of ``size1``/``root1``.

    The algorithm of RFC 9162 2.1.4.2, plus the cases it leaves out: equal sizes need the empty
    proof and equal roots; a check from the empty tree (``size1 == 0``) is refused, since it
    proves nothing.

    Raises
    ------
    VerificationError
        when ``size1`` is 0 or above ``size2``, the proof has the wrong number of elements, a hash
        is not 32 bytes, or a root the proof leads to differs from the one given (``expected``
        the given root, ``computed`` the one the proof leads to).
    """
    if size1 > size2:
        raise VerificationError(f"the old tree (size {size1}) is larger than the new ({size2})")
    if size1 == 0:
        raise VerificationError("a consistency proof from the empty tree proves nothing")
    if size1 == size2:
        # Same size: the same tree, which needs no proof. The roots are compared as given, not
        # checked for length: equal bytes are the same head whatever they are (the RFC 9162
        # conformance vectors accept two equal 12-byte roots here).
        if proof:
            raise VerificationError(
                f"trees of equal size {size1} need an empty proof, got {len(proof)} hashes"
            )
        if root1 != root2:
            raise VerificationError(
                f"two different roots for the same tree size {size1}",
                expected=_b64(root1),
                computed=_b64(root2),
            )
        return
    _check_hash(root1, "the old root")
    _check_hash(root2, "the new root")
    for i, c in enumerate(proof):
        _check_hash(c, f"proof element {i}")
    want = _consistency_proof_size(size1, size2)
    if len(proof) != want:
        raise VerificationError(
            f"the consistency proof from size {size1} to {size2} has {want} hashes, "
            f"got {len(proof)}"
        )
    path = list(proof)
    if not path:  # 2.1.4.2 step 1 (caught above; kept per RFC)
        raise VerificationError("the consistency proof is empty")
    # Step 2: when the old tree is a complete subtree, its root is the proof's seed.
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    # Steps 3-4: skip the levels where the old tree's last node is a right child; those
    # hashes are inside the seed.
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:
            raise VerificationError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            # Right of the old tree's edge: part of the new tree only.
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:  # step 7
        raise VerificationError("the consistency proof is too short")
    if fr != root1:
        raise VerificationError(
            f"the consistency proof does not lead to the root of the old tree (size {size1})",
            expected=_b64(root1),
            computed=_b64(fr),
        )
    if sr != root2:
        raise VerificationError(
            f"the consistency proof does not lead to the root of the new tree (size {size2})",
            expected=_b64(root2),
            computed=_b64(sr),
        )
