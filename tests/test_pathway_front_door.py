"""Leeds Front Door and the early help interface, by hand-worked examples.

The document (Leeds Safeguarding Children Board, 02.02.15) sets no timescales,
so no step here has a due date and nothing is ever overdue. A contact: consent
is sought (or advice sought first), the contact is made on Mon 16 Nov 2026, the
Front Door Officers clarify needs and record their recommendation on Tue 17 Nov.
A transfer: a CP or CIN plan ends with a Child in Need review or Review Child
Protection Conference on Wed 18 Nov 2026.
"""
import datetime as dt

import pytest

from bot.casefile import CaseFile, ConsentRecord, Person, RecordedStep
from bot.guidance import registry
from bot.pathways import BLOCKED, DONE, NEEDS_INFORMATION, NOT_APPLICABLE, OPTION, TODO, evaluate

D = dt.date
TODAY = D(2026, 11, 23)
CONTACT_DAY = D(2026, 11, 16)
DECISION_DAY = D(2026, 11, 17)
MEETING_DAY = D(2026, 11, 18)
PACK = "front-door-and-early-help-interface"

FDO = Person("Frankie Frontdoor", username="frankie")
CALLER = Person("Robin Caller (school, fictional)", username="robin")
LP = Person("Health visitor (fictional)", role="health visitor")

ACCEPTED_STEPS = [
    "frontdoor.forward-to-area-team",
    "frontdoor.area-team-decision",
    "frontdoor.early-help-information-check",
    "frontdoor.lead-professional-approves-access",
    "frontdoor.front-door-provides-access",
    "frontdoor.supply-off-system-information",
    "frontdoor.close-early-intervention-module",
    "frontdoor.agree-who-informs-team-around-child",
    "frontdoor.pull-early-help-assessment",
    "frontdoor.child-and-family-assessment",
    "frontdoor.assessment-outcome",
    "frontdoor.assessment-early-help-discussion",
    "frontdoor.assessment-identify-lead-practitioner",
    "frontdoor.assessment-child-in-need",
    "frontdoor.assessment-section-47",
]
NOT_ACCEPTED_STEPS = [
    "frontdoor.advice-to-practitioner",
    "frontdoor.ask-guidance-and-support",
    "frontdoor.contact-summary-on-frameworki",
    "frontdoor.practitioner-own-summary",
    "frontdoor.monitor-outcome",
]
EHA_STEPS = [
    "frontdoor.advise-consent-for-early-help-assessment",
    "frontdoor.early-help-assessment-consent",
    "frontdoor.identify-who-undertakes-assessment",
    "frontdoor.assign-early-help-assessment",
]
CLOSURE_STEPS = [
    "frontdoor.transfer-close-and-assign",
    "frontdoor.transfer-closing-summary",
    "frontdoor.transfer-decision-letter",
]
NO_MEETING = "the meeting has not been held yet"


def engage(status, day=D(2026, 11, 13)):
    return ConsentRecord("engage", status, day, given_by="mother", obtained_by="robin")


def case(*steps, consents=(), pathway="front-door-contact", **kw):
    """steps: (rule_id, date) or (rule_id, date, outcome)."""
    defaults = dict(reference="FD-2001", pathway=pathway, opened_on=CONTACT_DAY, allocated_worker=FDO, referrer=CALLER)
    defaults.update(kw)
    recorded = [RecordedStep(rule, day, outcome=rest[0] if rest else None) for rule, day, *rest in steps]
    return CaseFile(steps=recorded, consents=list(consents), **defaults)


def view_of(*steps, today=TODAY, **kw):
    return evaluate(case(*steps, **kw), today=today, registry=registry())


def states(view, rule_ids):
    return {rid: view.step(rid).state for rid in rule_ids}


CONTACTED = [("frontdoor.contact-made", CONTACT_DAY), ("frontdoor.clarify-needs", CONTACT_DAY)]


def recommended(outcome):
    return CONTACTED + [("frontdoor.recommendation", DECISION_DAY, outcome)]


# -- the pack as data ---------------------------------------------------------


