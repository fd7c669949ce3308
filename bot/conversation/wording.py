"""How the conversation says things: steps, checks and next steps, each cited briefly.

Replies name cases by reference only; a child's name is never read here.
"""
from __future__ import annotations

from typing import Optional

from bot.casefile import CONSENT_TO_ENGAGE, LAWFUL_BASIS_TO_SHARE, CaseFile
from bot.guidance.model import Citation
from bot.pathways import BLOCKED, DONE, PathwayView, StepView
from bot.render import STATE_WORDS, day, due_words

CONSENT_WORDS = {"given": "given", "declined": "declined", "advice_only": "advice only (no consent yet)"}


def cite(citation: Citation) -> str:
    return f"[{citation.short()}]"


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


def _consent_line(case: CaseFile, names: dict, kind: str, label: str) -> str:
    record = case.latest_consent(kind)
    if record is None:
        return f"{label}: not recorded"
    text = f"{label}: {CONSENT_WORDS.get(record.status, record.status)} on {day(record.recorded_on)}"
    if record.obtained_by:
        text += f", gained by {names.get(record.obtained_by, record.obtained_by)}"
    if record.basis:
        text += f" (basis: {record.basis})"
    return text


def checks(view: PathwayView, names: Optional[dict] = None) -> list[str]:
    """Consent, lead professional, team manager sign-off, deadlines and the next step."""
    names, case, lines = names or {}, view.case, []
    for step in (s for s in view.steps if s.kind == "consent"):
        lines.append(f"• Consent — who gains it: {owner(step)}; {STATE_WORDS[step.state]} {cite(step.citation)}")
        for blocker in step.blockers:
            lines.append(f"    blocked: {blocker}")
        break
    lines.append("    " + _consent_line(case, names, CONSENT_TO_ENGAGE, "Consent to engage"))
    lines.append("    " + _consent_line(case, names, LAWFUL_BASIS_TO_SHARE, "Lawful basis to share (a separate record)"))
    lead = next((s for s in view.steps if s.kind == "lead-professional"), None)
    if case.lead_professional:
        role = f" ({case.lead_professional.role})" if case.lead_professional.role else ""
        lines.append(f"• Lead professional: {case.lead_professional.display_name}{role}")
    elif lead:
        lines.append(f"• Lead professional: not yet agreed — {lead.title}; owner: {owner(lead)} {cite(lead.citation)}")
    for step in (s for s in view.steps if s.kind == "sign-off" and s.owner_role == "team_manager" and s.state != "not_applicable"):
        lines.append(f"• Team manager sign-off: {step_brief(step)} {cite(step.citation)}")
        lines += [f"    blocked: {b}" for b in step.blockers]
        if len(lines) > 12:
            break
    running = [s for s in view.steps if s.open and s.due_on]
    if running:
        lines.append("• Deadlines running:")
        for step in sorted(running, key=lambda s: s.due_on):
            lines.append(f"    {step_brief(step)} {cite(step.citation)}")
    waiting = [s for s in view.steps if s.open and s.clock_starts and not s.due_on]
    for step in waiting[:3]:
        lines.append(f"    {step.title} — {due_words(step)}")
    overdue = view.overdue
    lines.append(f"• Overdue: {', '.join(s.title for s in overdue)}" if overdue else "• Overdue: nothing")
    lines.append(next_line(view))
    return lines


def status(view: PathwayView) -> list[str]:
    lines = [f"{view.case.reference}: {view.pathway_title} (as of {day(view.today)})", next_line(view)]
    for label, test in (
        ("Overdue", lambda s: s.overdue),
        ("Blocked", lambda s: s.state == BLOCKED and not s.overdue),
        ("To do", lambda s: s.state == "todo" and not s.overdue),
        ("Needs information", lambda s: s.state == "needs_information"),
        ("Done", lambda s: s.state == DONE),
    ):
        steps = [s for s in view.steps if test(s)]
        if not steps:
            continue
        lines.append(f"{label}:")
        for step in steps:
            lines.append(f"  {step_brief(step)} {cite(step.citation)}")
            lines += [f"      blocked by: {b}" for b in step.blockers]
            lines += [f"      needs: {m}" for m in step.missing]
    return lines


def started(before: PathwayView, after: PathwayView) -> list[str]:
    """What recording something would start: deadlines that begin to run, and steps
    that come to apply with no timescale in the guidance."""
    lines = []
    for old, new in zip(before.steps, after.steps):
        if not new.open:
            continue
        if new.due_on and new.due_on != old.due_on:
            lines.append(f"This starts the clock: {new.title} — due by {day(new.due_on)} ({new.timescale}) {cite(new.citation)}")
        elif not old.open and not new.due_on and not new.timescale:
            lines.append(f"Then: {new.title} — the guidance sets no timescale for this {cite(new.citation)}")
    return lines
