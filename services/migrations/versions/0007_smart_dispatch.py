"""smart dispatch: skills, technicians' skills, skills a service requires, zones; appointments can be pinned

Revision ID: 0007_smart_dispatch
Revises: 0006_field_devices
"""

import sqlalchemy as sa
from alembic import op

import models.tables

revision = "0007_smart_dispatch"
down_revision = "0006_field_devices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "skills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("created_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key"),
    )
    op.create_table(
        "technician_skills",
        sa.Column("technician_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"]),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"]),
        sa.PrimaryKeyConstraint("technician_id", "skill_id"),
    )
    op.create_table(
        "service_skills",
        sa.Column("service_key", sa.String(length=200), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("service_type", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"]),
        sa.PrimaryKeyConstraint("service_key", "skill_id"),
    )
    op.create_table(
        "zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column("color", sa.String(length=9), nullable=False),
        sa.Column("polygon", sa.JSON(), nullable=False),
        sa.Column("zips", sa.JSON(), nullable=False),
        sa.Column("created_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key"),
    )
    # A plain ADD COLUMN (not a batch copy): on SQLite a copy would drop and recreate `appointments`, which the
    # foreign keys of every table that points at it refuse once there is data.
    op.add_column("appointments", sa.Column("pinned", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("appointments", "pinned")  # plain DROP COLUMN (SQLite ≥ 3.35): no copy of the table
    op.drop_table("zones")
    op.drop_table("service_skills")
    op.drop_table("technician_skills")
    op.drop_table("skills")
