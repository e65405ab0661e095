"""field app and Traccar Client: paired devices, pairing links, team notes, fix sources, pending photo

Revision ID: 0006_field_devices
Revises: 0005_insights
"""

import sqlalchemy as sa
from alembic import op

import models.tables

revision = "0006_field_devices"
down_revision = "0005_insights"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "field_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("technician_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=12), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("last_seen_at", models.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_fix_at", models.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_fix_source", sa.String(length=20), nullable=False),
        sa.Column("battery_pct", sa.Float(), nullable=True),
        sa.Column("charging", sa.Boolean(), nullable=True),
        sa.Column("revoked_at", models.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("field_devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_field_devices_technician_id"), ["technician_id"], unique=False)

    op.create_table(
        "pairing_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("technician_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", models.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["field_devices.id"]),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("pairing_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pairing_links_technician_id"), ["technician_id"], unique=False)

    op.create_table(
        "team_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("author_role", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointments.id"]),
        sa.ForeignKeyConstraint(["author_user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("team_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_notes_job_id"), ["job_id"], unique=False)

    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=20), server_default="field_app", nullable=False))
    with op.batch_alter_table("latest_positions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=20), server_default="field_app", nullable=False))
    with op.batch_alter_table("technicians", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photo_pending_png", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("technicians", schema=None) as batch_op:
        batch_op.drop_column("photo_pending_png")
    with op.batch_alter_table("latest_positions", schema=None) as batch_op:
        batch_op.drop_column("source")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_column("source")
    with op.batch_alter_table("team_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_notes_job_id"))
    op.drop_table("team_notes")
    with op.batch_alter_table("pairing_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pairing_links_technician_id"))
    op.drop_table("pairing_links")
    with op.batch_alter_table("field_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_field_devices_technician_id"))
    op.drop_table("field_devices")
