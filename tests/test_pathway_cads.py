"""CADS outcome pathways, by hand-worked examples.

The case: opened Mon 2 Nov 2026; CADS assessment outcome (threshold not met)
recorded Tue 10 Nov 2026. The initial Family Planning Meeting is due within 4
weeks of that: 10 Nov + 28 days = Tue 8 Dec 2026.
"""
import datetime as dt

import pytest

from bot.casefile import CaseFile, ConsentRecord, Person, RecordedStep
from bot.guidance import registry
from bot.pathways import BLOCKED, DONE, NEEDS_INFORMATION, NOT_APPLICABLE, TODO, evaluate
from bot.render import pathway_text, step_line

D = dt.date
OUTCOME_DAY = D(2026, 11, 10)


def case(*steps, pathway="cads-progress-to-caf", **kw):
    defaults = dict(
        reference="C-1042",
        pathway=pathway,
        opened_on=D(2026, 11, 2),
        allocated_worker=Person("Sam Social", username="sam"),
        team_manager=Person("Tess Manager", username="tess"),
        referrer_advice_only=False,
    )
    defaults.update(kw)
    recorded = [RecordedStep("cads.assessment-outcome", OUTCOME_DAY)]
    recorded += [RecordedStep(rule, day, outcome=outcome) for rule, day, *rest in steps for outcome in [rest[0] if rest else None]]
    return CaseFile(steps=recorded, **defaults)


SIGNED_OFF = [
    ("cads.recommendation-to-team-manager", D(2026, 11, 10)),
    ("cads.team-manager-oversight", D(2026, 11, 11)),
]


def test_fresh_outcome_next_step_is_telling_the_team_manager():
    view = evaluate(case(), today=D(2026, 11, 23))
    assert view.step("cads.assessment-outcome").state == DONE
    assert view.next_step.rule_id == "cads.recommendation-to-team-manager"
    referrer = view.step("cads.update-referrer")
    assert referrer.state == BLOCKED
    assert "team manager has not yet signed off" in referrer.blockers[0]
    fpm = view.step("cads.initial-family-planning-meeting")
    assert fpm.due_on == D(2026, 12, 8)
    assert not fpm.overdue
    assert fpm.state == BLOCKED and fpm.blockers == ["no lead professional is named yet"]


def test_after_team_manager_sign_off_the_referrer_can_be_told():
    view = evaluate(case(*SIGNED_OFF), today=D(2026, 11, 23))
    assert view.step("cads.update-referrer").state == TODO
    assert view.step("cads.team-manager-oversight").done_on == D(2026, 11, 11)


def test_initial_fpm_overdue_the_day_after_four_weeks_even_while_blocked():
    view = evaluate(case(*SIGNED_OFF), today=D(2026, 12, 9))
    fpm = view.step("cads.initial-family-planning-meeting")
    assert fpm.overdue and fpm.days_overdue == 1
    assert fpm.state == BLOCKED
    assert not evaluate(case(*SIGNED_OFF), today=D(2026, 12, 8)).step("cads.initial-family-planning-meeting").overdue


@pytest.mark.parametrize(
    "advice_only, owner, missing",
    [(False, "Social Worker", False), (True, "Referrer", False), (None, "Referrer or Social Worker", True)],
)
def test_who_gains_consent_depends_on_whether_the_referrer_only_sought_advice(advice_only, owner, missing):
    view = evaluate(case(referrer_advice_only=advice_only), today=D(2026, 11, 23))
    consent = view.step("cads.informed-consent")
    assert consent.owner_label == owner
    assert bool(consent.missing) is missing
    if missing:
        assert "only seeking advice" in consent.missing[0]


def test_consent_given_and_declined():
    given = ConsentRecord("engage", "given", D(2026, 11, 12), given_by="mother", obtained_by="sam")
    view = evaluate(case(consents=[given]), today=D(2026, 11, 23))
    step = view.step("cads.informed-consent")
    assert step.state == DONE and step.done_on == D(2026, 11, 12) and step.done_by == "sam"
    declined = ConsentRecord("engage", "declined", D(2026, 11, 12))
    step = evaluate(case(consents=[declined]), today=D(2026, 11, 23)).step("cads.informed-consent")
    assert step.state == BLOCKED and step.blockers == ["consent declined (2026-11-12)"]


