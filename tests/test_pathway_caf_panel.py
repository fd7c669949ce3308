"""Bringing a stuck CAF to the CAF Support Panel, by hand-worked examples.

The panel's consent is recorded as the basis for sharing the family's
information with a multi-agency panel (consent kind "share"), so the
anonymous-discussion exception turns on that record being "declined". The
panel meets every 6 weeks, but the document sets no deadline for presenting a
case, so no step here has a due date.
"""
import datetime as dt

from bot.casefile import CaseFile, ConsentRecord, Person, RecordedStep
from bot.guidance import registry
from bot.pathways import BLOCKED, DONE, NEEDS_INFORMATION, NOT_APPLICABLE, OPTION, TODO, evaluate
from bot.render import pathway_text

D = dt.date
TODAY = D(2027, 3, 1)


def case(*steps, consents=(), **kw):
    """steps: (rule_id, date) or (rule_id, date, outcome)."""
    defaults = dict(
        reference="CAF-311",
        pathway="caf-support-panel",
        opened_on=D(2027, 2, 1),
        allocated_worker=Person("Pat Practitioner", username="pat"),
    )
    defaults.update(kw)
    recorded = [RecordedStep(rule, day, outcome=rest[0] if rest else None) for rule, day, *rest in steps]
    return CaseFile(steps=recorded, consents=list(consents), **defaults)


def view_of(*steps, today=TODAY, **kw):
    return evaluate(case(*steps, **kw), today=today, registry=registry())


def share(status, day=D(2027, 2, 15)):
    return ConsentRecord("share", status, day, given_by="young person", obtained_by="pat", basis="consent")


STUCK = [
    ("cafpanel.reason-to-bring", D(2027, 2, 10), "no_resource"),
    ("cafpanel.caf-team-help-on-the-ground", D(2027, 2, 11)),
    ("cafpanel.request-via-caf-team", D(2027, 2, 12)),
]


def test_fresh_case_starts_with_the_reason_and_cannot_be_presented():
    view = view_of()
    assert view.next_step.rule_id == "cafpanel.reason-to-bring"
    assert view.step("cafpanel.request-via-caf-team").state == BLOCKED
    assert view.step("cafpanel.consent").state == TODO
    # Consent not yet recorded either way: proof and the exception need that fact.
    assert view.step("cafpanel.proof-of-consent").state == NEEDS_INFORMATION
    exception = view.step("cafpanel.anonymous-discussion")
    assert exception.state == NEEDS_INFORMATION and exception.missing
    present = view.step("cafpanel.present-case")
    assert present.state == BLOCKED
    assert any("anonymously" in b for b in present.blockers)
    # No step here carries a timescale of its own.
    assert all(s.due_on is None for s in view.steps)


def test_each_reason_in_the_documents_list_is_an_outcome_and_cited():
    rule = registry().rule("cafpanel.reason-to-bring")
    assert rule.outcomes == ("no_resource", "disengaged_no_safeguarding", "no_lead_professional", "unmet_needs")
    assert len(rule.also_cites) == 4


def test_the_caf_teams_help_on_the_ground_is_an_option_nothing_waits_for():
    # "where the issues cannot be resolved 'on the ground' with the help of the CAF Team" is the
    # panel's remit, not a step ordered before the request.
    view = view_of(("cafpanel.reason-to-bring", D(2027, 2, 10), "disengaged_no_safeguarding"))
    help_first = view.step("cafpanel.caf-team-help-on-the-ground")
    assert help_first.state == OPTION and not help_first.open
    assert view.step("cafpanel.request-via-caf-team").state == TODO
    assert view.next_step.rule_id == "cafpanel.request-via-caf-team"
    assert "[option] Seek the CAF Team's help" in pathway_text(view, show_all=True)
    assert view_of(*STUCK[:2]).step("cafpanel.caf-team-help-on-the-ground").state == DONE


def test_logging_unmet_needs_goes_straight_to_the_request():
    view = view_of(("cafpanel.reason-to-bring", D(2027, 2, 10), "unmet_needs"))
    assert view.step("cafpanel.caf-team-help-on-the-ground").state == NOT_APPLICABLE
    assert view.step("cafpanel.request-via-caf-team").state == TODO


def test_consent_with_proof_lets_the_practitioner_present():
    view = view_of(*STUCK, consents=[share("given")])
    consent = view.step("cafpanel.consent")
    assert consent.state == DONE and consent.done_on == D(2027, 2, 15) and consent.done_by == "pat"
    assert view.step("cafpanel.anonymous-discussion").state == NOT_APPLICABLE
    assert view.step("cafpanel.proof-of-consent").state == TODO
    present = view.step("cafpanel.present-case")
    assert present.state == BLOCKED  # consent without proof is not enough
    steps = STUCK + [
        ("cafpanel.proof-of-consent", D(2027, 2, 16)),
        ("cafpanel.who-presents", D(2027, 2, 16), "practitioner_attends"),
    ]
    view = view_of(*steps, consents=[share("given")])
    present = view.step("cafpanel.present-case")
    assert present.state == TODO
    assert present.owner_label == "practitioner" and present.owner_name == "Pat Practitioner"


