"""The Early Help process after allocation, by hand-worked examples.

The case is allocated on Thu 24 Dec 2026 (day 0). Working days count from the
next day and skip weekends and bank holidays in England:

  Fri 25 Dec 2026  Christmas Day                      (not a working day)
  Sat 26 / Sun 27  weekend (Boxing Day is a Saturday)
  Mon 28 Dec 2026  Boxing Day, substitute day          (not a working day)
  Tue 29 Dec = wd 1, Wed 30 Dec = wd 2                 -> telephone contact by Wed 30 Dec 2026
  Thu 31 Dec = wd 3, Fri 1 Jan 2027 New Year's Day (skipped),
  Mon 4 Jan = wd 4, Tue 5 Jan = wd 5                   -> personal contact by Tue 5 Jan 2027
  Wed 6 .. Fri 8 Jan = wd 6..8, Mon 11 .. Fri 15 = 9..13,
  Mon 18 .. Fri 22 = 14..18, Mon 25 = 19, Tue 26 = 20  -> CAF completed by Tue 26 Jan 2027
  Wed 27, Thu 28, Fri 29 Jan = 21..23, Mon 1 Feb = 24,
  Tue 2 Feb = 25                                       -> first TAF by Tue 2 Feb 2027
  6 calendar months from 24 Dec 2026                   -> CAF review by Thu 24 Jun 2027
"""
import datetime as dt

from bot.casefile import CaseFile, ConsentRecord, Person, RecordedStep
from bot.guidance import registry
from bot.pathways import BLOCKED, DONE, NEEDS_INFORMATION, NOT_APPLICABLE, TODO, evaluate

D = dt.date
ALLOCATED = D(2026, 12, 24)  # a Thursday, Christmas Eve

CAF_STEPS = [
    "earlyhelp.start-caf",
    "earlyhelp.caf-completed",
    "earlyhelp.caf-sent-for-qa",
    "earlyhelp.caf-authorised",
    "earlyhelp.caf-review-6-months",
]
TAF_STEPS = [
    "earlyhelp.first-taf",
    "earlyhelp.first-taf-minutes",
    "earlyhelp.taf-review",
]


def case(*steps, source="other", allocated=True, **kw):
    """steps: (rule_id, date) or (rule_id, date, outcome)."""
    defaults = dict(
        reference="EH-2101",
        pathway="early-help-allocation",
        opened_on=ALLOCATED,
        allocated_worker=Person("Wren Worker", username="wren"),
        team_manager=Person("Lin Linemanager", username="lin"),
    )
    defaults.update(kw)
    recorded = [RecordedStep("earlyhelp.allocation", ALLOCATED, outcome=source)] if allocated else []
    recorded += [RecordedStep(rule, day, outcome=rest[0] if rest else None) for rule, day, *rest in steps]
    return CaseFile(steps=recorded, **defaults)


def view_of(*steps, today, **kw):
    return evaluate(case(*steps, **kw), today=today, registry=registry())


CAF_REQUIRED = ("earlyhelp.managers-decision", ALLOCATED, "caf_required")


def test_before_allocation_nothing_has_a_due_date_and_allocation_is_next():
    view = view_of(today=D(2026, 12, 22), allocated=False)
    assert view.next_step.rule_id == "earlyhelp.allocation"
    phone = view.step("earlyhelp.telephone-contact")
    assert phone.state == BLOCKED
    assert phone.due_on is None and phone.clock_starts and "not yet recorded" in phone.clock_starts


def test_allocation_on_christmas_eve_clocks_skip_christmas_boxing_day_and_new_year():
    view = view_of(CAF_REQUIRED, ("earlyhelp.start-caf", D(2026, 12, 24)), today=ALLOCATED)
    assert view.step("earlyhelp.allocation").state == DONE
    assert view.next_step.rule_id == "earlyhelp.allocation-email"
    assert view.step("earlyhelp.telephone-contact").due_on == D(2026, 12, 30)
    assert view.step("earlyhelp.personal-contact").due_on == D(2027, 1, 5)
    assert view.step("earlyhelp.caf-completed").due_on == D(2027, 1, 26)
    assert view.step("earlyhelp.first-taf").due_on == D(2027, 2, 2)
    assert view.step("earlyhelp.caf-review-6-months").due_on == D(2027, 6, 24)
    assert not view.overdue


