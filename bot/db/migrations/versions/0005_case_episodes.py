"""Case episodes: a case closed and reopened after a re-referral keeps each episode's history.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

"""
import sqlite3
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Every record made before episodes existed belongs to its case's first episode.
EPISODE_TABLES = ("cases", "recorded_steps", "consent_records", "step_bookings")


def upgrade() -> None:
    for table in EPISODE_TABLES:
        op.add_column(table, sa.Column("episode", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "case_episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("pathway", sa.String(100), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("reopen_reason", sa.String(200)),
        sa.Column("closed_on", sa.Date()),
        sa.Column("close_reason", sa.String(200)),
        sa.Column("lead_professional_name", sa.String(200)),
        sa.Column("lead_professional_role", sa.String(120)),
        sa.Column("opened_by_id", sa.Integer()),
        sa.Column("closed_by_id", sa.Integer()),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_episodes_case_id_cases"),
        sa.ForeignKeyConstraint(["opened_by_id"], ["practitioners.id"], name="fk_case_episodes_opened_by_id_practitioners"),
        sa.ForeignKeyConstraint(["closed_by_id"], ["practitioners.id"], name="fk_case_episodes_closed_by_id_practitioners"),
        sa.PrimaryKeyConstraint("id", name="pk_case_episodes"),
        sa.UniqueConstraint("case_id", "number", name="uq_case_episodes_case_number"),
    )
    op.create_index("ix_case_episodes_case_id", "case_episodes", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_episodes_case_id", table_name="case_episodes")
    op.drop_table("case_episodes")
    for table in EPISODE_TABLES:
        if op.get_bind().dialect.name == "sqlite" and sqlite3.sqlite_version_info >= (3, 35):
            # Native since SQLite 3.35 (see 0004: batch mode would copy the table).
            op.execute(f"ALTER TABLE {table} DROP COLUMN episode")
        else:
            with op.batch_alter_table(table) as batch:
                batch.drop_column("episode")
