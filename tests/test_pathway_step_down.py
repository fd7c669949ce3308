"""Step down from CSC to CAF, by hand-worked examples.

Dates are worked out by hand in the comments. Bank holidays in England that
matter here: Fri 25 Dec 2026 (Christmas), Mon 28 Dec 2026 (Boxing Day falls on
Sat 26 Dec, substitute Monday), Fri 1 Jan 2027, Fri 26 Mar 2027 (Good Friday)
and Mon 29 Mar 2027 (Easter Monday). Weeks and months are calendar time and a
deadline in weeks is not moved off a holiday.
"""
import datetime as dt

from bot.calendar import WorkingCalendar
from bot.casefile import CaseFile, ConsentRecord, Person, RecordedStep
from bot.guidance import registry
from bot.pathways import BLOCKED, DONE, NOT_APPLICABLE, OPTION, TODO, evaluate
from bot.render import pathway_text

D = dt.date
SW = Person("Sam Social", username="sam")
TM = Person("Tess Manager", username="tess")
CLW = Person("Cal Linkworker", username="cal")
LP = Person("School nurse (fictional)", role="school nurse")

TM_AGREED = "the step down has not yet been agreed with the team manager in supervision"
NO_PROPOSAL = (
    "the proposal has not been shared with the child, parents and partners and their views documented "
    "(required before the final CIN meeting)"
)
NO_CONSENT = "informed consent from the parent/carer for the CAF is not recorded (required before the final CIN meeting)"
NO_LP = "no lead professional has agreed to take the role (required before the final CIN meeting)"
NO_UNIVERSAL = "no lead professional was found: the step down to universal services has not yet been recorded"
NO_FINAL_CIN = "the final CIN meeting has not taken place"

CHECKLIST = [
    "stepdown.checklist-supervisions",
    "stepdown.checklist-chronology",
    "stepdown.checklist-childs-plans",
    "stepdown.checklist-childs-reviews",
    "stepdown.checklist-assessments-uploaded",
    "stepdown.checklist-views-on-closure",
]
LADDER = [
    "stepdown.ladder-raise-with-caf-link-worker",
    "stepdown.ladder-caf-link-worker-challenge",
    "stepdown.ladder-transforming-lives-panel",
    "stepdown.ladder-no-lead-professional-case-note",
    "stepdown.ladder-inform-social-worker-family-agencies",
    "stepdown.ladder-step-down-to-universal",
]
CAF_STEPS = [
    "stepdown.informed-consent",
    "stepdown.step-down-caf-assessment",
    "stepdown.smart-family-plan",
    "stepdown.arrange-initial-fpm-date",
    "stepdown.send-minutes-caf-and-plan",
    "stepdown.team-manager-qa-caf-assessment",
    "stepdown.referral-to-ehm",
    "stepdown.caf-link-worker-authorises-caf",
    "stepdown.caf-link-worker-contacts-lead-professional",
    "stepdown.initial-family-planning-meeting",
    "stepdown.document-family-planning-meeting",
    "stepdown.family-plan-review",
    "stepdown.reassessment-at-12-months",
]


def case(*steps, consents=(), **kw):
    """A CIN case opened Tue 1 Sep 2026; steps are (rule_id, date[, outcome])."""
    defaults = dict(
        reference="CIN-2207",
        pathway="step-down-csc-to-caf",
        opened_on=D(2026, 9, 1),
        allocated_worker=SW,
        team_manager=TM,
        caf_link_worker=CLW,
    )
    defaults.update(kw)
    recorded = [RecordedStep(s[0], s[1], outcome=s[2] if len(s) > 2 else None) for s in steps]
    return CaseFile(steps=recorded, consents=list(consents), **defaults)


def run(c, today):
    return evaluate(c, today=today, registry=registry(), calendar=WorkingCalendar())


