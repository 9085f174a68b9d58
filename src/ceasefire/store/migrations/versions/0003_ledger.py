"""The ledger: an append-only Merkle log of every accepted record and state change.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

- ``ledger_entries``: one row per leaf, ``idx`` from 0; ``body`` is the leaf's canonical JSON
  (RFC 8785) as text, the bytes that are hashed.
- ``ledger_nodes``: the hash of every complete subtree (RFC 9162 section 2.1.1), ``level`` 0
  being the leaf hashes. Proofs are assembled from these rows, never by rehashing leaves.
- ``ledger_checkpoints``: signed checkpoints (C2SP tlog-checkpoint as a signed note), one per
  tree size; ``ledger_cosignatures``: the parties' cosignature lines on them.
- ``submitter_keys``: the public keys whose signed submissions the store accepts, each bound
  to the ``submitted_by`` it may sign for (see :mod:`ceasefire.intake.signing`).
- ``ledger_state``: one row, the current size (the row writers lock to append in turn), the
  log's origin and its verifier key once the first checkpoint is signed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("appended_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ledger_entries_record", "ledger_entries", ["record_id", "kind"])
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("idx", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_ledger_nodes"),
        sqlite_with_rowid=False,  # SQLite: the key is the table; other engines ignore it
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "ledger_cosignatures",
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("cosigner", sa.String(200), nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("size", "cosigner", name="pk_ledger_cosignatures"),
        sa.ForeignKeyConstraint(
            ["size"], ["ledger_checkpoints.size"], name="fk_ledger_cosignatures_checkpoint"
        ),
    )
    op.create_table(
        "submitter_keys",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key_id", sa.BigInteger, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("party", sa.String(64)),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", "key_id", name="pk_submitter_keys"),
    )
    state = op.create_table(
        "ledger_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("origin", sa.String(200)),
        sa.Column("log_key", sa.Text),
        sa.CheckConstraint("id = 1", name="ck_ledger_state_one_row"),
    )
    op.bulk_insert(state, [{"id": 1, "size": 0, "origin": None, "log_key": None}])


def downgrade() -> None:
    op.drop_table("ledger_state")
    op.drop_table("submitter_keys")
    op.drop_table("ledger_cosignatures")
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_nodes")
    op.drop_table("ledger_entries")