def test_lead_professional_named_completes_the_step_and_unblocks_the_fpm():
    nurse = Person("School nurse (fictional)", role="school nurse")
    view = evaluate(case(*SIGNED_OFF, lead_professional=nurse), today=D(2026, 11, 23))
    assert view.step("cads.lead-professional-agreed").state == DONE
    assert view.step("cads.ladder-raise-with-caf-link-worker").state == NOT_APPLICABLE
    assert view.step("cads.initial-family-planning-meeting").state == TODO


def test_the_lead_professional_ladder_rung_by_rung():
    steps = SIGNED_OFF + [("cads.lead-professional-agreed", D(2026, 11, 12), "none_found")]
    view = evaluate(case(*steps), today=D(2026, 11, 23))
    assert view.step("cads.ladder-raise-with-caf-link-worker").state == TODO
    assert view.step("cads.ladder-caf-link-worker-challenge").state == NOT_APPLICABLE

    steps += [("cads.ladder-raise-with-caf-link-worker", D(2026, 11, 13))]
    view = evaluate(case(*steps), today=D(2026, 11, 23))
    assert view.step("cads.ladder-caf-link-worker-challenge").state == TODO
    assert view.step("cads.ladder-caf-link-worker-challenge").owner_label == "CAF Link Worker"
    assert view.step("cads.ladder-transforming-lives-panel").state == NOT_APPLICABLE

    steps += [("cads.ladder-caf-link-worker-challenge", D(2026, 11, 16), "none_found")]
    view = evaluate(case(*steps), today=D(2026, 11, 23))
    assert view.step("cads.ladder-transforming-lives-panel").state == TODO

    steps += [("cads.ladder-transforming-lives-panel", D(2026, 11, 19), "none_found")]
    view = evaluate(case(*steps), today=D(2026, 11, 23))
    assert view.step("cads.ladder-no-lead-professional-case-note").state == TODO
    assert view.step("cads.ladder-inform-social-worker-family-agencies").state == BLOCKED
    assert view.step("cads.ladder-step-down-to-universal").state == BLOCKED
    # Stepping down to universal services: no Family Planning Meetings are owed.
    assert view.step("cads.initial-family-planning-meeting").state == NOT_APPLICABLE
    assert view.step("cads.reassessment-at-12-months").state == NOT_APPLICABLE


def test_family_planning_meetings_every_six_to_eight_weeks():
    # Initial FPM Tue 1 Dec 2026: the next is due from Tue 12 Jan 2027 (6 weeks)
    # and by Tue 26 Jan 2027 (8 weeks).
    lp = Person("Lead professional (fictional)")
    steps = SIGNED_OFF + [("cads.initial-family-planning-meeting", D(2026, 12, 1))]
    view = evaluate(case(*steps, lead_professional=lp), today=D(2026, 12, 2))
    review = view.step("cads.family-plan-review")
    assert (review.due_from, review.due_on) == (D(2027, 1, 12), D(2027, 1, 26))
    assert view.step("cads.document-family-planning-meeting").state == TODO
    # A review held Wed 20 Jan 2027 moves the window: 3 Mar to 17 Mar 2027.
    steps += [("cads.family-plan-review", D(2027, 1, 20)), ("cads.document-family-planning-meeting", D(2026, 12, 2))]
    view = evaluate(case(*steps, lead_professional=lp), today=D(2027, 3, 18))
    review = view.step("cads.family-plan-review")
    assert (review.due_from, review.due_on) == (D(2027, 3, 3), D(2027, 3, 17))
    assert review.overdue and review.occurrences == 1
    assert view.step("cads.document-family-planning-meeting").state == DONE


