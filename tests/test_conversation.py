"""The conversation's core, end to end on the demo data, on SQLite and PostgreSQL.

Today is Mon 23 Nov 2026 (conftest); the demo's dates are relative to it.
"""
import datetime as dt
import logging
from contextlib import contextmanager

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.conversation import CONCEPTS, Conversation, Proposal
from bot.conversation.state import ConsentProposal
from bot.conversation.concepts import concepts, problems
from bot.conversation.service import DATABASE_DOWN
from bot.db.models import BookingRow, Case, ConsentRow, RecordedStepRow
from bot.db.repositories import AuditLog, CaseRepository
from bot.db.session import DatabaseUnavailable, session_factory, session_scope
from bot.demo import CASES
from bot.guidance import registry
from bot.pathways import evaluate

D = dt.date
TODAY = D(2026, 11, 23)
CHILD_NAMES = [c[3] for c in CASES]


@pytest.fixture
def chat(demo_chat):
    return demo_chat


@pytest.fixture
def db(migrated):
    @contextmanager
    def scope():
        with session_scope(migrated) as s:
            yield s

    return scope


def steps(db, ref, rule_id=None):
    with db() as s:
        rows = s.execute(select(RecordedStepRow).join(Case).where(Case.reference == ref).order_by(RecordedStepRow.id)).scalars().all()
        return [(r.rule_id, r.done_on, r.outcome, r.recorded_by.username if r.recorded_by else None)
                for r in rows if rule_id is None or r.rule_id == rule_id]


def view(db, ref):
    with db() as s:
        return evaluate(CaseRepository(s).case_file(ref, viewer="test"))


def no_names(*replies):
    for reply in replies:
        for name in CHILD_NAMES:
            assert name not in reply.text


# ---- the mapping ----------------------------------------------------------------------


def test_every_concept_maps_to_real_rules():
    assert problems(registry(), CONCEPTS) == []
    assert set(concepts()) == set(CONCEPTS)


# ---- the CADS walk --------------------------------------------------------------------


def test_cads_walk_from_threshold_not_met_to_initial_fpm_booked(chat, db):
    # The case's recorded pathway is the path: nothing to ask.
    proposed = chat.report_outcome("sam.sw", "I've finished a CADS assessment, threshold not met for C-1042")
    assert proposed.text.startswith("CADS assessment outcome (threshold not met) on C-1042, "
                                    "Mon 23 Nov 2026, by Sam Social (demo). Shall I record it?")
    # 4 weeks from Mon 23 Nov 2026 is Mon 21 Dec 2026.
    assert "Initial Family Planning Meeting held — due by Mon 21 Dec 2026" in proposed.text
    for check in ("Path: CADS outcome: progress to a new CAF episode", "Consent: not recorded (gained by: Social Worker",
                  "Lead professional: not yet agreed", "Team manager sign-off: waiting", "Next: Share the recommendation",
                  "[CADS guidance § Role of the Social Worker]", "§ Decision made for CAF/Early Help offer."):
        assert check in proposed.text, check
    assert len(proposed.text.splitlines()) <= 6
    assert steps(db, "C-1042") == []  # nothing until yes
    done = chat.confirm("sam.sw", proposed.pending)
    assert done.text.startswith("Recorded on C-1042: CADS assessment outcome (threshold not met), Mon 23 Nov 2026, by Sam Social (demo).")
    assert "Next: Share the recommendation" in done.text

    def say(user, concept, text):
        reply = chat.propose_step(user, concept, text, "C-1042")
        assert reply.pending, reply.text
        return reply, chat.confirm(user, reply.pending)

    say("sam.sw", "recommendation_to_team_manager", "I've shared my recommendation with the TM")
    proposal, _ = say("tess.tm", "team_manager_sign_off", "the TM signed it off this morning")
    assert proposal.text.startswith("Team manager sign-off on C-1042, Mon 23 Nov 2026, by Tess Manager (demo). Shall I record it?")
    assert proposal.buttons == [("Yes, record it", "/affirm"), ("No", "/deny")]
    say("sam.sw", "consent_given", "mum gave consent yesterday")
    say("sam.sw", "referrer_updated", "I've updated the referrer")
    say("sam.sw", "caf_link_worker_alerted", "case note sent to CLW EHM")
    proposal, _ = say("sam.sw", "lead_professional_agreed", "the school nurse agreed to be lead professional")
    assert proposal.text.startswith("Lead professional agreed: School nurse on C-1042")
    booking, booked = say("sam.sw", "family_planning_meeting_booked", "initial FPM booked for 14 Jan")
    assert booking.text.startswith("Family Planning Meeting booked on C-1042 for Thu 14 Jan 2027")
    assert "after its deadline" in booking.text  # due by Mon 21 Dec 2026
    assert booked.text.startswith("Booked on C-1042")

    assert steps(db, "C-1042") == [
        ("cads.assessment-outcome", TODAY, None, "sam.sw"),
        ("cads.recommendation-to-team-manager", TODAY, None, "sam.sw"),
        ("cads.team-manager-oversight", TODAY, None, "tess.tm"),
        ("cads.update-referrer", TODAY, None, "sam.sw"),
        ("cads.alert-caf-link-worker", TODAY, None, "sam.sw"),
        ("cads.lead-professional-agreed", TODAY, "agreed", "sam.sw"),
    ]
    with db() as s:
        consent = s.execute(select(ConsentRow)).scalars().all()
        ours = [c for c in consent if c.case.reference == "C-1042"]
        assert [(c.kind, c.status, c.recorded_on, c.given_by, c.obtained_by) for c in ours] == [
            ("engage", "given", D(2026, 11, 22), "mother", "sam.sw")]
        case = CaseRepository(s).find("C-1042")
        assert (case.lead_professional_name, case.lead_professional_role) == ("School nurse", "school nurse")
        assert [(b.rule_id, b.planned_for) for b in s.execute(select(BookingRow)).scalars()] == [
            ("cads.initial-family-planning-meeting", D(2027, 1, 14))]
    fpm = view(db, "C-1042").step("cads.initial-family-planning-meeting")
    assert (fpm.state, fpm.due_on, fpm.booked_for) == ("todo", D(2026, 12, 21), D(2027, 1, 14))