def test_the_document_sets_no_timescale_so_no_step_has_one():
    pack = registry().packs[PACK]
    assert all(r.due is None and r.repeat is None and r.timescale() is None for r in pack.rules.values())
    view = view_of(*recommended("advice_given"), consents=[engage("given")], today=D(2027, 11, 23))
    assert not view.overdue
    assert all(s.due_on is None for s in view.steps)
    timescales = [r for r in registry().knowledge() if r.pack == PACK and "timescales" in r.topics]
    assert timescales and all("sets no timescale" in r.reading for r in timescales)


def test_roles_and_terms_keep_the_documents_words():
    pack = registry().packs[PACK]
    assert pack.roles["team_manager"] == "CSWS Team Manager"
    assert pack.roles["referrer"] == "practitioner who has made the Contact"
    assert pack.terms["lead_professional"] == "Lead Professional"
    assert pack.terms["lead_practitioner"] == "Lead Practitioner"
    used = {o.role for r in pack.rules.values() for o in r.owners}
    assert used <= set(pack.roles)
    assert all(r.id.startswith("frontdoor.") for r in pack.rules.values())


def test_every_knowledge_rule_has_an_answer_and_topics_and_each_topic_is_covered():
    knowledge = [r for r in registry().knowledge() if r.pack == PACK]
    assert len(knowledge) >= 20
    for rule in knowledge:
        assert rule.answer and rule.topics, rule.id
    covered = {t for r in knowledge for t in r.topics}
    wanted = {
        "consent", "advice-only", "declined-consent", "anonymous-advice", "inform-family-exceptions",
        "section-47", "referral-accepted", "contact-not-accepted", "early-help-assessment",
        "lead-practitioner", "transfer-to-early-help", "closing-summary", "timescales",
    }
    assert wanted <= covered, wanted - covered


def test_the_three_exceptions_are_quoted_exactly_including_the_truncation():
    rule = registry().rule("frontdoor.knowledge-inform-family-exceptions")
    quotes = [c.quote for c in rule.citations]
    assert "prejudice the prevention, detection or prosecution of a serious; or" in quotes
    for words in (
        "at increased risk of significant harm if a child, or serious harm if an adult",
        "prejudice the prevention, detection or prosecution of a serious;",
        "lead to an unjustified delay in making enquiries about allegations of significant harm to a child",
    ):
        assert words in rule.answer
    assert "serious crime" not in rule.answer  # the document's own truncation is not completed
    assert "not completed" in rule.reading


# -- a contact to the Front Door ---------------------------------------------


def test_a_fresh_contact_starts_with_consent_and_asks_whether_advice_was_sought_first():
    view = view_of()
    assert view.next_step.rule_id == "frontdoor.consent-before-contact"
    consent = view.step("frontdoor.consent-before-contact")
    assert consent.state == TODO
    assert consent.owner_label == "practitioner who has made the Contact"
    assert consent.owner_name == CALLER.display_name
    for rid in ("frontdoor.advice-only-recorded", "frontdoor.declined-consent-record-deleted"):
        assert view.step(rid).state == NEEDS_INFORMATION
    assert view.step("frontdoor.advice-only-recorded").missing == [
        "whether the practitioner sought advice before consent is not recorded"
    ]
    assert view.step("frontdoor.contact-made").state == TODO
    assert view.step("frontdoor.clarify-needs").blockers == ["the contact has not been made yet"]
    # The recommendation is a fork not yet taken: every outcome's steps wait on it.
    for rid in ACCEPTED_STEPS + NOT_ACCEPTED_STEPS + EHA_STEPS:
        assert view.step(rid).state == NEEDS_INFORMATION, rid
    assert view.step("frontdoor.forward-to-area-team").missing == ["the Front Door recommendation is not recorded yet"]


def test_with_consent_the_advice_only_and_declined_steps_fall_away():
    view = view_of(consents=[engage("given")])
    assert view.step("frontdoor.consent-before-contact").state == DONE
    assert view.step("frontdoor.consent-before-contact").done_on == D(2026, 11, 13)
    for rid in (
        "frontdoor.advice-only-recorded",
        "frontdoor.advice-only-report-back",
        "frontdoor.declined-consent-record-deleted",
        "frontdoor.anonymous-advice",
        "frontdoor.no-early-help-before-contact",
        "frontdoor.section-47-concern",
        "frontdoor.section-47-inform-family-first",
    ):
        assert view.step(rid).state == NOT_APPLICABLE, rid
    assert view.next_step.rule_id == "frontdoor.contact-made"


