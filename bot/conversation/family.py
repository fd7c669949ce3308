"""A step done for the whole family, offered for each linked sibling's case: the practitioner
confirms once ("yes": on every case named; "only C-1046": on that one)."""
from __future__ import annotations

import dataclasses
import datetime as dt

from bot import access
from bot.conversation import wording
from bot.conversation.reply import Reply
from bot.conversation.state import Proposal
from bot.db.families import FamilyRepository
from bot.db.repositories import case_file
from bot.guidance import registry

FAMILY_KINDS = ("step", "consent")


def offer(session, case, reply: Reply) -> Reply:
    """The proposal, offered for the siblings too where the step is the family's and each
    sibling's case may take it: seen by this practitioner, open on that day, on a pathway with
    the step, not recorded there that day. Siblings not offered are not named."""
    proposal = reply.pending
    if proposal is None or proposal.record not in FAMILY_KINDS or not proposal.rule_id \
            or not registry().rule(proposal.rule_id).for_the_family:
        return reply
    when = dt.date.fromisoformat(proposal.date)
    also = [row.reference for row in FamilyRepository(session).siblings(case.reference)
            if _may_take(case.user, row, proposal, when)]
    if not also:
        return reply
    pending = proposal.but(also=tuple(also))
    every = len(also) + 1
    return dataclasses.replace(
        reply, pending=pending, text=f"{reply.text}\n{wording.family_offer(case.reference, also)}",
        buttons=[(f"Yes, on all {every}", "/affirm"), (f"Only {case.reference}", f"only {case.reference}"),
                 ("No", "/deny")])


def _may_take(user, row, proposal: Proposal, when: dt.date) -> bool:
    file = case_file(row)
    if not access.may_see(user, file) or file.closed_on is not None or when < file.opened_on:
        return False
    pathway = registry().pathways.get(file.pathway)
    if pathway is None or proposal.rule_id not in pathway.steps:
        return False
    if proposal.record == "consent":
        return not any(c.recorded_on == when and c.kind == proposal.consent.kind for c in file.consents)
    return not any(s.rule_id == proposal.rule_id and s.done_on == when for s in file.steps)
