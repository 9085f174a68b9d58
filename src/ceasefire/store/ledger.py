"""The ledger's rows in the store: appending leaves, signed checkpoints, proofs from stored hashes.

The :class:`~ceasefire.store.facade.Store` methods named ``ledger_*`` delegate here, each function taking
an open connection, as :mod:`ceasefire.store.incidents` does. Tables come from migration 0003.

Appends happen in the same transaction as the record they log (:class:`Appender`), so a record
is stored if and only if its leaf is: a crash cannot leave one without the other. Writers append
in turn: every store write holds the store's write lock from its first statement (SQLite's
BEGIN IMMEDIATE, PostgreSQL's transaction-level advisory lock), and on a server database the
appender also locks the ``ledger_state`` row before it reads the size.

Hashes are kept for every complete subtree (``ledger_nodes``), so an inclusion or consistency
proof is one indexed read of at most ``2 * log2(size)`` rows (:func:`fetch_nodes`), plus a few
hashes on the tree's right edge folded in memory (:mod:`ceasefire.ledger.merkle`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, String, Table, Text, select, tuple_
from sqlalchemy.engine import Connection

from ceasefire.errors import ConflictError, ForbiddenError, NotFoundError, VerificationError
from ceasefire.intake.signing import TrustedKey
from ceasefire.ledger import merkle
from ceasefire.ledger.checkpoints import Checkpoint
from ceasefire.ledger.log import (
    Entry,
    Item,
    LedgerState,
    StoredCheckpoint,
    leaf_body,
    lookup,
    submitter_key_item,
)
from ceasefire.ledger.notes import Signer, Verifier, sign_note
from ceasefire.store.backends import Backend
from ceasefire.store.database import Database
from ceasefire.store.schema import UTCDateTime, metadata

_log = logging.getLogger(__name__)

entries_table = Table(
    "ledger_entries",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(32), nullable=False),
    Column("record_id", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("appended_at", UTCDateTime, nullable=False),
)
nodes_table = Table(
    "ledger_nodes",
    metadata,
    Column("level", Integer, primary_key=True),
    Column("idx", BigInteger, primary_key=True),
    Column("hash", LargeBinary(32), nullable=False),
)
checkpoints_table = Table(
    "ledger_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", UTCDateTime, nullable=False),
)
cosignatures_table = Table(
    "ledger_cosignatures",
    metadata,
    Column("size", BigInteger, primary_key=True),
    Column("cosigner", String(200), primary_key=True),
    Column("line", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)
state_table = Table(
    "ledger_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("origin", String(200)),
    Column("log_key", Text),
)

submitter_keys_table = Table(
    "submitter_keys",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("key_id", BigInteger, primary_key=True),
    Column("key", Text, nullable=False),
    Column("party", String(64)),
    Column("added_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),  # migration 0008: untrusted, kept for the record
)

_E = entries_table.c
_N = nodes_table.c
_C = checkpoints_table.c
_S = state_table.c
_K = cosignatures_table.c


def state(conn: Connection, *, lock: bool = False) -> LedgerState:
    query = select(_S.size, _S.origin, _S.log_key).where(_S.id == 1)
    if lock and conn.dialect.name != "sqlite":
        # Belt and braces: the store's write lock already serialises its writers (PostgreSQL's
        # advisory lock, SQLite's BEGIN IMMEDIATE); this row lock holds for any other writer.
        query = query.with_for_update()
    row = conn.execute(query).one()
    return LedgerState(int(row.size), row.origin, row.log_key)


@functools.lru_cache(maxsize=64)
def _sqlite_fetch_sql(n: int) -> str:
    """The driver SQL fetching ``n`` nodes by key: the keys as a VALUES list, CROSS JOIN (which
    SQLite never reorders) so that they are the outer loop, each a primary-key search."""
    keys = ", ".join(["(?, ?)"] * n)
    return (
        f"WITH wanted(level, idx) AS (VALUES {keys}) "
        "SELECT n.level, n.idx, n.hash FROM wanted CROSS JOIN ledger_nodes AS n "
        "ON n.level = wanted.level AND n.idx = wanted.idx"
    )


def fetch_nodes(conn: Connection, wanted: Collection[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The stored hashes of these complete subtrees. Raises VerificationError naming the first
    one missing: proofs are only ever built from stored hashes."""
    found: dict[merkle.Node, bytes] = {}
    keys = sorted(wanted)
    sqlite = conn.dialect.name == "sqlite"
    for start in range(0, len(keys), 400):
        part = keys[start : start + 400]
        if sqlite:
            # SQLite (3.40) plans ``(level, idx) IN (VALUES ...)`` as a scan of the whole table:
            # 45 ms per inclusion proof at 200k leaves (benchmarks/ledger.py). Joining from the
            # wanted keys searches the primary key once per node instead (~50 us per proof).
            params = tuple(value for key in part for value in key)
            rows = conn.exec_driver_sql(_sqlite_fetch_sql(len(part)), params)
        else:
            rows = conn.execute(
                select(_N.level, _N.idx, _N.hash).where(tuple_(_N.level, _N.idx).in_(part))
            )
        found.update({(int(level), int(idx)): bytes(digest) for level, idx, digest in rows})
    missing = [k for k in keys if k not in found]
    if missing:
        level, index = missing[0]
        raise VerificationError(
            f"the store lacks the hash of subtree (level {level}, index {index}), "
            f"which covers entry {index << level}",
            entry=index << level,
        )
    return found


