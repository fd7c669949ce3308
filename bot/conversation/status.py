"""Where a case stands, what is due (mine) or overdue (my team), and why a step is owed."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from bot import access, clock
from bot.conversation import episodes, phrases, wording
from bot.conversation.cases import Say, open_case, user_of
from bot.conversation.reply import Reply
from bot.db.repositories import AuditLog, CaseRepository
from bot.guidance import registry
from bot.pathways import evaluate


def case_status(session, user: Optional[str], case_ref: Optional[str], text: str = "", everything: bool = False) -> Reply:
    case = open_case(session, user, case_ref, text, "status")
    closed = episodes.status_if_closed(case)
    if closed is not None:
        return closed
    nxt = case.view.next_step
    return Reply("\n".join(wording.status(case.view, everything=everything)), case_reference=case.reference,
                 rule_id=nxt.rule_id if nxt else None)


def why(session, user: Optional[str], case_ref: Optional[str], rule_id: Optional[str]) -> Reply:
    reg = registry()
    if rule_id:
        rule = reg.rules.get(rule_id)
        if rule is None:
            return Reply(wording.UNKNOWN_STEP_WHY)
        return Reply(wording.why_text(rule), case_reference=case_ref, rule_id=rule.id)
    if not case_ref:
        raise Say(Reply(wording.WHY_WHAT))
    case = open_case(session, user, case_ref, "", "why")
    nxt = case.view.next_step
    if nxt is None:
        return Reply(wording.nothing_next(case.reference, case.view), case_reference=case.reference)
    return Reply(wording.why_text(reg.rule(nxt.rule_id)), case_reference=case.reference, rule_id=nxt.rule_id)


def due(session, username: Optional[str], scope: str, text: str = "", via: str = "chat") -> Reply:
    """"What's due on my cases this week?" (mine) / "what's overdue in my team?" (team).
    ``via`` names where the list is shown, for the audit trail (the chat, or the weekly message)."""
    user = user_of(session, username)
    scope = "team" if scope == "team" else "mine"  # it goes into the audit trail: one of two words, never the caller's
    today = clock.today()
    horizon = today + dt.timedelta(days=phrases.period_days(text))
    if scope == "team":
        if not access.leads_team(user):
            return Reply(wording.ONLY_TEAM_MANAGERS)
        wanted = lambda f: f.team == user.team.name and access.may_see(user, f)  # noqa: E731
        keep = lambda step: step.overdue  # noqa: E731
    else:
        wanted = lambda f: access.is_involved(user, f)  # noqa: E731
        mine = lambda step: step.owner is not None and step.owner.username == user.username  # noqa: E731
        keep = lambda step: step.overdue or (mine(step) and step.due_on <= horizon)  # noqa: E731
    rows = []
    audit = AuditLog(session)
    for file in CaseRepository(session).open_cases():
        if not wanted(file):
            continue
        try:
            view = evaluate(file, today=today)
        except Exception:  # a case on guidance not enabled here is skipped, not fatal
            continue
        found = [s for s in view.steps if s.open and s.due_on and keep(s)]
        if found:
            audit.record(user.username, "view", file.reference, f"{via}: due list ({scope})")
        rows += [(s.due_on, file.reference, s) for s in found]
    team = user.team.name if user.team else ""
    if not rows:
        return Reply(wording.due_nothing(scope, team, horizon))
    lines = [wording.due_heading(scope, team, today, horizon)]
    lines += [wording.due_row(ref, step) for _, ref, step in sorted(rows, key=lambda r: (r[0], r[1]))]
    return Reply("\n".join(lines))
