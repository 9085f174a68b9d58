"""Strike tallies: each issuer's account of an attack window, as published, and its versions.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

One row per tally version: its JSON as given (``body``), the columns listings filter on, and who
entered it. An issuer chooses its own ids (the key is issuer and id). A correction is a new row
that names the one it ``supersedes``; rows are never edited. Each row is logged (a ``tally``
leaf).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tallies",
        sa.Column("issuer", sa.String(64), primary_key=True),
        sa.Column("tally_id", sa.String(200), primary_key=True),
        sa.Column("attacker", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("window_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True)),
        sa.Column("supersedes", sa.String(200)),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entered_by", sa.Text, nullable=False),
        sa.Column("entered_role", sa.String(16), nullable=False),
        sa.Column("entered_party", sa.String(64)),
    )
    op.create_index("ix_tallies_window", "tallies", ["window_from", "window_to"])
    # One correction per version: a second tally superseding the same one is a fork, refused.
    op.create_index("ux_tallies_supersedes", "tallies", ["issuer", "supersedes"], unique=True)


def downgrade() -> None:
    op.drop_table("tallies")
