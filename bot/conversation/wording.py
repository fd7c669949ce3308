"""Everything the assistant says to a practitioner, in one place.

Short: the first line answers; a reply is a handful of lines; a citation is a short
reference ("CADS § Parent/Carer consent"), the quoted sentence coming on "why?".
Replies name cases by reference only; a child's name is never read here.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Iterable, Optional

from bot.casefile import CONSENT_TO_ENGAGE, LAWFUL_BASIS_TO_SHARE, CaseFile, Episode
from bot.guidance.model import Citation, Rule
from bot.pathways import BLOCKED, DONE, NEEDS_INFORMATION, NOT_APPLICABLE, OPTION, TODO, PathwayView, StepView
from bot.render import day, due_words

# ---- plumbing --------------------------------------------------------------------------

DATABASE_DOWN = "I can't reach the case records just now; nothing was recorded. Please try again shortly."
UNKNOWN_USER = (
    "I don't know you as an active practitioner in ehbot, so I can't show or change any case. "
    "You can still ask me about the guidance."
)
ASK_REFERENCE = "Which case is this about? Give me its reference, like C-1042."
NOT_A_REFERENCE = "That doesn't look like a case reference (they look like C-1042). Which case is it?"
NOTHING_RECORDED = "Nothing was recorded."
NOTHING_WAITING = "There's nothing waiting to be recorded."
NOTHING_FOR_YES = "There's nothing waiting for a yes from you just now. Type 'help' to see what I can do."
SOMEONE_ELSES = "That proposal was made by someone else, so I won't record it for you. Nothing was recorded."
CANCELLED = "OK, nothing was recorded."
RESTARTED = "Starting again: nothing is waiting and no case is in focus. What would you like to do?"
CANCELLED_NOTHING = "OK. Nothing was waiting, and nothing was recorded."
DONT_KNOW_STEP = "I don't know how to record that. Nothing was recorded."
UNKNOWN_STEP_WHY = "I don't know that step, so I can't say where it comes from."
WHY_WHAT = "Why what? Tell me the case (like C-1042) or ask about a step."
ONLY_TEAM_MANAGERS = "Only a team manager can ask what's overdue across their team. Ask \"what's due on my cases?\" instead."
REJECTED = "Nothing was recorded: {reason}."

GREETING = ("Hello. I can walk you through a case after a decision, record steps as you finish them, "
            "tell you what's due, and answer questions from the guidance. Type 'help' to see how.")
GOODBYE = "Bye for now. Everything you recorded is saved against the case."
THANKS = "You're welcome."
I_AM_A_BOT = ("I'm ehbot, an automated assistant. I quote the guidance documents and your case records; "
              "I don't make decisions: your team manager does.")
OUT_OF_SCOPE = ("Sorry, that's not something I can help with. I help with CADS outcomes, step-down to CAF, "
                "Front Door and Early Help guidance, and what's due on your cases.")
NOT_SURE = "Sorry, I'm not sure what you mean, and I'd rather ask than guess. Did you mean one of these? Or say it another way."
WHICH_STEP = "Which step do you mean? Pick one, or say it another way (for example \"mum gave consent today\")."
WHO_DISAGREES = "Who disagrees: the family (a parent, carer or the child) or an agency?"
GUIDANCE_ONLY = ("Ask me about the guidance, e.g. \"who gains consent?\", \"what if consent is declined?\", "
                 "\"how do I bring a case to the CAF Support Panel?\"; every answer names its document and section.")
NOT_COVERED = ("The guidance I hold doesn't cover that, and I'd rather not guess. "
               "Please check with your team manager or the CAF Link Worker. I can help with the CADS, "
               "step-down, Front Door, Early Help and CAF Panel guidance, and with your cases' steps.")

def payload(intent: str, **entities: str) -> str:
    """A button's payload: the intent it stands for, with entities ("/case_report{...}")."""
    return f"/{intent}" + (json.dumps(entities, separators=(",", ":")) if entities else "")


YES_NO = [("Yes", "/affirm"), ("No", "/deny")]
RECORD_OR_NOT = [("Yes, record it", "/affirm"), ("No", "/deny")]
CONSENT_WORDS = {"given": "given", "declined": "declined", "advice_only": "advice only (no consent yet)"}


