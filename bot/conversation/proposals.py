"""Proposals: what will be recorded on a case, asked first and written on "yes".

A ``Proposal`` (bot.conversation.state) holds the case, the rule, the date, who records
it and the outcome; for consent, who gave it (a relationship such as "mother", never a
name), written only to the database. Its first line says exactly what will be recorded.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Optional

from sqlalchemy.orm import Session

from bot import clock, dates
from bot.casefile import LAWFUL_BASIS_TO_SHARE, Booking, ConsentRecord, Person, RecordedStep
from bot.conversation import phrases, wording
from bot.conversation.cases import OpenCase, Say
from bot.conversation.concepts import Candidate
from bot.conversation.reply import Reply
from bot.conversation.state import ConsentProposal, LeadProfessionalProposal, Proposal
from bot.db.episodes import EpisodeRepository
from bot.db.repositories import CaseRepository
from bot.guidance import registry
from bot.pathways import BLOCKED, PathwayView, StepView, evaluate


def _when(candidate: Candidate, text: str, case: OpenCase) -> dt.date:
    """The date from the message (default today), questioned if it cannot be right."""
    focus = dict(case_reference=case.reference, rule_id=candidate.rule)
    if candidate.record != "booking":
        return done_on(text, case, **focus)
    today = clock.today()
    when = _read(text, dates.FUTURE, focus) or today
    if when < today:
        raise Say(Reply(wording.date_in_past_for_booking(when), **focus))
    if case.file.closed_on is not None:
        raise Say(Reply(wording.closed_case(case.reference, case.file.closed_on), **focus))
    return when


def done_on(text: str, case: OpenCase, since: Optional[dt.date] = None, **focus) -> dt.date:
    """The day something was done, from the message (default today): not in the future, not
    before the case (or, with ``since``, that day), and not after a closed case closed."""
    today = clock.today()
    focus = focus or dict(case_reference=case.reference)
    when = _read(text, dates.PAST, focus) or today
    if when > today:
        raise Say(Reply(wording.date_in_future_for_done(when, today), **focus))
    if since is not None and when < since:
        raise Say(Reply(wording.date_before_closed(when, case.reference, since), **focus))
    if since is None and when < case.file.opened_on:
        raise Say(Reply(wording.date_before_opened(when, case.reference, case.file.opened_on, case.file.episode > 1),
                        **focus))
    if since is None and case.file.closed_on is not None and when > case.file.closed_on:
        raise Say(Reply(wording.closed_case(case.reference, case.file.closed_on), **focus))
    return when


def _read(text: str, prefer: str, focus: dict) -> Optional[dt.date]:
    try:
        return dates.read_date(text, prefer)
    except dates.UnclearDate as exc:
        raise Say(Reply(wording.unclear_date(str(exc)), **focus)) from None


def _consent(candidate: Candidate, rule, text: str) -> Optional[ConsentProposal]:
    if candidate.record != "consent":
        return None
    share_given = rule.consent == LAWFUL_BASIS_TO_SHARE and candidate.consent == "given"
    return ConsentProposal(kind=rule.consent, status=candidate.consent, given_by=phrases.given_by(text),
                           basis="consent" if share_given else None)


def build(case: OpenCase, label: str, candidate: Candidate, text: str,
          pathway: Optional[str] = None) -> tuple[Proposal, PathwayView]:
    """The proposal, and the case's pathway as it would stand once recorded."""
    rule = registry().rule(candidate.rule)
    focus = dict(case_reference=case.reference, rule_id=rule.id)
    when = _when(candidate, text, case)
    outcome = candidate.outcome_for(text)
    if rule.outcomes and not outcome and candidate.record == "step":
        raise Say(Reply(wording.which_outcome(rule.outcomes), **focus))
    lead = None
    if candidate.lead_professional:
        found = phrases.lead_professional(text, case.file.referrer)
        if found is None:
            raise Say(Reply(wording.WHO_AGREED, **focus))
        lead = LeadProfessionalProposal(name=found[0], role=found[1])
    proposal = Proposal(
        case=case.reference, label=label, rule_id=rule.id, record=candidate.record, date=when.isoformat(),
        by=case.user.username, outcome=outcome, consent=_consent(candidate, rule, text), lead_professional=lead,
        # Against the case as recorded (its row), not as it is being looked at on another path.
        pathway=pathway if pathway and pathway != case.row.pathway else None,
    )
    return proposal, evaluate(would_be(case, proposal), today=clock.today())


def would_be(case: OpenCase, proposal: Proposal):
    """The case file as it would stand once the proposal is recorded (nothing is written)."""
    file, when = case.file, dt.date.fromisoformat(proposal.date)
    changes = {}
    if proposal.pathway:
        changes["pathway"] = proposal.pathway
    if proposal.record == "step":
        changes["steps"] = file.steps + [RecordedStep(proposal.rule_id, when, proposal.by, proposal.outcome)]
    elif proposal.record == "consent":
        c = proposal.consent
        changes["consents"] = file.consents + [ConsentRecord(c.kind, c.status, when, obtained_by=proposal.by, basis=c.basis)]
    elif proposal.record == "booking":
        changes["bookings"] = file.bookings + [Booking(proposal.rule_id, when, proposal.by)]
    if proposal.lead_professional:
        lp = proposal.lead_professional
        changes["lead_professional"] = Person(lp.name, role=lp.role)
    return dataclasses.replace(file, **changes)


