"""Daily reports' signed notes and the parties' cosignatures of them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

One row per report built and signed (``ceasefire report daily``): the report named by its date,
tier and format and the checkpoint it was built from, its SHA-256 and the signed note. The
report itself is not kept: it is rebuilt from its checkpoint, byte for byte. A party's
cosignature line is kept beside the note, the first one standing (as for checkpoints).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_notes",
        sa.Column("report_date", sa.String(10), primary_key=True),
        sa.Column("tier", sa.String(80), primary_key=True),
        sa.Column("format", sa.String(8), primary_key=True),
        sa.Column("checkpoint_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_report_notes_sha256", "report_notes", ["sha256"])
    op.create_table(
        "report_cosignatures",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("cosigner", sa.String(200), primary_key=True),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("report_cosignatures")
    op.drop_table("report_notes")