def rejected(reason: str) -> str:
    return REJECTED.format(reason=reason)


def help_text(name: str, team_manager: bool) -> str:
    lines = [
        f"Hello {name}. I can:",
        "• walk a CADS outcome: \"finished the CADS for C-1042, threshold not met\"",
        "• record what's done (I ask before I write): \"the TM signed it off this morning on C-1042\"",
        "• say whether a step can be done yet: \"can I tell the referrer on C-1042?\"",
        "• show a case: \"what's left on C-1042?\"; \"why?\" gives the guidance behind a step",
        "• list deadlines: \"what's due on my cases this week?\"",
    ]
    if team_manager:
        lines.append("• for your team: \"what's overdue in my team?\" and the step-down pre-closure checklist")
    lines.append("• " + GUIDANCE_ONLY)
    return "\n".join(lines)


def help_unknown() -> str:
    return "I only answer guidance questions for you, as I don't know you as an active practitioner in ehbot.\n" + GUIDANCE_ONLY


# ---- citations and steps --------------------------------------------------------------

def cite(citation: Citation) -> str:
    return f"[{citation.brief()}]"


def quote(citation: Citation) -> str:
    return f'"{citation.quote}" — {citation.title}, \u00a7 {citation.section}'


def owner(step: StepView) -> str:
    label = step.owner_label or "owner not recorded"
    return f"{label} ({step.owner_name})" if step.owner_name else label


def step_brief(step: StepView) -> str:
    text = f"{step.title} — {due_words(step)}"
    if step.booked_for and step.state != DONE:
        text += f", booked for {day(step.booked_for)}"
    return text


def next_line(view: PathwayView) -> str:
    nxt = view.next_step
    if nxt is None:
        waiting = [s for s in view.steps if s.state == BLOCKED]
        if waiting:
            return f"Next: nothing can be done yet; waiting on {waiting[0].title} ({'; '.join(waiting[0].blockers)})."
        return "Next: nothing is due on this pathway now."
    return f"Next: {step_brief(nxt)}; owner: {owner(nxt)} {cite(nxt.citation)}"


def why_text(rule: Rule) -> str:
    lines = [f"{rule.title}: {quote(rule.citation)}"]
    for more in rule.also_cites[:2]:
        lines.append(f'Also: "{more.quote}" (\u00a7 {more.section})')
    if rule.timescale():
        lines.append(f"Timescale: {rule.timescale()}.")
    if rule.reading:
        lines.append(f"How ehbot reads it: {rule.reading}")
    return "\n".join(lines)


def nothing_next(reference: str, view: PathwayView) -> str:
    return f"Nothing is next on {reference}.\n{next_line(view)}"


# ---- the case: checks and status ------------------------------------------------------

def _consent_line(case: CaseFile, names: dict, kind: str, label: str) -> str:
    record = case.latest_consent(kind)
    if record is None:
        return f"{label}: not recorded"
    text = f"{label}: {CONSENT_WORDS.get(record.status, record.status)} on {day(record.recorded_on)}"
    if record.obtained_by:
        text += f", gained by {names.get(record.obtained_by, record.obtained_by)}"
    return text


def checks(view: PathwayView, names: Optional[dict] = None) -> list[str]:
    """Consent, lead professional and team manager sign-off on one line; then what is next."""
    names, case, parts = names or {}, view.case, []
    consent = next((s for s in view.steps if s.kind == "consent"), None)
    if consent is not None:
        parts.append(f"{_consent_line(case, names, CONSENT_TO_ENGAGE, 'Consent')} (gained by: {owner(consent)})")
    lead = next((s for s in view.steps if s.kind == "lead-professional"), None)
    if case.lead_professional:
        role = f" ({case.lead_professional.role})" if case.lead_professional.role else ""
        parts.append(f"Lead professional: {case.lead_professional.display_name}{role}")
    elif lead is not None:
        parts.append("Lead professional: not yet agreed")
    sign_off = next((s for s in view.steps if s.kind == "sign-off" and s.owner_role == "team_manager"
                     and s.state not in (NOT_APPLICABLE, DONE)), None)
    if sign_off is not None:
        parts.append(f"Team manager sign-off: {STATE_WORDS_SHORT.get(sign_off.state, sign_off.state)}")
    lines = ["Checks: " + " · ".join(parts)] if parts else []
    lines.append(next_line(view))
    return lines


