"""Users and releases: who may call the service, and which incidents the public may see.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

- ``users``: one row per person or system that calls the API: a unique ``name``, a ``role``
  (:data:`ceasefire.publish.access.ROLES`), the ``party`` code a party user is bound to, and the
  SHA-256 of its bearer token (:func:`ceasefire.publish.access.token_hash`); the token itself is shown
  once and never stored. ``disabled`` users are refused like unknown tokens.
- ``incident_releases``: an incident released to the public, when, by whom, and whether its
  place is shown in full (otherwise coarsened, :func:`ceasefire.publish.views.coarsen`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("party", sa.String(64)),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("token_hash", name="uq_users_token_hash"),
    )
    op.create_table(
        "incident_releases",
        sa.Column("incident_id", sa.String(32), primary_key=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("full", sa.Boolean, nullable=False),
        sa.Column("released_by", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("incident_releases")
    op.drop_table("users")
