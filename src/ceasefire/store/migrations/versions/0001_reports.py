"""Reports, with filter columns, placement facts and a spatial index: an R*Tree on SQLite, a
PostGIS geometry column with a GiST index on PostgreSQL.

Revision ID: 0001
Revises:
Create Date: 2026-03-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# SQLite's R*Tree module (https://sqlite.org/rtree.html) indexes boxes; a report is a point, so
# min == max. The store fills it in the transaction that inserts the reports (one bulk
# INSERT ... SELECT, 2.5x faster than a per-row trigger); triggers keep it in step on the rare
# update and delete.
_SQLITE_SPATIAL = (
    "CREATE VIRTUAL TABLE reports_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat)",
    """CREATE TRIGGER reports_rtree_update AFTER UPDATE OF lon, lat ON reports BEGIN
        UPDATE reports_rtree SET min_lon = new.lon, max_lon = new.lon,
            min_lat = new.lat, max_lat = new.lat WHERE id = new.seq;
    END""",
    """CREATE TRIGGER reports_rtree_delete AFTER DELETE ON reports BEGIN
        DELETE FROM reports_rtree WHERE id = old.seq;
    END""",
)

# PostGIS: the point as a geometry in WGS 84 (EPSG:4326, lon/lat as stored), a generated column
# so that every insert and update of lon/lat keeps it in step with no trigger and no extra
# statement, and a GiST index for ``geom && ST_MakeEnvelope(...)`` box queries. CREATE EXTENSION
# needs a superuser (PostGIS is not a trusted extension) unless the database has it already.
_POSTGIS = "CREATE EXTENSION IF NOT EXISTS postgis"
_POSTGIS_SPATIAL = (
    "ALTER TABLE reports ADD COLUMN geom geometry(Point, 4326) "
    "GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED",
    "CREATE INDEX ix_reports_geom ON reports USING gist (geom)",
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(_POSTGIS)
    op.create_table(
        "reports",
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.String(200), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("submitted_by", sa.Text, nullable=False),
        sa.Column("source_kind", sa.String(32), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("weapon_class", sa.String(32)),
        sa.Column("observed_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("observed_to", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("uncertainty_m", sa.Float),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        # Placement facts from the geo step, empty until it has run: a few as columns to filter
        # on, all of them as JSON in ``placement``.
        sa.Column("party", sa.String(64)),
        sa.Column("side", sa.String(64)),
        sa.Column("distance_m", sa.Float),
        sa.Column("zones", sa.Text),
        sa.Column("oblast", sa.Text),
        sa.Column("placement", sa.Text),
        sa.UniqueConstraint("report_id", name="uq_reports_report_id"),
    )
    op.create_index("ix_reports_observed", "reports", ["observed_from", "seq"])
    op.create_index("ix_reports_observed_to", "reports", ["observed_to"])
    op.create_index("ix_reports_event_type", "reports", ["event_type"])
    op.create_index("ix_reports_source_kind", "reports", ["source_kind"])
    op.create_index("ix_reports_submitted_by", "reports", ["submitted_by"])
    op.create_index("ix_reports_oblast", "reports", ["oblast"])
    if dialect == "sqlite":
        for statement in _SQLITE_SPATIAL:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in _POSTGIS_SPATIAL:
            op.execute(statement)
    else:
        op.create_index("ix_reports_lon_lat", "reports", ["lon", "lat"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE reports_rtree")  # its triggers go with the reports table
    op.drop_table("reports")  # on PostgreSQL, geom and its index with it; the extension stays