STATE_WORDS_SHORT = {TODO: "to do", BLOCKED: "waiting", NEEDS_INFORMATION: "needs information"}


STATUS_GROUPS = (
    ("Overdue", lambda s: s.overdue),
    ("Blocked", lambda s: s.state == BLOCKED and not s.overdue),
    ("To do", lambda s: s.state == TODO and not s.overdue),
    ("Needs information", lambda s: s.state == NEEDS_INFORMATION),
    ("Options (not owed)", lambda s: s.state == OPTION),
    ("Done", lambda s: s.state == DONE),
)
SHORT_STATUS_ROWS = 3


def status(view: PathwayView, everything: bool = False) -> list[str]:
    """What is next, then the steps by state; short unless ``everything``."""
    lines = [f"{view.case.reference}: {view.pathway_title} (as of {day(view.today)})", next_line(view)]
    for label, test in STATUS_GROUPS:
        steps = [s for s in view.steps if test(s)]
        if not steps:
            continue
        if not everything and label == "Done":
            lines.append(f"Done: {len(steps)} step{'s' if len(steps) != 1 else ''}.")
            continue
        shown = steps if everything else steps[:SHORT_STATUS_ROWS]
        if everything:
            lines.append(f"{label}:")
            for step in shown:
                lines.append(f"  {step_brief(step)} {cite(step.citation)}")
                lines += [f"      blocked by: {b}" for b in step.blockers]
                lines += [f"      needs: {m}" for m in step.missing]
        else:
            more = f" (+{len(steps) - len(shown)} more)" if len(steps) > len(shown) else ""
            lines.append(f"{label}: " + "; ".join(step_brief(s) for s in shown) + more)
    if not everything:
        lines.append(f"Say \"show all on {view.case.reference}\" for every step with its citation.")
    return lines


def started(before: PathwayView, after: PathwayView) -> list[str]:
    """What recording something would start: a deadline that begins to run, or a step that
    comes to apply with no timescale in the guidance (said, so none is assumed)."""
    lines = []
    for old, new in zip(before.steps, after.steps):
        if not new.open:
            continue
        if new.due_on and new.due_on != old.due_on:
            lines.append(f"Starts the clock: {new.title} — due by {day(new.due_on)} ({new.timescale}) {cite(new.citation)}")
        elif not old.open and not new.due_on and not new.timescale:
            lines.append(f"Then: {new.title} — the guidance sets no timescale for this {cite(new.citation)}")
    return lines[:1]


# ---- proposals ------------------------------------------------------------------------

def proposal_line(statement: str, reference: str, when: dt.date, who: str, booking: bool = False) -> str:
    """The first line of a proposal: exactly what will be recorded."""
    if booking:
        return f"{statement} on {reference} for {day(when)}, booked by {who}. Shall I record it?"
    return f"{statement} on {reference}, {day(when)}, by {who}. Shall I record it?"


def recorded_line(statement: str, reference: str, when: dt.date, who: str, booking: bool = False) -> str:
    if booking:
        return f"Booked on {reference}: {statement} for {day(when)}, by {who}."
    return f"Recorded on {reference}: {statement}, {day(when)}, by {who}."


def already_recorded(reference: str) -> str:
    return f"That was already recorded on {reference}; nothing changed."


def booking_after_deadline(step: StepView) -> str:
    return f"Note: that is after its deadline ({step_brief(step)})."


def expected_first(step: StepView) -> str:
    return "Note: the guidance expects this first: " + "; ".join(step.blockers)


def moves_to(pathway_title: str) -> str:
    return f"The case moves to: {pathway_title}"


def lead_professional_line(name: str, role: str) -> str:
    return f"Lead professional: {name} ({role})"


def consent_line(kind: str, status_word: str, gained_by: str, given_by_kept: bool) -> str:
    what = "lawful basis to share" if kind == LAWFUL_BASIS_TO_SHARE else "consent to engage"
    return (f"Recorded as: {what}, {CONSENT_WORDS[status_word]}, gained by {gained_by}"
            + (" (who gave it is kept on the case record)" if given_by_kept else ""))


