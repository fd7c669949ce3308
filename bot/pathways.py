"""The pathway evaluator: a case's facts and today -> its steps, in order.

Each step is done, to do, blocked (by what), not applicable, or needs
information (what is missing), with its due date, whether it is overdue, who
owns it and the guidance behind it. It reads packs; it holds no rule itself.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from bot.calendar import WorkingCalendar
from bot.casefile import CONSENT_DECLINED, CONSENT_GIVEN, CaseFile, Person
from bot.conditions import ConditionEvaluator, Verdict
from bot.guidance import Registry, registry as default_registry
from bot.guidance.model import Citation, Rule

DONE, TODO, BLOCKED, NOT_APPLICABLE, NEEDS_INFORMATION, OPTION = (
    "done",
    "todo",
    "blocked",
    "not_applicable",
    "needs_information",
    "option",  # offered by the document ("may"), not owed: never next, never reminded
)
STATES = (DONE, TODO, BLOCKED, NOT_APPLICABLE, NEEDS_INFORMATION, OPTION)

# The documents name roles in their own words; these are the case's people who
# fill each role (shared concepts, mapped here rather than in the packs).
ROLE_TO_CASE_PERSON = {
    "social_worker": "allocated_worker",
    "early_help_worker": "allocated_worker",
    "practitioner": "allocated_worker",
    "team_manager": "team_manager",
    "line_manager": "team_manager",
    "lead_professional": "lead_professional",
    "referrer": "referrer",
    "caf_link_worker": "caf_link_worker",
}


class UnknownPathway(LookupError):
    pass


@dataclass
class StepView:
    rule_id: str
    title: str
    kind: str
    state: str
    citation: Citation
    owner_role: Optional[str] = None
    owner_label: Optional[str] = None
    owner: Optional[Person] = None
    due_on: Optional[dt.date] = None
    due_from: Optional[dt.date] = None
    clock_starts: Optional[str] = None  # what starts the clock when the due date is not yet known
    timescale: Optional[str] = None
    overdue: bool = False
    days_overdue: int = 0
    escalate_after: Optional[dt.date] = None  # escalate if still open after this date
    escalate_to: Optional[str] = None
    escalation_due: bool = False
    done_on: Optional[dt.date] = None
    done_by: Optional[str] = None
    outcome: Optional[str] = None
    occurrences: int = 0
    booked_for: Optional[dt.date] = None
    booked_after_due: bool = False
    blockers: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    reading: Optional[str] = None

    @property
    def owner_name(self) -> Optional[str]:
        return self.owner.display_name if self.owner else None

    @property
    def open(self) -> bool:
        """Still to be done on this case (to do, or blocked)."""
        return self.state in (TODO, BLOCKED)


@dataclass
class PathwayView:
    case: CaseFile
    pathway_id: str
    pathway_title: str
    today: dt.date
    steps: list[StepView]

    def step(self, rule_id: str) -> StepView:
        for s in self.steps:
            if s.rule_id == rule_id:
                return s
        raise KeyError(rule_id)

    @property
    def next_step(self) -> Optional[StepView]:
        # The most overdue step that can be done comes first; then the pathway's order.
        # A step whose window has not opened yet (a review not due for weeks) is not "next".
        ready = [s for s in self.steps if s.state == TODO and not self._not_yet(s)]
        overdue = sorted((s for s in ready if s.overdue), key=lambda s: s.due_on)
        return (overdue or ready or [None])[0]

    def _not_yet(self, step: StepView) -> bool:
        return step.due_from is not None and step.due_from > self.today

    @property
    def overdue(self) -> list[StepView]:
        return [s for s in self.steps if s.overdue]

    @property
    def open_steps(self) -> list[StepView]:
        return [s for s in self.steps if s.open]


class _CaseEvaluation:
    def __init__(self, case: CaseFile, reg: Registry, today: dt.date, cal: WorkingCalendar):
        self.case, self.reg, self.today, self.cal = case, reg, today, cal
        self.conditions = ConditionEvaluator(case, self._title, self._is_done, self._is_decision)

    def _title(self, rule_id: str) -> str:
        rule = self.reg.rules.get(rule_id)
        return rule.title if rule else rule_id

    def _is_decision(self, rule_id: str) -> bool:
        rule = self.reg.rules.get(rule_id)
        return rule is not None and rule.kind == "decision"

    def _consent_status(self, rule: Rule):
        return self.case.latest_consent(rule.consent, rule.consent_basis) if rule.consent else None

    def done_date(self, rule_id: str) -> Optional[dt.date]:
        """When a rule was last done: its latest recorded step, or for consent its given record."""
        rule = self.reg.rules.get(rule_id)
        latest = self.case.latest(rule_id)
        dates = [latest.done_on] if latest else []
        consent = self._consent_status(rule) if rule else None
        if consent and consent.status == CONSENT_GIVEN:
            dates.append(consent.recorded_on)
        return max(dates) if dates else None

    def _is_done(self, rule_id: str) -> bool:
        rule = self.reg.rules.get(rule_id)
        if rule is None:
            return False
        if rule.kind == "lead-professional" and self.case.lead_professional is not None and self._requires_met(rule):
            return True
        if rule.each:
            after = self.done_date(rule.each)
            mine = self.done_date(rule_id)
            return after is not None and mine is not None and mine >= after
        return self.done_date(rule_id) is not None

    def _requires_met(self, rule: Rule) -> bool:
        """Whether every precondition of a rule holds (a lead professional named on the case
        does not make a step done that is still waiting for them)."""
        return all(self.conditions(cond).value is True for cond in rule.requires)

    def evaluate(self, rule: Rule) -> StepView:
        pack = self.reg.packs[rule.pack]
        view = StepView(
            rule_id=rule.id,
            title=rule.title,
            kind=rule.kind,
            state=TODO,
            citation=rule.citation,
            timescale=rule.timescale(),
            reading=rule.reading,
        )
        self._owner(rule, view, pack.role_name)
        applies = self.conditions(rule.when) if rule.when else Verdict(True)
        if applies.value is False:
            view.state = NOT_APPLICABLE
            return view
        if applies.value is None:
            view.state = NEEDS_INFORMATION
            view.missing = list(dict.fromkeys(view.missing + applies.missing))
            return view
        self._history(rule, view)
        if rule.repeat is None and self._is_done(rule.id):
            view.state = DONE
            return view
        if rule.optional:
            view.state = OPTION
            return view
        consent = self._consent_status(rule)
        if consent is not None and consent.status == CONSENT_DECLINED:
            view.blockers.append(f"consent declined ({consent.recorded_on.isoformat()})")
        for cond in rule.requires:
            verdict = self.conditions(cond)
            if verdict.value is False:
                view.blockers += verdict.unmet
            elif verdict.value is None:
                view.blockers += [f"not yet known: {m}" for m in verdict.missing]
        self._booking(rule, view)
        view.blockers = list(dict.fromkeys(view.blockers))  # nested conditions can repeat a reason
        view.state = BLOCKED if view.blockers else TODO
        self._due(rule, view)
        view.booked_after_due = bool(view.booked_for and view.due_on and view.booked_for > view.due_on)
        return view

    def _owner(self, rule: Rule, view: StepView, role_name) -> None:
        possible = []
        for choice in rule.owners:
            verdict = self.conditions(choice.when) if choice.when else Verdict(True)
            if verdict.value is True and not possible:
                view.owner_role = choice.role
                break
            if verdict.value is None:
                possible.append(choice.role)
                view.missing += verdict.missing
        if view.owner_role is None and possible:
            # Who owns it turns on a fact not recorded: name every candidate.
            possible += [c.role for c in rule.owners if c.when is None]
            view.owner_label = " or ".join(dict.fromkeys(role_name(r) for r in possible))
            return
        if view.owner_role:
            view.owner_label = role_name(view.owner_role)
            attr = ROLE_TO_CASE_PERSON.get(view.owner_role)
            view.owner = getattr(self.case, attr) if attr else None

    def _history(self, rule: Rule, view: StepView) -> None:
        recorded = self.case.steps_for(rule.id)
        view.occurrences = len(recorded)
        if recorded:
            last = recorded[-1]
            view.done_on, view.done_by, view.outcome = last.done_on, last.recorded_by, last.outcome
        consent = self._consent_status(rule)
        if consent and consent.status == CONSENT_GIVEN and (view.done_on is None or consent.recorded_on >= view.done_on):
            view.done_on, view.done_by = consent.recorded_on, consent.obtained_by

    def _booking(self, rule: Rule, view: StepView) -> None:
        # A booking counts for the occurrence still to come (after the last one done).
        booking = self.case.booking(rule.id, after=view.done_on if rule.repeat or rule.each else None)
        if booking:
            view.booked_for = booking.planned_for

    def _anchor(self, rule: Rule) -> Optional[str]:
        """The step a rule's due date runs from: its first start whose condition holds (None
        while that turns on a fact not recorded)."""
        for choice in rule.due.anchors:
            holds = self.conditions(choice.when).value if choice.when else True
            if holds is None:
                return None
            if holds:
                return choice.step
        return None

    def _due(self, rule: Rule, view: StepView) -> None:
        if rule.repeat and view.occurrences:
            anchor = rule.id
            base, within, earliest = view.done_on, rule.repeat.at_most, rule.repeat.every
        elif rule.due:
            anchor = self._anchor(rule)
            if anchor is None:  # which start applies turns on a fact not recorded
                view.clock_starts = "runs from: not yet known"
                return
            base = self.done_date(anchor)
            within, earliest = rule.due.within, rule.due.earliest
            if rule.repeat and earliest is None:
                earliest = rule.repeat.every
        else:
            return
        if base is None:
            view.clock_starts = f"runs from: {self._title(anchor)} (not yet recorded)"
            return
        view.due_on = self.cal.add(base, within)
        view.due_from = self.cal.add(base, earliest) if earliest else None
        if rule.due and rule.due.trigger and not (rule.repeat and view.occurrences):
            view.due_from = view.due_on  # due on the day, if still needed; never overdue
            return
        if self.today > view.due_on:
            view.overdue = True
            view.days_overdue = (self.today - view.due_on).days
        if rule.escalate:
            view.escalate_after = self.cal.add(view.due_on, rule.escalate.after)
            view.escalate_to = rule.escalate.to
            view.escalation_due = self.today > view.escalate_after


def evaluate(
    case: CaseFile,
    today: Optional[dt.date] = None,
    registry: Optional[Registry] = None,
    calendar: Optional[WorkingCalendar] = None,
) -> PathwayView:
    from bot import clock

    reg = registry or default_registry()
    today = today or clock.today()
    try:
        pathway = reg.pathway(case.pathway)
    except KeyError:
        raise UnknownPathway(f"case {case.reference} is on pathway {case.pathway!r}, which no active pack has") from None
    run = _CaseEvaluation(case, reg, today, calendar or WorkingCalendar.from_config())
    steps = [run.evaluate(reg.rule(rule_id)) for rule_id in pathway.steps]
    return PathwayView(case=case, pathway_id=pathway.id, pathway_title=pathway.title, today=today, steps=steps)


@dataclass(frozen=True)
class Clock:
    """One timescale run on one case: what started it, when it fell due, and when it was
    met (None: not yet). A repeated meeting runs one clock per occurrence."""

    reference: str
    rule_id: str
    started: dt.date
    due: dt.date
    done: Optional[dt.date]


def clocks(case: CaseFile, registry: Optional[Registry] = None,
           calendar: Optional[WorkingCalendar] = None) -> list[Clock]:
    """Every timescale the guidance ran on this case's current episode, as the evaluator
    reads it (the same starts, conditions and working days): a rule that applies, with a
    timescale, whose clock has started. Triggers ("at 12 months, if still needed") and
    options are not deadlines, so none of theirs is counted."""
    reg = registry or default_registry()
    try:
        pathway = reg.pathway(case.pathway)
    except KeyError:
        return []
    run = _CaseEvaluation(case, reg, dt.date.max, calendar or WorkingCalendar.from_config())
    found: list[Clock] = []
    for rule in (reg.rule(rule_id) for rule_id in pathway.steps):
        if rule.optional or (rule.due is None and rule.repeat is None) or (rule.due and rule.due.trigger):
            continue
        if rule.when and run.conditions(rule.when).value is not True:
            continue
        done = sorted({s.done_on for s in case.steps_for(rule.id)})
        consent = run._consent_status(rule)
        if consent is not None and consent.status == CONSENT_GIVEN:
            done = sorted(set(done) | {consent.recorded_on})
        first_start = None
        if rule.due:
            anchor = run._anchor(rule)
            first_start = run.done_date(anchor) if anchor else None
        if first_start is not None:
            due = run.cal.add(first_start, rule.due.within)
            met = next((d for d in done if d >= first_start), done[-1] if done else None)
            found.append(Clock(case.reference, rule.id, first_start, due, met))
        if rule.repeat:
            for i, held in enumerate(done):
                following = done[i + 1] if i + 1 < len(done) else None
                found.append(Clock(case.reference, rule.id, held, run.cal.add(held, rule.repeat.at_most), following))
    return found
