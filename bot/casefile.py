"""What the pathway evaluator reads about one case: plain data, no database.

The repositories build a ``CaseFile`` from the database; tests build one by hand.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

# Consent to engage with a service is not the same thing as a lawful basis to
# share information, so they are recorded (and checked) separately.
CONSENT_TO_ENGAGE = "engage"
LAWFUL_BASIS_TO_SHARE = "share"

CONSENT_GIVEN = "given"
CONSENT_DECLINED = "declined"
CONSENT_ADVICE_ONLY = "advice_only"
CONSENT_STATUSES = (CONSENT_GIVEN, CONSENT_DECLINED, CONSENT_ADVICE_ONLY)


@dataclass(frozen=True)
class Person:
    """A practitioner or partner named on a case (display name only)."""

    display_name: str
    username: Optional[str] = None
    role: Optional[str] = None
    slack_user_id: Optional[str] = None
    teams_user_id: Optional[str] = None


@dataclass(frozen=True)
class RecordedStep:
    rule_id: str
    done_on: dt.date
    recorded_by: Optional[str] = None  # username of who recorded it
    outcome: Optional[str] = None
    note: Optional[str] = None
    source: str = "chat"


@dataclass(frozen=True)
class ConsentRecord:
    kind: str  # CONSENT_TO_ENGAGE or LAWFUL_BASIS_TO_SHARE
    status: str  # one of CONSENT_STATUSES (for "share": given = basis recorded)
    recorded_on: dt.date
    given_by: Optional[str] = None  # who gave it, e.g. "mother" (kept out of channels)
    obtained_by: Optional[str] = None  # practitioner username or role who gained it
    basis: Optional[str] = None  # for "share": e.g. "consent", "section 47"
    note: Optional[str] = None


@dataclass(frozen=True)
class Booking:
    """A step planned for a date; it is done only when it is recorded as done."""

    rule_id: str
    planned_for: dt.date
    recorded_by: Optional[str] = None


@dataclass(frozen=True)
class LeadProfessionalChange:
    """Who became lead professional, from when (None: before changes were dated) and why."""

    name: str
    role: Optional[str] = None
    from_date: Optional[dt.date] = None
    reason: Optional[str] = None


@dataclass(frozen=True)
class Episode:
    """One episode of a case, from opening (or reopening) to closing, with what was recorded in it."""

    number: int
    pathway: str
    opened_on: dt.date
    closed_on: Optional[dt.date] = None
    close_reason: Optional[str] = None
    reopen_reason: Optional[str] = None
    lead_professional: Optional[str] = None
    steps: tuple[RecordedStep, ...] = ()
    consents: tuple[ConsentRecord, ...] = ()
    lead_professionals: tuple[LeadProfessionalChange, ...] = ()  # oldest first; the last is the episode's
    moved_by: Optional[str] = None  # the guidance's move (its id) that opened this episode


@dataclass
class CaseFile:
    reference: str
    pathway: str
    opened_on: dt.date
    team: Optional[str] = None
    allocated_worker: Optional[Person] = None
    team_manager: Optional[Person] = None
    lead_professional: Optional[Person] = None
    referrer: Optional[Person] = None
    caf_link_worker: Optional[Person] = None
    # None means "not recorded": the evaluator reports it as missing.
    referrer_advice_only: Optional[bool] = None
    closed_on: Optional[dt.date] = None
    episode: int = 1  # the current episode's number (1 until the case is reopened)
    steps: list[RecordedStep] = field(default_factory=list)
    consents: list[ConsentRecord] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)

    def steps_for(self, rule_id: str) -> list[RecordedStep]:
        return list(self._by_rule().get(rule_id, ()))

    def _by_rule(self) -> dict[str, list[RecordedStep]]:
        # The evaluator asks for each rule's steps many times: index them once, by date
        # (rebuilt if steps were added since).
        cached = self.__dict__.get("_index")
        if cached is None or cached[0] != len(self.steps):
            index: dict[str, list[RecordedStep]] = {}
            for step in sorted(self.steps, key=lambda s: s.done_on):
                index.setdefault(step.rule_id, []).append(step)
            cached = (len(self.steps), index)
            self.__dict__["_index"] = cached
        return cached[1]

    def latest(self, rule_id: str) -> Optional[RecordedStep]:
        found = self.steps_for(rule_id)
        return found[-1] if found else None

    def booking(self, rule_id: str, after: Optional[dt.date] = None) -> Optional[Booking]:
        """The latest booking of a step, ignoring any made for a day before ``after``."""
        found = [b for b in self.bookings if b.rule_id == rule_id and (after is None or b.planned_for > after)]
        return max(found, key=lambda b: b.planned_for) if found else None

    def latest_consent(self, kind: str, basis: Optional[str] = None) -> Optional[ConsentRecord]:
        """The latest record of a kind (with ``basis``: the latest given on that basis, or a refusal)."""
        found = sorted((c for c in self.consents if c.kind == kind
                        and (basis is None or c.basis == basis or c.status != CONSENT_GIVEN)),
                       key=lambda c: c.recorded_on)
        return found[-1] if found else None
