"""Steps on a case: reported done (proposed, then recorded on yes), reported not done,
asked about ("can I tell the referrer yet?"), or corrected."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

from bot.conversation import episodes, family, lead, proposals, wording
from bot.conversation.cases import OpenCase, Say, open_case
from bot.conversation.concepts import concepts, pick
from bot.conversation.reply import Reply
from bot.conversation.state import Proposal
from bot.guidance import registry
from bot.guidance.retrieval import best_step
from bot.pathways import DONE, StepView

log = logging.getLogger(__name__)

# What a practitioner can say they have done, in shared words; each maps to the
# right rule of the case's own guidance pack (bot/conversation/concepts.yaml).
CONCEPTS = (
    "assessment_outcome",  # "I've finished a CADS assessment, threshold not met"
    "recommendation_to_team_manager",  # "I've shared my recommendation with the TM"
    "team_manager_sign_off",  # "the TM signed it off this morning"
    "referrer_updated",  # "I've updated the referrer"
    "caf_link_worker_alerted",  # "case note sent to CLW EHM"
    "consent_given",  # "mum gave consent today"
    "consent_declined",  # "dad declined consent"
    "consent_advice_only",  # "they only wanted advice, no consent yet"
    "lead_professional_agreed",  # "the school nurse agreed to be lead professional"
    "no_lead_professional",  # "no one will take the LP role"
    "family_planning_meeting_booked",  # "initial FPM booked for 14 Jan" (a booking, future date)
    "family_planning_meeting_held",  # "we held the FPM yesterday"
    "final_cin_meeting_held",  # "final CIN was on Monday"
    "disagreement_family",  # "mum disagrees with the step-down"
    "disagreement_agency",  # "the school doesn't agree threshold isn't met"
    "disagreement_resolved",  # "the disagreement is resolved"
    "referral_to_ehm",  # "referral to EHM done"
    "telephone_contact",  # "phoned the family today"
    "personal_contact",  # "saw the family at home on Friday"
    "caf_completed",  # "CAF completed"
    "taf_meeting_held",  # "first TAF was held on the 3rd"
    "taf_minutes_shared",  # "TAF minutes sent out"
)


def _unless_closed(case: OpenCase) -> OpenCase:
    closed = episodes.status_if_closed(case)
    if closed is not None:
        raise Say(closed)
    return case


def propose(session, user: Optional[str], concept: str, text: str, case_ref: Optional[str]) -> Reply:
    case = open_case(session, user, case_ref, text, "propose")
    if case.file.closed_on is not None:
        proposals.done_on(text, case)  # something done after the case closed is refused, saying so
    match = pick(concept, case.view, registry(), text)
    label = concepts()[concept].label
    if match.candidate is None and concept == "lead_professional_agreed":
        change = lead.propose_change(case, text)  # the step is done: someone new takes over
        if change is not None:
            return change
    if match.candidate is None:
        raise Say(episodes.status_if_closed(case) or _no_fit(case, label, match.on_pathway))
    reply, _ = proposals.proposal_reply(case, label, match.candidate, match.step, text)
    return family.offer(session, case, reply)


def _no_fit(case: OpenCase, label: str, on_pathway: list[StepView]) -> Reply:
    done = [s for s in on_pathway if s.state == DONE]
    nxt = case.view.next_step
    return Reply(wording.no_fit(label, case.reference, done[-1] if done else None, on_pathway[0] if on_pathway else None,
                                case.view.pathway_title, case.view),
                 case_reference=case.reference, rule_id=nxt.rule_id if nxt else None)


def step_named(case: OpenCase, concept: str) -> Optional[StepView]:
    """The step a concept means on this case, whatever its state: the open one if any,
    else the last done, else the first on the pathway."""
    match = pick(concept, case.view, registry(), "")
    if match.step is not None:
        return match.step
    done = [s for s in match.on_pathway if s.state == DONE]
    if done:
        return done[-1]
    return match.on_pathway[0] if match.on_pathway else None


def step_meant(case: OpenCase, text: str) -> Optional[StepView]:
    """The step of the case's pathway that the words come nearest to, for a question
    that names no step ehbot has a word for ("is it ready to go to EHM?")."""
    reg = registry()
    steps = [s for s in case.view.steps if s.state != "not_applicable"] or case.view.steps
    texts = [f"{s.title} {reg.rule(s.rule_id).citation.quote}" for s in steps]
    found = best_step(texts, text)
    return steps[found] if found is not None else None


def may_i(session, user: Optional[str], concept: Optional[str], text: str, case_ref: Optional[str]) -> Reply:
    """"Can I tell the referrer yet?": allowed now or not, the blocker, the due date, cited."""
    case = _unless_closed(open_case(session, user, case_ref, text, "may I"))
    step = step_named(case, concept) if concept else step_meant(case, text)
    if step is None:
        label = concepts()[concept].label if concept else "That step"
        return Reply(wording.no_fit(label, case.reference, None, None, case.view.pathway_title, case.view),
                     case_reference=case.reference)
    return Reply(wording.may_i(step, case.reference), case_reference=case.reference, rule_id=step.rule_id)


def not_done(session, user: Optional[str], concept: str, text: str, case_ref: Optional[str]) -> Reply:
    """"The TM hasn't signed it off yet": nothing recorded; where the step stands."""
    case = _unless_closed(open_case(session, user, case_ref, text, "not done"))
    step = step_named(case, concept)
    return Reply(wording.not_done(concepts()[concept].label, step, case.reference, case.view),
                 case_reference=case.reference, rule_id=step.rule_id if step else None)


def correct(session, user: Optional[str], concept: Optional[str], text: str, case_ref: Optional[str]) -> Reply:
    """"I put the wrong date for consent": what is recorded that could be meant; nothing changes."""
    case = open_case(session, user, case_ref, text, "correct")
    if concept:
        match = pick(concept, case.view, registry(), "")
        steps = [s for s in match.on_pathway if s.state == DONE]
    else:
        steps = [s for s in case.view.steps if s.state == DONE][-3:]
    return Reply(wording.correction(case.reference, steps), case_reference=case.reference,
                 rule_id=steps[0].rule_id if steps else None)


def confirm(session, user: str, proposal: Proposal) -> Reply:
    """Record a confirmed proposal (who and when), then say what comes next."""
    case = open_case(session, user, proposal.case, "", "record")
    new = proposals.record(session, case, proposal)
    for reference in proposal.also:  # the family's step, on each linked sibling's case (seen again here)
        sibling = open_case(session, user, reference, "", "record for the family")
        # The step itself only: a family's step never moves a sibling's pathway or names its lead professional.
        proposals.record(session, sibling, proposal.but(case=reference, also=(), pathway=None, lead_professional=None))
    session.flush()
    session.expire_all()
    after = open_case(session, user, proposal.case, "", "after record")
    when = dt.date.fromisoformat(proposal.date)
    if proposal.record in ("close", "reopen", "move"):
        said = episodes.recorded(case, after, proposal, when) if new else wording.already_recorded(case.reference)
        log.info("chat recorded %s on %s", proposal.record, case.reference)
        return Reply(said, case_reference=case.reference)
    said = wording.recorded_line(proposals.statement(proposal), case.reference, when, case.user.display_name,
                                 booking=proposal.record == "booking")
    if not new:
        said = wording.already_recorded(case.reference)
    if proposal.also:
        said += f"\n{wording.family_recorded(list(proposal.also))}"
    nxt = after.view.next_step
    log.info("chat recorded %s on %s", proposal.rule_id or "pathway", case.reference)
    return Reply(f"{said}\n{wording.next_line(after.view)}", case_reference=case.reference,
                 rule_id=nxt.rule_id if nxt else proposal.rule_id)

