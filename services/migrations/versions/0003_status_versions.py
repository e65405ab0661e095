"""status events record the appointment version they produced (unique per appointment)

Revision ID: 0003_status_versions
Revises: 0002_dispatch_board
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_status_versions"
down_revision = "0002_dispatch_board"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_status_events_version", ["appointment_id", "version"])


def downgrade() -> None:
    with op.batch_alter_table("status_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_status_events_version", type_="unique")
        batch_op.drop_column("version")
