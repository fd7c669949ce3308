"""A practitioner's opt-in weekly direct message of what is due, and the messages sent.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("practitioners") as batch:
        batch.add_column(sa.Column("weekly_due_message", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "weekly_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("week_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("message_ts", sa.String(64)),
        sa.Column("error", sa.String(200)),
        sa.ForeignKeyConstraint(["practitioner_id"], ["practitioners.id"],
                                name="fk_weekly_messages_practitioner_id_practitioners"),
        sa.PrimaryKeyConstraint("id", name="pk_weekly_messages"),
        sa.UniqueConstraint("practitioner_id", "week_of", name="uq_weekly_messages_practitioner_week"),
    )


def downgrade() -> None:
    op.drop_table("weekly_messages")
    with op.batch_alter_table("practitioners") as batch:
        batch.drop_column("weekly_due_message")
