"""Incidents in the ledger: each incident's fused body (and so its members) is a leaf.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

From this revision on, fusion logs an ``incident`` leaf whenever it creates, changes or merges
an incident, and the audit checks each incident row against its latest leaf and recomputes
the rest (columns, membership, status) from the log. Incidents stored before have no leaf, so
this revision logs one for each, as it stands now: the log then says when the mechanism began
to vouch for them. An edit made before the upgrade cannot be told apart from what fusion wrote;
run ``ceasefire fuse`` again after upgrading if that matters (fusion is deterministic, so the
incidents it rewrites are the ones that were bent).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from ceasefire.ledger.log import incident_item
    from ceasefire.store import ledger as store_ledger
    from ceasefire.store.backends import Backend

    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT incident_id, body, merged_into FROM incidents ORDER BY seq")
    ).all()
    if not rows:
        return
    items = [incident_item(r.incident_id, r.body, r.merged_into) for r in rows]
    # The plain backend's inserts suit any database, as in 0008: a migration needs no speed.
    store_ledger.append(conn, Backend(), items, datetime.now(UTC))


def downgrade() -> None:
    # The leaves stay: a log only grows, and signed checkpoints may already cover them. An
    # audit of an older version would report them as incidents it does not know.
    pass
