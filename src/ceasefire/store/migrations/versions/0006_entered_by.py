"""Who entered each report: the signed-in user, beside the report and in its ledger leaf.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

- ``reports.entered_by``, ``entered_role``, ``entered_party``: the name, role and party (None
  for a mission user) of the user who stored the report (DESIGN section 6: the submitter of a
  record is the signed-in user). ``ceasefire ingest`` records its local operator as an admin.
  The ledger leaf of the report holds them (:func:`ceasefire.ledger.log.report_item`), so the
  audit finds an edit of any of them. Reports stored before this revision have none (NULL),
  and their leaves none either.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("entered_by", sa.Text))
        batch.add_column(sa.Column("entered_role", sa.String(16)))
        batch.add_column(sa.Column("entered_party", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("entered_party")
        batch.drop_column("entered_role")
        batch.drop_column("entered_by")