CONSENT = ConsentRecord("engage", "given", D(2026, 12, 4), given_by="mother", obtained_by="sam")
# Agreed in supervision Tue 1 Dec 2026, proposal shared Thu 3 Dec, consent Fri 4 Dec.
BEFORE_CIN = [
    ("stepdown.team-manager-agrees-step-down", D(2026, 12, 1)),
    ("stepdown.share-proposal", D(2026, 12, 3)),
]
# Final CIN meeting Mon 11 Jan 2027 with everything it produces.
FINAL_CIN = D(2027, 1, 11)
MEETING = [
    ("stepdown.lead-professional-agreed", D(2026, 12, 7), "agreed"),
    ("stepdown.final-cin-meeting", FINAL_CIN),
    ("stepdown.step-down-caf-assessment", FINAL_CIN),
    ("stepdown.smart-family-plan", FINAL_CIN),
    ("stepdown.arrange-initial-fpm-date", FINAL_CIN),
]


def test_fresh_case_starts_with_the_team_managers_agreement_in_supervision():
    view = run(case(), today=D(2026, 11, 30))
    assert view.next_step.rule_id == "stepdown.team-manager-agrees-step-down"
    assert view.step("stepdown.team-manager-agrees-step-down").state == TODO
    assert view.step("stepdown.team-manager-agrees-step-down").owner_name == "Sam Social"
    for rid in ("stepdown.share-proposal", "stepdown.informed-consent", "stepdown.lead-professional-agreed"):
        step = view.step(rid)
        assert step.state == BLOCKED and step.blockers == [TM_AGREED], rid
    # Nothing has been disagreed and no ladder has started.
    for rid in [
        "stepdown.parent-child-disagreement",
        "stepdown.parent-child-disagreement-resolved",
        "stepdown.agency-disagreement",
        "stepdown.agency-disagreement-resolved",
        "stepdown.caf-closure",
        *LADDER,
    ]:
        assert view.step(rid).state == NOT_APPLICABLE, rid
    final = view.step("stepdown.final-cin-meeting")
    assert final.state == BLOCKED
    assert final.blockers == [NO_PROPOSAL, NO_CONSENT, NO_LP]
    # The team manager's file checks are open from the start, owned by the TM.
    for rid in CHECKLIST:
        step = view.step(rid)
        assert step.state == TODO and step.owner_label == "Social Work Team Manager" and step.owner_name == "Tess Manager"
    assert len(view.step("stepdown.team-manager-qa-closure").blockers) == 8
    # No clock has started: the initial FPM counts from the final CIN meeting.
    fpm = view.step("stepdown.initial-family-planning-meeting")
    assert fpm.state == BLOCKED and fpm.due_on is None and not fpm.overdue
    assert fpm.blockers == [NO_FINAL_CIN, "no lead professional is named yet"]
    assert "Final CIN" in fpm.clock_starts
    reassess = view.step("stepdown.reassessment-at-12-months")
    assert reassess.due_on is None and reassess.state == BLOCKED
    assert not view.overdue


def test_no_lead_professional_agreed_blocks_the_final_cin_meeting():
    steps = list(BEFORE_CIN)
    view = run(case(*steps, consents=[CONSENT]), today=D(2026, 12, 7))
    assert view.step("stepdown.informed-consent").state == DONE
    assert view.step("stepdown.informed-consent").done_on == D(2026, 12, 4)
    final = view.step("stepdown.final-cin-meeting")
    assert final.state == BLOCKED and final.blockers == [NO_LP]
    assert view.next_step.rule_id == "stepdown.lead-professional-agreed"

    # No agency agrees (Mon 7 Dec): still blocked, and the ladder starts.
    steps.append(("stepdown.lead-professional-agreed", D(2026, 12, 7), "none_found"))
    view = run(case(*steps, consents=[CONSENT]), today=D(2026, 12, 8))
    assert view.step("stepdown.lead-professional-agreed").state == DONE
    assert view.step("stepdown.final-cin-meeting").blockers == [NO_LP]
    assert view.step("stepdown.ladder-raise-with-caf-link-worker").state == TODO
    assert view.next_step.rule_id == "stepdown.ladder-raise-with-caf-link-worker"

    # A partner then agrees and is named on the case: the meeting can go ahead,
    # and the unrecorded ladder rung falls away.
    view = run(case(*steps, consents=[CONSENT], lead_professional=LP), today=D(2026, 12, 8))
    assert view.step("stepdown.final-cin-meeting").state == TODO
    assert view.step("stepdown.ladder-raise-with-caf-link-worker").state == NOT_APPLICABLE

    # Consent declined: the meeting is blocked on consent too.
    declined = ConsentRecord("engage", "declined", D(2026, 12, 4))
    view = run(case(*steps, consents=[declined], lead_professional=LP), today=D(2026, 12, 8))
    assert view.step("stepdown.informed-consent").blockers == ["consent declined (2026-12-04)"]
    assert view.step("stepdown.final-cin-meeting").blockers == [NO_CONSENT]