def test_advice_only_contact_duty_and_advice_record_the_advice_then_the_practitioner_reports_back():
    view = view_of(("frontdoor.contact-made", CONTACT_DAY), consents=[engage("advice_only", CONTACT_DAY)])
    consent = view.step("frontdoor.consent-before-contact")
    assert consent.state == TODO and not consent.blockers  # advice first is allowed; consent still to seek
    record = view.step("frontdoor.advice-only-recorded")
    assert record.state == TODO and record.owner_label == "Duty and Advice Team"
    report = view.step("frontdoor.advice-only-report-back")
    assert report.state == BLOCKED
    assert report.blockers == ["Duty and Advice have not yet recorded the advice given"]
    assert view.step("frontdoor.clarify-needs").state == TODO

    # Duty and Advice record the advice; the practitioner informs the family, who consent.
    later = view_of(
        ("frontdoor.contact-made", CONTACT_DAY),
        ("frontdoor.advice-only-recorded", CONTACT_DAY),
        ("frontdoor.advice-only-report-back", D(2026, 11, 19)),
        consents=[engage("advice_only", CONTACT_DAY), engage("given", D(2026, 11, 19))],
    )
    assert states(later, ["frontdoor.consent-before-contact", "frontdoor.advice-only-recorded", "frontdoor.advice-only-report-back"]) == {
        "frontdoor.consent-before-contact": DONE,
        "frontdoor.advice-only-recorded": DONE,  # still shown once done, though consent is now given
        "frontdoor.advice-only-report-back": DONE,
    }
    assert later.step("frontdoor.declined-consent-record-deleted").state == NOT_APPLICABLE


def test_advice_only_then_advice_given_front_door_discusses_consent_with_the_practitioner():
    view = view_of(*recommended("advice_given"), consents=[engage("advice_only", CONTACT_DAY)])
    assert view.step("frontdoor.discuss-consent-and-support").state == TODO
    given = view_of(*recommended("advice_given"), consents=[engage("given")])
    assert given.step("frontdoor.discuss-consent-and-support").state == NOT_APPLICABLE


def test_declined_consent_the_record_is_deleted_and_the_contact_ends():
    view = view_of(*CONTACTED, consents=[engage("declined", D(2026, 11, 16))])
    consent = view.step("frontdoor.consent-before-contact")
    assert consent.state == BLOCKED and consent.blockers == ["consent declined (2026-11-16)"]
    deletion = view.step("frontdoor.declined-consent-record-deleted")
    assert deletion.state == TODO and deletion.owner_label == "Duty and Advice Team"
    assert view.next_step.rule_id == "frontdoor.declined-consent-record-deleted"

    deleted = view_of(
        *CONTACTED, ("frontdoor.declined-consent-record-deleted", D(2026, 11, 17), "deleted"),
        consents=[engage("declined", D(2026, 11, 16))],
    )
    assert deleted.step("frontdoor.declined-consent-record-deleted").state == DONE
    for rid in ["frontdoor.clarify-needs", "frontdoor.recommendation"] + ACCEPTED_STEPS + NOT_ACCEPTED_STEPS + EHA_STEPS:
        assert deleted.step(rid).state == NOT_APPLICABLE, rid
    assert deleted.next_step is None


def test_declined_consent_but_recorded_under_legislation_the_contact_continues():
    view = view_of(
        ("frontdoor.contact-made", CONTACT_DAY),
        ("frontdoor.declined-consent-record-deleted", D(2026, 11, 17), "recorded_under_legislation"),
        consents=[engage("declined", D(2026, 11, 16))],
    )
    assert view.step("frontdoor.clarify-needs").state == TODO
    assert view.step("frontdoor.recommendation").state == BLOCKED