def test_naming_another_cads_path_moves_the_case_on_yes(chat, db):
    proposed = chat.report_outcome("sam.sw", "C-1042 threshold not met, signpost to a family support worker")
    assert proposed.pending.pathway == "cads-signpost-early-help"
    assert "The case moves to: CADS outcome: signpost to Early Help" in proposed.text
    assert view(db, "C-1042").pathway_id == "cads-progress-to-caf"
    chat.confirm("sam.sw", proposed.pending)
    assert view(db, "C-1042").pathway_id == "cads-signpost-early-help"
    with db() as s:
        assert [e.detail for e in AuditLog(s).events("C-1042", "set_pathway")] == [
            "cads-progress-to-caf -> cads-signpost-early-help"]


def test_report_outcome_asks_for_the_case_and_refuses_other_pathways(chat):
    assert "Which case" in chat.report_outcome("sam.sw", "threshold not met").text
    reply = chat.report_outcome("sam.sw", "threshold not met", "C-2001")
    assert "not a CADS outcome" in reply.text and reply.pending is None


def test_set_pathway_stays_within_the_same_guidance(chat, db):
    from bot.db.repositories import RecordRejected

    with pytest.raises(RecordRejected):
        with db() as s:
            CaseRepository(s).set_pathway("C-1042", "step-down-csc-to-caf", "sam.sw")
    assert view(db, "C-1042").pathway_id == "cads-progress-to-caf"


# ---- dates questioned, not stored ---------------------------------------------------------


def test_a_future_date_for_something_done_is_questioned(chat, db):
    reply = chat.propose_step("tess.tm", "team_manager_sign_off", "signed it off tomorrow", "C-1045")
    assert reply.pending is None
    assert "Tue 24 Nov 2026 is in the future" in reply.text and "Nothing is recorded" in reply.text
    assert steps(db, "C-1045", "cads.team-manager-oversight") == []


def test_a_date_before_the_case_opened_is_questioned(chat, db):
    # C-1042 opened 35 days before today: Mon 19 Oct 2026.
    reply = chat.propose_step("sam.sw", "assessment_outcome", "done on 1/10", "C-1042")
    assert reply.pending is None
    assert "before C-1042 was opened (Mon 19 Oct 2026)" in reply.text


def test_an_unclear_date_is_asked_about(chat):
    reply = chat.propose_step("sam.sw", "assessment_outcome", "done on 1/14", "C-1042")
    assert reply.pending is None and "day first" in reply.text