def test_declined_consent_allows_only_an_anonymous_discussion_agreed_first_with_the_caf_team():
    view = view_of(*STUCK, consents=[share("declined")])
    assert view.step("cafpanel.consent").state == BLOCKED
    assert view.step("cafpanel.consent").blockers == ["consent declined (2027-02-15)"]
    assert view.step("cafpanel.proof-of-consent").state == NOT_APPLICABLE
    exception = view.step("cafpanel.anonymous-discussion")
    assert exception.state == TODO and exception.owner_label == "CAF Team"
    assert view.step("cafpanel.present-case").state == BLOCKED  # not until the CAF Team agrees

    agreed = view_of(*STUCK, ("cafpanel.anonymous-discussion", D(2027, 2, 17), "agreed"), consents=[share("declined")])
    assert agreed.step("cafpanel.anonymous-discussion").state == DONE
    assert agreed.step("cafpanel.present-case").state == TODO

    refused = view_of(*STUCK, ("cafpanel.anonymous-discussion", D(2027, 2, 17), "not_agreed"), consents=[share("declined")])
    assert refused.step("cafpanel.present-case").state == BLOCKED


def test_consent_to_engage_is_not_the_panels_consent():
    # The family declined to engage, but nothing is recorded about sharing with
    # the panel: the exception is not assumed, it needs that information.
    engage_declined = ConsentRecord("engage", "declined", D(2027, 2, 15))
    view = view_of(*STUCK, consents=[engage_declined])
    assert view.step("cafpanel.anonymous-discussion").state == NEEDS_INFORMATION
    assert view.step("cafpanel.consent").state == TODO


def test_caf_coordinator_presents_on_the_practitioners_behalf_and_gives_feedback():
    ready = STUCK + [("cafpanel.proof-of-consent", D(2027, 2, 16))]
    steps = ready + [("cafpanel.who-presents", D(2027, 2, 18), "caf_coordinator_presents")]
    view = view_of(*steps, consents=[share("given")])
    assert view.step("cafpanel.present-case").owner_label == "CAF Coordinator"
    feedback = view.step("cafpanel.coordinator-feedback")
    assert feedback.state == BLOCKED and feedback.owner_label == "CAF Coordinator"
    steps += [("cafpanel.present-case", D(2027, 2, 24))]
    view = view_of(*steps, consents=[share("given")], today=D(2027, 2, 25))
    assert view.step("cafpanel.present-case").state == DONE
    assert view.step("cafpanel.coordinator-feedback").state == TODO
    steps += [("cafpanel.coordinator-feedback", D(2027, 2, 26))]
    assert view_of(*steps, consents=[share("given")]).step("cafpanel.coordinator-feedback").state == DONE

    attends = ready + [("cafpanel.who-presents", D(2027, 2, 18), "practitioner_attends")]
    view = view_of(*attends, consents=[share("given")])
    assert view.step("cafpanel.present-case").owner_label == "practitioner"
    assert view.step("cafpanel.coordinator-feedback").state == NOT_APPLICABLE


def test_panel_frequency_is_knowledge_with_its_timescale_cited():
    reg = registry()
    often = reg.rule("cafpanel.knowledge-how-often")
    assert "every 6 weeks" in often.answer and "every 6 weeks" in often.citation.quote
    assert "timescales" in often.topics
    what = reg.rule("cafpanel.knowledge-what-is-the-panel")
    assert "Head of Service" in what.answer and "Head of Service" in what.citation.quote
    topics = {t for r in reg.knowledge() if r.pack == "caf-team-and-support-panel" for t in r.topics}
    assert {"caf-support-panel", "consent", "anonymous-advice", "caf-team", "timescales"} <= topics
    # The panel's 6 weeks is not turned into a deadline for any case.
    assert all(reg.rule(s).due is None for s in reg.pathway("caf-support-panel").steps)


def test_another_lawful_basis_is_not_the_panels_consent():
    """Issue 14 W5: the panel needs consent from the young person or parent/carer, with proof;
    a basis to share of another kind (Section 47) does not stand for it."""
    section_47 = ConsentRecord("share", "given", D(2027, 2, 15), obtained_by="pat", basis="section 47")
    view = view_of(*STUCK, consents=[section_47])
    assert view.step("cafpanel.consent").state != DONE
    assert view.step("cafpanel.proof-of-consent").state == BLOCKED
    assert view.step("cafpanel.present-case").state == BLOCKED
    consented = view_of(*STUCK, consents=[section_47, share("given", D(2027, 2, 20))])
    assert consented.step("cafpanel.consent").state == DONE
    assert consented.step("cafpanel.proof-of-consent").state == TODO