def test_parent_disagreement_is_resolved_within_five_working_days_over_christmas():
    # Raised Wed 23 Dec 2026. Working days: Thu 24 Dec (1); Fri 25 Dec Christmas,
    # Sat, Sun, Mon 28 Dec Boxing Day substitute skipped; Tue 29 (2), Wed 30 (3),
    # Thu 31 Dec (4); Fri 1 Jan 2027 New Year's Day, Sat, Sun skipped; Mon 4 Jan (5).
    steps = BEFORE_CIN + [("stepdown.parent-child-disagreement", D(2026, 12, 23))]
    view = run(case(*steps), today=D(2027, 1, 4))
    assert view.step("stepdown.parent-child-disagreement").state == DONE
    resolve = view.step("stepdown.parent-child-disagreement-resolved")
    assert resolve.state == TODO and resolve.owner_name == "Sam Social"
    assert resolve.due_on == D(2027, 1, 4) and not resolve.overdue
    # The partner-agency route is separate and not engaged.
    assert view.step("stepdown.agency-disagreement-resolved").state == NOT_APPLICABLE
    # The document does not make the final CIN meeting wait for the resolution.
    assert view.step("stepdown.final-cin-meeting").blockers == [NO_CONSENT, NO_LP]

    late = run(case(*steps), today=D(2027, 1, 5)).step("stepdown.parent-child-disagreement-resolved")
    assert late.overdue and late.days_overdue == 1

    steps.append(("stepdown.parent-child-disagreement-resolved", D(2027, 1, 4), "resolved"))
    done = run(case(*steps), today=D(2027, 1, 5)).step("stepdown.parent-child-disagreement-resolved")
    assert done.state == DONE and done.outcome == "resolved" and not done.overdue

    # A fresh disagreement, Fri 8 Jan 2027, reopens it: Mon 11 (1) ... Fri 15 Jan (5).
    steps.append(("stepdown.parent-child-disagreement", D(2027, 1, 8)))
    again = run(case(*steps), today=D(2027, 1, 11)).step("stepdown.parent-child-disagreement-resolved")
    assert again.state == TODO and again.due_on == D(2027, 1, 15)


def test_partner_agency_disagreement_goes_to_the_team_manager_for_five_working_days():
    # Raised Thu 24 Dec 2026: Tue 29 (1), Wed 30 (2), Thu 31 Dec (3), Mon 4 Jan (4),
    # Tue 5 Jan 2027 (5).
    steps = BEFORE_CIN + [("stepdown.agency-disagreement", D(2026, 12, 24))]
    view = run(case(*steps), today=D(2027, 1, 6))
    resolve = view.step("stepdown.agency-disagreement-resolved")
    assert resolve.owner_label == "Social Work Team Manager" and resolve.owner_name == "Tess Manager"
    assert resolve.due_on == D(2027, 1, 5) and resolve.overdue and resolve.days_overdue == 1
    assert view.step("stepdown.parent-child-disagreement-resolved").state == NOT_APPLICABLE


