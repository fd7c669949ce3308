"""A case's moves between pathways, its lead professionals' history, and siblings' cases linked as a family.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

"""
import sqlite3
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("case_episodes", sa.Column("moved_by_move", sa.String(100)))
    op.add_column("cases", sa.Column("family", sa.String(20)))
    op.create_index("ix_cases_family", "cases", ["family"])
    op.create_table(
        "lead_professional_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(120)),
        sa.Column("agency", sa.String(200)),
        sa.Column("practitioner_id", sa.Integer()),
        sa.Column("from_date", sa.Date()),
        sa.Column("reason", sa.String(200)),
        sa.Column("recorded_by_id", sa.Integer()),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_lead_professional_changes_case_id_cases"),
        sa.ForeignKeyConstraint(["practitioner_id"], ["practitioners.id"],
                                name="fk_lead_professional_changes_practitioner_id_practitioners"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["practitioners.id"],
                                name="fk_lead_professional_changes_recorded_by_id_practitioners"),
        sa.PrimaryKeyConstraint("id", name="pk_lead_professional_changes"),
    )
    op.create_index("ix_lead_professional_changes_case_id", "lead_professional_changes", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_lead_professional_changes_case_id", table_name="lead_professional_changes")
    op.drop_table("lead_professional_changes")
    op.drop_index("ix_cases_family", table_name="cases")
    for table, column in (("case_episodes", "moved_by_move"), ("cases", "family")):
        if op.get_bind().dialect.name == "sqlite" and sqlite3.sqlite_version_info >= (3, 35):
            # Native since SQLite 3.35 (see 0004: batch mode would copy the table).
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            with op.batch_alter_table(table) as batch:
                batch.drop_column(column)
