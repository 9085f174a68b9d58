"""What the mission could see: sensor status, patrol plans and tracks, restrictions of movement.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

One row per record, its JSON as given (``body``), the columns the window queries filter on, and
who entered it. Rows are never edited: a record stored again with other content is refused.
Each row is logged (``sensor_status``, ``patrol`` and ``restriction`` leaves).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _entered() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entered_by", sa.Text, nullable=False),
        sa.Column("entered_role", sa.String(16), nullable=False),
        sa.Column("entered_party", sa.String(64)),
    ]


def upgrade() -> None:
    op.create_table(
        "sensor_status",
        sa.Column("status_id", sa.String(200), primary_key=True),
        sa.Column("sensor_id", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        *_entered(),
    )
    op.create_index("ix_sensor_status_window", "sensor_status", ["start_at", "end_at"])
    op.create_table(
        "patrols",
        sa.Column("patrol_id", sa.String(200), primary_key=True),
        sa.Column("mode", sa.String(16), primary_key=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        *_entered(),
    )
    op.create_index("ix_patrols_window", "patrols", ["start_at", "end_at"])
    op.create_table(
        "restrictions",
        sa.Column("restriction_id", sa.String(200), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("party", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        *_entered(),
    )
    op.create_index("ix_restrictions_at", "restrictions", ["at"])


def downgrade() -> None:
    op.drop_table("restrictions")
    op.drop_table("patrols")
    op.drop_table("sensor_status")