def statement(proposal: Proposal) -> str:
    """What is recorded, in words, outcome included ("Lead professional agreed: school nurse")."""
    text = proposal.label
    if proposal.lead_professional:
        text += f": {proposal.lead_professional.name}"
    return text


def _same_words(title: str, label: str) -> bool:
    """Whether a rule's title says much what the proposal's label says (then it is not repeated)."""
    ours, theirs = set(label.lower().split()), set(title.lower().split())
    return len(ours & theirs) >= len(ours) / 2


def describe(case: OpenCase, proposal: Proposal, step: Optional[StepView], before: PathwayView,
             after: PathwayView) -> str:
    """"Team manager sign-off on C-1042, Mon 23 Nov 2026, by Sam Social (demo). Shall I record it?\""""
    reg = registry()
    when = dt.date.fromisoformat(proposal.date)
    lines = [wording.proposal_line(statement(proposal), case.reference, when, case.user.display_name,
                                   booking=proposal.record == "booking")]
    if proposal.record != "none" and proposal.rule_id:
        rule = reg.rule(proposal.rule_id)
        if _same_words(rule.title, proposal.label) or proposal.pathway is not None:
            lines[0] += f" {wording.cite(rule.citation)}"
        else:
            lines.append(f"The step: {rule.title} {wording.cite(rule.citation)}")
    if proposal.pathway:
        lines.append(wording.moves_to(reg.pathway(proposal.pathway).title))
    if proposal.record == "booking" and step is not None and step.due_on and when > step.due_on:
        lines.append(wording.booking_after_deadline(step))
    if step is not None and step.state == BLOCKED:
        lines.append(wording.expected_first(step))
    lines += wording.started(before, after)
    return "\n".join(lines)


def proposal_reply(case: OpenCase, label: str, candidate: Candidate, step: Optional[StepView], text: str,
                   pathway: Optional[str] = None, before: Optional[PathwayView] = None) -> tuple[Reply, PathwayView]:
    before = before or case.view
    proposal, after = build(case, label, candidate, text, pathway)
    reply = Reply(describe(case, proposal, step, before, after), buttons=list(wording.RECORD_OR_NOT),
                  pending=proposal, case_reference=case.reference, rule_id=candidate.rule)
    return reply, after


def record(session: Session, case: OpenCase, proposal: Proposal) -> bool:
    """Write a confirmed proposal; False when it was already recorded (nothing changed)."""
    repo = CaseRepository(session)
    ref, by, when = case.reference, case.user.username, proposal.date
    already = _already(case, proposal)
    if proposal.pathway and proposal.pathway != case.row.pathway and proposal.record != "move":
        repo.set_pathway(ref, proposal.pathway, by)
    if proposal.record == "step":
        repo.record_step(ref, proposal.rule_id, when, by, outcome=proposal.outcome)
    elif proposal.record == "consent":
        c = proposal.consent
        repo.record_consent(ref, c.kind, c.status, when, by, given_by=c.given_by, obtained_by=by, basis=c.basis)
    elif proposal.record == "booking":
        repo.book_step(ref, proposal.rule_id, when, by)
    elif proposal.record == "close":
        EpisodeRepository(session).close_case(ref, when, proposal.reason, by)
    elif proposal.record == "reopen":
        EpisodeRepository(session).reopen_case(ref, when, proposal.reason, by)
    elif proposal.record == "move":
        EpisodeRepository(session).move_case(ref, proposal.move, when, by, proposal.reason)
    if proposal.lead_professional:
        lp = proposal.lead_professional
        repo.set_lead_professional(ref, lp.name, role=lp.role, by_username=by, from_date=when, reason=proposal.reason)
    return not already


def _already(case: OpenCase, proposal: Proposal) -> bool:
    file, when = case.file, dt.date.fromisoformat(proposal.date)
    if proposal.record == "step":
        return any(s.rule_id == proposal.rule_id and s.done_on == when for s in file.steps)
    if proposal.record == "booking":
        return any(b.rule_id == proposal.rule_id and b.planned_for == when for b in file.bookings)
    if proposal.record == "consent":
        c = proposal.consent
        return any(r.kind == c.kind and r.status == c.status and r.recorded_on == when for r in file.consents)
    if proposal.record == "close":
        return file.closed_on == when
    if proposal.record == "reopen":
        return file.closed_on is None and file.episode > 1 and file.opened_on == when
    if proposal.record == "move":
        return file.pathway == proposal.pathway and file.opened_on == when
    lp = proposal.lead_professional
    return bool(lp and file.lead_professional and file.lead_professional.display_name == lp.name)
