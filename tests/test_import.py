"""CSV import: every row checked first, all problems reported, all or nothing, idempotent."""
from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from conftest import CHILD_NAME
from sqlalchemy import func, select

from bot import importer
from bot.db.models import AuditEvent, Case, Practitioner, RecordedStepRow, Team
from bot.db.repositories import AuditLog
from bot.db.session import session_scope
from bot.importer import ImportRejected, import_cases, import_practitioners, import_steps

pytestmark = pytest.mark.usefixtures("known_packs")

PRACTITIONERS = """\
username,display_name,role,team,email,slack_user_id,teams_user_id
sw.jones,Sam Jones,social_worker,CADS East,sam.jones@example.org,U1SW,
tm.patel,Tara Patel,team_manager,CADS East,,,T-TM
clw.ng,Chris Ng,caf_link_worker,CAF Link Workers,,,
"""

CASES = f"""\
reference,pathway,team,child_name,opened_on,allocated_worker,team_manager,caf_link_worker,referrer_name,referrer_agency,referrer_advice_only,lead_professional_name,lead_professional_role,lead_professional_agency
c1042,cads-progress-to-caf,CADS East,{CHILD_NAME},2026-11-02,sw.jones,tm.patel,clw.ng,Robin Referrer,Oakfield Primary,no,Pat Nurse,school nurse,Health
C-1043,cads-link-existing-caf,CADS East,Another Child,2026-11-10,sw.jones,,,,,,,,
"""