def test_section_47_family_informed_first_unless_an_exception_applies():
    view = view_of(("frontdoor.contact-made", CONTACT_DAY), consents=[engage("given")])
    assert view.step("frontdoor.section-47-inform-family-first").state == NOT_APPLICABLE
    s47 = view_of(
        ("frontdoor.contact-made", CONTACT_DAY), ("frontdoor.section-47-concern", CONTACT_DAY), consents=[engage("given")]
    )
    assert s47.step("frontdoor.section-47-concern").state == DONE
    inform = s47.step("frontdoor.section-47-inform-family-first")
    assert inform.state == TODO and inform.owner_label == "Front Door Social Worker"
    rule = registry().rule("frontdoor.section-47-inform-family-first")
    assert rule.outcomes == (
        "family_informed", "exception_increased_risk", "exception_prejudice_prosecution", "exception_unjustified_delay",
    )
    assert any("a serious; or" in c.quote for c in rule.citations)


@pytest.mark.parametrize("outcome", ["family_informed", "exception_unjustified_delay"])
def test_after_a_section_47_concern_no_other_practitioner_is_involved_before_the_family_is_informed(outcome):
    # "the family should be informed before concerns are discussed with other practitioners
    # unless, doing so would: ..." (3.1 Consent): clarifying needs with the agencies involved waits.
    made = [("frontdoor.contact-made", CONTACT_DAY), ("frontdoor.section-47-concern", CONTACT_DAY)]
    waiting = view_of(*made, consents=[engage("given")]).step("frontdoor.clarify-needs")
    assert waiting.state == BLOCKED
    assert waiting.blockers == ["a Section 47 concern is recorded: the family are informed first (or an exception "
                                "is recorded) before concerns are discussed with other practitioners"]
    informed = made + [("frontdoor.section-47-inform-family-first", CONTACT_DAY, outcome)]
    assert view_of(*informed, consents=[engage("given")]).step("frontdoor.clarify-needs").state == TODO
    no_concern = view_of(("frontdoor.contact-made", CONTACT_DAY), consents=[engage("given")])
    assert no_concern.step("frontdoor.clarify-needs").state == TODO


@pytest.mark.parametrize(
    "outcome, accepted, not_accepted, eha",
    [
        ("referral_accepted", TODO, NOT_APPLICABLE, NOT_APPLICABLE),
        ("advice_given", NOT_APPLICABLE, TODO, NOT_APPLICABLE),
        ("early_help_assessment", NOT_APPLICABLE, TODO, TODO),
    ],
)
def test_each_recommendation_makes_its_own_steps_applicable(outcome, accepted, not_accepted, eha):
    view = view_of(*recommended(outcome), consents=[engage("given")])
    assert view.step("frontdoor.recommendation").state == DONE
    assert view.step("frontdoor.recommendation").outcome == outcome
    assert view.step("frontdoor.forward-to-area-team").state == accepted
    assert view.step("frontdoor.early-help-information-check").state == accepted
    for rid in NOT_ACCEPTED_STEPS:
        assert view.step(rid).state == not_accepted, rid
    assert view.step("frontdoor.advise-consent-for-early-help-assessment").state == eha
    if outcome != "referral_accepted":
        assert all(view.step(rid).state == NOT_APPLICABLE for rid in ACCEPTED_STEPS)


def test_referral_accepted_forwarded_then_the_early_help_information_decides_the_frameworki_steps():
    base = recommended("referral_accepted") + [("frontdoor.forward-to-area-team", DECISION_DAY)]
    view = view_of(*base, consents=[engage("given")])
    assert view.next_step.rule_id == "frontdoor.area-team-decision"
    assert view.step("frontdoor.area-team-decision").owner_label.startswith("relevant area social work team")
    on_system = view_of(
        *base, ("frontdoor.early-help-information-check", DECISION_DAY, "on_frameworki_caller_not_lead_professional"),
        consents=[engage("given")],
    )
    assert states(on_system, [
        "frontdoor.lead-professional-approves-access",
        "frontdoor.front-door-provides-access",
        "frontdoor.supply-off-system-information",
        "frontdoor.close-early-intervention-module",
        "frontdoor.agree-who-informs-team-around-child",
        "frontdoor.pull-early-help-assessment",
    ]) == {
        "frontdoor.lead-professional-approves-access": NOT_APPLICABLE,
        "frontdoor.front-door-provides-access": TODO,
        "frontdoor.supply-off-system-information": NOT_APPLICABLE,
        "frontdoor.close-early-intervention-module": TODO,
        "frontdoor.agree-who-informs-team-around-child": TODO,
        "frontdoor.pull-early-help-assessment": TODO,
    }
    off_system = view_of(
        *base, ("frontdoor.early-help-information-check", DECISION_DAY, "off_system_only"), consents=[engage("given")]
    )
    assert off_system.step("frontdoor.supply-off-system-information").state == TODO
    assert off_system.step("frontdoor.close-early-intervention-module").state == NOT_APPLICABLE
    assert off_system.step("frontdoor.front-door-provides-access").state == NOT_APPLICABLE


