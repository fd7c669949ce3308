"""A change of lead professional in chat: someone new takes over from a day, for a reason;
proposed first, the one before kept in the case's history."""
from __future__ import annotations

from typing import Optional

from bot.conversation import phrases, proposals, wording
from bot.conversation.cases import OpenCase, Say
from bot.conversation.episodes import reason_in
from bot.conversation.reply import Reply
from bot.conversation.state import LeadProfessionalProposal, Proposal
from bot.db.repositories import current

LABEL = "Lead professional changed"


def propose_change(case: OpenCase, text: str) -> Optional[Reply]:
    """"The lead professional on C-1046 is now Alex Worker, from 20/11": a change proposed when
    the case already has a lead professional and the message names someone else; else None."""
    now = case.file.lead_professional
    found = phrases.lead_professional(text, case.file.referrer)
    if now is None or found is None or found[0] == now.display_name:
        return None
    when = proposals.done_on(text, case)
    earlier = current(case.row.lead_professionals, case.row)
    since = earlier[-1].from_date if earlier else None
    if since is not None and when < since:
        raise Say(Reply(wording.lead_change_before(case.reference, now.display_name, since, when),
                        case_reference=case.reference))
    reason = reason_in(text)
    proposal = Proposal(case=case.reference, label=LABEL, rule_id=None, record="none", date=when.isoformat(),
                        by=case.user.username, lead_professional=LeadProfessionalProposal(name=found[0], role=found[1]),
                        reason=reason)
    lines = [wording.lead_change_proposal(case.reference, found[0], now.display_name, when, case.user.display_name)]
    if reason:
        lines.append(wording.reason_line(reason))
    return Reply("\n".join(lines), buttons=list(wording.RECORD_OR_NOT), pending=proposal,
                 case_reference=case.reference)