class Appender:
    """Appends leaves to the log inside the caller's write transaction.

    Made once per transaction (it reads the size and right edge when made and keeps them, so
    many batches of one bulk write cost one read).
    """

    def __init__(self, conn: Connection, dialect: Backend, at: datetime) -> None:
        self._conn = conn
        self._dialect = dialect
        self._at = at
        self.size = state(conn, lock=True).size
        edge = merkle.frontier_nodes(self.size)
        hashes = fetch_nodes(conn, edge)
        self._frontier = [hashes[node] for node in edge]

    def append(self, items: Sequence[Item]) -> range:
        """Append one leaf per item, in order; returns their indexes."""
        if not items:
            return range(self.size, self.size)
        bodies = [leaf_body(kind, record_id, record) for kind, record_id, record in items]
        leaves = [merkle.leaf_hash(body) for body in bodies]
        nodes, self._frontier = merkle.append(self.size, self._frontier, leaves)
        first = self.size
        at = self._at
        self._dialect.insert_rows(
            self._conn,
            entries_table,
            [
                {
                    "idx": first + j,
                    "kind": kind,
                    "record_id": record_id,
                    "body": body.decode("utf-8"),
                    "appended_at": at,
                }
                for j, ((kind, record_id, _), body) in enumerate(zip(items, bodies, strict=True))
            ],
        )
        self._dialect.insert_rows(
            self._conn,
            nodes_table,
            [{"level": level, "idx": index, "hash": digest} for level, index, digest in nodes],
        )
        self.size = first + len(items)
        self._conn.execute(state_table.update().where(_S.id == 1).values(size=self.size))
        return range(first, self.size)

    def root(self) -> bytes:
        """The root of the tree as it stands in this transaction."""
        return merkle.root_of_frontier(self._frontier)


def append(conn: Connection, dialect: Backend, items: Sequence[Item], at: datetime) -> range:
    """Append leaves in the caller's transaction (one :class:`Appender` for one call)."""
    if not items:
        return range(0)
    return Appender(conn, dialect, at).append(items)


# -- checkpoints -------------------------------------------------------------------------------


def _checkpoint(conn: Connection, row: Any) -> StoredCheckpoint:
    lines = conn.execute(
        select(_K.line).where(_K.size == row.size).order_by(_K.received_at, _K.cosigner)
    ).scalars()
    return StoredCheckpoint(int(row.size), bytes(row.root), row.note, tuple(lines), row.signed_at)


def latest_checkpoint(conn: Connection) -> StoredCheckpoint | None:
    row = conn.execute(select(checkpoints_table).order_by(_C.size.desc()).limit(1)).one_or_none()
    return None if row is None else _checkpoint(conn, row)


def checkpoint_at(conn: Connection, size: int) -> StoredCheckpoint:
    row = conn.execute(select(checkpoints_table).where(_C.size == size)).one_or_none()
    if row is None:
        raise NotFoundError(f"no signed checkpoint of tree size {size}")
    return _checkpoint(conn, row)