ASSESSED = recommended("referral_accepted") + [
    ("frontdoor.forward-to-area-team", DECISION_DAY),
    ("frontdoor.area-team-decision", D(2026, 11, 18), "child_and_family_assessment"),
]


def test_child_and_family_assessment_follows_the_area_teams_decision():
    view = view_of(*ASSESSED, consents=[engage("given")])
    assert view.step("frontdoor.child-and-family-assessment").state == TODO
    assert view.step("frontdoor.assessment-outcome").blockers == [
        "the Child and Family Assessment is not recorded as concluded"
    ]
    none = view_of(
        *recommended("referral_accepted"),
        ("frontdoor.area-team-decision", D(2026, 11, 18), "no_child_and_family_assessment"),
        consents=[engage("given")],
    )
    assert none.step("frontdoor.child-and-family-assessment").state == NOT_APPLICABLE
    assert none.step("frontdoor.assessment-outcome").state == NOT_APPLICABLE


@pytest.mark.parametrize(
    "outcome, expected",
    [
        ("universal_or_targeted", {"discussion": TODO, "lead": OPTION, "cin": NOT_APPLICABLE, "s47": NOT_APPLICABLE}),
        ("child_in_need", {"discussion": NOT_APPLICABLE, "lead": NOT_APPLICABLE, "cin": TODO, "s47": NOT_APPLICABLE}),
        ("section_47", {"discussion": NOT_APPLICABLE, "lead": NOT_APPLICABLE, "cin": NOT_APPLICABLE, "s47": TODO}),
    ],
)
def test_outcomes_of_the_child_and_family_assessment(outcome, expected):
    steps = ASSESSED + [
        ("frontdoor.child-and-family-assessment", D(2026, 11, 20)),
        ("frontdoor.assessment-outcome", D(2026, 11, 20), outcome),
    ]
    view = view_of(*steps, consents=[engage("given")])
    assert {
        "discussion": view.step("frontdoor.assessment-early-help-discussion").state,
        "lead": view.step("frontdoor.assessment-identify-lead-practitioner").state,
        "cin": view.step("frontdoor.assessment-child-in-need").state,
        "s47": view.step("frontdoor.assessment-section-47").state,
    } == expected


def test_universal_or_targeted_with_a_lead_practitioner_named_needs_no_search_for_one():
    steps = ASSESSED + [
        ("frontdoor.child-and-family-assessment", D(2026, 11, 20)),
        ("frontdoor.assessment-outcome", D(2026, 11, 20), "universal_or_targeted"),
    ]
    view = view_of(*steps, consents=[engage("given")], lead_professional=LP)
    assert view.step("frontdoor.assessment-identify-lead-practitioner").state == DONE
    assert view.step("frontdoor.assessment-identify-lead-practitioner").owner_label == "Front Door Officer"


def test_advice_given_summary_and_the_practitioners_own_record():
    view = view_of(*recommended("advice_given"), consents=[engage("given")])
    assert view.next_step.rule_id == "frontdoor.advice-to-practitioner"
    own = view.step("frontdoor.practitioner-own-summary")
    assert own.state == TODO and own.owner_name == CALLER.display_name
    summary = view.step("frontdoor.contact-summary-on-frameworki")
    assert summary.state == TODO and summary.owner_label == "Front Door Officer"
    assert "lead practitioner has been nominated" in summary.citation.quote
    assert all(view.step(rid).state == NOT_APPLICABLE for rid in EHA_STEPS)