def test_pre_closure_checklist_partly_done_blocks_the_closure_sign_off():
    steps = BEFORE_CIN + MEETING + [
        ("stepdown.case-closure-summary", D(2027, 1, 13)),
        ("stepdown.checklist-supervisions", D(2027, 1, 14)),
        ("stepdown.checklist-chronology", D(2027, 1, 14)),
        ("stepdown.checklist-childs-plans", D(2027, 1, 14)),
        ("stepdown.team-manager-qa-caf-assessment", D(2027, 1, 14)),
    ]
    view = run(case(*steps, consents=[CONSENT], lead_professional=LP), today=D(2027, 1, 15))
    for rid in CHECKLIST[:3]:
        assert view.step(rid).state == DONE, rid
    for rid in CHECKLIST[3:]:
        assert view.step(rid).state == TODO, rid
    sign_off = view.step("stepdown.team-manager-qa-closure")
    assert sign_off.state == BLOCKED
    assert sign_off.blockers == [
        "pre-closure check not done: child's reviews",
        "pre-closure check not done: all assessments uploaded",
        "pre-closure check not done: views of the child and parents about case closure",
    ]
    # The referral to EHM waits for both of the team manager's quality assurances.
    referral = view.step("stepdown.referral-to-ehm")
    assert referral.state == BLOCKED
    assert referral.blockers == [
        "the team manager has not yet quality assured the case closure (required before it is submitted to EHM)"
    ]
    # The remaining checks are the team manager's next jobs, item by item.
    assert view.next_step.rule_id == "stepdown.send-minutes-caf-and-plan"

    steps += [(rid, D(2027, 1, 15)) for rid in CHECKLIST[3:]]
    view = run(case(*steps, consents=[CONSENT], lead_professional=LP), today=D(2027, 1, 15))
    assert view.step("stepdown.team-manager-qa-closure").state == TODO
    steps.append(("stepdown.team-manager-qa-closure", D(2027, 1, 15)))
    view = run(case(*steps, consents=[CONSENT], lead_professional=LP), today=D(2027, 1, 15))
    assert view.step("stepdown.referral-to-ehm").state == TODO
    assert view.step("stepdown.caf-link-worker-authorises-caf").blockers == [
        "the social worker has not yet completed the referral to EHM"
    ]
    assert view.step("stepdown.caf-link-worker-authorises-caf").owner_name == "Cal Linkworker"


def test_the_lead_professional_ladder_down_to_universal_services():
    steps = BEFORE_CIN + [("stepdown.lead-professional-agreed", D(2026, 12, 7), "none_found")]
    view = run(case(*steps, consents=[CONSENT]), today=D(2026, 12, 8))
    assert view.step(LADDER[0]).state == TODO and view.step(LADDER[0]).owner_name == "Sam Social"
    assert view.step(LADDER[1]).state == BLOCKED
    assert all(view.step(r).state == NOT_APPLICABLE for r in LADDER[2:])

    steps.append((LADDER[0], D(2026, 12, 8)))
    view = run(case(*steps, consents=[CONSENT]), today=D(2026, 12, 9))
    challenge = view.step(LADDER[1])
    assert challenge.state == TODO and challenge.owner_label == "CAF Link Worker" and challenge.owner_name == "Cal Linkworker"

    steps.append((LADDER[1], D(2026, 12, 10), "none_found"))
    view = run(case(*steps, consents=[CONSENT]), today=D(2026, 12, 11))
    panel = view.step(LADDER[2])
    assert panel.state == TODO and panel.owner_label == "Early Help & Specialist Support Manager"
    assert view.step(LADDER[3]).state == NOT_APPLICABLE
    assert view.step("stepdown.final-cin-meeting").blockers == [NO_LP]

    # The Transforming Lives Panel finds no one: the CAF steps fall away.
    steps.append((LADDER[2], D(2026, 12, 14), "none_found"))
    view = run(case(*steps, consents=[CONSENT]), today=D(2026, 12, 15))
    assert view.step(LADDER[3]).state == TODO
    assert view.step(LADDER[4]).state == BLOCKED
    assert view.step(LADDER[5]).state == BLOCKED
    for rid in CAF_STEPS:
        assert view.step(rid).state == NOT_APPLICABLE, rid
    # The last CIN meeting waits for the step down to universal services.
    assert view.step("stepdown.final-cin-meeting").blockers == [NO_UNIVERSAL]

    steps += [(LADDER[3], D(2026, 12, 15)), (LADDER[4], D(2026, 12, 16))]
    view = run(case(*steps, consents=[CONSENT]), today=D(2026, 12, 16))
    assert view.step(LADDER[5]).state == TODO
    steps.append((LADDER[5], D(2026, 12, 16)))
    view = run(case(*steps, consents=[CONSENT]), today=D(2026, 12, 17))
    assert all(view.step(r).state == DONE for r in LADDER)
    # Closing to CSC still goes through the last CIN meeting and the team manager.
    assert view.step("stepdown.final-cin-meeting").state == TODO
    assert view.next_step.rule_id == "stepdown.final-cin-meeting"
    assert view.step("stepdown.case-closure-summary").state == BLOCKED
    assert view.step("stepdown.team-manager-qa-closure").state == BLOCKED
    assert "Family Planning" not in pathway_text(view)


