"""Incidents with their member reports, status history, violations and agreement versions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-03-02

Nothing here is ever deleted: an incident absorbed into another keeps its row (``merged_into``
names the survivor) and its history; a violation replaced by a later judgement keeps its row
(``superseded_at``). Only ``incident_reports`` (which live incident holds which report) is
rewritten as fusion regroups reports.

Dialect-neutral but for one thing: on PostgreSQL incidents get a PostGIS ``geom`` column with a
GiST index, as reports do (migration 0001).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# As for reports (migration 0001, which also creates the extension): the fused place as a
# generated PostGIS point, GiST-indexed.
_POSTGIS_SPATIAL = (
    "ALTER TABLE incidents ADD COLUMN geom geometry(Point, 4326) "
    "GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED",
    "CREATE INDEX ix_incidents_geom ON incidents USING gist (geom)",
)


def upgrade() -> None:
    op.create_table(
        "incidents",
        # The store assigns seq itself (max + 1 under the write lock) so that incident_id,
        # "INC-" + seq zero-padded, is known before the insert.
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(32), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("group_name", sa.String(32), nullable=False),
        sa.Column("observed_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("observed_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("uncertainty_m", sa.Float),
        sa.Column("place_precision", sa.String(32)),
        sa.Column("n_reports", sa.Integer, nullable=False),
        sa.Column("n_sources", sa.Integer, nullable=False),
        sa.Column("party", sa.String(64)),
        sa.Column("side", sa.String(64)),
        sa.Column("distance_m", sa.Float),
        sa.Column("zones", sa.Text),  # JSON list of zone names
        sa.Column("oblast", sa.Text),
        sa.Column("status", sa.String(16), nullable=False, server_default="reported"),
        sa.Column("assessed_perpetrator", sa.String(64)),
        sa.Column("assessed_basis", sa.String(32)),
        sa.Column("body", sa.Text, nullable=False),  # Incident.to_dict() as JSON
        sa.Column("merged_into", sa.String(32)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("incident_id", name="uq_incidents_incident_id"),
    )
    op.create_index("ix_incidents_observed", "incidents", ["observed_from", "seq"])
    op.create_index("ix_incidents_observed_to", "incidents", ["observed_to"])
    op.create_index("ix_incidents_status", "incidents", ["status"])
    op.create_index("ix_incidents_event_type", "incidents", ["event_type"])
    op.create_index("ix_incidents_party", "incidents", ["party"])
    op.create_index("ix_incidents_assessed_perpetrator", "incidents", ["assessed_perpetrator"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in _POSTGIS_SPATIAL:
            op.execute(statement)

    op.create_table(
        "incident_reports",
        sa.Column("incident_id", sa.String(32), nullable=False),
        # The key: a report belongs to at most one live incident.
        sa.Column("report_id", sa.String(200), primary_key=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.incident_id"], name="fk_incident_reports_incident"
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.report_id"], name="fk_incident_reports_report"
        ),
    )
    op.create_index("ix_incident_reports_incident", "incident_reports", ["incident_id"])

    op.create_table(
        "status_changes",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("basis", sa.Text, nullable=False),
        sa.Column("assessed_perpetrator", sa.String(64)),
        sa.Column("perpetrator_basis", sa.String(32)),
        sa.Column("automatic", sa.Boolean, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.incident_id"], name="fk_status_changes_incident"
        ),
    )
    op.create_index("ix_status_changes_incident", "status_changes", ["incident_id", "seq"])

    op.create_table(
        "violations",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(32), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("agreement_version", sa.Integer, nullable=False),
        sa.Column("party", sa.String(64)),
        sa.Column("evidence", sa.Text, nullable=False),  # JSON list of report ids
        sa.Column("facts", sa.Text, nullable=False),  # JSON object
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("judged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.incident_id"], name="fk_violations_incident"
        ),
    )
    op.create_index("ix_violations_incident", "violations", ["incident_id"])
    op.create_index("ix_violations_rule", "violations", ["rule"])
    op.create_index("ix_violations_party", "violations", ["party"])
    op.create_index("ix_violations_superseded", "violations", ["superseded_at"])

    op.create_table(
        "agreements",
        sa.Column("agreement_id", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),  # the agreement's summary as JSON
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agreement_id", "version", name="pk_agreements"),
    )


def downgrade() -> None:
    op.drop_table("agreements")
    op.drop_table("violations")
    op.drop_table("status_changes")
    op.drop_table("incident_reports")
    op.drop_table("incidents")