def test_reassessment_is_due_at_twelve_months_and_is_not_the_next_step_before():
    view = evaluate(case(*SIGNED_OFF), today=D(2026, 11, 23))
    reassess = view.step("cads.reassessment-at-12-months")
    assert reassess.due_on == D(2027, 11, 10)
    assert view.next_step.rule_id != reassess.rule_id


def test_the_reassessment_is_a_trigger_at_twelve_months_never_overdue():
    # "If all actions on the family plan have not been met within 12 months ... the LP will
    # complete a reassessment": due on the anniversary if the plan is not met, no later deadline.
    later = evaluate(case(*SIGNED_OFF), today=D(2028, 3, 1))
    reassess = later.step("cads.reassessment-at-12-months")
    assert (reassess.due_from, reassess.due_on) == (D(2027, 11, 10), D(2027, 11, 10))
    assert not reassess.overdue and reassess.days_overdue == 0 and not reassess.escalation_due
    assert reassess.timescale == "at 12 months, if still needed"
    assert "OVERDUE" not in step_line(reassess)


def test_agency_disagreement_goes_to_the_team_manager_with_no_invented_timescale():
    view = evaluate(case(("cads.agency-disagreement", D(2026, 11, 12))), today=D(2026, 11, 23))
    resolve = view.step("cads.disagreement-to-team-manager")
    assert resolve.state == TODO and resolve.owner_name == "Tess Manager"
    assert resolve.due_on is None and resolve.timescale is None
    assert "the guidance sets no timescale" in pathway_text(view)
    untroubled = evaluate(case(), today=D(2026, 11, 23))
    assert untroubled.step("cads.disagreement-to-team-manager").state == NOT_APPLICABLE


def test_signpost_to_early_help_goes_to_the_cadsso_team_manager():
    view = evaluate(case(*SIGNED_OFF, pathway="cads-signpost-early-help"), today=D(2026, 11, 23))
    assert view.step("cads.progress-to-cadsso-team-manager").state == TODO
    with pytest.raises(KeyError):
        view.step("cads.initial-family-planning-meeting")
    allocation = view.step("cads.cadsso-allocation")
    assert allocation.state == BLOCKED and allocation.owner_label == "CADSSO Team Manager"
    progressed = SIGNED_OFF + [("cads.progress-to-cadsso-team-manager", D(2026, 11, 12))]
    view = evaluate(case(*progressed, pathway="cads-signpost-early-help"), today=D(2026, 11, 23))
    assert view.step("cads.cadsso-allocation").state == TODO and view.step("cads.cadsso-allocation").due_on is None
    assert registry().rule("cads.cadsso-allocation").outcomes == ("allocated", "allocated_caf_initiated")


def test_text_view_names_the_next_step_its_citation_and_due_dates():
    text = pathway_text(evaluate(case(*SIGNED_OFF), today=D(2026, 11, 23)))
    assert text.splitlines()[1].startswith("Next: Informed consent")
    assert "Parent/Carer consent" in text
    assert "due by Tue 8 Dec 2026" in text


def test_family_planning_meetings_stop_once_the_caf_is_closed():
    """Issue 14 W1: no FPM is owed, and none reminded of, after the CAF's closure is recorded."""
    lead = Person("Lee Nurse", role="school nurse")
    held = case(*SIGNED_OFF, ("cads.initial-family-planning-meeting", D(2026, 12, 1)),
                lead_professional=lead, consents=[ConsentRecord("engage", "given", D(2026, 11, 12))])
    running = evaluate(held, today=D(2027, 1, 20)).step("cads.family-plan-review")
    assert running.open and running.due_on == D(2027, 1, 26)  # 1 Dec + 8 weeks
    closed = case(*SIGNED_OFF, ("cads.initial-family-planning-meeting", D(2026, 12, 1)),
                  ("cads.caf-closure", D(2027, 1, 10)), lead_professional=lead,
                  consents=[ConsentRecord("engage", "given", D(2026, 11, 12))])
    review = evaluate(closed, today=D(2027, 3, 1)).step("cads.family-plan-review")
    assert review.state == NOT_APPLICABLE and not review.overdue