def test_a_lead_professional_found_by_the_caf_link_worker_unblocks_the_meeting():
    steps = BEFORE_CIN + [
        ("stepdown.lead-professional-agreed", D(2026, 12, 7), "none_found"),
        (LADDER[0], D(2026, 12, 8)),
        (LADDER[1], D(2026, 12, 10), "agreed"),
    ]
    view = run(case(*steps, consents=[CONSENT]), today=D(2026, 12, 11))
    assert view.step(LADDER[0]).state == DONE and view.step(LADDER[1]).state == DONE
    assert view.step(LADDER[2]).state == NOT_APPLICABLE
    assert view.step("stepdown.final-cin-meeting").state == TODO


def test_initial_fpm_within_four_weeks_of_the_final_cin_meeting_not_moved_for_good_friday():
    # Final CIN meeting Fri 26 Feb 2027 + 28 days = Fri 26 Mar 2027 (Good Friday; not moved).
    steps = BEFORE_CIN + [("stepdown.lead-professional-agreed", D(2026, 12, 7), "agreed"), ("stepdown.final-cin-meeting", D(2027, 2, 26))]
    view = run(case(*steps, consents=[CONSENT], lead_professional=LP), today=D(2027, 3, 26))
    fpm = view.step("stepdown.initial-family-planning-meeting")
    assert fpm.state == TODO and fpm.due_on == D(2027, 3, 26) and not fpm.overdue
    assert fpm.owner_label == "Lead Professional" and fpm.owner_name == "School nurse (fictional)"
    late = run(case(*steps, consents=[CONSENT], lead_professional=LP), today=D(2027, 3, 29))
    assert late.step("stepdown.initial-family-planning-meeting").days_overdue == 3


def test_recurring_family_planning_meetings_every_six_to_eight_weeks():
    # Final CIN Mon 11 Jan 2027: initial FPM due by Mon 8 Feb 2027 (11 Jan + 28 days).
    steps = BEFORE_CIN + MEETING
    view = run(case(*steps, consents=[CONSENT], lead_professional=LP), today=D(2027, 2, 9))
    fpm = view.step("stepdown.initial-family-planning-meeting")
    assert fpm.due_on == D(2027, 2, 8) and fpm.overdue and fpm.days_overdue == 1
    # Reassessment at 12 months: the window opens and closes on Tue 11 Jan 2028.
    reassess = view.step("stepdown.reassessment-at-12-months")
    assert (reassess.due_from, reassess.due_on) == (D(2028, 1, 11), D(2028, 1, 11))
    assert not reassess.overdue

    # Initial FPM Thu 4 Feb 2027: next from Thu 18 Mar (4 Feb + 42 days) by Thu 1 Apr 2027 (+ 56).
    steps.append(("stepdown.initial-family-planning-meeting", D(2027, 2, 4)))
    view = run(case(*steps, consents=[CONSENT], lead_professional=LP), today=D(2027, 2, 5))
    review = view.step("stepdown.family-plan-review")
    assert review.state == TODO and (review.due_from, review.due_on) == (D(2027, 3, 18), D(2027, 4, 1))
    assert view.step("stepdown.document-family-planning-meeting").state == TODO
    assert view.next_step.rule_id != "stepdown.family-plan-review"  # its window has not opened

    # Review held Tue 30 Mar 2027: next from Tue 11 May (30 Mar + 42) by Tue 25 May 2027 (+ 56).
    steps += [("stepdown.document-family-planning-meeting", D(2027, 2, 5)), ("stepdown.family-plan-review", D(2027, 3, 30))]
    view = run(case(*steps, consents=[CONSENT], lead_professional=LP), today=D(2027, 5, 26))
    review = view.step("stepdown.family-plan-review")
    assert (review.due_from, review.due_on) == (D(2027, 5, 11), D(2027, 5, 25))
    assert review.state == TODO and review.occurrences == 1 and review.overdue and review.days_overdue == 1
    assert view.step("stepdown.document-family-planning-meeting").state == DONE

    # CAF closed: no more meetings, no reassessment.
    steps.append(("stepdown.caf-closure", D(2027, 5, 27)))
    view = run(case(*steps, consents=[CONSENT], lead_professional=LP), today=D(2027, 5, 28))
    assert view.step("stepdown.caf-closure").state == DONE
    assert view.step("stepdown.family-plan-review").state == NOT_APPLICABLE
    assert view.step("stepdown.reassessment-at-12-months").state == NOT_APPLICABLE