def test_telephone_contact_overdue_after_two_working_days_escalates_to_whoever_local_policy_names():
    # Wed 30 Dec 2026 is the last day: not overdue, no escalation.
    phone = view_of(today=D(2026, 12, 30)).step("earlyhelp.telephone-contact")
    assert phone.state == TODO and not phone.overdue and not phone.escalation_due
    # "leads to an escalation process" names no one: who it goes to is local policy
    assert phone.escalate_after == D(2026, 12, 30) and phone.escalate_to is None
    # Thu 31 Dec 2026: one day overdue, the escalation is due at once (after 0 working days).
    view = view_of(today=D(2026, 12, 31))
    phone = view.step("earlyhelp.telephone-contact")
    assert phone.overdue and phone.days_overdue == 1 and phone.escalation_due
    assert phone.owner_label == "worker" and phone.owner_name == "Wren Worker"
    escalation = registry().rule("earlyhelp.telephone-contact").escalate
    assert escalation.to is None and "escalation process" in escalation.citation.quote
    # Personal contact (5 working days) is not overdue until Wed 6 Jan 2027.
    assert not view.step("earlyhelp.personal-contact").overdue
    assert not view_of(today=D(2027, 1, 5)).step("earlyhelp.personal-contact").overdue
    personal = view_of(today=D(2027, 1, 6)).step("earlyhelp.personal-contact")
    assert personal.overdue and personal.days_overdue == 1
    assert personal.escalate_after is None  # the document names no escalation for the 5 days


def test_contact_made_in_time_is_done_and_not_overdue():
    view = view_of(("earlyhelp.telephone-contact", D(2026, 12, 29)), today=D(2027, 1, 4))
    phone = view.step("earlyhelp.telephone-contact")
    assert phone.state == DONE and phone.done_on == D(2026, 12, 29) and not phone.overdue


def test_caf_required_not_yet_decided_needs_information():
    # The Manager's Decision is not recorded: whether a CAF is required is
    # unknown, so the CAF steps are neither to do nor not applicable.
    view = view_of(today=D(2026, 12, 29))
    for rule_id in CAF_STEPS:
        step = view.step(rule_id)
        assert step.state == NEEDS_INFORMATION, (rule_id, step.state)
        assert step.missing, rule_id
    # The TAF applies with a CAF or a transferred CAF Support Plan: still unknown.
    assert view.step("earlyhelp.first-taf").state == NEEDS_INFORMATION


def test_caf_not_required_takes_the_caf_and_taf_steps_away():
    view = view_of(("earlyhelp.managers-decision", D(2026, 12, 24), "caf_not_required"), today=D(2026, 12, 29))
    for rule_id in CAF_STEPS + TAF_STEPS + ["earlyhelp.taf-review-minutes"]:
        assert view.step(rule_id).state == NOT_APPLICABLE, rule_id
    assert view.step("earlyhelp.consent-form").state == TODO
    assert view.step("earlyhelp.home-check").state == TODO


def test_caf_required_opens_the_caf_steps_in_order():
    view = view_of(CAF_REQUIRED, today=D(2026, 12, 29))
    assert view.step("earlyhelp.managers-decision").outcome == "caf_required"
    assert view.step("earlyhelp.start-caf").state == TODO
    completed = view.step("earlyhelp.caf-completed")
    assert completed.state == BLOCKED and completed.blockers == ["the CAF process has not been started"]
    assert completed.due_on == D(2027, 1, 26)  # the clock runs from allocation even while blocked
    assert view.step("earlyhelp.caf-sent-for-qa").state == BLOCKED
    assert view.step("earlyhelp.caf-authorised").state == BLOCKED


