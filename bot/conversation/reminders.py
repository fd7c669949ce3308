"""A button pressed on a reminder post: "Done", "Remind me on <date>", "Why?".

The post names the reminder by its id only. The case is found from the reminder and
opened as any chat turn opens one: bot.access decides, the look is audited, and a
refusal reads like "no such case". "Done" proposes the step, recorded only on yes;
"Remind me on" holds the item's next due-soon or due-today reminder until that day
(the due date never moves; an overdue step or an escalation is never held back);
"Why?" quotes the rule. The reply goes to the presser alone (the Slack channel sends
it to their direct message with the app).
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

from bot import clock
from bot.conversation import episodes, family, proposals, wording
from bot.conversation.cases import OpenCase, open_case, user_of
from bot.conversation.concepts import Candidate, concepts, recordable
from bot.conversation.reply import Reply
from bot.db.models import HOLDABLE_STAGES
from bot.db.repositories import AuditLog
from bot.guidance import registry
from bot.notify.outbox import Outbox, Pressed

log = logging.getLogger(__name__)

PRESSES = ("done", "hold", "why")


def pressed(session, user: Optional[str], reminder_id: str, press: str, remind_on: Optional[str] = None) -> Reply:
    item = Outbox(session).pressed(int(reminder_id)) if str(reminder_id).isdigit() else None
    if item is None or press not in PRESSES:
        user_of(session, user)  # an unknown sender is told that first
        return Reply(wording.REMINDER_GONE)
    case = open_case(session, user, item.case_reference, "", f"reminder {press}")
    if press == "why":
        return _why(case, item)
    closed = episodes.status_if_closed(case)
    if closed is not None:
        return closed
    if press == "done":
        return _done(session, case, item)
    return _hold(session, case, item, remind_on)


def _title(item: Pressed) -> str:
    rule = registry().rules.get(item.rule_id)
    return rule.title if rule else item.rule_id


def _why(case: OpenCase, item: Pressed) -> Reply:
    rule = registry().rules.get(item.rule_id)
    if rule is None:
        return Reply(wording.UNKNOWN_STEP_WHY, case_reference=case.reference)
    lines = [wording.why_text(rule)]
    if item.stage == "escalated" and rule.escalate is not None:
        lines.append(wording.escalation_why(rule.escalate.citation))
    return Reply("\n".join(lines), case_reference=case.reference, rule_id=rule.id)


def _candidate(case: OpenCase, rule_id: str) -> tuple[Optional[str], Optional[Candidate]]:
    """How the chat records this rule: the concept that maps to it (consent: given), else the step itself."""
    reg = registry()
    pack = reg.rule(rule_id).pack
    for concept in concepts().values():
        for candidate in concept.candidates(pack):
            if candidate.rule == rule_id and candidate.consent in (None, "given"):
                return concept.label, candidate
    rule = reg.rule(rule_id)
    if rule.kind == "consent":
        return None, None
    return rule.title, Candidate(rule=rule_id)


def _done(session, case: OpenCase, item: Pressed) -> Reply:
    focus = dict(case_reference=case.reference, rule_id=item.rule_id)
    try:
        step = case.view.step(item.rule_id)
    except KeyError:
        return Reply(wording.reminder_step_gone(case.reference), case_reference=case.reference)
    if not recordable(step, registry()):
        return Reply(wording.reminder_already_done(case.reference, step.title), **focus)
    label, candidate = _candidate(case, item.rule_id)
    if candidate is None:
        return Reply(wording.reminder_say_it(case.reference, step.title), **focus)
    # The same proposal as the chat's for that step: recorded only when they say yes.
    reply, _ = proposals.proposal_reply(case, label, candidate, step, "")
    return family.offer(session, case, reply)


def _hold(session, case: OpenCase, item: Pressed, remind_on: Optional[str]) -> Reply:
    focus = dict(case_reference=case.reference, rule_id=item.rule_id)
    try:
        when = dt.date.fromisoformat(remind_on or "")
    except ValueError:
        return Reply(wording.REMINDER_PICK_A_DATE, **focus)
    today = clock.today()
    if item.stage not in HOLDABLE_STAGES or item.due_on < today:
        return Reply(wording.hold_not_for_overdue(case.reference, _title(item)), **focus)
    if when < today:
        return Reply(wording.hold_in_past(when, today), **focus)
    if when > item.due_on:
        return Reply(wording.hold_after_due(when, item.due_on), **focus)
    if Outbox(session).hold(item, when, case.user.id):
        # Ids, the rule and dates: no personal detail.
        AuditLog(session).record(case.user.username, "hold_reminder", case.reference,
                                 f"reminder {item.id}: {item.rule_id} due {item.due_on} held until {when}")
        log.info("reminder %s on %s held until %s", item.id, case.reference, when)
    return Reply(wording.reminder_held(case.reference, _title(item), when, item.due_on), **focus)
