"""Guidance packs as typed data: rules, citations, timescales, pathways."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional

RULE_KINDS = (
    "event",
    "step",
    "decision",
    "sign-off",
    "consent",
    "lead-professional",
    "meeting",
    "escalation",
    "exception",
    "knowledge",
)
PERIOD_UNITS = ("working_days", "days", "weeks", "months")
# What part of a pathway a rule plays that the conversation needs to know by name.
PARTS = ("ladder", "checklist", "safeguarding")


@dataclass(frozen=True)
class Citation:
    document: str  # file name of the guidance document
    title: str  # the document's title
    section: str
    quote: str
    # The name practitioners use for the document ("CADS"), for short references.
    document_name: str = ""

    def short(self) -> str:
        return f"{self.title}, \u00a7 {self.section}"

    def brief(self) -> str:
        """A short reference: "CADS guidance \u00a7 Parent/Carer consent"."""
        return f"{self.document_name or self.title} guidance \u00a7 {self.section}"


@dataclass(frozen=True)
class Period:
    unit: str
    amount: int

    def describe(self) -> str:
        words = {"working_days": "working day", "days": "day", "weeks": "week", "months": "month"}
        word = words[self.unit]
        return f"{self.amount} {word}{'' if self.amount == 1 else 's'}"


@dataclass(frozen=True)
class AnchorChoice:
    """One of a due date's possible starts: this step, where ``when`` holds."""
    step: str
    when: Optional[dict] = None


@dataclass(frozen=True)
class Due:
    # What the clock runs from: the first choice whose `when` holds (as owner choices are read).
    anchors: tuple[AnchorChoice, ...]
    within: Period
    earliest: Optional[Period] = None
    # `at:` in a pack: the date a step falls due if it is still needed ("if ... not met
    # within 12 months"), a trigger and not a deadline: it is never overdue.
    trigger: bool = False

    @property
    def anchor_steps(self) -> tuple[str, ...]:
        return tuple(a.step for a in self.anchors)


@dataclass(frozen=True)
class Repeat:
    every: Period
    at_most: Period


@dataclass(frozen=True)
class Escalation:
    after: Period
    # The role it goes to; None where the document does not say (the deployment's local
    # policy, EHBOT_LOCAL_ESCALATION_TO, then decides, and posts say so).
    to: Optional[str]
    citation: Citation


@dataclass(frozen=True)
class OwnerChoice:
    role: str
    when: Optional[dict] = None


@dataclass(frozen=True)
class Rule:
    id: str
    pack: str
    title: str
    kind: str
    citation: Citation
    owners: tuple[OwnerChoice, ...] = ()
    when: Optional[dict] = None
    requires: tuple[dict, ...] = ()
    outcomes: tuple[str, ...] = ()
    consent: Optional[str] = None
    # A consent rule that only consent itself satisfies (not another lawful basis to share).
    consent_basis: Optional[str] = None
    due: Optional[Due] = None
    repeat: Optional[Repeat] = None
    each: Optional[str] = None
    escalate: Optional[Escalation] = None
    also_cites: tuple[Citation, ...] = ()
    reading: Optional[str] = None
    answer: Optional[str] = None
    topics: tuple[str, ...] = ()
    # Questions a practitioner might ask that this knowledge rule answers, in their words
    # (retrieval text only: never shown, never the answer).
    asks: tuple[str, ...] = ()
    # "ladder": a rung of the lead professional ladder; "checklist": a pre-closure check;
    # "safeguarding": what the reply to a disclosure of harm cites.
    part_of: Optional[str] = None
    # The document offers it ("may discuss this with the relevant TSL"): shown as an option,
    # never owed, never next, never reminded, and nothing waits for it.
    optional: bool = False
    # Done once for a whole family (a Family Planning Meeting, a parent's consent): after one
    # confirmation it may be recorded on each linked sibling's case too.
    for_the_family: bool = False

    @property
    def citations(self) -> tuple[Citation, ...]:
        return (self.citation,) + self.also_cites

    def timescale(self) -> Optional[str]:
        """The rule's timescale in words, as the pack states it."""
        if self.repeat:
            return f"every {self.repeat.every.describe()} (at most {self.repeat.at_most.describe()})"
        if self.due and self.due.trigger:
            return f"at {self.due.within.describe()}, if still needed"
        if self.due:
            return f"within {self.due.within.describe()}"
        return None


@dataclass(frozen=True)
class Pathway:
    id: str
    pack: str
    title: str
    summary: str
    citation: Citation
    steps: tuple[str, ...]
    # The CADS outcome path this pathway is (link_existing_caf...), and its name on a button.
    outcome_path: Optional[str] = None
    path_title: Optional[str] = None


# The way a move takes a case, in practitioners' words ("to early help", "back to social care").
MOVE_DIRECTIONS = ("early_help", "social_care")


@dataclass(frozen=True)
class Move:
    """Where a document moves a case from one pathway to another (perhaps another pack's):
    the case's episode on the old pathway ends and one on the new pathway starts, its clock
    from the day of ``after`` (recorded on the old pathway) or, with none, the move's own day."""

    id: str
    pack: str
    title: str
    towards: str  # one of MOVE_DIRECTIONS
    from_pathways: tuple[str, ...]
    to: str
    citation: Citation
    after: Optional[str] = None  # the step that must be recorded first
    after_outcomes: tuple[str, ...] = ()  # and with one of these outcomes (any, if empty)
    starts: Optional[str] = None  # the new pathway's first step, recorded on the move's day
    starts_outcome: Optional[str] = None
    counts_from_after: bool = False  # the new episode opens on the day ``after`` was recorded
    reading: str = ""


@dataclass
class Pack:
    id: str
    version: int
    document: str
    title: str
    terms: dict[str, str]
    roles: dict[str, str]
    name: str = ""  # what practitioners call the document ("CADS")
    called: tuple[str, ...] = ()  # words in a question that name the document
    pathways: dict[str, Pathway] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    moves: dict[str, Move] = field(default_factory=dict)
    # every section heading of the document, in order, with why no rule encodes it (None: rules cite it)
    sections: list[tuple[str, Optional[str]]] = field(default_factory=list)
    source: Any = None  # path of the YAML file
    # The document's own date and review date, where it gives them.
    dated: Optional[dt.date] = None
    review_by: Optional[dt.date] = None

    def role_name(self, role: str) -> str:
        return self.roles.get(role, role.replace("_", " "))
