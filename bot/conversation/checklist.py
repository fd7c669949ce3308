"""The team manager's pre-closure checklist on a step down, asked item by item."""
from __future__ import annotations

from typing import Optional

from bot import access, clock
from bot.conversation import wording
from bot.conversation.cases import Say, open_case
from bot.conversation.reply import Reply
from bot.conversation.state import Question
from bot.db.repositories import AuditLog, CaseRepository
from bot.guidance import registry
from bot.pathways import DONE


def _items(view):
    reg = registry()
    return [s for s in view.steps if reg.rule(s.rule_id).part_of == "checklist"]


def checklist(session, username: Optional[str], case_ref: Optional[str], answer: Optional[bool] = None,
              item: Optional[str] = None) -> Reply:
    """``answer`` True records ``item`` (or the first not yet recorded), False notes it as
    outstanding; None asks about the first not yet recorded."""
    case = open_case(session, username, case_ref, "", "checklist")
    items = _items(case.view)
    if not items:
        raise Say(Reply(wording.checklist_not_this_pathway(case.reference, case.view.pathway_title, case.view),
                        case_reference=case.reference))
    if not access.may_sign_checklist(case.user, case.file):
        AuditLog(session).record(username, "refused", case.reference, "checklist: not the case's team manager")
        raise Say(Reply(wording.checklist_not_yours(case.reference), case_reference=case.reference))
    said, after = [], None
    if answer is not None:
        todo = [s for s in items if s.state != DONE]
        current = next((s for s in items if s.rule_id == item), None) or (todo[0] if todo else None)
        if current is None:
            raise Say(Reply(wording.CHECKLIST_ALL_DONE, case_reference=case.reference))
        if answer:
            CaseRepository(session).record_step(case.reference, current.rule_id, clock.today(), username)
            said.append(wording.checklist_recorded(current.title, clock.today(), case.user.display_name))
            session.flush()
            session.expire_all()
            case = open_case(session, username, case.reference, "", "checklist")
            items = _items(case.view)
        else:
            AuditLog(session).record(username, "checklist_outstanding", case.reference, current.rule_id)
            said.append(wording.checklist_outstanding(current.title))
        after = current.rule_id
    order = [s.rule_id for s in items]
    start = order.index(after) + 1 if after in order else 0
    remaining = [s for s in items[start:] if s.state != DONE]
    if remaining:
        step = remaining[0]
        said.append(wording.checklist_item(order.index(step.rule_id) + 1, len(items), case.reference, step))
        return Reply("\n".join(said), buttons=list(wording.YES_NO), case_reference=case.reference, rule_id=step.rule_id,
                     asking=Question("checklist_item", rule_id=step.rule_id, case=case.reference))
    outstanding = [s.title for s in items if s.state != DONE]
    said.append(wording.checklist_still_outstanding(outstanding) if outstanding else wording.CHECKLIST_COMPLETE)
    said.append(wording.next_line(case.view))
    return Reply("\n".join(said), case_reference=case.reference)
