"""The scanner: what is due soon, due today, overdue or to escalate, on the open cases.

It evaluates open cases with the pathway evaluator (a batch of cases at a
time, a fixed number of queries per batch) and records one reminder per case,
rule, due date and stage, if it is not recorded already: running it again
changes nothing. A step is reminded at the stage it has reached on the day of
the scan (an escalation, not also "overdue", when both are true at once).

Escalation thresholds come from the guidance pack (``escalate:``, with its
citation). Where a pack gives none, nothing is escalated, unless the
deployment sets a local policy (EHBOT_LOCAL_ESCALATION_AFTER_WORKING_DAYS),
which the post labels as local policy, not guidance.

Only the cases whose reminders can have changed are evaluated. A step's stage
depends on the day only through its dates (due soon from the window's opening,
due today, overdue the day after, escalated the day after the escalation
threshold), so after evaluating a case the scanner stores on it the first day
after today on which any of its steps reaches a new stage
(``cases.next_reminder_on``; ``NEVER_DUE`` if none can). A later scan skips the
case until that day comes. Everything else a stage depends on is either the
case's own data, whose every write clears the date (``bot.db.models``), or the
rules fingerprinted in ``bot.notify.fingerprint``, whose change clears every
open case's date. ``full=True`` (``ehbot remind --full``) does the same on demand.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Iterator, Optional

from sqlalchemy.orm import Session

from bot import clock, guidance
from bot.calendar import WorkingCalendar
from bot.casefile import CaseFile
from bot.db import state
from bot.db.caseload import CaseLoader, LoadedCase, clear_next_reminder_dates, store_next_reminder_dates
from bot.db.models import NEVER_DUE
from bot.notify.fingerprint import rules_fingerprint
from bot.notify.outbox import Outbox
from bot.notify.settings import ReminderSettings, reminder_settings
from bot.pathways import ROLE_TO_CASE_PERSON, StepView, UnknownPathway, evaluate

log = logging.getLogger(__name__)

BATCH = 200
ONE_DAY = dt.timedelta(days=1)
# What the stored dates were worked out under, and the last day scanned (app_state keys).
RULES_KEY = "reminders.rules"
SCANNED_ON_KEY = "reminders.scanned_on"


@dataclass(frozen=True)
class DueReminder:
    case_reference: str
    rule_id: str
    due_on: dt.date
    stage: str
    owner_label: Optional[str] = None
    owner_username: Optional[str] = None
    escalate_to_label: Optional[str] = None
    escalate_to_username: Optional[str] = None
    local_policy: bool = False

    @property
    def key(self) -> tuple:
        return (self.rule_id, self.due_on, self.stage)


@dataclass
class ScanSummary:
    cases: int = 0  # open cases evaluated (all of them on a full scan)
    due: int = 0
    recorded: int = 0
    skipped: int = 0  # cases on a pathway no active pack has
    full: bool = False  # every open case evaluated, not only those whose reminders could have changed

    def __str__(self) -> str:
        full = " (full scan)" if self.full else ""
        skipped = f", {self.skipped} cases skipped (pathway not in the active guidance)" if self.skipped else ""
        return f"{self.cases} open cases scanned{full}: {self.due} reminders due, {self.recorded} new{skipped}"


def stage_of(step: StepView, today: dt.date, cal: WorkingCalendar, settings: ReminderSettings) -> Optional[tuple[str, bool]]:
    """The stage a step has reached today, and whether it is a local-policy escalation."""
    if not step.open or step.due_on is None:
        return None
    if step.escalation_due:
        return "escalated", False
    if step.overdue:
        local = settings.local_escalation_after_working_days
        if step.escalate_after is None and local is not None and today > cal.add_working_days(step.due_on, local):
            return "escalated", True
        return "overdue", False
    if today == step.due_on:
        return "due_today", False
    # A step with a window ("every 6-8 weeks") is due soon as its window opens.
    opens = step.due_from or step.due_on
    if cal.add_working_days(today, settings.due_soon_working_days) >= opens:
        return "due_soon", False
    return None


def next_change(step: StepView, today: dt.date, cal: WorkingCalendar, settings: ReminderSettings) -> Optional[dt.date]:
    """The first day after ``today`` on which ``stage_of`` can give this step another stage; None if none.

    Each branch of ``stage_of`` turns on one date; the step's dates themselves
    (due, window, escalation threshold) depend on the case's data and the rules,
    never on the day, so they stay as evaluated until one of those changes.
    """
    if not step.open or step.due_on is None:
        return None
    due = step.due_on
    days = [due, due + ONE_DAY]  # due today; overdue
    if step.escalate_after is not None:
        days.append(step.escalate_after + ONE_DAY)  # escalated, by the guidance
    elif settings.local_escalation_after_working_days is not None:
        days.append(cal.add_working_days(due, settings.local_escalation_after_working_days) + ONE_DAY)  # by local policy
    days.append(_due_soon_from(step.due_from or due, today, cal, settings.due_soon_working_days))
    later = [day for day in days if day is not None and day > today]
    return min(later) if later else None


def _due_soon_from(opens: dt.date, today: dt.date, cal: WorkingCalendar, ahead: int) -> Optional[dt.date]:
    """The first day after today that is within ``ahead`` working days of ``opens``; None if today already is."""
    if cal.add_working_days(today, ahead) >= opens:
        return None
    # add_working_days(day, ahead) never decreases as day moves on, and on ``opens`` itself it
    # is at least ``opens``: step back from there (a few days at most) to the first day it holds.
    day = opens
    while day - ONE_DAY > today and cal.add_working_days(day - ONE_DAY, ahead) >= opens:
        day -= ONE_DAY
    return day


def _who(case: CaseFile, role: Optional[str]):
    attr = ROLE_TO_CASE_PERSON.get(role or "")
    person = getattr(case, attr) if attr else None
    return person.username if person else None


def due_reminders(case: CaseFile, today: dt.date, cal: WorkingCalendar, settings: ReminderSettings,
                  registry) -> list[DueReminder]:
    return _evaluate(case, today, cal, settings, registry)[0]


def _evaluate(case: CaseFile, today: dt.date, cal: WorkingCalendar, settings: ReminderSettings,
              registry) -> tuple[list[DueReminder], dt.date]:
    """What is due on the case today, and the next day anything about that can change."""
    view = evaluate(case, today=today, registry=registry, calendar=cal)
    found, next_on = [], NEVER_DUE
    for step in view.steps:
        change = next_change(step, today, cal, settings)
        if change is not None and change < next_on:
            next_on = change
        reached = stage_of(step, today, cal, settings)
        if reached is None:
            continue
        stage, local = reached
        escalate_label = escalate_user = None
        if stage == "escalated":
            # Where the guidance names no one, the deployment's choice (labelled local policy in posts).
            role = settings.local_escalation_to if local or step.escalate_to is None else step.escalate_to
            pack = registry.packs[registry.rule(step.rule_id).pack]
            escalate_label, escalate_user = pack.role_name(role), _who(case, role)
        found.append(DueReminder(
            case_reference=case.reference, rule_id=step.rule_id, due_on=step.due_on, stage=stage,
            owner_label=step.owner_label, owner_username=step.owner.username if step.owner else None,
            escalate_to_label=escalate_label, escalate_to_username=escalate_user, local_policy=local,
        ))
    return found, next_on


@dataclass
class _Scanned:
    """One batch of cases evaluated: what is due on them, and each case's next reminder date."""

    cases: list[LoadedCase]
    due: list[DueReminder]
    next_dates: list[tuple[int, dt.datetime, dt.date]]


