"""insights: how each LATE alert ended (cause, end, technician and window it was late for) and lookup indexes

Revision ID: 0002_insights
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import models.tables

revision = "0002_insights"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cause", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("ended_at", models.tables.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("technician_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("window_start", models.tables.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key("fk_alerts_technician_id_technicians", "technicians", ["technician_id"], ["id"])
        batch_op.create_index("ix_alerts_appointment_id", ["appointment_id"], unique=False)
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
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_appointment_id")
        batch_op.drop_constraint("fk_alerts_technician_id_technicians", type_="foreignkey")
        batch_op.drop_column("window_start")
        batch_op.drop_column("technician_id")
        batch_op.drop_column("ended_at")
        batch_op.drop_column("cause")