def test_caf_overdue_the_day_after_the_twentieth_working_day():
    steps = [CAF_REQUIRED, ("earlyhelp.start-caf", D(2027, 1, 4))]
    assert not view_of(*steps, today=D(2027, 1, 26)).step("earlyhelp.caf-completed").overdue
    late = view_of(*steps, today=D(2027, 1, 27)).step("earlyhelp.caf-completed")
    assert late.state == TODO and late.overdue and late.days_overdue == 1


def test_caf_sent_for_qa_then_authorised_by_the_line_manager():
    steps = [CAF_REQUIRED, ("earlyhelp.start-caf", D(2027, 1, 4)), ("earlyhelp.caf-completed", D(2027, 1, 20))]
    view = view_of(*steps, today=D(2027, 1, 21))
    assert view.step("earlyhelp.caf-completed").state == DONE
    assert view.step("earlyhelp.caf-sent-for-qa").state == TODO
    assert view.step("earlyhelp.caf-authorised").state == BLOCKED
    view = view_of(*steps, ("earlyhelp.caf-sent-for-qa", D(2027, 1, 21)), today=D(2027, 1, 22))
    signoff = view.step("earlyhelp.caf-authorised")
    assert signoff.state == TODO and signoff.owner_label == "line manager" and signoff.owner_name == "Lin Linemanager"
    assert signoff.due_on is None and signoff.timescale is None  # no timescale is set for QA


def test_caf_review_at_the_six_month_stage_counts_from_allocation():
    review = view_of(CAF_REQUIRED, today=D(2027, 6, 24)).step("earlyhelp.caf-review-6-months")
    assert review.due_on == D(2027, 6, 24) and not review.overdue
    review = view_of(CAF_REQUIRED, today=D(2027, 6, 25)).step("earlyhelp.caf-review-6-months")
    assert review.overdue and review.days_overdue == 1


def test_transfer_from_a_cin_outcome_meeting_needs_a_caf_support_plan_from_the_manager():
    view = view_of(today=D(2026, 12, 29), source="from_cin_outcome_meeting")
    plan = view.step("earlyhelp.caf-support-plan-on-transfer")
    assert plan.state == TODO and plan.owner_label == "Manager"
    # With a CAF Support Plan the TAF applies even before the CAF decision.
    assert view.step("earlyhelp.first-taf").state == TODO
    assert view.step("earlyhelp.first-taf").due_on == D(2027, 2, 2)
    sgcp = view_of(today=D(2026, 12, 29), source="from_sgcp_step_down")
    assert sgcp.step("earlyhelp.caf-support-plan-on-transfer").state == TODO
    other = view_of(today=D(2026, 12, 29), source="other")
    assert other.step("earlyhelp.caf-support-plan-on-transfer").state == NOT_APPLICABLE


def test_first_taf_overdue_after_twenty_five_working_days():
    assert not view_of(CAF_REQUIRED, today=D(2027, 2, 2)).step("earlyhelp.first-taf").overdue
    taf = view_of(CAF_REQUIRED, today=D(2027, 2, 3)).step("earlyhelp.first-taf")
    assert taf.overdue and taf.days_overdue == 1


