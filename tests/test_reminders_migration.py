"""Migration 0003 creates exactly what the models say, on SQLite and PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.db.migrate import upgrade
from bot.db.models import metadata


def _diff(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(context, metadata)


def test_migrated_database_matches_the_models(db_url, engine):
    upgrade(db_url)
    assert _diff(engine) == []


def test_reminders_table_has_its_unique_key(db_url, engine):
    upgrade(db_url)
    uniques = inspect(engine).get_unique_constraints("reminders")
    assert {"name": "uq_reminders_case_rule_due_stage", "column_names": ["case_id", "rule_id", "due_on", "stage"]} in [
        {"name": u["name"], "column_names": u["column_names"]} for u in uniques
    ]


def test_downgrade_to_0002_removes_reminders(db_url, engine):
    from alembic import command

    from bot.db.migrate import alembic_config

    upgrade(db_url)
    cfg = alembic_config(db_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    assert "reminders" not in inspect(engine).get_table_names()
    upgrade(db_url)
    assert "reminders" in inspect(engine).get_table_names()