class _Rules:
    """Today, the settings, the packs and the calendar one scan runs under."""

    def __init__(self, today=None, settings=None, registry=None, calendar=None):
        self.today = today or clock.today()
        self.settings = settings or reminder_settings()
        self.registry = registry or guidance.registry()
        self.calendar = calendar or WorkingCalendar.from_config()

    def fingerprint(self) -> str:
        return rules_fingerprint(self.registry, self.calendar, self.settings)

    def dates_are_stale(self, session: Session) -> bool:
        """The stored next reminder dates were worked out under other rules, or on a later day."""
        if state.read(session, RULES_KEY) != self.fingerprint():
            return True
        scanned_on = state.read(session, SCANNED_ON_KEY)
        # The clock moved back (a demo's EHBOT_TODAY): dates stored on a later day may skip days.
        return scanned_on is None or dt.date.fromisoformat(scanned_on) > self.today


def _scanned(session: Session, rules: _Rules, every_open_case: bool, batch_size: int,
             summary: ScanSummary) -> Iterator[_Scanned]:
    loader = CaseLoader(session, batch_size)
    for batch in loader.open_cases(due_by=None if every_open_case else rules.today):
        due, next_dates = [], []
        for case in batch:
            summary.cases += 1
            try:
                found, next_on = _evaluate(case.file, rules.today, rules.calendar, rules.settings, rules.registry)
            except UnknownPathway:
                # Nothing to remind until the case or the active packs change (either clears the date).
                found, next_on = [], NEVER_DUE
                summary.skipped += 1
                log.warning("case %s: pathway %s is not in the active guidance; no reminders",
                            case.file.reference, case.file.pathway)
            due += found
            next_dates.append((case.id, case.version, next_on))
        summary.due += len(due)
        yield _Scanned(batch, due, next_dates)