LINKED = "cads-link-existing-caf"
TOLD = SIGNED_OFF + [("cads.update-referrer", D(2026, 11, 12))]


def test_on_the_existing_caf_the_meetings_wait_for_its_latest_meeting_not_an_initial_one():
    view = evaluate(case(*TOLD, pathway=LINKED), today=D(2026, 11, 23))
    review = view.step("cads.family-plan-review")
    assert review.state == BLOCKED
    assert review.blockers == ["the existing CAF's latest Family Planning Meeting is not recorded"]
    assert "existing CAF: its latest Family Planning Meeting" in review.clock_starts
    assert view.step("cads.strengthened-plan").state == TODO
    assert view.step("cads.strengthened-plan").due_on is None  # the document sets no timescale


def test_the_existing_cafs_clocks_run_from_its_own_dates():
    # Existing CAF started Mon 12 Jan 2026; its latest FPM Thu 22 Oct 2026: the next from
    # Thu 3 Dec (+ 42 days) by Thu 17 Dec 2026 (+ 56); the reassessment at Tue 12 Jan 2027.
    steps = TOLD + [("cads.existing-caf-start", D(2026, 1, 12)),
                    ("cads.existing-caf-latest-family-planning-meeting", D(2026, 10, 22))]
    view = evaluate(case(*steps, pathway=LINKED), today=D(2026, 11, 23))
    review = view.step("cads.family-plan-review")
    assert review.state == TODO and (review.due_from, review.due_on) == (D(2026, 12, 3), D(2026, 12, 17))
    reassess = view.step("cads.reassessment-at-12-months")
    assert reassess.due_on == D(2027, 1, 12)  # not 12 months from the CADS outcome (10 Nov 2027)
    # A review held Wed 9 Dec 2026: the next from Wed 20 Jan by Wed 3 Feb 2027.
    later = evaluate(case(*steps, ("cads.family-plan-review", D(2026, 12, 9)), pathway=LINKED), today=D(2026, 12, 10))
    review = later.step("cads.family-plan-review")
    assert (review.due_from, review.due_on) == (D(2027, 1, 20), D(2027, 2, 3))


def test_a_new_caf_still_counts_from_the_initial_meeting_and_the_outcome():
    view = evaluate(case(*TOLD, ("cads.initial-family-planning-meeting", D(2026, 11, 20)),
                         lead_professional=Person("Lee Lead", role="school")), today=D(2026, 11, 23))
    review = view.step("cads.family-plan-review")
    assert review.state == TODO and review.due_on == D(2027, 1, 15)
    assert view.step("cads.reassessment-at-12-months").due_on == D(2027, 11, 10)
    assert "cads.existing-caf-start" not in [s.rule_id for s in view.steps]  # only on the existing CAF's path


def test_consent_the_social_worker_could_not_gain_moves_to_the_lead_professional_before_the_caf():
    # "If the social worker has been unable to gain this consent then the Lead Professional will
    # do so prior to initiating the CAF."
    lead = Person("Lee Lead", role="school")
    view = evaluate(case(*TOLD, lead_professional=lead), today=D(2026, 11, 23))
    assert view.step("cads.informed-consent").owner_label == "Social Worker"
    start = view.step("cads.caf-initiated")
    assert start.state == BLOCKED and start.due_on is None
    assert start.blockers == ["informed consent from the parent/carer is not recorded (it comes before the CAF is initiated)"]
    couldnt = TOLD + [("cads.consent-not-gained-by-social-worker", D(2026, 11, 13))]
    view = evaluate(case(*couldnt, lead_professional=lead), today=D(2026, 11, 23))
    consent = view.step("cads.informed-consent")
    assert consent.state == TODO and consent.owner_label == "Lead Professional" and consent.owner_name == "Lee Lead"
    given = ConsentRecord("engage", "given", D(2026, 11, 18), given_by="mother", obtained_by="lee")
    view = evaluate(case(*couldnt, lead_professional=lead, consents=[given]), today=D(2026, 11, 23))
    assert view.step("cads.informed-consent").state == DONE
    assert view.step("cads.caf-initiated").state == TODO