def checkpoints(conn: Connection) -> Iterator[StoredCheckpoint]:
    """Every stored checkpoint, smallest first (without cosignatures: the audit's view)."""
    for row in conn.execute(select(checkpoints_table).order_by(_C.size)):
        yield StoredCheckpoint(int(row.size), bytes(row.root), row.note, (), row.signed_at)


def sign_checkpoint(conn: Connection, signer: Signer, at: datetime) -> StoredCheckpoint:
    """Sign and store a checkpoint of the log as it is (the stored one if the size has not
    changed). The first checkpoint fixes the log's origin (the key's name) and its key."""
    now = state(conn, lock=True)
    key = signer.verifier().key
    if now.log_key is not None and now.log_key != key:
        raise ForbiddenError(
            f"this log is signed with key {now.log_key.split('+')[0]}+"
            f"{now.log_key.split('+')[1]}; refusing to sign it with {signer.name}+"
            f"{signer.key_id:08x}"
        )
    have = conn.execute(select(checkpoints_table).where(_C.size == now.size)).one_or_none()
    if have is not None:
        return _checkpoint(conn, have)
    edge = merkle.frontier_nodes(now.size)
    hashes = fetch_nodes(conn, edge)
    root = merkle.root_of_frontier([hashes[node] for node in edge])
    note = sign_note(Checkpoint(signer.name, now.size, root).body(), signer)
    conn.execute(
        checkpoints_table.insert().values(size=now.size, root=root, note=note, signed_at=at)
    )
    conn.execute(state_table.update().where(_S.id == 1).values(origin=signer.name, log_key=key))
    return StoredCheckpoint(now.size, root, note, (), at)


def save_cosignature(conn: Connection, size: int, cosigner: str, line: str, at: datetime) -> bool:
    """Keep one cosigner's line for a checkpoint; False if that very line is there already.

    The first valid line a cosigner gave for a checkpoint stands: a later, different line (a
    new timestamp, another key of the same name) is refused with ConflictError and logged, never
    put in its place. A cosignature is a dated statement that others may already have copied
    and relied on; replacing it would rewrite when, and by which key, the cosigner said so.
    """
    held = conn.execute(
        select(_K.line, _K.received_at).where(_K.size == size, _K.cosigner == cosigner)
    ).one_or_none()
    if held is not None and held.line == line:
        return False
    if held is not None:
        _log.warning(
            "refused a second cosignature line of %s for checkpoint %d (the first stands)",
            cosigner,
            size,
        )
        received = held.received_at
        raise ConflictError(
            f"{cosigner} already cosigned checkpoint {size} (received "
            f"{received.isoformat() if isinstance(received, datetime) else received}); its "
            "first cosignature stands and a later line does not replace it"
        )
    conn.execute(
        cosignatures_table.insert().values(size=size, cosigner=cosigner, line=line, received_at=at)
    )
    return True


# -- entries and proofs ------------------------------------------------------------------------


def find_entries(conn: Connection, record_id: str, kind: str | None = None) -> list[Entry]:
    """Every entry logged for a record id (oldest first), of the kind the id names or ``kind``
    (:func:`ceasefire.ledger.log.lookup`); by index with ``#N``. Keyed by kind and id, so a
    report called ``status/1`` never answers for the status change of that id, nor the other
    way round."""
    query = select(_E.idx, _E.kind, _E.record_id, _E.body)
    wanted = lookup(record_id, kind)
    if wanted.index is not None:
        query = query.where(_E.idx == wanted.index)
    else:
        query = query.where(_E.record_id == wanted.record_id, _E.kind.in_(wanted.kinds))
    rows = conn.execute(query.order_by(_E.idx)).all()
    return [Entry(int(r.idx), r.kind, r.record_id, r.body) for r in rows]


def inclusion_proof(conn: Connection, index: int, size: int) -> list[bytes]:
    plan = merkle.inclusion_proof_plan(index, size)
    return merkle.assemble(plan, fetch_nodes(conn, merkle.plan_nodes(plan)))