STEPS = """\
case_reference,rule_id,done_on,outcome,recorded_by,note
C-1042,cads.assessment-outcome,2026-11-03,,sw.jones,threshold not met
C-1042,cads.team-manager-oversight,2026-11-04,,tm.patel,
c 1042,cads.lead-professional-agreed,2026-11-05,agreed,sw.jones,
C-1043,cads.assessment-outcome,2026-11-11,,,
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def count(session, model):
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def rejected_errors(call, *args):
    with pytest.raises(ImportRejected) as refused:
        call(*args)
    return refused.value.errors


@pytest.fixture
def loaded(session, tmp_path):
    """All three good files imported and committed."""
    summaries = [
        import_practitioners(session, write(tmp_path, "p.csv", PRACTITIONERS)),
        import_cases(session, write(tmp_path, "c.csv", CASES)),
        import_steps(session, write(tmp_path, "s.csv", STEPS)),
    ]
    session.commit()
    return summaries


# ---- good files --------------------------------------------------------------------------


def test_good_files_are_imported(session, loaded):
    assert [(s.kind, s.created, s.updated, s.unchanged) for s in loaded] == [
        ("practitioners", 3, 0, 0),
        ("cases", 2, 0, 0),
        ("steps", 4, 0, 0),
    ]
    assert sorted(t.name for t in session.execute(select(Team)).scalars()) == ["CADS East", "CAF Link Workers"]
    sw = session.execute(select(Practitioner).where(Practitioner.username == "sw.jones")).scalar_one()
    assert (sw.role, sw.team.name, sw.email, sw.slack_user_id, sw.teams_user_id, sw.active) == (
        "social_worker", "CADS East", "sam.jones@example.org", "U1SW", None, True,
    )
    case = session.execute(select(Case).where(Case.reference == "C-1042")).scalar_one()
    assert (case.child_name, case.opened_on, case.allocated_worker.username, case.caf_link_worker.username) == (
        CHILD_NAME, dt.date(2026, 11, 2), "sw.jones", "clw.ng",
    )
    assert (case.referrer_advice_only, case.lead_professional_role, case.lead_professional_agency) == (False, "school nurse", "Health")
    other = session.execute(select(Case).where(Case.reference == "C-1043")).scalar_one()
    assert other.referrer_advice_only is None and other.team_manager is None
    steps = session.execute(select(RecordedStepRow).order_by(RecordedStepRow.id)).scalars().all()
    assert [(s.case.reference, s.rule_id, s.done_on, s.outcome, s.source) for s in steps][2] == (
        "C-1042", "cads.lead-professional-agreed", dt.date(2026, 11, 5), "agreed", "import",
    )
    assert steps[0].recorded_by.username == "sw.jones" and steps[3].recorded_by is None


def test_reimporting_the_same_files_changes_nothing(session, loaded, tmp_path):
    again = [
        import_practitioners(session, tmp_path / "p.csv"),
        import_cases(session, tmp_path / "c.csv"),
        import_steps(session, tmp_path / "s.csv"),
    ]
    session.commit()
    assert [(s.created, s.updated, s.unchanged) for s in again] == [(0, 0, 3), (0, 0, 2), (0, 0, 4)]
    assert (count(session, Practitioner), count(session, Team), count(session, Case), count(session, RecordedStepRow)) == (3, 2, 2, 4)


def test_changed_rows_are_updated_in_place(session, loaded, tmp_path):
    changed = PRACTITIONERS.replace("Sam Jones", "Samantha Jones")
    summary = import_practitioners(session, write(tmp_path, "p2.csv", changed))
    steps = STEPS.replace("threshold not met", "threshold not met; see note") + "C-1043,cads.team-manager-oversight,2026-11-12,,tm.patel,\n"
    step_summary = import_steps(session, write(tmp_path, "s2.csv", steps))
    session.commit()
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 2)
    assert (step_summary.created, step_summary.updated, step_summary.unchanged) == (1, 1, 3)
    assert session.execute(select(Practitioner.display_name).where(Practitioner.username == "sw.jones")).scalar_one() == "Samantha Jones"
    assert count(session, RecordedStepRow) == 5


def test_each_import_is_audited_with_counts_only(session, loaded):
    events = AuditLog(session).events(action="import")
    assert [(e.actor, e.case_reference, e.detail) for e in events] == [
        ("system", None, "practitioners: 3 created, 0 updated, 0 unchanged"),
        ("system", None, "cases: 2 created, 0 updated, 0 unchanged"),
        ("system", None, "steps: 4 created, 0 updated, 0 unchanged"),
    ]


def test_header_may_have_a_bom_blank_lines_and_any_column_order(session, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("\ufeffRole,Team,Username,Display_Name\nadmin,Ops,a.admin,A Admin\n\n,,,\nadmin,Ops,b.admin,B Admin\n", encoding="utf-8")
    assert import_practitioners(session, path).created == 2


def test_progress_bar_only_for_large_files_on_a_terminal():
    assert importer._progress(list(range(10)), "steps").disable
    assert importer._progress(list(range(5000)), "steps").disable  # pytest's stderr is not a TTY


# ---- bad files: every problem, with its row, and nothing written --------------------------


def test_bad_practitioner_rows_are_all_reported(session, tmp_path):
    bad = """\
    username,display_name,role,team,email,slack_user_id,teams_user_id
    a.one,A One,wizard,Team A,,U1,
    ,B Two,social_worker,Team A,b-at-example.org,,
    a.one,A Again,admin,,,,
    c.three,C Three,admin,Team A,,U1,,extra
    """
    errors = rejected_errors(import_practitioners, session, write(tmp_path, "p.csv", bad))
    assert errors == [
        "row 2: role 'wizard' is not one of " + ", ".join(importer.ROLES),
        "row 3: username is empty",
        "row 3: email is not an email address",
        "row 4: team is empty",
        "row 4: username a.one is also on row 2",
        "row 5: more values than there are columns",
        "row 5: slack_user_id U1 already belongs to a.one",
    ]
    assert (count(session, Practitioner), count(session, Team)) == (0, 0)


def test_missing_and_unknown_columns_are_reported_on_row_1(session, tmp_path):
    path = write(tmp_path, "c.csv", "reference,pathway,child_nmae,opened_on\nC-1,cads-progress-to-caf,X,2026-11-02\n")
    assert rejected_errors(import_cases, session, path) == [
        "row 1: missing column(s) team, child_name",
        "row 1: unknown column(s) child_nmae (known: reference, pathway, team, child_name, opened_on, allocated_worker, "
        "team_manager, caf_link_worker, referrer_name, referrer_agency, lead_professional_name, lead_professional_role, "
        "lead_professional_agency, referrer_advice_only)",
    ]
    assert rejected_errors(import_steps, session, write(tmp_path, "empty.csv", "")) == ["row 1: the file is empty (it needs a header row)"]


def test_bad_case_rows_are_all_reported_without_the_childs_name(session, loaded, tmp_path):
    bad = f"""\
    reference,pathway,team,child_name,opened_on,allocated_worker,referrer_advice_only
    C-2001,cads-progress-to-caf,CADS East,{CHILD_NAME},23/11/2026,sw.jones,
    C-2002,no-such-pathway,Nowhere Team,{CHILD_NAME},2026-11-24,ghost,perhaps
    {CHILD_NAME},cads-progress-to-caf,CADS East,,2026-02-30,,
    c2001,cads-progress-to-caf,CADS East,{CHILD_NAME},2026-11-01,,yes
    """
    errors = rejected_errors(import_cases, session, write(tmp_path, "c.csv", bad))
    assert errors == [
        "row 2: opened_on '23/11/2026' is not a date like 2026-11-23",
        "row 3: opened_on 2026-11-24 is in the future (today is 2026-11-23)",
        "row 3: referrer_advice_only must be yes or no (or blank if not known)",
        "row 3: pathway 'no-such-pathway' is not in the guidance packs",
        "row 3: there is no team 'Nowhere Team' (import practitioners first)",
        "row 3: allocated_worker ghost is not a practitioner in ehbot (import practitioners first)",
        "row 4: reference is not a case reference like C-1042",
        "row 4: opened_on '2026-02-30' is not a date like 2026-11-23",
        "row 4: child_name is empty",
        "row 5: case C-2001 is also on row 2",
    ]
    assert all("Ellie" not in e and "Quinnborough" not in e for e in errors)
    assert count(session, Case) == 2


def test_bad_step_rows_are_all_reported(session, loaded, tmp_path):
    bad = """\
    case_reference,rule_id,done_on,outcome,recorded_by,note
    C-9999,cads.assessment-outcome,2026-11-03,,,
    C-1042,cads.no-such-step,2026-11-03,,,
    C-1042,other.visit,2026-11-03,,,
    C-1042,cads.lead-professional-agreed,2026-11-06,maybe,,
    C-1042,cads.ladder-caf-link-worker-challenge,2026-11-06,,,
    C-1042,cads.recommendation-to-team-manager,2026-11-30,,,
    C-1042,cads.recommendation-to-team-manager,2026-11-01,,nobody,
    C-1042,cads.update-referrer,2026-11-06,,,
    c1042,cads.update-referrer,2026-11-06,,,
    ,,,,,note only
    """
    errors = rejected_errors(import_steps, session, write(tmp_path, "s.csv", bad))
    assert errors == [
        "row 2: there is no case C-9999",
        "row 3: there is no step 'cads.no-such-step' in the guidance",
        "row 4: other.visit belongs to other guidance (test-other), not this case's",
        "row 5: 'maybe' is not an outcome of cads.lead-professional-agreed (one of agreed, none_found)",
        "row 6: say how cads.ladder-caf-link-worker-challenge turned out: one of agreed, none_found",
        "row 7: done_on 2026-11-30 is in the future (today is 2026-11-23)",
        "row 8: recorded_by nobody is not a practitioner in ehbot",
        "row 8: done_on 2026-11-01 is before case C-1042 was opened (2026-11-02)",
        "row 10: the same step on the same day is also on row 9",
        "row 11: case_reference is empty",
        "row 11: done_on is empty",
        "row 11: rule_id is empty",
    ]
    assert count(session, RecordedStepRow) == 4


def test_row_numbers_are_the_line_a_row_starts_on(session, loaded, tmp_path):
    rows = 'case_reference,rule_id,done_on,outcome,recorded_by,note\nC-1042,cads.update-referrer,2026-11-06,,,"two\nlines"\n\nC-1042,cads.update-referrer,2026-11-31,,,\n'
    assert rejected_errors(import_steps, session, write(tmp_path, "s.csv", rows)) == [
        "row 5: done_on '2026-11-31' is not a date like 2026-11-23"
    ]


def test_one_bad_row_means_nothing_is_written(session, loaded, tmp_path):
    rows = STEPS + "C-1043,cads.team-manager-oversight,2026-11-12,,,\nC-1043,cads.update-referrer,2026-12-25,,,\n"
    with pytest.raises(ImportRejected) as refused:
        import_steps(session, write(tmp_path, "s.csv", rows))
    assert refused.value.errors == ["row 7: done_on 2026-12-25 is in the future (today is 2026-11-23)"]
    assert count(session, RecordedStepRow) == 4


def test_a_refused_import_is_audited_but_writes_nothing(migrated, tmp_path):
    bad = PRACTITIONERS + "d.four,D Four,wizard,CADS East,,,\n"
    with pytest.raises(ImportRejected):
        with session_scope(migrated) as s:
            import_practitioners(s, write(tmp_path, "p.csv", bad), actor="admin.user")
    with session_scope(migrated) as s:
        assert count(s, Practitioner) == 0 and count(s, Team) == 0
        events = s.execute(select(AuditEvent)).scalars().all()
        assert [(e.actor, e.action, e.detail) for e in events] == [("admin.user", "refused", "import practitioners: 1 problem(s)")]