def test_early_help_assessment_recommended_consent_then_who_undertakes_it_then_assignment():
    base = recommended("early_help_assessment")
    view = view_of(*base, consents=[engage("given")])
    assert view.step("frontdoor.advise-consent-for-early-help-assessment").state == TODO
    assert view.step("frontdoor.early-help-assessment-consent").blockers == [
        "the Front Door Officer has not yet advised the practitioner"
    ]
    advised = base + [("frontdoor.advise-consent-for-early-help-assessment", DECISION_DAY)]
    declined = view_of(*advised, ("frontdoor.early-help-assessment-consent", D(2026, 11, 19), "consent_declined"),
                       consents=[engage("given")])
    who = declined.step("frontdoor.identify-who-undertakes-assessment")
    assert who.state == BLOCKED
    assert any("consent to the early help assessment is not recorded" in b for b in who.blockers)
    agreed = advised + [("frontdoor.early-help-assessment-consent", D(2026, 11, 19), "consent_given")]
    view = view_of(*agreed, consents=[engage("given")])
    assert view.step("frontdoor.identify-who-undertakes-assessment").state == TODO
    assert view.step("frontdoor.identify-who-undertakes-assessment").owner_label == "agencies involved with the family"
    assert view.step("frontdoor.assign-early-help-assessment").blockers == [
        "no agreement yet on who will undertake the assessment"
    ]
    named = view_of(*agreed, consents=[engage("given")], lead_professional=LP)
    assert named.step("frontdoor.identify-who-undertakes-assessment").state == DONE
    assert named.step("frontdoor.assign-early-help-assessment").state == TODO


# -- transfer from CSWS to early help ---------------------------------------


def transfer(*steps, **kw):
    kw.setdefault("allocated_worker", Person("Sam Social", username="sam"))
    kw.setdefault("team_manager", Person("Tess Manager", username="tess"))
    kw.setdefault("referrer", None)
    return view_of(*steps, pathway="front-door-transfer-to-early-help", **kw)


def test_transfer_starts_with_where_the_case_is_closing_from():
    view = transfer()
    assert view.next_step.rule_id == "frontdoor.transfer-from"
    decision = view.step("frontdoor.transfer-decision")
    assert decision.state == BLOCKED
    assert "where the case is closing from (CP plan, CIN plan) is not recorded" in decision.blockers
    assert decision.owner_label == "CSWS Team Manager" and decision.owner_name == "Tess Manager"
    assert view.step("frontdoor.transfer-kinship-needs").state == TODO
    # Where the case closes from is not assumed: who holds the meeting is open, the 4.3 exception unknown.
    assert view.step("frontdoor.transfer-meeting").owner_label == "Child Protection Chair or Social Worker"
    assert view.step("frontdoor.transfer-closure-from-assessment").state == NEEDS_INFORMATION
    # The Team Manager's decision is a fork: the steps of each route need its outcome.
    for rid in ["frontdoor.transfer-identify-lead-professional", "frontdoor.transfer-tell-universal-services",
                "frontdoor.transfer-early-help-registration"] + CLOSURE_STEPS:
        assert view.step(rid).state == NEEDS_INFORMATION, rid
    assert set(view.step("frontdoor.transfer-tell-universal-services").missing) == {
        "the CSWS Team Manager's decision is not recorded yet"
    }


def test_transfer_child_protection_plan_to_child_in_need_plan():
    steps = [
        ("frontdoor.transfer-from", D(2026, 11, 9), "child_protection_plan"),
        ("frontdoor.transfer-kinship-needs", D(2026, 11, 9), "not_in_kinship_arrangement"),
        ("frontdoor.transfer-decision", D(2026, 11, 12), "child_in_need_plan"),
    ]
    view = transfer(*steps)
    meeting = view.step("frontdoor.transfer-meeting")
    assert meeting.state == TODO
    assert meeting.owner_label == "Child Protection Chair"  # from a CP plan: the Review Child Protection Conference
    assert view.next_step.rule_id == "frontdoor.transfer-meeting"
    assert view.step("frontdoor.transfer-identify-lead-professional").state == NOT_APPLICABLE
    held = transfer(*steps, ("frontdoor.transfer-meeting", MEETING_DAY, "agreed"))
    # CSWS stay involved under a CIN plan: nothing is closed or handed on.
    for rid in CLOSURE_STEPS + [
        "frontdoor.transfer-early-help-registration",
        "frontdoor.transfer-tell-universal-services",
        "frontdoor.transfer-front-door-records-next-steps",
        "frontdoor.transfer-closure-from-assessment",
    ]:
        assert held.step(rid).state == NOT_APPLICABLE, rid
    assert held.next_step is None


