"""The timeliness view: for each timescale the guidance sets, over the cases a reader may
see, how many fell due in a period, how many were met on time, met late, are overdue now
or were left undone when the case closed, and how long they took against the timescale:
by rule, by worker and by month.

It counts the clocks the evaluator runs (``bot.pathways.clocks``), so a figure here and a
reminder never disagree. It names rules, workers and months; a case reference appears
only beside an overdue item, and only for a reader who may see that case (``bot.access``).
No child's or family's detail is read.
"""
from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional

from bot import access, clock
from bot.calendar import WorkingCalendar
from bot.casefile import CaseFile
from bot.guidance import Registry, registry as default_registry
from bot.pathways import Clock, clocks

ON_TIME, LATE, OVERDUE, UNDONE = "on_time", "late", "overdue", "undone_at_closure"
# The default period: the six months to today.
DEFAULT_MONTHS = 6


@dataclass(frozen=True)
class Item:
    """A clock that fell due in the period, with what became of it."""

    clock: Clock
    outcome: str            # ON_TIME, LATE, OVERDUE or UNDONE
    worker: str             # the allocated worker's display name ("unallocated")
    month: str              # the month it fell due, "2026-11"
    visible: bool           # whether the reader may see the case (its reference may be shown)

    @property
    def days_taken(self) -> Optional[int]:
        return (self.clock.done - self.clock.started).days if self.clock.done else None

    @property
    def days_allowed(self) -> int:
        return (self.clock.due - self.clock.started).days


@dataclass
class Tally:
    """The figures of one row: one rule, one worker or one month."""

    due: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    undone: int = 0
    taken: list[int] = field(default_factory=list)
    allowed: list[int] = field(default_factory=list)

    def add(self, item: Item) -> None:
        self.due += 1
        if item.outcome == ON_TIME:
            self.on_time += 1
        elif item.outcome == LATE:
            self.late += 1
        elif item.outcome == OVERDUE:
            self.overdue += 1
        else:
            self.undone += 1
        if item.days_taken is not None:
            self.taken.append(item.days_taken)
        self.allowed.append(item.days_allowed)

    def merge(self, other: "Tally") -> None:
        for name in ("due", "on_time", "late", "overdue", "undone"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.taken += other.taken
        self.allowed += other.allowed

    @property
    def on_time_share(self) -> Optional[float]:
        return self.on_time / self.due if self.due else None

    @property
    def median_days(self) -> Optional[float]:
        return statistics.median(self.taken) if self.taken else None

    @property
    def median_allowed(self) -> Optional[float]:
        return statistics.median(self.allowed) if self.allowed else None


@dataclass
class RuleRow:
    rule_id: str
    pack: str
    title: str
    timescale: str
    citation: str
    tally: Tally


@dataclass
class Report:
    start: dt.date
    end: dt.date
    today: dt.date
    team: Optional[str]
    cases: int
    rules: list[RuleRow]
    by_worker: dict[str, Tally]
    by_month: dict[str, Tally]
    by_rule_month: dict[tuple[str, str], Tally]
    overdue: list[tuple[str, str, dt.date]]   # (reference, rule title, due) the reader may see

    @property
    def total(self) -> Tally:
        whole = Tally()
        for row in self.rules:
            whole.merge(row.tally)
        return whole

    def needing_attention(self, n: int = 3) -> list[RuleRow]:
        """The rules most in need of attention: the most not met on time, then the lowest share."""
        rows = [r for r in self.rules if r.tally.due > r.tally.on_time]
        return sorted(rows, key=lambda r: (-(r.tally.due - r.tally.on_time), r.tally.on_time_share))[:n]


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    month = today.month - DEFAULT_MONTHS
    year = today.year + (month - 1) // 12
    return dt.date(year, (month - 1) % 12 + 1, 1), today


def outcome_of(c: Clock, today: dt.date, closed_on: Optional[dt.date]) -> Optional[str]:
    """What became of a clock, or None while it is not yet due (or stopped by a closure first)."""
    if c.done is not None:
        return ON_TIME if c.done <= c.due else LATE
    if closed_on is not None:
        return UNDONE if c.due < closed_on else None
    return OVERDUE if c.due < today else None


def items(files: Iterable[CaseFile], start: dt.date, end: dt.date, reader=None, registry: Optional[Registry] = None,
          calendar: Optional[WorkingCalendar] = None, today: Optional[dt.date] = None) -> Iterator[Item]:
    today = today or clock.today()
    cal = calendar or WorkingCalendar.from_config()
    for file in files:
        visible = reader is not None  # the files are those the reader may see (for_reader)
        worker = file.allocated_worker.display_name if file.allocated_worker else "unallocated"
        for c in clocks(file, registry, cal):
            if not (start <= c.due <= end):
                continue
            outcome = outcome_of(c, today, file.closed_on)
            if outcome is not None:
                yield Item(c, outcome, worker, c.due.strftime("%Y-%m"), visible)


def report(files: Iterable[CaseFile], start: dt.date, end: dt.date, reader=None, team: Optional[str] = None,
           registry: Optional[Registry] = None, calendar: Optional[WorkingCalendar] = None,
           today: Optional[dt.date] = None) -> Report:
    """The figures over ``files`` (already narrowed to what the reader may count)."""
    reg = registry or default_registry()
    today = today or clock.today()
    files = [f for f in files if team is None or f.team == team]
    by_rule: dict[str, Tally] = {}
    by_worker: dict[str, Tally] = {}
    by_month: dict[str, Tally] = {}
    by_rule_month: dict[tuple[str, str], Tally] = {}
    overdue = []
    for item in items(files, start, end, reader, reg, calendar, today):
        rule_id = item.clock.rule_id
        for table, key in ((by_rule, rule_id), (by_worker, item.worker), (by_month, item.month),
                           (by_rule_month, (rule_id, item.month))):
            table.setdefault(key, Tally()).add(item)
        if item.outcome == OVERDUE and item.visible:
            overdue.append((item.clock.reference, reg.rule(rule_id).title, item.clock.due))
    rows = []
    for rule_id, tally in by_rule.items():
        rule = reg.rule(rule_id)
        rows.append(RuleRow(rule_id, rule.pack, rule.title, rule.timescale() or "", rule.citation.brief(), tally))
    rows.sort(key=lambda r: (r.pack, r.title))
    return Report(start, end, today, team, len(files), rows, dict(sorted(by_worker.items())),
                  dict(sorted(by_month.items())), by_rule_month, sorted(overdue, key=lambda o: o[2]))


class UnknownReader(LookupError):
    """The report was asked for as someone who is not an active practitioner."""


def for_reader(session, username: Optional[str], team: Optional[str] = None, start: Optional[dt.date] = None,
               end: Optional[dt.date] = None) -> Report:
    """The report over the cases ``username`` may see (every case for the operator, with no
    reference shown), audited once: who asked, never which cases were counted."""
    from bot.db.repositories import AuditLog, CaseRepository, PractitionerRepository

    today = clock.today()
    start, end = start or default_period(today)[0], end or today
    reader = PractitionerRepository(session).by_username(username) if username else None
    if username and not access.active(reader):
        raise UnknownReader(f"no active practitioner {username!r}")
    files: Iterable[CaseFile] = CaseRepository(session).cases()
    if reader is not None:
        files = [f for f in files if access.may_see(reader, f)]
    AuditLog(session).record(username, "report", None, "timeliness")
    return report(files, start, end, reader=reader, team=team, today=today)
