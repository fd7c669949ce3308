"""A pathway view in words (for the terminal and chat) and as JSON-ready data."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from bot.pathways import BLOCKED, DONE, NEEDS_INFORMATION, NOT_APPLICABLE, OPTION, TODO, PathwayView, StepView

STATE_WORDS = {
    DONE: "done",
    TODO: "to do",
    BLOCKED: "blocked",
    NOT_APPLICABLE: "not applicable",
    OPTION: "option",
    NEEDS_INFORMATION: "needs information",
}


def day(d: Optional[dt.date]) -> str:
    """A date as practitioners write it: Tue 8 Dec 2026."""
    return f"{d:%a} {d.day} {d:%b %Y}" if d else ""


def due_words(step: StepView) -> str:
    if step.state == DONE:
        return f"done {day(step.done_on)}" + (f" by {step.done_by}" if step.done_by else "")
    if step.state == OPTION:
        return "an option the guidance offers, not owed"
    if step.due_on:
        if step.due_from == step.due_on:
            text = f"due on {day(step.due_on)}"
        else:
            window = f"from {day(step.due_from)} " if step.due_from else ""
            text = f"due {window}by {day(step.due_on)}"
        if step.overdue:
            text += f", OVERDUE by {step.days_overdue} day{'s' if step.days_overdue != 1 else ''}"
        return text
    if step.clock_starts:
        return f"due date not yet known ({step.clock_starts}; {step.timescale})"
    if step.timescale:
        return step.timescale
    return "the guidance sets no timescale"


def step_line(step: StepView) -> str:
    owner = step.owner_label or "owner not recorded"
    if step.owner_name:
        owner = f"{owner} ({step.owner_name})"
    parts = [f"[{STATE_WORDS[step.state]}] {step.title}", f"owner: {owner}", due_words(step)]
    if step.booked_for and step.state != DONE:
        late = " — AFTER its deadline" if step.booked_after_due else ""
        parts.append(f"booked for {day(step.booked_for)}{late}")
    if step.outcome and step.state == DONE:
        parts.append(f"outcome: {step.outcome.replace('_', ' ')}")
    return " — ".join(parts)


def citation_line(step: StepView) -> str:
    return f'{step.citation.short()}: "{step.citation.quote}"'


def pathway_text(view: PathwayView, show_all: bool = False) -> str:
    lines = [f"Case {view.case.reference}: {view.pathway_title} (as of {day(view.today)})"]
    nxt = view.next_step
    if nxt:
        lines.append(f"Next: {nxt.title} — {due_words(nxt)}")
        lines.append(f"  Why: {citation_line(nxt)}")
    for step in view.steps:
        if step.state == NOT_APPLICABLE and not show_all:
            continue
        lines.append("  " + step_line(step))
        for blocker in step.blockers:
            lines.append(f"      blocked by: {blocker}")
        for missing in step.missing:
            lines.append(f"      needs: {missing}")
    return "\n".join(lines)


def step_data(step: StepView) -> dict:
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    return {
        "rule_id": step.rule_id,
        "title": step.title,
        "kind": step.kind,
        "state": step.state,
        "owner_role": step.owner_role,
        "owner": step.owner_label,
        "owner_name": step.owner_name,
        "due_from": iso(step.due_from),
        "due_on": iso(step.due_on),
        "overdue": step.overdue,
        "days_overdue": step.days_overdue,
        "escalation_due": step.escalation_due,
        "timescale": step.timescale,
        "clock_starts": step.clock_starts,
        "done_on": iso(step.done_on),
        "done_by": step.done_by,
        "outcome": step.outcome,
        "occurrences": step.occurrences,
        "booked_for": iso(step.booked_for),
        "booked_after_due": step.booked_after_due,
        "blockers": step.blockers,
        "missing": step.missing,
        "citation": {
            "document": step.citation.document,
            "title": step.citation.title,
            "section": step.citation.section,
            "quote": step.citation.quote,
        },
        "reading": step.reading,
    }


def pathway_data(view: PathwayView) -> dict:
    nxt = view.next_step
    return {
        "case": view.case.reference,
        "pathway": view.pathway_id,
        "pathway_title": view.pathway_title,
        "today": view.today.isoformat(),
        "next_step": nxt.rule_id if nxt else None,
        "steps": [step_data(s) for s in view.steps],
    }
