"""Retractions of reports: a report withdrawn by its submitter or by the mission, with a reason.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

A retraction is logged (a ``retraction`` leaf); the report and its leaf stay, for history.
Fusion and counts leave retracted reports out; ``corrected_by`` names the report that replaced
it when the retraction came with a correction (a report with ``corrects``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_retractions",
        sa.Column("report_id", sa.String(200), primary_key=True),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_name", sa.Text, nullable=False),
        sa.Column("by_role", sa.String(16), nullable=False),
        sa.Column("by_party", sa.String(64)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("corrected_by", sa.String(200)),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.report_id"], name="fk_report_retractions_report"
        ),
    )


def downgrade() -> None:
    op.drop_table("report_retractions")