# ---- dates ----------------------------------------------------------------------------

def date_in_past_for_booking(when: dt.date) -> str:
    return (f"{day(when)} is in the past, and a booking is for today or later. If it has already happened, "
            "tell me it was held; otherwise tell me the date it is booked for. Nothing is recorded.")


def date_in_future_for_done(when: dt.date, today: dt.date) -> str:
    return (f"{day(when)} is in the future, but this is something already done. When was it done? "
            f"(Today is {day(today)}.) Nothing is recorded.")


def date_before_opened(when: dt.date, reference: str, opened: dt.date, reopened: bool = False) -> str:
    return (f"{day(when)} is before {reference} was {'reopened' if reopened else 'opened'} ({day(opened)}). "
            "Which date was it? Nothing is recorded.")


def unclear_date(problem: str) -> str:
    return f"{problem} Nothing is recorded yet."


def which_outcome(outcomes: Iterable[str]) -> str:
    return f"How did it turn out: {', '.join(o.replace('_', ' ') for o in outcomes)}?"


WHO_AGREED = "Who agreed to be lead professional? Tell me their role or name, e.g. \"the school nurse agreed\"."


# ---- a case's episodes: closing, reopening, history ---------------------------------------

def closed_case(reference: str, closed_on: dt.date) -> str:
    return (f"{reference} is closed (since {day(closed_on)}): nothing on it is owed or reminded. "
            f"Say \"reopen {reference}\" if it is re-referred, or \"history of {reference}\" for its episodes.")


def close_proposal(reference: str, episode: int, when: dt.date, who: str) -> str:
    return f"Close {reference} (episode {episode}), {day(when)}, by {who}. Shall I record it?"


def reason_line(reason: Optional[str]) -> str:
    return f"Reason: {reason}" if reason else "Reason: none given (you can say one, e.g. \"plan met\")."


def still_open_on_closing(steps: list[StepView]) -> str:
    if not steps:
        return "Nothing on it is still open."
    count = f"{len(steps)} step{'s' if len(steps) != 1 else ''}"
    return f"Still open: {count}, first {steps[0].title}. Once it is closed they are no longer owed or reminded."


def closed_line(reference: str, when: dt.date, who: str) -> str:
    return (f"Recorded: {reference} closed, {day(when)}, by {who}. Its steps are no longer owed or reminded; "
            f"say \"reopen {reference}\" if it is re-referred.")


def open_nothing_to_reopen(reference: str, episode: int, opened: dt.date) -> str:
    return f"{reference} is open (episode {episode}, from {day(opened)}), so there is nothing to reopen."


def reopen_proposal(reference: str, episode: int, pathway_title: str, when: dt.date, who: str) -> str:
    return (f"Reopen {reference} as episode {episode} ({pathway_title}), from {day(when)}, by {who}. "
            "Shall I record it?")


def reopen_keeps(reference: str, closed_on: dt.date) -> str:
    return (f"The episode closed on {day(closed_on)} stays in {reference}'s history; the new one starts "
            "with no steps, consents or lead professional of its own.")


def reopened_line(reference: str, episode: int, when: dt.date, who: str) -> str:
    return f"Recorded: {reference} reopened as episode {episode}, {day(when)}, by {who}."


WAYS = {"early_help": "to early help", "social_care": "back to social care"}


def no_such_move(reference: str, pathway_title: str, towards: Optional[str], offered) -> str:
    way = f" {WAYS[towards]}" if towards else ""
    first = f"The guidance gives no move{way} from {pathway_title}, where {reference} is. Nothing is recorded."
    if offered:
        first += " It gives: " + "; ".join(f"{m.title} {cite(m.citation)}" for m in offered) + "."
    return first


def move_waits(reference: str, to_title: str, step_title: str, citation) -> str:
    return (f"Not yet: {reference} moves to {to_title} after this step, not recorded yet: {step_title} "
            f"{cite(citation)}. Nothing is recorded.")


