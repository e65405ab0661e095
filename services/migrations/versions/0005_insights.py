"""insights: per-visit facts, how each LATE alert ended (cause, end, technician and window it was late for)

Revision ID: 0005_insights
Revises: 0004_sign_in_throttle
"""

import sqlalchemy as sa
from alembic import op

import models.tables

revision = "0005_insights"
down_revision = "0004_sign_in_throttle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visit_facts",
        sa.Column("window_start", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("technician_id", sa.Integer(), nullable=True),
        sa.Column("service_type", sa.String(length=200), nullable=False),
        sa.Column("window_start_s", sa.Float(), nullable=False),
        sa.Column("window_end_s", sa.Float(), nullable=False),
        sa.Column("awaiting", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Integer(), nullable=False),
        sa.Column("arrived", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("on_time_15", sa.Integer(), nullable=False),
        sa.Column("no_arrival_record", sa.Integer(), nullable=False),
        sa.Column("drive_min", sa.Float(), nullable=True),
        sa.Column("drive_tenths", sa.Integer(), nullable=True),
        sa.Column("on_site_min", sa.Float(), nullable=True),
        sa.Column("on_site_tenths", sa.Integer(), nullable=True),
        sa.Column("status_changes", sa.Integer(), nullable=False),
        sa.Column("backup_changes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointments.id"]),
        sa.PrimaryKeyConstraint("window_start", "appointment_id"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("visit_facts", schema=None) as batch_op:
        batch_op.create_index("ix_visit_facts_appointment", ["appointment_id", "version"], unique=False)
        batch_op.create_index("ix_visit_facts_technician", ["technician_id", "window_start"], unique=False)
        batch_op.create_index("ix_visit_facts_drive", ["drive_tenths", "window_start", "technician_id", "service_type",
                                                       "drive_min"], unique=False)
        batch_op.create_index("ix_visit_facts_on_site", ["service_type", "on_site_tenths", "window_start",
                                                         "technician_id", "on_site_min"], unique=False)
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index("ix_appointments_window_version", ["window_start", "id", "version"], unique=False)
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cause", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("ended_at", models.tables.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("technician_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("window_start", models.tables.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key("fk_alerts_technician_id_technicians", "technicians", ["technician_id"], ["id"])
        batch_op.create_index("ix_alerts_appointment_id", ["appointment_id"], unique=False)
        batch_op.create_index("ix_alerts_kind_created", ["kind", "created_at"], unique=False)
    # Alerts that closed before this version: those closed by a status change carry its note.
    op.execute("UPDATE alerts SET cause = 'arrived', ended_at = resolved_at WHERE kind = 'late' AND is_open = false "
               "AND resolution_note LIKE 'Status became %' AND resolution_note <> 'Status became Cancelled'")
    op.execute("UPDATE alerts SET cause = 'cancelled', ended_at = resolved_at WHERE kind = 'late' "
               "AND is_open = false AND resolution_note = 'Status became Cancelled'")
    op.execute("UPDATE alerts SET cause = 'acknowledged', ended_at = resolved_at WHERE kind = 'late' "
               "AND is_open = false AND cause = ''")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.alter_column("cause", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index("ix_appointments_window_version")
    with op.batch_alter_table("visit_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_facts_on_site")
        batch_op.drop_index("ix_visit_facts_drive")
        batch_op.drop_index("ix_visit_facts_technician")
        batch_op.drop_index("ix_visit_facts_appointment")
    op.drop_table("visit_facts")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_kind_created")
        batch_op.drop_index("ix_alerts_appointment_id")
        batch_op.drop_constraint("fk_alerts_technician_id_technicians", type_="foreignkey")
        batch_op.drop_column("window_start")
        batch_op.drop_column("technician_id")
        batch_op.drop_column("ended_at")
        batch_op.drop_column("cause")
