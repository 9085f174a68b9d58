"""Users and submitter keys in the ledger; tokens that expire and rotate.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

- ``users`` gets ``token_issued_at`` (when its current token was made), ``expires_at`` (when it
  stops working; none by default), and ``change`` / ``changed_at`` (the administration that made
  the row what it is: add, disable, enable, rotate). Each change is logged as a ``user`` leaf
  (:func:`ceasefire.ledger.log.user_item`), and the audit compares the row with the latest one.
- ``users_state``: one row, a counter every user administration bumps (a running service's
  token cache reads it to notice a rotation or a disabled user at once).
- ``submitter_keys`` gets ``revoked_at`` (a key untrusted is kept, no longer trusted); each
  row is logged as a ``submitter_key`` leaf when trusted and again when untrusted.

Users and keys that exist before this migration have no leaf; left so, the audit would call
every one of them "written behind the ledger's back" and an old store could never verify again.
They are logged here instead, as they stand (``change: upgrade``): the log only grows, so every
checkpoint signed before still holds, and a party sees in the log which users and keys the
mechanism had when administration began to be logged. What happened to them before cannot be
recovered by anyone; this makes it fixed from now on.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from ceasefire.ledger.log import submitter_key_item, user_item
from ceasefire.store.backends import Backend
from ceasefire.store.ledger import Appender
from ceasefire.store.schema import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _tables() -> tuple[sa.Table, sa.Table]:
    """The two tables as this revision leaves them (not the store's live shapes, which a later
    revision may change)."""
    meta = sa.MetaData()
    users = sa.Table(
        "users",
        meta,
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("role", sa.String(16)),
        sa.Column("party", sa.String(64)),
        sa.Column("token_hash", sa.String(64)),
        sa.Column("created_at", UTCDateTime),
        sa.Column("disabled", sa.Boolean),
        sa.Column("token_issued_at", UTCDateTime),
        sa.Column("expires_at", UTCDateTime),
        sa.Column("change", sa.String(16)),
        sa.Column("changed_at", UTCDateTime),
    )
    keys = sa.Table(
        "submitter_keys",
        meta,
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("key_id", sa.BigInteger, primary_key=True),
        sa.Column("key", sa.Text),
        sa.Column("party", sa.String(64)),
        sa.Column("added_at", UTCDateTime),
        sa.Column("revoked_at", UTCDateTime),
    )
    return users, keys


def upgrade() -> None:
    at = datetime.now(UTC)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_issued_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("change", sa.String(16)))
        batch.add_column(sa.Column("changed_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("submitter_keys") as batch:
        batch.add_column(sa.Column("revoked_at", sa.DateTime(timezone=True)))
    users, keys = _tables()
    bind = op.get_bind()
    bind.execute(
        users.update().values(token_issued_at=users.c.created_at, change="upgrade", changed_at=at)
    )
    with op.batch_alter_table("users") as batch:
        for column in ("token_issued_at", "changed_at"):
            batch.alter_column(column, existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.alter_column("change", existing_type=sa.String(16), nullable=False)
    state = op.create_table(
        "users_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_users_state_one_row"),
    )
    op.bulk_insert(state, [{"id": 1, "version": 0}])
    items = [
        user_item(dict(r._mapping)) for r in bind.execute(sa.select(users).order_by(users.c.name))
    ]
    items += [
        submitter_key_item(dict(r._mapping))
        for r in bind.execute(sa.select(keys).order_by(keys.c.name, keys.c.key_id))
    ]
    if items:
        Appender(bind, Backend(), at).append(items)


def downgrade() -> None:
    # The leaves stay (the log is append-only); an older audit names them as records it lacks.
    op.drop_table("users_state")
    with op.batch_alter_table("submitter_keys") as batch:
        batch.drop_column("revoked_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("changed_at")
        batch.drop_column("change")
        batch.drop_column("expires_at")
        batch.drop_column("token_issued_at")
