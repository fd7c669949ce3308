"""Proposals: what will be recorded on a case, asked first and written on "yes".

A proposal (``pending``) is plain JSON kept between turns. It holds the case,
the rule, the date, who records it and the outcome; for consent, who gave it
(a relationship such as "mother", never a name), written only to the database.
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
from bot.db.repositories import CaseRepository
from bot.guidance import registry
from bot.pathways import BLOCKED, PathwayView, StepView, evaluate
from bot.render import day

YES_NO = [("Yes, record it", "/affirm"), ("No", "/deny")]
KIND = "record"


def _when(candidate: Candidate, text: str, case: OpenCase) -> dt.date:
    """The date from the message (default today), questioned if it cannot be right."""
    booking = candidate.record == "booking"
    today = clock.today()
    focus = dict(case_reference=case.reference, rule_id=candidate.rule)
    try:
        when = dates.read_date(text, dates.FUTURE if booking else dates.PAST) or today
    except dates.UnclearDate as exc:
        raise Say(Reply(f"{exc} Nothing is recorded yet.", **focus)) from None
    if booking and when < today:
        raise Say(Reply(
            f"{day(when)} is in the past, and a booking is for today or later. If it has already "
            f"happened, tell me it was held; otherwise tell me the date it is booked for. Nothing is recorded.", **focus))
    if not booking and when > today:
        raise Say(Reply(
            f"{day(when)} is in the future, but this is something already done. When was it done? "
            f"(Today is {day(today)}.) Nothing is recorded.", **focus))
    if not booking and when < case.file.opened_on:
        raise Say(Reply(
            f"{day(when)} is before {case.reference} was opened ({day(case.file.opened_on)}). "
            f"Which date was it? Nothing is recorded.", **focus))
    return when


def _consent(candidate: Candidate, rule, text: str) -> Optional[dict]:
    if candidate.record != "consent":
        return None
    share_given = rule.consent == LAWFUL_BASIS_TO_SHARE and candidate.consent == "given"
    return {
        "kind": rule.consent,
        "status": candidate.consent,
        "given_by": phrases.given_by(text),
        "basis": "consent" if share_given else None,
    }


def build(case: OpenCase, label: str, candidate: Candidate, step: Optional[StepView], text: str,
          pathway: Optional[str] = None) -> tuple[dict, PathwayView]:
    """The proposal, and the case's pathway as it would stand once recorded."""
    reg = registry()
    rule = reg.rule(candidate.rule)
    focus = dict(case_reference=case.reference, rule_id=rule.id)
    when = _when(candidate, text, case)
    outcome = candidate.outcome_for(text)
    if rule.outcomes and not outcome and candidate.record == "step":
        raise Say(Reply(f"How did it turn out: {', '.join(o.replace('_', ' ') for o in rule.outcomes)}?", **focus))
    lead = None
    if candidate.lead_professional:
        found = phrases.lead_professional(text, case.file.referrer)
        if found is None:
            raise Say(Reply("Who agreed to be lead professional? Tell me their role or name, "
                            "e.g. \"the school nurse agreed\".", **focus))
        lead = {"name": found[0], "role": found[1]}
    pending = {
        "kind": KIND,
        "case": case.reference,
        "label": label,
        "rule_id": rule.id,
        "record": candidate.record,
        "date": when.isoformat(),
        "outcome": outcome,
        "consent": _consent(candidate, rule, text),
        "lead_professional": lead,
        "pathway": pathway if pathway and pathway != case.file.pathway else None,
        "by": case.user.username,
    }
    return pending, evaluate(would_be(case, pending), today=clock.today())


def would_be(case: OpenCase, pending: dict):
    """The case file as it would stand once the proposal is recorded (nothing is written)."""
    file, when = case.file, dt.date.fromisoformat(pending["date"])
    changes = {}
    if pending.get("pathway"):
        changes["pathway"] = pending["pathway"]
    if pending["record"] == "step":
        changes["steps"] = file.steps + [RecordedStep(pending["rule_id"], when, pending["by"], pending.get("outcome"))]
    elif pending["record"] == "consent":
        c = pending["consent"]
        changes["consents"] = file.consents + [ConsentRecord(c["kind"], c["status"], when, obtained_by=pending["by"], basis=c["basis"])]
    elif pending["record"] == "booking":
        changes["bookings"] = file.bookings + [Booking(pending["rule_id"], when, pending["by"])]
    if pending.get("lead_professional"):
        lp = pending["lead_professional"]
        changes["lead_professional"] = Person(lp["name"], role=lp["role"])
    return dataclasses.replace(file, **changes)