def inclusion_proofs(
    conn: Connection, indices: Collection[int], size: int
) -> dict[int, list[bytes]]:
    """The inclusion proofs of several entries in the tree of ``size``, their nodes fetched in
    one pass (entries near each other share most of theirs): a page of the change feed."""
    plans = {i: merkle.inclusion_proof_plan(i, size) for i in indices}
    hashes = fetch_nodes(conn, {n for plan in plans.values() for n in merkle.plan_nodes(plan)})
    return {i: merkle.assemble(plan, hashes) for i, plan in plans.items()}


def consistency_proof(conn: Connection, size1: int, size2: int) -> list[bytes]:
    plan = merkle.consistency_proof_plan(size1, size2)
    return merkle.assemble(plan, fetch_nodes(conn, merkle.plan_nodes(plan)))


def iter_entries(conn: Connection, chunk: int = 50_000) -> Iterator[Entry]:
    """Every entry in index order, read in chunks (the audit's scan)."""
    last = -1
    while True:
        rows = conn.execute(
            select(_E.idx, _E.kind, _E.record_id, _E.body)
            .where(_E.idx > last)
            .order_by(_E.idx)
            .limit(chunk)
        ).all()
        if not rows:
            return
        for r in rows:
            yield Entry(int(r.idx), r.kind, r.record_id, r.body)
        last = int(rows[-1].idx)


def iter_nodes(conn: Connection, chunk: int = 100_000) -> Iterator[tuple[int, int, bytes]]:
    """Every stored subtree hash, by level then index."""
    last = (-1, -1)
    while True:
        rows = conn.execute(
            select(_N.level, _N.idx, _N.hash)
            .where(tuple_(_N.level, _N.idx) > tuple_(*last))
            .order_by(_N.level, _N.idx)
            .limit(chunk)
        ).all()
        if not rows:
            return
        for r in rows:
            yield int(r.level), int(r.idx), bytes(r.hash)
        last = (int(rows[-1].level), int(rows[-1].idx))


# -- submitter keys ----------------------------------------------------------------------------


def trust_key(
    conn: Connection, dialect: Backend, verifier: Verifier, party: str | None, at: datetime
) -> bool:
    """Accept signed submissions by this key (for ``party`` only, when given) and log it as a
    ``submitter_key`` leaf in the same transaction, so a key inserted or rebound behind the
    store's back is named by the audit; False if it is trusted already, as it is. The same name
    and key id with another key, or a key untrusted before, is a conflict: a key is untrusted
    because it leaked, and a leaked key is never trusted again (make a new one)."""
    t = submitter_keys_table.c
    have = conn.execute(
        select(t.key, t.party, t.revoked_at).where(
            t.name == verifier.name, t.key_id == verifier.key_id
        )
    ).one_or_none()
    if have is not None:
        where = f"key {verifier.name}+{verifier.key_id:08x}"
        if have.revoked_at is not None:
            raise ConflictError(
                f"{where} was untrusted at {have.revoked_at.isoformat()}; it is not trusted "
                "again: make a new key"
            )
        if have.key != verifier.key or have.party != party:
            raise ConflictError(
                f"{where} is trusted already (for {have.party or 'any submitter'}) with other "
                "content"
            )
        return False
    row = {
        "name": verifier.name,
        "key_id": verifier.key_id,
        "key": verifier.key,
        "party": party,
        "added_at": at,
        "revoked_at": None,
    }
    conn.execute(submitter_keys_table.insert().values(**row))
    append(conn, dialect, [submitter_key_item(row)], at)
    return True


def untrust_key(conn: Connection, dialect: Backend, verifier: Verifier, at: datetime) -> None:
    """Stop accepting reports signed with this key, and log it. The row is kept (the reports
    it signed stay verifiable against the log). NotFoundError for a key never trusted,
    ConflictError for one untrusted already."""
    t = submitter_keys_table.c
    where = (t.name == verifier.name) & (t.key_id == verifier.key_id)
    row = conn.execute(select(submitter_keys_table).where(where)).one_or_none()
    name = f"{verifier.name}+{verifier.key_id:08x}"
    if row is None or row.key != verifier.key:
        raise NotFoundError(f"key {name} is not among the store's trusted submitter keys")
    if row.revoked_at is not None:
        raise ConflictError(f"key {name} was untrusted already, at {row.revoked_at.isoformat()}")
    conn.execute(submitter_keys_table.update().where(where).values(revoked_at=at))
    append(conn, dialect, [submitter_key_item({**row._mapping, "revoked_at": at})], at)