def move_open(reference: str, to_title: str, when: dt.date, citation) -> str:
    return (f"Yes: {reference} can move to {to_title} now; its clock would count from {day(when)} {cite(citation)}. "
            f"Say \"move {reference}\" to record it.")


def move_proposal(reference: str, episode: int, to_title: str, when: dt.date, who: str, citation) -> str:
    return (f"Move {reference} to {to_title} (episode {episode}), from {day(when)}, by {who}. Shall I record it? "
            f"{cite(citation)}")


def move_keeps(reference: str, from_title: str, starts: Optional[str], has_lead: bool) -> str:
    kept = f"The steps done on {from_title} stay done in {reference}'s history"
    kept += "; the lead professional goes on." if has_lead else "."
    return kept + (f" Recorded with it: {starts}." if starts else "")


def lead_change_proposal(reference: str, name: str, before: str, when: dt.date, who: str) -> str:
    return (f"Lead professional on {reference}: {name} from {day(when)}, in place of {before}, by {who}. "
            "Shall I record it? The earlier one stays in the case's history.")


def lead_change_before(reference: str, name: str, since: dt.date, when: dt.date) -> str:
    return (f"{name} is lead professional on {reference} from {day(since)}: a change is from that day or later, "
            f"not {day(when)}. Which date was it? Nothing is recorded.")


def family_offer(reference: str, also: list[str]) -> str:
    return (f"This is done for the family: say yes to record it on {', '.join(also)} too (linked with {reference}), "
            f"or \"only {reference}\".")


def family_recorded(also: list[str]) -> str:
    return f"Also recorded for the family on {', '.join(also)}."


def moved_line(reference: str, to_title: str, episode: int, when: dt.date, who: str) -> str:
    return f"Recorded: {reference} moved to {to_title} (episode {episode}), from {day(when)}, by {who}."


def date_before_closed(when: dt.date, reference: str, closed: dt.date) -> str:
    return f"{day(when)} is before {reference} was closed ({day(closed)}). Which date was it? Nothing is recorded."


def history(reference: str, episodes: list[Episode], registry, everything: bool = False,
            family: Iterable[str] = ()) -> list[str]:
    """A case's episodes, oldest first: dates, why closed or reopened, lead professional, steps
    (pathways and steps by their titles in ``registry``, by id where the guidance no longer has them)."""
    pathway_titles = {pid: p.title for pid, p in registry.pathways.items()}
    step_titles = {rid: r.title for rid, r in registry.rules.items()}
    count = len(episodes)
    lines = [f"{reference}: {count} episode{'s' if count != 1 else ''}."]
    family = list(family)
    if family:
        lines[0] += f" Linked as a family with {', '.join(family)}."
    for e in episodes:
        title = pathway_titles.get(e.pathway, e.pathway)
        span = f"{day(e.opened_on)} to {day(e.closed_on)}" if e.closed_on else f"from {day(e.opened_on)}, open"
        parts = [f"Episode {e.number}: {title}, {span}"]
        if e.moved_by and e.moved_by in registry.moves:
            parts.append(f"moved: {registry.moves[e.moved_by].title}")
        if e.reopen_reason:
            parts.append(f"reopened: {e.reopen_reason}")
        if e.closed_on:
            parts.append(f"closed: {e.close_reason}" if e.close_reason else "closed")
        if len(e.lead_professionals) > 1:
            parts.append("lead professionals " + ", then ".join(
                c.name + (f" from {day(c.from_date)}" if c.from_date else "") + (f" ({c.reason})" if c.reason else "")
                for c in e.lead_professionals))
        elif e.lead_professional:
            parts.append(f"lead professional {e.lead_professional}")
        if not e.steps:
            parts.append("no steps recorded")
        elif not everything:
            last = e.steps[-1]
            parts.append(f"{len(e.steps)} step{'s' if len(e.steps) != 1 else ''} recorded, last: "
                         f"{step_titles.get(last.rule_id, last.rule_id)}, {day(last.done_on)}")
        lines.append("; ".join(parts) + ".")
        if everything:
            lines += [f"  {day(s.done_on)}: {step_titles.get(s.rule_id, s.rule_id)}"
                      + (f" ({s.outcome.replace('_', ' ')})" if s.outcome else "") for s in e.steps]
    if not everything and any(e.steps for e in episodes):
        lines.append(f"Say \"show all history of {reference}\" for every step.")
    return lines