def test_transfer_child_in_need_plan_to_universal_services_with_no_early_help_plan():
    steps = [
        ("frontdoor.transfer-from", D(2026, 11, 9), "child_in_need_plan"),
        ("frontdoor.transfer-kinship-needs", D(2026, 11, 9), "not_in_kinship_arrangement"),
        ("frontdoor.transfer-decision", D(2026, 11, 12), "universal_no_early_help_plan"),
    ]
    view = transfer(*steps)
    assert view.step("frontdoor.transfer-identify-lead-professional").state == NOT_APPLICABLE
    meeting = view.step("frontdoor.transfer-meeting")
    assert meeting.state == TODO and meeting.owner_label == "Social Worker"  # a Child in Need review meeting
    for rid in CLOSURE_STEPS + ["frontdoor.transfer-tell-universal-services"]:
        assert view.step(rid).state == BLOCKED and view.step(rid).blockers == [NO_MEETING], rid
    assert view.step("frontdoor.transfer-early-help-registration").state == NOT_APPLICABLE

    met = steps + [("frontdoor.transfer-meeting", MEETING_DAY, "agreed")]
    view = transfer(*met)
    for rid in CLOSURE_STEPS + ["frontdoor.transfer-tell-universal-services"]:
        assert view.step(rid).state == TODO, rid
    assert view.next_step.rule_id == "frontdoor.transfer-close-and-assign"
    assert view.step("frontdoor.transfer-front-door-records-next-steps").state == NOT_APPLICABLE

    # No Lead Professional to assign to: the Front Door Officers are assigned the outcome.
    closed = met + [
        ("frontdoor.transfer-close-and-assign", D(2026, 11, 19), "assigned_to_front_door_officers"),
        ("frontdoor.transfer-closing-summary", D(2026, 11, 19)),
        ("frontdoor.transfer-decision-letter", D(2026, 11, 20)),
        ("frontdoor.transfer-tell-universal-services", D(2026, 11, 20)),
    ]
    view = transfer(*closed)
    records = view.step("frontdoor.transfer-front-door-records-next-steps")
    assert records.state == TODO and records.owner_label == "Front Door Officer"
    assert view.next_step.rule_id == "frontdoor.transfer-front-door-records-next-steps"
    done = transfer(*closed, ("frontdoor.transfer-front-door-records-next-steps", D(2026, 11, 23)))
    assert done.next_step is None
    assert not [s.rule_id for s in done.steps if s.open]


def test_transfer_to_early_help_needs_a_lead_professional_before_the_meeting():
    steps = [
        ("frontdoor.transfer-from", D(2026, 11, 9), "child_protection_plan"),
        ("frontdoor.transfer-decision", D(2026, 11, 12), "early_help"),
    ]
    view = transfer(*steps)
    assert view.step("frontdoor.transfer-identify-lead-professional").state == TODO
    assert view.step("frontdoor.transfer-meeting").blockers == [
        "no Lead Professional identified yet (to be identified before the meeting)"
    ]
    assert view.step("frontdoor.transfer-tell-universal-services").state == NOT_APPLICABLE

    # None found: seek advice from the Front Door Officers or the TSL, then the meeting can go ahead.
    none = steps + [("frontdoor.transfer-identify-lead-professional", D(2026, 11, 13), "not_identified")]
    view = transfer(*none)
    assert view.step("frontdoor.transfer-lead-agency-advice").state == TODO
    assert view.step("frontdoor.transfer-meeting").state == BLOCKED
    view = transfer(*none, ("frontdoor.transfer-lead-agency-advice", D(2026, 11, 16)))
    assert view.step("frontdoor.transfer-meeting").state == TODO

    # A Lead Professional named on the case: identified, meeting, then closure and the registration episode.
    view = transfer(*steps, lead_professional=LP)
    assert view.step("frontdoor.transfer-identify-lead-professional").state == DONE
    assert view.step("frontdoor.transfer-lead-agency-advice").state == NOT_APPLICABLE
    assert view.step("frontdoor.transfer-meeting").state == TODO
    met = steps + [("frontdoor.transfer-meeting", MEETING_DAY, "agreed")]
    view = transfer(*met, lead_professional=LP)
    registration = view.step("frontdoor.transfer-early-help-registration")
    assert registration.state == BLOCKED
    assert registration.blockers == ["the case has not been closed to CSWS and assigned yet"]
    view = transfer(*met, ("frontdoor.transfer-close-and-assign", D(2026, 11, 19), "assigned_to_lead_professional"),
                    lead_professional=LP)
    assert view.step("frontdoor.transfer-early-help-registration").state == TODO
    assert view.step("frontdoor.transfer-early-help-registration").owner_label == "Front Door Officer"
    assert view.step("frontdoor.transfer-front-door-records-next-steps").state == NOT_APPLICABLE