def test_a_booking_in_the_past_is_questioned(chat, db):
    reply = chat.propose_step("sam.sw", "family_planning_meeting_booked", "FPM booked for 2/11/2026", "C-2002")
    assert reply.pending is None and "in the past" in reply.text
    with db() as s:
        assert s.execute(select(BookingRow)).scalars().all() == []


# ---- confirming ----------------------------------------------------------------------------


def test_confirming_twice_records_once(chat, db):
    reply = chat.propose_step("sam.sw", "final_cin_meeting_held", "final CIN was on Monday", "C-2001")
    # Not the pathway's order (consent and a lead professional come first): said, not refused.
    assert "the guidance expects this first" in reply.text
    assert reply.pending.date == "2026-11-16"
    chat.confirm("sam.sw", reply.pending)
    again = chat.confirm("sam.sw", reply.pending)
    assert "already recorded" in again.text
    assert steps(db, "C-2001", "stepdown.final-cin-meeting") == [("stepdown.final-cin-meeting", D(2026, 11, 16), None, "sam.sw")]


def test_only_the_proposer_confirms_and_no_means_nothing(chat, db):
    reply = chat.propose_step("sam.sw", "referrer_updated", "updated the referrer", "C-1045")
    assert "someone else" in chat.confirm("tess.tm", reply.pending).text
    assert chat.cancel("sam.sw", reply.pending).text == "OK, nothing was recorded."
    assert steps(db, "C-1045", "cads.update-referrer") == []


def test_a_concept_that_does_not_fit_says_what_is_next(chat):
    reply = chat.propose_step("sam.sw", "final_cin_meeting_held", "final CIN yesterday", "C-1042")
    assert reply.pending is None
    assert "isn't a step on C-1042's pathway" in reply.text and "Next: " in reply.text
    done = chat.propose_step("sam.sw", "assessment_outcome", "done", "C-1043")
    assert "already recorded" in done.text


def test_family_planning_meeting_held_is_the_initial_one_then_the_review(chat, db):
    first = chat.propose_step("sam.sw", "family_planning_meeting_held", "we held the FPM yesterday", "C-2002")
    assert first.pending.rule_id == "stepdown.initial-family-planning-meeting"
    # The review is due 6-8 weeks after Sun 22 Nov 2026: from Sun 3 Jan by Sun 17 Jan 2027.
    assert "Family Planning meeting held (every 6-8 weeks)" in first.text and "Sun 17 Jan 2027" in first.text
    chat.confirm("sam.sw", first.pending)
    second = chat.propose_step("sam.sw", "family_planning_meeting_held", "FPM held today", "C-2002")
    assert second.pending.rule_id == "stepdown.family-plan-review"


def test_team_manager_sign_off_on_a_step_down_reads_the_words(chat):
    caf = chat.propose_step("tess.tm", "team_manager_sign_off", "signed off the CAF assessment", "C-2002")
    closure = chat.propose_step("tess.tm", "team_manager_sign_off", "signed off the closure summary", "C-2002")
    assert caf.pending.rule_id == "stepdown.team-manager-qa-caf-assessment"
    assert closure.pending.rule_id == "stepdown.team-manager-qa-closure"


def test_consent_and_names_stay_out_of_logs(chat, caplog):
    caplog.set_level(logging.DEBUG)
    reply = chat.propose_step("sam.sw", "consent_declined", "dad declined consent today", "C-1045")
    assert reply.pending.consent == ConsentProposal(kind="engage", status="declined", given_by="father", basis=None)
    chat.confirm("sam.sw", reply.pending)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "father" not in logged and not any(n in logged for n in CHILD_NAMES)
    assert "father" not in reply.text


# ---- why, status, due ----------------------------------------------------------------------


def test_why_quotes_the_step_in_focus(chat):
    reply = chat.why("sam.sw", "C-1045", None)
    assert reply.rule_id == "cads.team-manager-oversight"
    assert '"The Social Work Team manager will review the Social Workers outcome' in reply.text
    assert "§ Role of the Social Work Team Manager" in reply.text
    by_rule = chat.why(None, None, "stepdown.agency-disagreement-resolved")
    assert "Timescale: within 5 working days." in by_rule.text


def test_case_status_is_cited_and_nameless(chat):
    reply = chat.case_status("sam.sw", None, "what's left on c1043?")
    assert reply.text.startswith("C-1043: CADS outcome: progress to a new CAF episode")
    assert "Initial Family Planning Meeting held — due by Sat 21 Nov 2026, OVERDUE by 2 days" in reply.text
    assert "§ Challenge and support to identify a Lead Professional" in reply.text
    no_names(reply)


