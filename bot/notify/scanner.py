"""The scanner: what is due soon, due today, overdue or to escalate, on every open case.

It evaluates each open case with the pathway evaluator (a batch of cases at a
time, a fixed number of queries per batch) and records one reminder per case,
rule, due date and stage, if it is not recorded already: running it again
changes nothing. A step is reminded at the stage it has reached on the day of
the scan (an escalation, not also "overdue", when both are true at once).

Escalation thresholds come from the guidance pack (``escalate:``, with its
citation). Where a pack gives none, nothing is escalated, unless the
deployment sets a local policy (EHBOT_LOCAL_ESCALATION_AFTER_WORKING_DAYS),
which the post labels as local policy, not guidance.
"""
from __future__ import annotations

import datetime as dt
import itertools
import logging
from dataclasses import asdict, dataclass
from typing import Iterable, Iterator, Optional

from sqlalchemy.orm import Session

from bot import clock, guidance
from bot.calendar import WorkingCalendar
from bot.casefile import CaseFile
from bot.db.repositories import CaseRepository
from bot.notify.outbox import Outbox
from bot.notify.settings import ReminderSettings, reminder_settings
from bot.pathways import ROLE_TO_CASE_PERSON, StepView, UnknownPathway, evaluate

log = logging.getLogger(__name__)

BATCH = 200


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
    cases: int = 0
    due: int = 0
    recorded: int = 0
    skipped: int = 0  # cases on a pathway no active pack has

    def __str__(self) -> str:
        skipped = f", {self.skipped} cases skipped (pathway not in the active guidance)" if self.skipped else ""
        return f"{self.cases} open cases scanned: {self.due} reminders due, {self.recorded} new{skipped}"


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


def _who(case: CaseFile, role: Optional[str]):
    attr = ROLE_TO_CASE_PERSON.get(role or "")
    person = getattr(case, attr) if attr else None
    return person.username if person else None


def due_reminders(case: CaseFile, today: dt.date, cal: WorkingCalendar, settings: ReminderSettings,
                  registry) -> list[DueReminder]:
    view = evaluate(case, today=today, registry=registry, calendar=cal)
    found = []
    for step in view.steps:
        reached = stage_of(step, today, cal, settings)
        if reached is None:
            continue
        stage, local = reached
        escalate_label = escalate_user = None
        if stage == "escalated":
            role = settings.local_escalation_to if local else step.escalate_to
            pack = registry.packs[registry.rule(step.rule_id).pack]
            escalate_label, escalate_user = pack.role_name(role), _who(case, role)
        found.append(DueReminder(
            case_reference=case.reference, rule_id=step.rule_id, due_on=step.due_on, stage=stage,
            owner_label=step.owner_label, owner_username=step.owner.username if step.owner else None,
            escalate_to_label=escalate_label, escalate_to_username=escalate_user, local_policy=local,
        ))
    return found


def _batches(cases: Iterator[CaseFile], size: int) -> Iterable[list[CaseFile]]:
    # The same size as the repository's batches, so each slice is one trip to the database.
    while True:
        batch = list(itertools.islice(cases, size))
        if not batch:
            return
        yield batch


def find_due(session: Session, today: Optional[dt.date] = None, settings: Optional[ReminderSettings] = None,
             registry=None, calendar: Optional[WorkingCalendar] = None,
             batch_size: int = BATCH) -> Iterator[tuple[list[CaseFile], list[DueReminder], ScanSummary]]:
    """Per batch of open cases: the cases, what is due on them today, and a running count."""
    today = today or clock.today()
    settings = settings or reminder_settings()
    registry = registry or guidance.registry()
    cal = calendar or WorkingCalendar.from_config()
    summary = ScanSummary()
    for batch in _batches(CaseRepository(session).open_cases(batch_size), batch_size):
        due = []
        for case in batch:
            summary.cases += 1
            try:
                due += due_reminders(case, today, cal, settings, registry)
            except UnknownPathway:
                summary.skipped += 1
                log.warning("case %s: pathway %s is not in the active guidance; no reminders", case.reference, case.pathway)
        summary.due += len(due)
        yield batch, due, summary


def scan(session: Session, **options) -> ScanSummary:
    """Record every reminder due today that is not recorded yet. The caller commits."""
    summary = ScanSummary()
    outbox = Outbox(session)
    for batch, due, summary in find_due(session, **options):
        if not due:
            continue
        ids = outbox.case_ids(c.reference for c in batch)
        rows = []
        for item in due:
            row = asdict(item)
            row["case_id"] = ids[row.pop("case_reference")]
            rows.append(row)
        summary.recorded += outbox.record(rows)
    log.info("reminder scan: %s", summary)
    return summary
