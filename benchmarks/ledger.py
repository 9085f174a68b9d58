"""Benchmark of the ledger (:mod:`ceasefire.store.ledger`, :mod:`ceasefire.ledger.merkle`) against pymerkle.

Run ``python benchmarks/ledger.py --quick`` (100k leaves, < 1 min) or without ``--quick`` (1M
leaves, a few minutes). Needs ``pip install -e '.[bench]'`` (pymerkle). Each measurement prints
one JSON object on its own line::

    {"benchmark": ..., "n": ..., "ours_...": ..., "peer": ..., "peer_...": ...,
     "speedup": ..., "same_answer": true|false, ...}

``speedup`` is the peer's time over ours (above 1: we are faster). Targets (the ledger issue):
at least 20,000 appends/s into SQLite, batched per transaction; an inclusion or consistency
proof at 1M leaves in at most 1 ms.

The peer is pymerkle's ``SqliteTree`` (SHA-256; its default "security" mode hashes with the
RFC 9162 0x00 / 0x01 prefixes, so its roots and inclusion paths are ours). Its connection is
set to WAL and ``synchronous=FULL``, as our store is, so both commit with the same durability.
It stores one row per leaf and rehashes subtrees when asked for a proof (with an in-memory LRU
cache of subtree roots of 128 leaves and more); we store every complete subtree's hash.

1. Appends. Records shaped like a report's interchange mapping (15 fields) logged as
   ``("report", id, record)`` leaves, ``--batch`` (10,000) per write transaction: ours is
   :meth:`Appender.append` in ``Store._write()`` (canonical JSON, SHA-256, the entry, node and
   state rows); the peer gets the same leaf bytes (our canonical JSON, timed in its column too)
   through ``append_entries``, one call (one transaction) per batch. The batches alternate
   between the two, so machine noise falls on both. ``same_answer``: the root of our signed
   checkpoint is the peer's root. Then :meth:`Store.add_reports` end to end with validated
   :class:`~ceasefire.intake.report.Report` objects (report rows, R*Tree, ledger leaves in one
   transaction per batch) against the peer appending the same leaves only; ``ledger_share`` is
   the part of our time spent in :meth:`Appender.append`. ``same_answer``: the peer's root over
   the stored entries is our checkpoint's.
2. Proofs at n leaves: :meth:`Store.ledger_inclusion` for random leaves and
   :meth:`Store.ledger_consistency` from random sizes to n, each call on a fresh pooled
   connection as a server would make it (``ours_held_conn_p50_ms``: the same on one open read
   connection), against pymerkle's ``prove_inclusion`` / ``prove_consistency`` (its subtree
   cache already warmed by computing its root; ``peer_first_ms`` is its first proof). Inclusion
   ``same_answer``: our proof is the peer's path (less its leading leaf hash) byte for byte,
   and verifies. pymerkle's consistency proofs are of its own shape (not RFC 9162 2.1.4), so
   there ``same_answer`` means that on a sample of sizes both verify, each with its own
   verifier, against the peer's roots.
3. Verification: :func:`ceasefire.ledger.merkle.verify_inclusion` / ``verify_consistency`` of those
   proofs against pymerkle's ``verify_inclusion`` / ``verify_consistency``; and a bundle from
   :func:`ceasefire.ledger.proofs.prove` checked by :func:`ceasefire.ledger.proofs.verify_bundle` (its
   Ed25519 checkpoint signature included; pymerkle has no signed checkpoints, so no peer).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from ceasefire import ledger
from ceasefire.errors import VerificationError
from ceasefire.intake.report import Report
from ceasefire.ledger import merkle
from ceasefire.ledger.notes import Signer
from ceasefire.publish.access import Principal
from ceasefire.store import ledger as store_ledger
from ceasefire.store.facade import Store

try:
    import pymerkle
except ImportError:
    raise SystemExit("benchmarks/ledger.py needs pymerkle: pip install -e '.[bench]'") from None

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
#: Who enters the benchmark's reports (the store records it with each).
OPERATOR = Principal("benchmark", "admin")
SEED = 2026
PEER = "pymerkle.SqliteTree (WAL, synchronous=FULL)"


def emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def record(i: int) -> dict[str, Any]:
    """Report ``i`` as an interchange mapping: 15 fields, the shape most reports have."""
    return {
        "id": f"r-{i:08d}",
        "submitted_by": ("ua", "ru", "smm")[i % 3],
        "source_kind": ("patrol", "sensor", "uav", "party")[i % 4],
        "source_name": f"team-{i % 40}",
        "observed_from": (NOW - timedelta(seconds=30 * i + 300)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "observed_to": (NOW - timedelta(seconds=30 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "time_precision": "exact",
        "lon": round(36.0 + (i * 0.0137) % 3.0, 5),
        "lat": round(47.0 + (i * 0.0071) % 2.0, 5),
        "uncertainty_m": 250.0,
        "place_precision": "near",
        "event_type": ("shelling", "small_arms", "drone_strike")[i % 3],
        "weapon_class": ("artillery", "small_arms", "fpv_drone")[i % 3],
        "calibre_mm": 152.0,
        "count": 1 + i % 7,
    }


def item(i: int) -> store_ledger.Item:
    return ("report", f"r-{i:08d}", record(i))


def leaf(i: int) -> bytes:
    """The leaf hash of item ``i``, made afresh from the record (neither store's copy)."""
    return merkle.leaf_hash(store_ledger.leaf_body(*item(i)))


def peer_tree(path: Path) -> pymerkle.SqliteTree:
    tree = pymerkle.SqliteTree(str(path), algorithm="sha256")
    tree.con.execute("PRAGMA journal_mode=WAL")
    tree.con.execute("PRAGMA synchronous=FULL")
    return tree


def ms(seconds: Sequence[float]) -> dict[str, float]:
    a = np.asarray(seconds) * 1e3
    return {"p50": round(float(np.median(a)), 4), "p99": round(float(np.percentile(a, 99)), 4)}


def checked_time(verify: Callable[..., None], *args: Any) -> tuple[bool, float]:
    """Whether a verification passes (ours raises VerificationError, pymerkle InvalidProof),
    and how long it took."""
    t = time.perf_counter()
    try:
        verify(*args)
    except (VerificationError, pymerkle.InvalidProof):
        return False, time.perf_counter() - t
    return True, time.perf_counter() - t


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = call()
    return out, time.perf_counter() - t


@contextmanager
def appender_clock(spent: list[float]) -> Iterator[None]:
    """Time every :meth:`Appender.append` made inside the block (the ledger's share)."""
    original = store_ledger.Appender.append

    def append(self: store_ledger.Appender, items: Sequence[store_ledger.Item]) -> range:
        t = time.perf_counter()
        try:
            return original(self, items)
        finally:
            spent.append(time.perf_counter() - t)

    store_ledger.Appender.append = append  # type: ignore[method-assign]
    try:
        yield
    finally:
        store_ledger.Appender.append = original  # type: ignore[method-assign]


# -- 1. appends --------------------------------------------------------------------------------


def appends(n: int, batch: int, folder: Path, signer: Signer) -> tuple[Store, Any, bytes]:
    """Log ``n`` records in both; returns our store, the peer's tree and the common root."""
    store = Store.open(folder / "ours.db")
    tree = peer_tree(folder / "peer.db")
    at = datetime.now(UTC)
    ours_s = peer_s = canonical_s = 0.0
    for start in range(0, n, batch):
        items = [item(i) for i in range(start, min(n, start + batch))]
        t = time.perf_counter()
        with store._write() as conn:
            store_ledger.Appender(conn, store._dialect, at).append(items)
        ours_s += time.perf_counter() - t
        t = time.perf_counter()
        bodies = [store_ledger.leaf_body(*it) for it in items]
        canonical_s += time.perf_counter() - t
        tree.append_entries(bodies)
        peer_s += time.perf_counter() - t
    root = store.ledger_sign(signer, at).root
    peer_root = tree.get_root()
    emit(
        benchmark="append (canonical JSON + SHA-256 + SQLite), batched per transaction",
        n=n,
        batch=batch,
        ours_s=round(ours_s, 2),
        ours_per_s=round(n / ours_s),
        peer=PEER + ".append_entries",
        peer_s=round(peer_s, 2),
        peer_per_s=round(n / peer_s),
        speedup=round(peer_s / ours_s, 2),
        canonical_json_per_s=round(n / canonical_s),
        target_per_s=20_000,
        same_answer=bool(root == peer_root),
    )
    return store, tree, root


def make_report(i: int) -> Report:
    return Report.model_validate(record(i), context={"now": NOW})


def add_reports(n: int, batch: int, folder: Path, signer: Signer) -> None:
    store = Store.open(folder / "reports.db")
    tree = peer_tree(folder / "reports-peer.db")
    ours_s = peer_s = 0.0
    spent: list[float] = []
    for start in range(0, n, batch):
        reports = [make_report(i) for i in range(start, min(n, start + batch))]
        with appender_clock(spent):
            added, seconds = timed(
                lambda reports=reports: store.add_reports(reports, entered_by=OPERATOR)
            )
        ours_s += seconds
        assert added.added == len(reports)
        t = time.perf_counter()
        tree.append_entries([store_ledger.leaf_body("report", r.id, r.to_dict()) for r in reports])
        peer_s += time.perf_counter() - t
    checkpoint = store.ledger_sign(signer, datetime.now(UTC))
    same = checkpoint.size == n and tree.get_root() == checkpoint.root
    emit(
        benchmark="Store.add_reports (report rows + R*Tree + ledger leaves), batched",
        n=n,
        batch=batch,
        ours_s=round(ours_s, 2),
        ours_per_s=round(n / ours_s),
        ledger_share=round(sum(spent) / ours_s, 3),
        peer=PEER + ".append_entries of the same leaves (log only, no report rows)",
        peer_s=round(peer_s, 2),
        peer_per_s=round(n / peer_s),
        speedup=round(peer_s / ours_s, 2),
        same_answer=bool(same),
    )
    tree.close()
    store.close()


# -- 2. proofs ---------------------------------------------------------------------------------


def inclusion(store: Store, tree: Any, root: bytes, n: int, calls: int) -> list[Any]:
    """Time inclusion proofs at ``n`` leaves; returns ``(index, leaf, ours, peer)`` per call."""
    rng = random.Random(SEED)
    picks = [rng.randrange(n) for _ in range(calls)]
    ours_t, held_t, peer_t, out = [], [], [], []
    with store.read() as conn:
        for i in picks:
            _, seconds = timed(lambda i=i: store_ledger.inclusion_proof(conn, i, n))
            held_t.append(seconds)
    same = True
    for i in picks:
        ours, seconds = timed(lambda i=i: store.ledger_inclusion(i, n))
        ours_t.append(seconds)
        peer, seconds = timed(lambda i=i: tree.prove_inclusion(i + 1, n))
        peer_t.append(seconds)
        h = leaf(i)
        ok, _ = checked_time(merkle.verify_inclusion, h, i, n, ours, root)
        same = same and ok and peer.path[0] == h and peer.path[1:] == ours
        out.append((i, h, ours, peer))
    o, p = ms(ours_t), ms(peer_t)
    emit(
        benchmark="inclusion proof (Store.ledger_inclusion)",
        n=n,
        calls=calls,
        ours_p50_ms=o["p50"],
        ours_p99_ms=o["p99"],
        ours_held_conn_p50_ms=ms(held_t)["p50"],
        peer=PEER + ".prove_inclusion",
        peer_p50_ms=p["p50"],
        peer_p99_ms=p["p99"],
        peer_first_ms=round(peer_t[0] * 1e3, 2),
        speedup=round(p["p50"] / o["p50"], 2),
        target_ms=1.0,
        same_answer=bool(same),
    )
    return out


def consistency(
    store: Store, tree: Any, root: bytes, n: int, calls: int, checked: int
) -> list[Any]:
    """Time consistency proofs from random sizes to ``n``; check ``checked`` of them against
    the peer's roots. Returns ``(size1, root1, ours, peer)`` for the checked ones."""
    rng = random.Random(SEED + 1)
    sizes = [rng.randrange(1, n) for _ in range(calls)]
    ours_t, held_t, peer_t, proofs = [], [], [], []
    with store.read() as conn:
        for m in sizes:
            _, seconds = timed(lambda m=m: store_ledger.consistency_proof(conn, m, n))
            held_t.append(seconds)
    for m in sizes:
        ours, seconds = timed(lambda m=m: store.ledger_consistency(m, n))
        ours_t.append(seconds)
        peer, seconds = timed(lambda m=m: tree.prove_consistency(m, n))
        peer_t.append(seconds)
        proofs.append((m, ours, peer))
    out = []
    same = True
    for m, ours, peer in proofs[:checked]:
        root1 = tree.get_root(m)  # the peer's own root of the smaller tree
        ok_ours, _ = checked_time(merkle.verify_consistency, m, n, ours, root1, root)
        ok_peer, _ = checked_time(pymerkle.verify_consistency, root1, root, peer, m, n)
        same = same and ok_ours and ok_peer
        out.append((m, root1, ours, peer))
    o, p = ms(ours_t), ms(peer_t)
    emit(
        benchmark="consistency proof (Store.ledger_consistency)",
        n=n,
        calls=calls,
        ours_p50_ms=o["p50"],
        ours_p99_ms=o["p99"],
        ours_held_conn_p50_ms=ms(held_t)["p50"],
        peer=PEER + ".prove_consistency",
        peer_p50_ms=p["p50"],
        peer_p99_ms=p["p99"],
        speedup=round(p["p50"] / o["p50"], 2),
        target_ms=1.0,
        same_answer=bool(same),
        checked_against_peer_roots=checked,
    )
    return out


# -- 3. verification ---------------------------------------------------------------------------


def verification(root: bytes, n: int, included: list[Any], consistent: list[Any]) -> None:
    """Verify the proofs of :func:`inclusion` and :func:`consistency` with both verifiers,
    each given the index and sizes it must check (pymerkle's leaf index counts from one)."""
    ours_t, peer_t, same = [], [], True
    for i, h, ours, peer in included:
        ok_ours, seconds = checked_time(merkle.verify_inclusion, h, i, n, ours, root)
        ours_t.append(seconds)
        ok_peer, seconds = checked_time(pymerkle.verify_inclusion, h, root, peer, i + 1, n)
        peer_t.append(seconds)
        same = same and ok_ours and ok_peer
    o, p = ms(ours_t), ms(peer_t)
    emit(
        benchmark="verify inclusion (merkle.verify_inclusion)",
        n=n,
        calls=len(included),
        ours_p50_ms=o["p50"],
        ours_p99_ms=o["p99"],
        peer="pymerkle.verify_inclusion",
        peer_p50_ms=p["p50"],
        peer_p99_ms=p["p99"],
        speedup=round(p["p50"] / o["p50"], 2),
        same_answer=bool(same),
    )
    ours_t, peer_t, same = [], [], True
    repeat = max(1, len(included) // max(1, len(consistent)))
    for m, root1, ours, peer in consistent:
        for _ in range(repeat):
            ok_ours, seconds = checked_time(merkle.verify_consistency, m, n, ours, root1, root)
            ours_t.append(seconds)
            ok_peer, seconds = checked_time(pymerkle.verify_consistency, root1, root, peer, m, n)
            peer_t.append(seconds)
            same = same and ok_ours and ok_peer
    o, p = ms(ours_t), ms(peer_t)
    emit(
        benchmark="verify consistency (merkle.verify_consistency)",
        n=n,
        proofs=len(consistent),
        calls=len(ours_t),
        ours_p50_ms=o["p50"],
        ours_p99_ms=o["p99"],
        peer="pymerkle.verify_consistency (its own proof shape)",
        peer_p50_ms=p["p50"],
        peer_p99_ms=p["p99"],
        speedup=round(p["p50"] / o["p50"], 2),
        same_answer=bool(same),
    )


def bundles(store: Store, signer: Signer, n: int, calls: int) -> None:
    rng = random.Random(SEED + 2)
    verifier = signer.verifier()
    prove_t, verify_t = [], []
    same = True
    for i in (rng.randrange(n) for _ in range(calls)):
        bundle, seconds = timed(lambda i=i: ledger.prove(store, f"r-{i:08d}"))
        prove_t.append(seconds)
        ok, seconds = checked_time(ledger.verify_bundle, bundle, verifier)
        verify_t.append(seconds)
        same = same and ok and bundle["leafIdx"] == i and bundle["treeSize"] == n
    pr, ve = ms(prove_t), ms(verify_t)
    emit(
        benchmark="bundle (ledger.prove, then ledger.verify_bundle with the log's key)",
        n=n,
        calls=calls,
        prove_p50_ms=pr["p50"],
        prove_p99_ms=pr["p99"],
        verify_bundle_p50_ms=ve["p50"],
        verify_bundle_p99_ms=ve["p99"],
        peer=None,
        same_answer=bool(same),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100k leaves, 20k reports (< 1 min)")
    parser.add_argument("--leaves", type=int, default=None, help="leaves in the log (1M)")
    parser.add_argument("--reports", type=int, default=None, help="reports for add_reports")
    parser.add_argument("--batch", type=int, default=10_000, help="leaves per transaction")
    parser.add_argument("--calls", type=int, default=2_000, help="proofs timed of each kind")
    args = parser.parse_args()
    n = args.leaves or (100_000 if args.quick else 1_000_000)
    n_reports = args.reports or (20_000 if args.quick else 100_000)
    signer = Signer.generate("bench.ceasefire.example/log")
    with tempfile.TemporaryDirectory(prefix="ceasefire-ledger-") as tmp:
        folder = Path(tmp)
        add_reports(n_reports, args.batch, folder, signer)
        store, tree, root = appends(n, args.batch, folder, signer)
        included = inclusion(store, tree, root, n, args.calls)
        consistent = consistency(store, tree, root, n, args.calls, 20 if n > 200_000 else 50)
        verification(root, n, included, consistent)
        bundles(store, signer, n, min(args.calls, 500))
        tree.close()
        store.close()


if __name__ == "__main__":
    main()