def test_taf_minutes_are_due_fifteen_working_days_after_every_taf():
    # First TAF Tue 2 Feb 2027. 15 working days: Wed 3 .. Fri 5 Feb (1-3),
    # Mon 8 .. Fri 12 (4-8), Mon 15 .. Fri 19 (9-13), Mon 22 (14), Tue 23 Feb (15).
    steps = [CAF_REQUIRED, ("earlyhelp.first-taf", D(2027, 2, 2))]
    view = view_of(*steps, today=D(2027, 2, 3))
    minutes = view.step("earlyhelp.first-taf-minutes")
    assert minutes.state == TODO and minutes.due_on == D(2027, 2, 23)
    assert view.step("earlyhelp.taf-review-minutes").state == NOT_APPLICABLE  # no review yet
    # The first review: from 6 weeks (Tue 16 Mar 2027), at most 8 (Tue 30 Mar 2027).
    review = view.step("earlyhelp.taf-review")
    assert (review.due_from, review.due_on) == (D(2027, 3, 16), D(2027, 3, 30))
    assert view_of(*steps, today=D(2027, 2, 24)).step("earlyhelp.first-taf-minutes").overdue

    # Minutes shared Wed 10 Feb; first review held Thu 25 Mar 2027, before Easter.
    # 15 working days skip Good Friday 26 Mar and Easter Monday 29 Mar 2027:
    # Tue 30, Wed 31 Mar, Thu 1, Fri 2 Apr (1-4), Mon 5 .. Fri 9 (5-9),
    # Mon 12 .. Fri 16 (10-14), Mon 19 Apr 2027 (15).
    steps += [("earlyhelp.first-taf-minutes", D(2027, 2, 10)), ("earlyhelp.taf-review", D(2027, 3, 25))]
    view = view_of(*steps, today=D(2027, 3, 26))
    assert view.step("earlyhelp.first-taf-minutes").state == DONE
    review_minutes = view.step("earlyhelp.taf-review-minutes")
    assert review_minutes.state == TODO and review_minutes.due_on == D(2027, 4, 19)
    # The next review: Thu 25 Mar + 6 weeks = Thu 6 May, + 8 weeks = Thu 20 May 2027.
    review = view.step("earlyhelp.taf-review")
    assert review.state == TODO and review.occurrences == 1
    assert (review.due_from, review.due_on) == (D(2027, 5, 6), D(2027, 5, 20))

    # Minutes shared Mon 12 Apr; a second review Thu 13 May 2027 makes minutes due again.
    # 15 working days skip the spring bank holiday, Mon 31 May 2027: Fri 14 May (1),
    # Mon 17 .. Fri 21 (2-6), Mon 24 .. Fri 28 (7-11), Tue 1 .. Fri 4 Jun 2027 (12-15).
    steps += [("earlyhelp.taf-review-minutes", D(2027, 4, 12))]
    assert view_of(*steps, today=D(2027, 4, 13)).step("earlyhelp.taf-review-minutes").state == DONE
    steps += [("earlyhelp.taf-review", D(2027, 5, 13))]
    view = view_of(*steps, today=D(2027, 6, 7))
    review_minutes = view.step("earlyhelp.taf-review-minutes")
    assert review_minutes.state == TODO and review_minutes.due_on == D(2027, 6, 4)
    assert review_minutes.overdue and review_minutes.days_overdue == 3
    assert view.step("earlyhelp.first-taf-minutes").state == DONE


def test_taf_review_overdue_after_eight_weeks():
    steps = [CAF_REQUIRED, ("earlyhelp.first-taf", D(2027, 2, 2))]
    assert not view_of(*steps, today=D(2027, 3, 30)).step("earlyhelp.taf-review").overdue
    late = view_of(*steps, today=D(2027, 3, 31)).step("earlyhelp.taf-review")
    assert late.overdue and late.days_overdue == 1


def test_reassessment_only_when_the_line_manager_directs_it():
    view = view_of(CAF_REQUIRED, today=D(2027, 3, 1))
    assert view.step("earlyhelp.reassessment-directed").state == NOT_APPLICABLE
    assert view.step("earlyhelp.reassessment").state == NOT_APPLICABLE
    steps = [CAF_REQUIRED, ("earlyhelp.reassessment-directed", D(2027, 3, 1))]
    view = view_of(*steps, today=D(2027, 3, 2))
    reassess = view.step("earlyhelp.reassessment")
    assert reassess.state == TODO and reassess.due_on is None and reassess.timescale is None
    steps += [("earlyhelp.reassessment", D(2027, 3, 15))]
    assert view_of(*steps, today=D(2027, 3, 16)).step("earlyhelp.reassessment").state == DONE
    # A second direction reopens it.
    steps += [("earlyhelp.reassessment-directed", D(2027, 4, 1))]
    assert view_of(*steps, today=D(2027, 4, 2)).step("earlyhelp.reassessment").state == TODO