def test_due_on_my_cases_and_in_my_team(chat, db):
    mine = chat.due("sam.sw", "mine", "what's due on my cases this week?")
    # C-1043: outcome Sat 24 Oct + 4 weeks = Sat 21 Nov; C-2001: disagreement Wed 11 Nov + 5 working days = Wed 18 Nov.
    assert "C-1043: Initial Family Planning Meeting held — due Sat 21 Nov 2026, OVERDUE by 2 days" in mine.text
    assert "C-2001: Discuss the parent's or child's disagreement" in mine.text and "due Wed 18 Nov 2026, OVERDUE by 5 days" in mine.text
    assert "C-6001" not in mine.text  # another team's worker's case
    team = chat.due("tess.tm", "team", "what's overdue in my team?")
    # C-4001: allocated Sun 15 Nov; telephone contact within 2 working days: Tue 17 Nov.
    assert "C-4001: Telephone contact" in team.text and "due Tue 17 Nov 2026, OVERDUE by 6 days" in team.text
    no_names(mine, team)
    assert "Only a team manager" in chat.due("sam.sw", "team").text
    with db() as s:
        assert any(e.detail == "chat: due list (team)" for e in AuditLog(s).events("C-4001", "view"))


# ---- guidance questions --------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, source, words",
    [
        ("who gains consent after a CADS outcome?", "CADS guidance \u00a7 Parent/Carer consent", "informed consent"),
        ("what is the CAF Support Panel?", "CAF Team and Panel guidance \u00a7 CAF Support Panel", "multi-agency forum"),
        ("what's the timescale if a parent disagrees with the step down?",
         "Step-down guidance \u00a7 Decision made to step down from CSC to CAF", "5 working days"),
        ("if the family say no to consent what happens to the front door record?", "Front Door guidance \u00a7 3.1 Consent",
         "deleted"),
    ],
)
def test_guidance_answers_name_document_and_section(text, source, words):
    reply = Conversation().answer_question(None, text)
    assert f"Source: {source}" in reply.text
    assert words in reply.text
    assert len(reply.text.splitlines()) <= 6


def test_a_question_the_guidance_does_not_cover_is_not_guessed():
    reply = Conversation().answer_question(None, "what colour should the office walls be?")
    assert "not something I can help with" in reply.text and reply.rule_id is None
    reply = Conversation().answer_question(None, "how long do we have to complete an age assessment for an asylum seeking child?")
    assert "doesn't say anything specific about 'age assessment'" in reply.text


# ---- the step-down checklist, the ladder, disagreements -----------------------------------------


def test_checklist_item_by_item(chat, db):
    assert "Only the case's team manager" in chat.step_down_checklist("sam.sw", "C-2002").text
    first = chat.step_down_checklist("tess.tm", "C-2002")  # the demo has 2 of 6 done
    assert first.asking.rule_id == "stepdown.checklist-childs-plans" and "check 3 of 6" in first.text
    yes = chat.step_down_checklist("tess.tm", "C-2002", True, first.asking.rule_id)
    assert yes.text.startswith("Recorded: Team manager's pre-closure check: child's plans recorded, Mon 23 Nov 2026")
    assert yes.asking.rule_id == "stepdown.checklist-childs-reviews"
    no = chat.step_down_checklist("tess.tm", "C-2002", False, yes.asking.rule_id)
    assert no.text.startswith("Noted as outstanding: Team manager's pre-closure check: child's reviews recorded.")
    assert no.asking.rule_id == "stepdown.checklist-assessments-uploaded"
    last = chat.step_down_checklist("tess.tm", "C-2002", True, no.asking.rule_id)
    end = chat.step_down_checklist("tess.tm", "C-2002", True, last.asking.rule_id)
    assert end.asking is None
    assert "Still outstanding: Team manager's pre-closure check: child's reviews recorded" in end.text
    recorded = {r[0] for r in steps(db, "C-2002") if r[0].startswith("stepdown.checklist-")}
    assert recorded == {"stepdown.checklist-supervisions", "stepdown.checklist-chronology", "stepdown.checklist-childs-plans",
                        "stepdown.checklist-assessments-uploaded", "stepdown.checklist-views-on-closure"}
    with db() as s:
        assert [e.detail for e in AuditLog(s).events("C-2002", "checklist_outstanding")] == ["stepdown.checklist-childs-reviews"]