# ---- steps that do not fit, may be done, or have not happened -------------------------

def no_fit(label: str, reference: str, done: Optional[StepView], first_on_path: Optional[StepView],
           pathway_title: str, view: PathwayView) -> str:
    if done is not None:
        first = f"{label}: already recorded on {reference} ({due_words(done)})."
    elif first_on_path is not None:
        first = f"{label}: that doesn't apply on {reference} as things stand ({first_on_path.title})."
    else:
        first = f"{label} isn't a step on {reference}'s pathway ({pathway_title})."
    return f"{first} Nothing is recorded.\n{next_line(view)}"


def may_i(step: StepView, reference: str) -> str:
    """"Can I tell the referrer yet?": whether the step may be done now, and what blocks it."""
    when = f" ({due_words(step)})" if step.due_on or step.clock_starts else ""
    if step.state == DONE:
        first = f"Yes, and it's already done: {step.title} is recorded on {reference} ({due_words(step)})."
    elif step.state == TODO:
        first = f"Yes, you can go ahead now: {step.title}{when}."
    elif step.state == BLOCKED:
        first = f"Not yet on {reference}: {'; '.join(step.blockers)}."
    elif step.state == NEEDS_INFORMATION:
        first = f"I can't tell yet: {step.title} on {reference} depends on {'; '.join(step.missing)}."
    elif step.state == OPTION:
        first = f"Yes, if it helps: {step.title} is an option the guidance offers on {reference}, not a step you owe."
    else:
        first = f"No: {step.title} doesn't apply on {reference} as things stand."
    lines = [first]
    if step.state == BLOCKED:
        lines.append(f"The step: {step.title}{when}")
    lines += [f"Owner: {owner(step)} {cite(step.citation)}", "Nothing was recorded."]
    if step.state in (TODO, BLOCKED):
        lines.append("Tell me once it's done and I'll record it.")
    return "\n".join(lines)


def not_done(label: str, step: Optional[StepView], reference: str, view: PathwayView) -> str:
    """"The TM hasn't signed it off yet": nothing recorded; where the step stands."""
    if step is None:
        return f"Noted: {label.lower()} isn't done yet on {reference}. Nothing was recorded.\n{next_line(view)}"
    if step.state == DONE:
        return (f"{step.title} is already recorded as done on {reference} ({due_words(step)}). "
                "If that's wrong, tell me what to correct. Nothing was changed.")
    stands = f": {due_words(step)}" if (step.due_on or step.clock_starts) else ""
    lines = [f"Noted: {step.title} is not done yet on {reference}, so nothing was recorded.",
             f"It is still outstanding{stands}; owner: {owner(step)} {cite(step.citation)}"]
    if step.blockers:
        lines.append("Blocked: " + "; ".join(step.blockers))
    lines.append("Tell me when it's done (or the new date, if it's rebooked).")
    return "\n".join(lines)


def correction(reference: str, steps: list[StepView]) -> str:
    if not steps:
        return f"Nothing of that kind is recorded on {reference}, so there's nothing to correct. Nothing was changed."
    listed = "; ".join(f"{s.title} ({due_words(s)})" for s in steps[:3])
    return (f"To correct an entry on {reference}: {listed}. I can't change a recorded entry in chat; "
            "ask your team manager or system administrator to amend it on the case record, "
            "then tell me the right date and I'll record it. Nothing was changed.")


# ---- due lists ------------------------------------------------------------------------

def due_heading(scope: str, team: str, today: dt.date, horizon: dt.date) -> str:
    if scope == "team":
        return f"Overdue on {team}'s cases (as of {day(today)}):"
    return f"Due on your cases up to {day(horizon)}, and everything overdue on them:"


def due_nothing(scope: str, team: str, horizon: dt.date) -> str:
    if scope == "team":
        return f"Nothing is overdue on {team}'s cases."
    return f"Nothing is due on your cases up to {day(horizon)}, and nothing is overdue: you're up to date."