def test_consent_form_given_or_declined():
    given = ConsentRecord("engage", "given", D(2026, 12, 30), given_by="mother", obtained_by="wren")
    step = view_of(today=D(2026, 12, 31), consents=[given]).step("earlyhelp.consent-form")
    assert step.state == DONE and step.done_on == D(2026, 12, 30) and step.done_by == "wren"
    declined = ConsentRecord("engage", "declined", D(2026, 12, 30))
    step = view_of(today=D(2026, 12, 31), consents=[declined]).step("earlyhelp.consent-form")
    assert step.state == BLOCKED and step.blockers == ["consent declined (2026-12-30)"]


def test_practitioner_level_timescales_are_knowledge_stated_and_cited():
    reg = registry()
    recording = reg.rule("earlyhelp.knowledge-case-recording")
    assert recording.kind == "knowledge"
    assert "2 working days" in recording.answer and "2 working days" in recording.citation.quote
    supervision = reg.rule("earlyhelp.knowledge-supervision")
    assert "monthly" in supervision.answer and "monthly" in supervision.citation.quote
    for words in ("10 working days", "20 working days"):
        assert words in supervision.answer and words in supervision.citation.quote
    assert {"earlyhelp.knowledge-child-seen", "earlyhelp.knowledge-voice-of-the-child",
            "earlyhelp.knowledge-lone-working"} <= {r.id for r in reg.knowledge()}
    # Knowledge is never a pathway step.
    assert not any(reg.rule(s).kind == "knowledge" for s in reg.pathway("early-help-allocation").steps)


def test_the_six_month_review_is_not_owed_before_the_six_month_stage():
    """Issue 14 W4: "reviewed at the 6-month stage" falls due at 6 months, not from day one."""
    view = view_of(CAF_REQUIRED, today=D(2027, 1, 4))
    review = view.step("earlyhelp.caf-review-6-months")
    assert review.due_from == review.due_on == D(2027, 6, 24)
    assert view.next_step is None or view.next_step.rule_id != "earlyhelp.caf-review-6-months"


def test_supervision_is_part_of_the_intervention_monthly_with_its_record_in_10_and_20_working_days():
    # Allocated Thu 24 Dec 2026: the first supervision by Sun 24 Jan 2027 (a calendar month).
    view = view_of(today=D(2027, 1, 4))
    supervision = view.step("earlyhelp.supervision")
    assert supervision.state == TODO and supervision.due_on == D(2027, 1, 24) and supervision.owner_label == "line manager"
    assert view.step("earlyhelp.supervision-record-returned").state == NOT_APPLICABLE
    # Held Mon 18 Jan 2027: the record back to the worker by Mon 1 Feb (10 working days),
    # on CareFirst and authorised by Mon 15 Feb (20); the next supervision by Thu 18 Feb.
    held = [("earlyhelp.supervision", D(2027, 1, 18))]
    view = view_of(*held, today=D(2027, 1, 19))
    assert view.step("earlyhelp.supervision-record-returned").due_on == D(2027, 2, 1)
    assert view.step("earlyhelp.supervision-record-authorised").due_on == D(2027, 2, 15)
    assert view.step("earlyhelp.supervision").due_on == D(2027, 2, 18)
    later = view_of(*held, ("earlyhelp.supervision-record-returned", D(2027, 1, 29)), today=D(2027, 2, 2))
    assert later.step("earlyhelp.supervision-record-returned").state == DONE
    assert not later.step("earlyhelp.supervision-record-authorised").overdue