def test_the_lead_professional_ladder_rung_by_rung(chat, db):
    rung = chat.lead_professional_ladder("sam.sw", "C-1043")
    assert rung.asking.rule_id == "cads.ladder-raise-with-caf-link-worker"
    assert "No lead professional: raise with the CAF Link Worker" in rung.text
    raised = chat.lead_professional_ladder("sam.sw", "C-1043", False, "raised it with the CLW today")
    chat.confirm("sam.sw", raised.pending)
    rung = chat.lead_professional_ladder("cleo.clw", "C-1043")
    assert rung.asking.rule_id == "cads.ladder-caf-link-worker-challenge" and "Cleo Link (demo)" in rung.text
    none = chat.lead_professional_ladder("cleo.clw", "C-1043", False, "no partner will take it")
    assert none.pending.outcome == "none_found"
    chat.confirm("cleo.clw", none.pending)
    rung = chat.lead_professional_ladder("cleo.clw", "C-1043")
    assert rung.asking.rule_id == "cads.ladder-transforming-lives-panel"
    found = chat.lead_professional_ladder("cleo.clw", "C-1043", True, "the health visitor agreed at the panel")
    assert found.pending.outcome == "agreed"
    chat.confirm("cleo.clw", found.pending)
    assert steps(db, "C-1043", "cads.ladder-transforming-lives-panel") == [
        ("cads.ladder-transforming-lives-panel", TODAY, "agreed", "cleo.clw")]
    assert view(db, "C-1043").case.lead_professional.display_name == "Health visitor"
    assert "has a lead professional" in chat.lead_professional_ladder("sam.sw", "C-1043").text


def test_a_step_down_disagreement_starts_five_working_days(chat, db):
    reply = chat.record_disagreement("sam.sw", "C-2002", "agency", "the school disagrees, told us yesterday")
    # Sun 22 Nov 2026 + 5 working days: Mon 23 ... Fri 27 Nov.
    assert "Team manager resolves the partner agency's disagreement within 5 working days — due by Fri 27 Nov 2026" in reply.text
    chat.confirm("sam.sw", reply.pending)
    resolve = view(db, "C-2002").step("stepdown.agency-disagreement-resolved")
    assert (resolve.state, resolve.due_on) == ("todo", D(2026, 11, 27))


def test_a_cads_disagreement_has_no_timescale(chat):
    reply = chat.record_disagreement("sam.sw", "C-1043", "agency", "the school doesn't agree threshold isn't met")
    assert reply.pending.rule_id == "cads.agency-disagreement"
    assert "Team manager resolves the agency's disagreement, supporting the social worker — the guidance sets no timescale" in reply.text
    family = chat.record_disagreement("sam.sw", "C-1043", "family", "mum disagrees")
    assert family.pending is None and "isn't a step" in family.text


# ---- the database down --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        DatabaseUnavailable("cannot reach the database"),
        OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly")),
    ],
    ids=["unreachable", "lost-mid-turn"],
)
def test_database_down_says_so_and_records_nothing(chat, db, migrated, failure):
    reply = chat.propose_step("sam.sw", "referrer_updated", "updated the referrer", "C-1045")

    @contextmanager
    def dies_before_commit():
        session = session_factory(migrated)()
        try:
            yield session
            session.flush()
            raise failure
        finally:
            session.rollback()
            session.close()

    down = Conversation(dies_before_commit).confirm("sam.sw", reply.pending)
    assert (down.text, down.unchanged) == (DATABASE_DOWN, True)  # the proposal keeps waiting
    assert steps(db, "C-1045", "cads.update-referrer") == []
    assert chat.confirm("sam.sw", reply.pending).text.startswith("Recorded on C-1045")  # the same yes, later
    assert len(steps(db, "C-1045", "cads.update-referrer")) == 1


def test_database_unreachable(monkeypatch):
    monkeypatch.setenv("EHBOT_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    chat = Conversation()
    assert chat.case_status("sam.sw", "C-1042").text == DATABASE_DOWN
    pending = Proposal(case="C-1042", label="Referrer updated", rule_id="cads.update-referrer", record="step",
                       date="2026-11-23", by="sam.sw")
    assert chat.confirm("sam.sw", pending).text == DATABASE_DOWN