def due_row(reference: str, step: StepView) -> str:
    late = ""
    if step.overdue:
        late = f", OVERDUE by {step.days_overdue} day{'s' if step.days_overdue != 1 else ''}"
    return f"  {reference}: {step.title} — due {day(step.due_on)}{late}"


# ---- the checklist and the ladder ------------------------------------------------------

def checklist_not_this_pathway(reference: str, pathway_title: str, view: PathwayView) -> str:
    return (f"The pre-closure checklist belongs to a step down from CSC; {reference} is on "
            f"{pathway_title}.\n{next_line(view)}")


def checklist_not_yours(reference: str) -> str:
    return ("Only the case's team manager (or an Early Help & Specialist Support Manager) records the "
            f"pre-closure checklist. Ask \"what's left on {reference}?\" to see where it stands.")


def checklist_item(n: int, total: int, reference: str, step: StepView) -> str:
    return f"Pre-closure check {n} of {total} on {reference}: {step.title}. Is it done? {cite(step.citation)}"


def checklist_recorded(title: str, when: dt.date, who: str) -> str:
    return f"Recorded: {title}, {day(when)}, by {who}."


def checklist_outstanding(title: str) -> str:
    return f"Noted as outstanding: {title}."


CHECKLIST_ALL_DONE = "Every pre-closure check is already recorded."
CHECKLIST_COMPLETE = "All pre-closure checks are recorded."


def checklist_still_outstanding(titles: list[str]) -> str:
    return "Still outstanding: " + "; ".join(titles) + ". The closure sign-off waits for these."


def no_ladder(reference: str, pathway_title: str, view: PathwayView) -> str:
    return f"{reference}'s pathway ({pathway_title}) has no lead professional ladder.\n{next_line(view)}"


def ladder_nothing_open(reference: str, lead: Optional[str], view: PathwayView) -> str:
    first = (f"{reference} has a lead professional: {lead}." if lead
             else f"The lead professional ladder on {reference} has nothing open.")
    return f"{first}\n{next_line(view)}"


def ladder_rung(reference: str, n: int, total: int, step: StepView) -> str:
    return (f"Lead professional ladder on {reference}, rung {n} of {total}: {step.title}; owner: {owner(step)} "
            f"{cite(step.citation)}\nHas a lead professional been found?")


def no_lead_professional_statement(rung_title: str, first_rung: bool) -> str:
    return "No lead professional found" if first_rung else f"{rung_title}: no lead professional found"


def ladder_next(step: Optional[StepView]) -> str:
    if step is None:
        return ""
    return f"Then: {step.title}; owner: {owner(step)} {cite(step.citation)}"


# ---- outcomes -------------------------------------------------------------------------

def not_a_cads_case(reference: str, pathway_title: str, view: PathwayView) -> str:
    return f"{reference} is on {pathway_title}, not a CADS outcome.\n{next_line(view)}"


def which_outcome_path(reference: str) -> str:
    return f"Which outcome path is this for {reference}?"


def outcome_already_recorded(reference: str, step: StepView) -> str:
    return f"The assessment outcome on {reference} is already recorded ({due_words(step)})."


def move_case(pathway_title: str) -> str:
    return f"Shall I move the case to: {pathway_title}?"


def path_differs(recorded_title: str) -> str:
    return f"(It was recorded as: {recorded_title}; yes moves it.)"


# ---- guidance -------------------------------------------------------------------------

def past_its_review_date(document: str, review_by: dt.date) -> str:
    return f"The {document} guidance was due for review by {day(review_by)}: check it is still current."


def guidance_answer(rule: Rule, no_timescale: bool = False, gaps: tuple[str, ...] = (),
                    also: Optional[Rule] = None, unspecified: Optional[str] = None) -> str:
    lines = []
    if gaps:
        lines.append(f"The guidance doesn't say anything specific about {' or '.join(repr(g) for g in gaps)}; "
                     "the nearest it says:")
    if unspecified:
        lines.append(f"The guidance doesn't specify {unspecified} for this. What it says:")
    lines.append(rule.answer or rule.title)
    if no_timescale and not unspecified:
        lines.append("The guidance doesn't specify a timescale for this, so none should be assumed.")
    if also is not None:
        lines.append(f"Also: {also.answer or also.title} [{also.citation.brief()}]")
    lines.append(f"Source: {rule.citation.brief()}. Say \"why?\" for the exact words.")
    return "\n".join(lines)


