"""Placements in the ledger: a report's placement is part of its leaf from now on.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

The side, zones and oblast a report was filed under decide who reads it and what it counts
towards, so they are part of the record: a report stored from this revision on carries its
placement in its ledger leaf, and ``placement_logged`` says so. The flag cannot hide an edit:
flipping it changes the leaf the audit recomputes either way. Reports stored before keep their
leaves (a log only grows); their placement columns are still checked against the placement
they were stored with, not against the log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite has it for a constant default): a batch operation would copy
    # the table and drop its triggers, among them the one that keeps the R*Tree index in step.
    op.add_column(
        "reports",
        sa.Column("placement_logged", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("reports", "placement_logged")
