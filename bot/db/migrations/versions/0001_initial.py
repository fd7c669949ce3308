"""Initial schema: teams, practitioners, cases, consent records, recorded steps, audit events.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("slack_channel_id", sa.String(64)),
        sa.Column("teams_webhook_url", sa.String(500)),
        sa.PrimaryKeyConstraint("id", name="pk_teams"),
        sa.UniqueConstraint("name", name="uq_teams_name"),
    )
    op.create_table(
        "practitioners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("team_id", sa.Integer()),
        sa.Column("email", sa.String(254)),
        sa.Column("slack_user_id", sa.String(64)),
        sa.Column("teams_user_id", sa.String(128)),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name="fk_practitioners_team_id_teams"),
        sa.PrimaryKeyConstraint("id", name="pk_practitioners"),
        sa.UniqueConstraint("username", name="uq_practitioners_username"),
        sa.UniqueConstraint("slack_user_id", name="uq_practitioners_slack_user_id"),
        sa.UniqueConstraint("teams_user_id", name="uq_practitioners_teams_user_id"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("pathway", sa.String(100), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("child_name", sa.String(200), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date()),
        sa.Column("allocated_worker_id", sa.Integer()),
        sa.Column("team_manager_id", sa.Integer()),
        sa.Column("caf_link_worker_id", sa.Integer()),
        sa.Column("referrer_name", sa.String(200)),
        sa.Column("referrer_agency", sa.String(200)),
        sa.Column("referrer_advice_only", sa.Boolean()),
        sa.Column("lead_professional_name", sa.String(200)),
        sa.Column("lead_professional_role", sa.String(120)),
        sa.Column("lead_professional_agency", sa.String(200)),
        sa.Column("lead_professional_id", sa.Integer()),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name="fk_cases_team_id_teams"),
        sa.ForeignKeyConstraint(["allocated_worker_id"], ["practitioners.id"], name="fk_cases_allocated_worker_id_practitioners"),
        sa.ForeignKeyConstraint(["team_manager_id"], ["practitioners.id"], name="fk_cases_team_manager_id_practitioners"),
        sa.ForeignKeyConstraint(["caf_link_worker_id"], ["practitioners.id"], name="fk_cases_caf_link_worker_id_practitioners"),
        sa.ForeignKeyConstraint(["lead_professional_id"], ["practitioners.id"], name="fk_cases_lead_professional_id_practitioners"),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
        sa.UniqueConstraint("reference", name="uq_cases_reference"),
    )
    op.create_index("ix_cases_closed_on", "cases", ["closed_on"])
    op.create_table(
        "consent_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("given_by", sa.String(120)),
        sa.Column("obtained_by", sa.String(120)),
        sa.Column("basis", sa.String(120)),
        sa.Column("note", sa.Text()),
        sa.Column("recorded_by_id", sa.Integer()),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.CheckConstraint("kind IN ('engage', 'share')", name="ck_consent_records_kind"),
        sa.CheckConstraint("status IN ('given', 'declined', 'advice_only')", name="ck_consent_records_status"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_consent_records_case_id_cases"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["practitioners.id"], name="fk_consent_records_recorded_by_id_practitioners"),
        sa.PrimaryKeyConstraint("id", name="pk_consent_records"),
    )
    op.create_index("ix_consent_records_case_id", "consent_records", ["case_id"])
    op.create_table(
        "recorded_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(100), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(60)),
        sa.Column("note", sa.Text()),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("recorded_by_id", sa.Integer()),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_recorded_steps_case_id_cases"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["practitioners.id"], name="fk_recorded_steps_recorded_by_id_practitioners"),
        sa.PrimaryKeyConstraint("id", name="pk_recorded_steps"),
        sa.UniqueConstraint("case_id", "rule_id", "done_on", name="uq_recorded_steps_case_rule_day"),
    )
    op.create_index("ix_recorded_steps_case_rule", "recorded_steps", ["case_id", "rule_id"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("case_reference", sa.String(32)),
        sa.Column("detail", sa.String(300), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_case_reference", "audit_events", ["case_reference"])


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("recorded_steps")
    op.drop_table("consent_records")
    op.drop_table("cases")
    op.drop_table("practitioners")
    op.drop_table("teams")