def guidance_choice_button(rule: Rule) -> tuple[str, str]:
    """A button for one of two answers from different documents: its words ask for that one."""
    name = rule.citation.document_name or rule.citation.title
    return (f"{name}: {rule.title}"[:75], f"{rule.title} ({name} guidance)")


def out_of_date(document_name: str, review_date: str) -> str:
    return f"Note: the {document_name} document was due for review on {review_date}; check it is still current."


# ---- safeguarding ---------------------------------------------------------------------

def safeguarding(contacts: list[str], quotes: list[Citation], kept_proposal: bool) -> str:
    lines = [
        "This needs acting on now, under your safeguarding procedures.",
        "If a child is in immediate danger, call 999. Otherwise contact the Front Door / safeguarding "
        "duty team today and follow the safeguarding procedures.",
    ]
    lines += contacts
    lines.append("I don't take referrals, and I've recorded nothing from this message.")
    for cited in quotes:
        lines.append(f'"{cited.quote}" [{cited.brief()}]')
    if kept_proposal:
        lines.append("What was waiting for your yes is still waiting.")
    return "\n".join(lines)


IF_THIS_IS_HARM = ("If this tells of harm to a child: call 999 if they are in immediate danger, otherwise "
                   "contact the Front Door / safeguarding duty team today.")


def safeguarding_contact(label: str, value: str) -> str:
    return f"{label}: {value}"


# ---- timeliness ------------------------------------------------------------------------

def timeliness_summary(report, worst, username: str) -> str:
    """The first line the whole picture; then the three timescales most in need of attention."""
    whole = report.total
    where = report.team or "the cases you can see"
    if not whole.due:
        return f"No timescale fell due on {where} since {day(report.start)}."
    lines = [f"Timescales on {where} since {day(report.start)}: {whole.on_time} of {whole.due} met on time "
             f"({100 * whole.on_time_share:.0f}%)."]
    if worst:
        lines.append("Most in need of attention:")
    for row in worst:
        t = row.tally
        lines.append(f"- {row.title} ({row.timescale}): {t.on_time} of {t.due} on time, {t.overdue} overdue now "
                     f"[{row.citation}]")
    team = f' --team "{report.team}"' if report.team else ""
    lines.append(f"The rest: ehbot report timeliness --as {username}{team} --format html --out var/timeliness.html")
    return "\n".join(lines)


# ---- a button pressed on a reminder post (in the presser's direct message) --------------------

REMINDER_GONE = "I can't find that reminder any more, so nothing was changed."
REMINDER_PICK_A_DATE = "Pick a date in \"Remind me on…\" and I'll hold the reminder until then. Nothing was changed."


def reminder_step_gone(reference: str) -> str:
    return f"That step is no longer on {reference}'s pathway, so there is nothing to record. Nothing was changed."


def reminder_already_done(reference: str, title: str) -> str:
    return f"{title} is already recorded on {reference}; nothing to do."


def reminder_say_it(reference: str, title: str) -> str:
    return f"Tell me in your own words what was done for {title} on {reference}, and I'll propose it."


def hold_not_for_overdue(reference: str, title: str) -> str:
    return f"{title} on {reference} is overdue: its reminders are never held back. Nothing was changed."


def hold_in_past(when: dt.date, today: dt.date) -> str:
    return f"{day(when)} is in the past (today is {day(today)}). Pick today or a later day. Nothing was changed."


def hold_after_due(when: dt.date, due_on: dt.date) -> str:
    return (f"{day(when)} is after the due date ({day(due_on)}), and the due date doesn't move. "
            f"Pick a day on or before it. Nothing was changed.")


def reminder_held(reference: str, title: str, when: dt.date, due_on: dt.date) -> str:
    return (f"OK: no reminder of {title} on {reference} before {day(when)}. "
            f"It is still due {day(due_on)}, and if it goes overdue that reminder comes anyway.")


def escalation_why(citation: Citation) -> str:
    return f"Escalation: {quote(citation)}"
