"""Step bookings: a step planned for a date, shown beside its deadline.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "step_bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(100), nullable=False),
        sa.Column("planned_for", sa.Date(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("recorded_by_id", sa.Integer()),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_step_bookings_case_id_cases"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["practitioners.id"], name="fk_step_bookings_recorded_by_id_practitioners"),
        sa.PrimaryKeyConstraint("id", name="pk_step_bookings"),
        sa.UniqueConstraint("case_id", "rule_id", "planned_for", name="uq_step_bookings_case_rule_day"),
    )
    op.create_index("ix_step_bookings_case_id", "step_bookings", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_step_bookings_case_id", table_name="step_bookings")
    op.drop_table("step_bookings")
