"""The hotline: messages between the parties, the mission and the mediator.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

- ``hotline_messages``: one row per message, never changed once written except for what it
  has received since (``acknowledged_at``, ``answered_at``, the escalation ``level``). ``record``
  is the message as logged in the ledger (:meth:`ceasefire.hotline.rules.Message.record`); the other
  columns repeat what queries filter on.
- ``hotline_addresses``: the sender and each recipient of a message, so that a party's inbox is
  an index lookup.
- ``hotline_outbox``: e-mails owed for urgent messages, kept until sent, so that a restart
  neither loses nor repeats one.
- ``hotline_cursor``: how far the scheduler has looked at incidents for notifications.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hotline_messages",
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("thread", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("in_reply_to", sa.String(200)),
        sa.Column("incident_id", sa.String(32)),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("ack_due", sa.DateTime(timezone=True)),
        sa.Column("answer_due", sa.DateTime(timezone=True)),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("level", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("message_id", name="uq_hotline_messages_id"),
    )
    op.create_index("ix_hotline_thread", "hotline_messages", ["thread", "seq"])
    op.create_index("ix_hotline_reply", "hotline_messages", ["in_reply_to"])
    op.create_index("ix_hotline_owed", "hotline_messages", ["answered_at", "kind"])
    op.create_table(
        "hotline_addresses",
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
    )
    op.create_table(
        "hotline_outbox",
        sa.Column("message_id", sa.String(200), primary_key=True),
        sa.Column("address", sa.String(320), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
    )
    op.create_table(
        "hotline_cursor",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("hotline_cursor")
    op.drop_table("hotline_outbox")
    op.drop_table("hotline_addresses")
    op.drop_index("ix_hotline_owed", "hotline_messages")
    op.drop_index("ix_hotline_reply", "hotline_messages")
    op.drop_index("ix_hotline_thread", "hotline_messages")
    op.drop_table("hotline_messages")
