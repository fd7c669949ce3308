"""Migrations 0003 (reminders), 0004 (next reminder dates), 0005 (case episodes) and 0006 (moves, lead professionals, families) create exactly what the models say,
on SQLite and PostgreSQL, and go down and up again."""
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


def _downgrade(db_url, engine, revision):
    from alembic import command

    from bot.db.migrate import alembic_config

    cfg = alembic_config(db_url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


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
    upgrade(db_url)
    _downgrade(db_url, engine, "0002")
    assert "reminders" not in inspect(engine).get_table_names()
    upgrade(db_url)
    assert "reminders" in inspect(engine).get_table_names()


def _a_case_with_a_step(engine):
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("INSERT INTO teams (id, name) VALUES (1, 'T')"))
        conn.execute(text(
            "INSERT INTO cases (id, reference, pathway, team_id, child_name, opened_on, created_at, updated_at)"
            " VALUES (1, 'C-1', 'cads-progress-to-caf', 1, 'Fictional Child', '2026-11-02',"
            " '2026-11-02 09:00:00', '2026-11-02 09:00:00')"))
        conn.execute(text("INSERT INTO recorded_steps (case_id, rule_id, done_on, source, recorded_at)"
                          " VALUES (1, 'cads.assessment-outcome', '2026-11-03', 'cli', '2026-11-03 09:00:00')"))


def test_0004_adds_next_reminder_dates_and_goes_down_and_up_with_cases_in_place(db_url, engine):
    from sqlalchemy import text

    upgrade(db_url, "0003")
    _a_case_with_a_step(engine)
    upgrade(db_url)
    assert "ix_cases_next_reminder_on" in {i["name"] for i in inspect(engine).get_indexes("cases")}
    with engine.begin() as conn:
        assert conn.execute(text("SELECT next_reminder_on FROM cases")).all() == [(None,)]  # evaluated at the next scan
        conn.execute(text("UPDATE cases SET next_reminder_on = '2026-12-01'"))
        conn.execute(text("INSERT INTO app_state (key, value, updated_at) VALUES ('k', 'v', '2026-11-23 09:00:00')"))

    _downgrade(db_url, engine, "0003")
    assert "app_state" not in inspect(engine).get_table_names()
    assert "next_reminder_on" not in {c["name"] for c in inspect(engine).get_columns("cases")}
    with engine.connect() as conn:  # the cases and their steps are untouched
        assert conn.execute(text("SELECT reference FROM cases")).all() == [("C-1",)]
        assert conn.execute(text("SELECT count(*) FROM recorded_steps")).scalar() == 1

    upgrade(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT next_reminder_on FROM cases")).all() == [(None,)]
    assert _diff(engine) == []


def test_0005_puts_every_existing_record_in_the_first_episode_and_goes_down_and_up(db_url, engine):
    from sqlalchemy import text

    upgrade(db_url, "0004")
    _a_case_with_a_step(engine)
    upgrade(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT episode FROM cases")).all() == [(1,)]
        assert conn.execute(text("SELECT episode FROM recorded_steps")).all() == [(1,)]
    _downgrade(db_url, engine, "0004")
    assert "case_episodes" not in inspect(engine).get_table_names()
    assert "episode" not in {c["name"] for c in inspect(engine).get_columns("recorded_steps")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM recorded_steps")).scalar() == 1
    upgrade(db_url)
    assert "case_episodes" in inspect(engine).get_table_names()


def test_0006_keeps_every_case_unlinked_and_goes_down_and_up(db_url, engine):
    from sqlalchemy import text

    upgrade(db_url, "0005")
    _a_case_with_a_step(engine)
    upgrade(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT family FROM cases")).all() == [(None,)]
        assert conn.execute(text("SELECT count(*) FROM lead_professional_changes")).scalar() == 0
    _downgrade(db_url, engine, "0005")
    assert "lead_professional_changes" not in inspect(engine).get_table_names()
    assert "family" not in {c["name"] for c in inspect(engine).get_columns("cases")}
    assert "moved_by_move" not in {c["name"] for c in inspect(engine).get_columns("case_episodes")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM recorded_steps")).scalar() == 1
    upgrade(db_url)
    assert _diff(engine) == []
