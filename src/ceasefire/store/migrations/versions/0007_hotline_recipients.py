"""The hotline: what each recipient of a message has sent back, apart from the others.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

A message to several parties waits on each of them: one party's answer does not answer for
another, and the silent one escalates. ``hotline_addresses`` (a row per sender and recipient)
gets what that recipient sent back (``acknowledged_at``, ``answered_at``) and how far its
silence was escalated (``level``); the columns of ``hotline_messages`` then say what the
message got from all its recipients (acknowledged, answered once every one has; the highest
level). Rows written before are filled in from the replies that are stored: each recipient's
own first acknowledgement and answer, and the message's level.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ACKS = "('acknowledgement', 'line_check_reply', 'response')"


def upgrade() -> None:
    with op.batch_alter_table("hotline_addresses") as batch:
        batch.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("answered_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("level", sa.Integer, nullable=False, server_default="0"))
    # Each recipient's own replies; the sender's row stays empty.
    op.execute(
        f"""
        UPDATE hotline_addresses SET
          acknowledged_at = (SELECT MIN(r.sent_at) FROM hotline_messages m
                             JOIN hotline_messages r ON r.in_reply_to = m.message_id
                             WHERE m.seq = hotline_addresses.seq
                               AND r.sender = hotline_addresses.address AND r.kind IN {_ACKS}),
          answered_at = (SELECT MIN(r.sent_at) FROM hotline_messages m
                         JOIN hotline_messages r ON r.in_reply_to = m.message_id
                         WHERE m.seq = hotline_addresses.seq
                           AND r.sender = hotline_addresses.address AND r.kind = 'response'),
          level = (SELECT m.level FROM hotline_messages m WHERE m.seq = hotline_addresses.seq)
        WHERE address <> (SELECT m.sender FROM hotline_messages m
                          WHERE m.seq = hotline_addresses.seq)
        """
    )
    # The message's own row: acknowledged and answered once every recipient has.
    for column in ("acknowledged_at", "answered_at"):
        op.execute(
            f"""
            UPDATE hotline_messages SET {column} = CASE
              WHEN EXISTS (SELECT 1 FROM hotline_addresses a
                           WHERE a.seq = hotline_messages.seq
                             AND a.address <> hotline_messages.sender AND a.{column} IS NULL)
              THEN NULL
              ELSE (SELECT MAX(a.{column}) FROM hotline_addresses a
                    WHERE a.seq = hotline_messages.seq AND a.address <> hotline_messages.sender)
            END
            WHERE kind IN ('notification', 'query', 'request', 'line_check')
            """
        )


def downgrade() -> None:
    with op.batch_alter_table("hotline_addresses") as batch:
        batch.drop_column("level")
        batch.drop_column("answered_at")
        batch.drop_column("acknowledged_at")
