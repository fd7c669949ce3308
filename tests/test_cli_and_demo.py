"""The command line and the demo data, end to end on both databases."""
import json

import pytest

from bot.cli import main
from bot.db.repositories import CaseRepository
from bot.db.session import make_engine, session_scope
from bot.guidance import registry
from bot.pathways import BLOCKED, DONE, TODO, evaluate


@pytest.fixture
def demo_db(db_url, monkeypatch):
    monkeypatch.setenv("EHBOT_DATABASE_URL", db_url)
    assert main(["db", "upgrade"]) == 0
    assert main(["demo", "load"]) == 0
    return db_url


def test_case_show_prints_the_next_step_with_its_citation_and_due_date(demo_db, capsys):
    capsys.readouterr()
    assert main(["case", "show", "c1043"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Case C-1043: CADS outcome: progress to a new CAF episode")
    assert "Next: No lead professional: raise with the CAF Link Worker for support" in out
    assert "Challenge and support to identify a Lead Professional" in out
    # Outcome recorded 30 days before Mon 23 Nov 2026 (Sat 24 Oct): 4 weeks -> Sat 21 Nov.
    assert "Initial Family Planning Meeting held — owner: Lead Professional — due by Sat 21 Nov 2026, OVERDUE by 2 days" in out
    assert "Fictional Child" not in out


def test_case_show_json(demo_db, capsys):
    capsys.readouterr()
    assert main(["case", "show", "C-4001", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    steps = {s["rule_id"]: s for s in data["steps"]}
    phone = steps["earlyhelp.telephone-contact"]
    # Allocated Sun 15 Nov 2026: 2 working days -> Tue 17 Nov; escalated after that.
    assert phone["due_on"] == "2026-11-17" and phone["overdue"] and phone["escalation_due"]
    assert data["next_step"] == "earlyhelp.telephone-contact"
    assert phone["citation"]["section"] == "First Contact"


def test_demo_covers_every_pathway_with_done_todo_blocked_and_overdue(demo_db):
    engine = make_engine(demo_db)
    with session_scope(engine) as session:
        views = [evaluate(cf) for cf in CaseRepository(session).open_cases()]
    engine.dispose()
    assert {v.pathway_id for v in views} == set(registry().pathways)
    states = {s.state for v in views for s in v.steps}
    assert {DONE, TODO, BLOCKED} <= states
    assert any(s.overdue for v in views for s in v.steps)


def test_demo_load_twice_changes_nothing(demo_db, capsys):
    capsys.readouterr()
    assert main(["demo", "load"]) == 0
    assert "nothing changed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["case", "show", "C-9999"], "there is no case C-9999"),
        (["case", "show", "not a reference"], "not a case reference"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(demo_db, capsys, argv, message):
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_unmigrated_database_is_refused_with_a_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EHBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert main(["case", "show", "C-1042"]) == 2
    assert "ehbot db upgrade" in capsys.readouterr().err


def test_database_down_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv("EHBOT_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert main(["case", "show", "C-1042"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_calendar_and_bad_dates(capsys):
    assert main(["calendar", "add-working-days", "2026-12-23", "5"]) == 0
    assert capsys.readouterr().out.strip() == "2027-01-04"
    with pytest.raises(SystemExit) as exit_:
        main(["calendar", "add-working-days", "23/12/2026", "5"])
    assert exit_.value.code == 2
    assert "not a date like" in capsys.readouterr().err


def test_steps_and_pathways_lists(capsys):
    assert main(["pathways", "list"]) == 0
    assert "cads-progress-to-caf" in capsys.readouterr().out
    assert main(["steps", "list", "--pathway", "early-help-allocation"]) == 0
    out = capsys.readouterr().out
    assert "earlyhelp.telephone-contact" in out and "[within 2 working days]" in out
    assert main(["steps", "list", "--pathway", "nope"]) == 2
    assert "no pathway 'nope'" in capsys.readouterr().err
