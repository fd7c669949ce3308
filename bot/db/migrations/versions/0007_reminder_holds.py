"""Reminder holds: "remind me on <date>", pressed on a reminder in Slack.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "reminder_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(100), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=False),
        sa.Column("held_by_id", sa.Integer(), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_reminder_holds_case_id_cases"),
        sa.ForeignKeyConstraint(["reminder_id"], ["reminders.id"], name="fk_reminder_holds_reminder_id_reminders"),
        sa.ForeignKeyConstraint(["held_by_id"], ["practitioners.id"], name="fk_reminder_holds_held_by_id_practitioners"),
        sa.PrimaryKeyConstraint("id", name="pk_reminder_holds"),
        sa.UniqueConstraint("case_id", "rule_id", "due_on", name="uq_reminder_holds_case_rule_due"),
    )


def downgrade() -> None:
    op.drop_table("reminder_holds")
