"""What a conversation keeps between turns: typed here, plain JSON only in the slots.

A ``Proposal`` is what will be recorded on a case when the practitioner says yes; a
``Question`` is what the last reply asked (a checklist item, a ladder rung, which case,
which outcome path). ``State`` is both, with the case and step in focus. Front ends
keep ``State.slots()`` and hand back ``State.from_slots(...)``; nothing else crosses.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Mapping, Optional

RECORD_KINDS = ("step", "consent", "booking", "none", "close", "reopen", "move")
QUESTION_KINDS = ("checklist_item", "ladder_rung", "outcome_path", "which_case", "which_step", "who_disagrees")


@dataclass(frozen=True)
class ConsentProposal:
    kind: str                        # engage | share
    status: str                      # given | declined | advice_only
    given_by: Optional[str] = None   # a relationship ("mother"), never a name
    basis: Optional[str] = None


@dataclass(frozen=True)
class LeadProfessionalProposal:
    name: str
    role: str


@dataclass(frozen=True)
class Proposal:
    case: str
    label: str                       # what is recorded, in words ("Consent given")
    rule_id: Optional[str]           # None when only the pathway changes
    record: str                      # one of RECORD_KINDS
    date: str                        # ISO date
    by: str                          # the practitioner's username
    outcome: Optional[str] = None
    consent: Optional[ConsentProposal] = None
    lead_professional: Optional[LeadProfessionalProposal] = None
    pathway: Optional[str] = None    # the pathway the case moves to, if it moves
    reason: Optional[str] = None     # why a case is closed, reopened or moved, in the practitioner's words
    move: Optional[str] = None       # the guidance's move (its id) that takes the case to ``pathway``
    also: tuple[str, ...] = ()       # linked siblings' cases it is recorded on too (a family's step)

    def as_slot(self) -> dict:
        return asdict(self)

    @classmethod
    def from_slot(cls, raw: Any) -> Optional["Proposal"]:
        """The proposal kept in a slot, or None when the slot holds none (or junk)."""
        if isinstance(raw, Proposal):
            return raw
        if not isinstance(raw, Mapping):
            return None
        try:
            consent = raw.get("consent")
            lead = raw.get("lead_professional")
            proposal = cls(
                case=str(raw["case"]), label=str(raw.get("label") or ""), rule_id=raw.get("rule_id"),
                record=str(raw["record"]), date=str(raw["date"]), by=str(raw["by"]),
                outcome=raw.get("outcome"),
                consent=ConsentProposal(**consent) if isinstance(consent, Mapping) else None,
                lead_professional=LeadProfessionalProposal(**lead) if isinstance(lead, Mapping) else None,
                pathway=raw.get("pathway"),
                reason=raw.get("reason"),
                move=raw.get("move"),
                also=tuple(str(r) for r in raw.get("also") or ()),
            )
        except (KeyError, TypeError):
            return None
        return proposal if proposal.record in RECORD_KINDS else None

    def but(self, **changes) -> "Proposal":
        return replace(self, **changes)


@dataclass(frozen=True)
class Question:
    kind: str                        # one of QUESTION_KINDS
    rule_id: Optional[str] = None    # the checklist item or ladder rung asked about
    case: Optional[str] = None
    words: str = ""                  # for "which case?": the request it will finish

    def as_slot(self) -> dict:
        return asdict(self)

    @classmethod
    def from_slot(cls, raw: Any) -> Optional["Question"]:
        if isinstance(raw, Question):
            return raw
        if not isinstance(raw, Mapping) or raw.get("kind") not in QUESTION_KINDS:
            return None
        return cls(raw["kind"], raw.get("rule_id"), raw.get("case"), str(raw.get("words") or ""))


@dataclass(frozen=True)
class State:
    case_ref: Optional[str] = None
    focus_rule: Optional[str] = None
    pending: Optional[Proposal] = None
    asking: Optional[Question] = None

    @classmethod
    def from_slots(cls, slots: Mapping[str, Any]) -> "State":
        return cls(
            case_ref=slots.get("case_ref") or None,
            focus_rule=slots.get("focus_rule") or None,
            pending=Proposal.from_slot(slots.get("pending")),
            asking=Question.from_slot(slots.get("asking")),
        )


@dataclass(frozen=True)
class Message:
    """One message as a front end hands it over: the words typed, and what the NLU made of
    them (a signal the core weighs, never the last word)."""

    text: str
    intent: Optional[str] = None
    confidence: float = 0.0
    entities: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def entity(self, name: str) -> Optional[str]:
        values = [value for entity, value in self.entities if entity == name and value]
        return values[-1] if values else None
