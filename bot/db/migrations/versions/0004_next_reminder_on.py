"""Incremental reminder scans: each case's next reminder date, and what the dates were worked out under.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24

"""
import sqlite3
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # NULL on every existing case: the first scan after the upgrade evaluates them all.
    op.add_column("cases", sa.Column("next_reminder_on", sa.Date()))
    op.create_index("ix_cases_next_reminder_on", "cases", ["next_reminder_on"])
    op.create_table(
        "app_state",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_app_state"),
    )


def downgrade() -> None:
    op.drop_table("app_state")
    op.drop_index("ix_cases_next_reminder_on", table_name="cases")
    if op.get_bind().dialect.name == "sqlite" and sqlite3.sqlite_version_info >= (3, 35):
        # Native since SQLite 3.35. Batch mode would copy the table instead, and dropping
        # the old copy fails while other tables' foreign keys point at its rows.
        op.execute("ALTER TABLE cases DROP COLUMN next_reminder_on")
    else:
        with op.batch_alter_table("cases") as batch:
            batch.drop_column("next_reminder_on")
