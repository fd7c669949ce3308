"""Reminders: the outbox of posts to teams' Slack and Teams channels.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(100), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(12), nullable=False),
        sa.Column("owner_label", sa.String(120)),
        sa.Column("owner_username", sa.String(64)),
        sa.Column("escalate_to_label", sa.String(120)),
        sa.Column("escalate_to_username", sa.String(64)),
        sa.Column("local_policy", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TZ),
        sa.Column("last_error", sa.String(200)),
        sa.Column("channel_kind", sa.String(10)),
        sa.Column("destination", sa.String(100)),
        sa.Column("message_id", sa.String(100)),
        sa.Column("sent_at", TZ),
        sa.Column("claimed_by", sa.String(100)),
        sa.Column("claimed_at", TZ),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_reminders_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_reminders"),
        sa.UniqueConstraint("case_id", "rule_id", "due_on", "stage", name="uq_reminders_case_rule_due_stage"),
        sa.CheckConstraint("stage IN ('due_soon', 'due_today', 'overdue', 'escalated')", name="ck_reminders_stage"),
        sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="ck_reminders_status"),
        sa.CheckConstraint("channel_kind IN ('slack', 'teams')", name="ck_reminders_channel_kind"),
    )
    op.create_index("ix_reminders_status_next_attempt", "reminders", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_reminders_status_next_attempt", table_name="reminders")
    op.drop_table("reminders")
