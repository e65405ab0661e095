"""sign-in throttle: attempts per account, client address and sign-in-link address

Revision ID: 0004_sign_in_throttle
Revises: 0003_status_versions
"""

import sqlalchemy as sa
from alembic import op

import models.tables

revision = "0004_sign_in_throttle"
down_revision = "0003_status_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "throttle_buckets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=30), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", models.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_address", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "key"),
    )
    with op.batch_alter_table("throttle_buckets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_throttle_buckets_locked_until"), ["locked_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("throttle_buckets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_throttle_buckets_locked_until"))
    op.drop_table("throttle_buckets")
