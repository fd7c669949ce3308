"""No lead professional found: the challenge-and-support ladder, rung by rung."""
from __future__ import annotations

from typing import Optional

from bot.conversation import proposals, wording
from bot.conversation.cases import Say, open_case
from bot.conversation.concepts import Candidate
from bot.conversation.reply import Reply
from bot.conversation.state import Question
from bot.guidance import registry


def ladder(session, username: Optional[str], case_ref: Optional[str], found: Optional[bool], text: str = "") -> Reply:
    """found None asks about the rung now open; True proposes naming the lead professional
    (who, from the words); False proposes recording that this rung found no one."""
    case = open_case(session, username, case_ref, text, "ladder")
    reg = registry()
    rungs = [s for s in case.view.steps if s.kind == "lead-professional" or reg.rule(s.rule_id).part_of == "ladder"]
    if not any(reg.rule(s.rule_id).part_of == "ladder" for s in rungs):
        raise Say(Reply(wording.no_ladder(case.reference, case.view.pathway_title, case.view),
                        case_reference=case.reference))
    current = next((s for s in rungs if s.open), None)
    if current is None:
        lead = case.file.lead_professional.display_name if case.file.lead_professional else None
        raise Say(Reply(wording.ladder_nothing_open(case.reference, lead, case.view), case_reference=case.reference))
    rule = reg.rule(current.rule_id)
    order = [s.rule_id for s in rungs]
    n = order.index(current.rule_id) + 1
    asking = Question("ladder_rung", rule_id=current.rule_id, case=case.reference)
    if found is None:
        return Reply(wording.ladder_rung(case.reference, n, len(rungs), current), buttons=list(wording.YES_NO),
                     case_reference=case.reference, rule_id=current.rule_id, asking=asking)
    if found:
        if "agreed" in rule.outcomes:
            cand = Candidate(rule=rule.id, outcome="agreed", lead_professional=True)
        else:
            cand = Candidate(rule=rule.id, record="none", lead_professional=True)
        reply, _ = proposals.proposal_reply(case, "Lead professional agreed", cand, current, text)
        return reply
    outcome = "none_found" if "none_found" in rule.outcomes else None
    statement = wording.no_lead_professional_statement(current.title, first_rung=current.kind == "lead-professional")
    reply, _ = proposals.proposal_reply(case, statement, Candidate(rule=rule.id, outcome=outcome), current, text)
    later = [s for s in rungs[n:]]
    if later and later[0].title not in reply.text:
        reply.text += "\n" + wording.ladder_next(later[0])
    reply.asking = asking
    return reply