def describe(case: OpenCase, pending: dict, step: Optional[StepView], before: PathwayView, after: PathwayView) -> str:
    """"I'll record on C-1042: Team manager sign-off, Mon 23 Nov 2026, recorded by Sam Social (demo). Shall I?\""""
    reg = registry()
    when = dt.date.fromisoformat(pending["date"])
    who = case.user.display_name
    if pending["record"] == "booking":
        first = f"I'll record on {case.reference}: {pending['label']} for {day(when)}, booked by {who}. Shall I?"
    else:
        first = f"I'll record on {case.reference}: {pending['label']}, {day(when)}, recorded by {who}. Shall I?"
    lines = [first]
    if pending["record"] != "none":
        rule = reg.rule(pending["rule_id"])
        lines.append(f"Step: {rule.title} {wording.cite(rule.citation)}")
    if pending.get("outcome"):
        lines.append(f"Outcome: {pending['outcome'].replace('_', ' ')}")
    if pending.get("consent"):
        c = pending["consent"]
        kind = "lawful basis to share" if c["kind"] == LAWFUL_BASIS_TO_SHARE else "consent to engage"
        lines.append(f"Recorded as: {kind}, {wording.CONSENT_WORDS[c['status']]}, gained by {who}"
                     + (" (who gave it is kept on the case record)" if c.get("given_by") else ""))
    if pending.get("lead_professional"):
        lp = pending["lead_professional"]
        lines.append(f"Lead professional: {lp['name']} ({lp['role']})")
    if pending.get("pathway"):
        lines.append(f"The case moves to: {reg.pathway(pending['pathway']).title}")
    if pending["record"] == "booking" and step is not None and step.due_on and when > step.due_on:
        lines.append(f"Note: that is after its deadline ({wording.step_brief(step)}).")
    if step is not None and step.state == BLOCKED:
        lines.append("Note: the guidance expects this first: " + "; ".join(step.blockers))
    lines += wording.started(before, after)
    return "\n".join(lines)


def proposal_reply(case: OpenCase, label: str, candidate: Candidate, step: Optional[StepView], text: str,
                   pathway: Optional[str] = None, before: Optional[PathwayView] = None) -> tuple[Reply, PathwayView]:
    before = before or case.view
    pending, after = build(case, label, candidate, step, text, pathway)
    reply = Reply(describe(case, pending, step, before, after), buttons=list(YES_NO), pending=pending,
                  case_reference=case.reference, rule_id=candidate.rule)
    return reply, after


def record(session: Session, case: OpenCase, pending: dict) -> bool:
    """Write a confirmed proposal; False when it was already recorded (nothing changed)."""
    repo = CaseRepository(session)
    ref, by, when = case.reference, case.user.username, pending["date"]
    already = _already(case, pending)
    if pending.get("pathway") and pending["pathway"] != case.file.pathway:
        repo.set_pathway(ref, pending["pathway"], by)
    if pending["record"] == "step":
        repo.record_step(ref, pending["rule_id"], when, by, outcome=pending.get("outcome"))
    elif pending["record"] == "consent":
        c = pending["consent"]
        repo.record_consent(ref, c["kind"], c["status"], when, by, given_by=c.get("given_by"), obtained_by=by, basis=c.get("basis"))
    elif pending["record"] == "booking":
        repo.book_step(ref, pending["rule_id"], when, by)
    if pending.get("lead_professional"):
        lp = pending["lead_professional"]
        repo.set_lead_professional(ref, lp["name"], role=lp["role"], by_username=by)
    return not already


def _already(case: OpenCase, pending: dict) -> bool:
    file, when = case.file, dt.date.fromisoformat(pending["date"])
    if pending["record"] == "step":
        return any(s.rule_id == pending["rule_id"] and s.done_on == when for s in file.steps)
    if pending["record"] == "booking":
        return any(b.rule_id == pending["rule_id"] and b.planned_for == when for b in file.bookings)
    if pending["record"] == "consent":
        c = pending["consent"]
        return any(r.kind == c["kind"] and r.status == c["status"] and r.recorded_on == when for r in file.consents)
    lp = pending.get("lead_professional")
    return bool(lp and file.lead_professional and file.lead_professional.display_name == lp["name"])