def find_due(session: Session, today: Optional[dt.date] = None, settings: Optional[ReminderSettings] = None,
             registry=None, calendar: Optional[WorkingCalendar] = None, batch_size: int = BATCH,
             full: Optional[bool] = None) -> Iterator[tuple[list[CaseFile], list[DueReminder], ScanSummary]]:
    """Per batch of open cases to scan: the cases, what is due on them today, and a running count.

    Writes nothing. ``full``: every open case; None (the default): every open case only
    if the stored dates are stale, as ``scan`` would find.
    """
    rules = _Rules(today, settings, registry, calendar)
    summary = ScanSummary(full=rules.dates_are_stale(session) if full is None else full)
    for scanned in _scanned(session, rules, summary.full, batch_size, summary):
        yield [c.file for c in scanned.cases], scanned.due, summary


def scan(session: Session, today: Optional[dt.date] = None, settings: Optional[ReminderSettings] = None,
         registry=None, calendar: Optional[WorkingCalendar] = None, batch_size: int = BATCH,
         full: bool = False) -> ScanSummary:
    """Record every reminder due today that is not recorded yet. The caller commits.

    ``full``: evaluate every open case, as after a change of rules, whatever the stored dates say.
    """
    rules = _Rules(today, settings, registry, calendar)
    summary = ScanSummary(full=full or rules.dates_are_stale(session))
    if summary.full:
        cleared = clear_next_reminder_dates(session)
        state.write(session, RULES_KEY, rules.fingerprint())
        log.info("reminder scan: every open case (%s dates cleared)", cleared)
    outbox = Outbox(session)
    # A full scan has just cleared every open case's date: the same query then finds them all.
    for scanned in _scanned(session, rules, False, batch_size, summary):
        if scanned.due:
            ids = {c.file.reference: c.id for c in scanned.cases}
            rows = []
            for item in scanned.due:
                row = dict(vars(item))  # its fields, all plain values (asdict would deep-copy each)
                row["case_id"] = ids[row.pop("case_reference")]
                rows.append(row)
            summary.recorded += outbox.record(rows)
        store_next_reminder_dates(session, scanned.next_dates)
    state.write(session, SCANNED_ON_KEY, rules.today.isoformat())
    log.info("reminder scan: %s", summary)
    return summary