def test_meeting_does_not_agree_so_csws_stay_involved():
    view = transfer(
        ("frontdoor.transfer-from", D(2026, 11, 9), "child_in_need_plan"),
        ("frontdoor.transfer-decision", D(2026, 11, 12), "universal_no_early_help_plan"),
        ("frontdoor.transfer-meeting", MEETING_DAY, "not_agreed"),
    )
    for rid in CLOSURE_STEPS + ["frontdoor.transfer-tell-universal-services"]:
        assert view.step(rid).state == NOT_APPLICABLE, rid


def test_core_group_recommendation_goes_to_team_manager_and_cp_chair_before_the_decision():
    steps = [
        ("frontdoor.transfer-from", D(2026, 11, 2), "child_protection_plan"),
        ("frontdoor.transfer-core-group-recommendation", D(2026, 11, 5)),
    ]
    view = transfer(*steps)
    assert view.step("frontdoor.transfer-recommendation-to-tm-and-chair").state == TODO
    assert view.step("frontdoor.transfer-tm-and-chair-agree").owner_label == "Child Protection Chair"
    assert "the Team Manager and Child Protection Chair have not agreed the core group's recommendation" in (
        view.step("frontdoor.transfer-decision").blockers
    )
    passed_on = steps + [("frontdoor.transfer-recommendation-to-tm-and-chair", D(2026, 11, 6))]
    refused = transfer(*passed_on, ("frontdoor.transfer-tm-and-chair-agree", D(2026, 11, 9), "not_agreed"))
    assert refused.step("frontdoor.transfer-decision").state == BLOCKED
    agreed = transfer(*passed_on, ("frontdoor.transfer-tm-and-chair-agree", D(2026, 11, 9), "agreed"))
    assert agreed.step("frontdoor.transfer-decision").state == TODO
    # Without a core group recommendation those steps do not apply.
    plain = transfer(("frontdoor.transfer-from", D(2026, 11, 2), "child_protection_plan"))
    assert plain.step("frontdoor.transfer-tm-and-chair-agree").state == NOT_APPLICABLE
    assert plain.step("frontdoor.transfer-decision").state == TODO


def test_closure_directly_from_a_child_and_family_assessment_follows_4_3():
    view = transfer(("frontdoor.transfer-from", D(2026, 11, 9), "child_and_family_assessment"))
    exception = view.step("frontdoor.transfer-closure-from-assessment")
    assert exception.state == TODO
    assert exception.citation.quote.startswith("Where closure occurs directly from a Child and Family Assessment")
    for rid in ["frontdoor.transfer-decision", "frontdoor.transfer-meeting"] + CLOSURE_STEPS:
        assert view.step(rid).state == NOT_APPLICABLE, rid


def test_a_lead_professional_named_does_not_skip_the_consent_the_step_waits_for():
    """Issue 14 W6: a lead-professional step's own preconditions are checked before a named
    lead professional counts as doing it."""
    advised = recommended("early_help_assessment") + [("frontdoor.advise-consent-for-early-help-assessment", DECISION_DAY)]
    named_early = view_of(*advised, consents=[engage("given")], lead_professional=LP)
    who = named_early.step("frontdoor.identify-who-undertakes-assessment")
    assert who.state == BLOCKED and any("consent to the early help assessment" in b for b in who.blockers)
    assert named_early.step("frontdoor.assign-early-help-assessment").state == BLOCKED