def test_steps_without_a_timescale_say_so():
    steps = BEFORE_CIN + MEETING
    view = run(case(*steps, consents=[CONSENT], lead_professional=LP), today=D(2027, 1, 12))
    for rid in ("stepdown.send-minutes-caf-and-plan", "stepdown.case-closure-summary", "stepdown.referral-to-ehm"):
        assert view.step(rid).timescale is None and view.step(rid).due_on is None, rid
    assert "Send a copy of the CIN minutes" in pathway_text(view)
    assert "the guidance sets no timescale" in pathway_text(view)


CAF_ROUTE = [
    "stepdown.informed-consent", "stepdown.lead-professional-agreed", "stepdown.step-down-caf-assessment",
    "stepdown.smart-family-plan", "stepdown.send-minutes-caf-and-plan", "stepdown.referral-to-ehm",
    "stepdown.initial-family-planning-meeting", "stepdown.family-plan-review", "stepdown.reassessment-at-12-months",
]


def test_a_planned_step_down_to_universal_services_has_no_caf_but_still_sends_the_cin_minutes():
    # "plan to step down to CAF or universal services": planned from the start, not only when no
    # lead professional can be found.
    view = run(case(*BEFORE_CIN), today=D(2026, 12, 7))
    assert view.step("stepdown.planned-step-down-to-universal").state == OPTION
    assert view.step("stepdown.send-cin-minutes").state == NOT_APPLICABLE
    planned = BEFORE_CIN + [("stepdown.planned-step-down-to-universal", D(2026, 12, 4))]
    view = run(case(*planned), today=D(2026, 12, 7))
    assert {view.step(rid).state for rid in CAF_ROUTE} == {NOT_APPLICABLE}
    assert view.step("stepdown.final-cin-meeting").state == TODO  # no consent for a CAF or lead professional needed
    assert view.step("stepdown.send-cin-minutes").blockers == [NO_FINAL_CIN]
    held = planned + [("stepdown.final-cin-meeting", FINAL_CIN)]
    view = run(case(*held), today=D(2027, 1, 12))
    assert view.step("stepdown.send-cin-minutes").state == TODO
    assert view.step("stepdown.case-closure-summary").state == TODO
    assert "Family Planning" not in pathway_text(view)


def test_the_cin_minutes_are_still_sent_when_the_ladder_ends_in_universal_services():
    steps = BEFORE_CIN + [("stepdown.lead-professional-agreed", D(2026, 12, 7), "none_found"),
                          (LADDER[0], D(2026, 12, 8)), (LADDER[1], D(2026, 12, 10), "none_found"),
                          (LADDER[2], D(2026, 12, 14), "none_found")]
    view = run(case(*steps), today=D(2026, 12, 15))
    assert view.step("stepdown.send-cin-minutes").state == BLOCKED
    assert view.step("stepdown.send-minutes-caf-and-plan").state == NOT_APPLICABLE