def trusted_keys(conn: Connection) -> list[TrustedKey]:
    """The keys trusted now (not untrusted)."""
    t = submitter_keys_table.c
    rows = conn.execute(
        select(t.key, t.party).where(t.revoked_at.is_(None)).order_by(t.name, t.key_id)
    )
    return [TrustedKey(Verifier.from_key(r.key), r.party) for r in rows]


class LedgerArea(Database):
    """The ledger's checkpoints, entries, proofs and submitter keys (part of :class:`~ceasefire.store.facade.Store`)."""

    def ledger_state(self) -> LedgerState:
        """The log's size, origin and key (None before the first signed checkpoint)."""

        with self._errors(), self._engine.connect() as conn:
            return state(conn)

    def ledger_sign(self, signer: Signer, at: datetime) -> StoredCheckpoint:
        """Sign and store a checkpoint of the log as it is now (see :mod:`ceasefire.ledger.auditor`)."""

        with self._errors(), self._write() as conn:
            return sign_checkpoint(conn, signer, at)

    def ledger_checkpoint(self, size: int | None = None) -> StoredCheckpoint:
        """The latest signed checkpoint, or the one of tree size ``size``, with its
        cosignatures. Raises NotFoundError when there is none."""

        with self._errors(), self._engine.connect() as conn:
            if size is not None:
                return checkpoint_at(conn, size)
            latest = latest_checkpoint(conn)
        if latest is None:
            raise NotFoundError(
                "no signed checkpoint yet; sign one with `ceasefire ledger checkpoint`"
            )
        return latest

    def ledger_add_cosignature(self, size: int, cosigner: str, line: str) -> StoredCheckpoint:
        """Keep a cosigner's line (already verified by the caller) for checkpoint ``size``."""

        with self._errors(), self._write() as conn:
            checkpoint_at(conn, size)
            save_cosignature(conn, size, cosigner, line, datetime.now(UTC))
            return checkpoint_at(conn, size)

    def ledger_entries(self, record_id: str, *, kind: str | None = None) -> list[Entry]:
        """The entries logged for a record id (``#N`` for entry N), oldest first."""

        with self._errors(), self._engine.connect() as conn:
            return find_entries(conn, record_id, kind)

    def ledger_inclusion(self, index: int, size: int) -> list[bytes]:
        """The inclusion proof of entry ``index`` in the tree of ``size`` (RFC 9162 2.1.3)."""

        with self._errors(), self._engine.connect() as conn:
            return inclusion_proof(conn, index, size)

    def ledger_inclusions(self, indices: Collection[int], size: int) -> dict[int, list[bytes]]:
        """The inclusion proofs of several entries in the tree of ``size``, by entry index."""

        with self._errors(), self._engine.connect() as conn:
            return inclusion_proofs(conn, indices, size)

    def ledger_consistency(self, size1: int, size2: int) -> list[bytes]:
        """The consistency proof between tree sizes (RFC 9162 2.1.4)."""

        with self._errors(), self._engine.connect() as conn:
            return consistency_proof(conn, size1, size2)

    def trust_key(self, verifier: Verifier, party: str | None = None) -> bool:
        """Accept reports signed with this key, for ``submitted_by == party`` only when given.
        True if newly trusted. Raises ConflictError for the same name and id with another key."""

        with self._errors(), self._write() as conn:
            return trust_key(conn, self._dialect, verifier, party, datetime.now(UTC))

    def untrust_key(self, verifier: Verifier) -> None:
        """Stop accepting reports signed with this key (logged; never trusted again).
        NotFoundError for a key not trusted, ConflictError for one untrusted already."""

        with self._errors(), self._write() as conn:
            untrust_key(conn, self._dialect, verifier, datetime.now(UTC))

    def trusted_keys(self) -> list[TrustedKey]:
        """The submitter keys whose signed reports the store accepts."""

        with self._errors(), self._engine.connect() as conn:
            return trusted_keys(conn)
