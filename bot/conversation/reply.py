"""What the assistant says back: text, optional buttons, and what to keep."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from bot.conversation.state import Proposal, Question


@dataclass
class Reply:
    text: str
    # (title, payload) pairs, e.g. ("Yes, record it", "/affirm"); typed replies always work too.
    buttons: list[tuple[str, str]] = field(default_factory=list)
    # A proposal awaiting the practitioner's yes.
    pending: Optional[Proposal] = None
    # The case and step now in focus, so "why?" and "what's next?" need no reference.
    case_reference: Optional[str] = None
    rule_id: Optional[str] = None
    # What this reply asked, if anything (a checklist item, a ladder rung, which case...).
    asking: Optional[Question] = None
    # Nothing could be read or written (the database was away, or the message was set
    # aside): whatever was waiting for the practitioner's answer still waits.
    unchanged: bool = False
    # The message reported harm to a child: its words must not be kept anywhere.
    withheld: bool = False
    # Start the conversation afresh (forget the case in focus and anything waiting).
    restart: bool = False

    def slots(self) -> dict[str, Any]:
        """The state to keep after this reply, as plain values (what a front end stores)."""
        if self.restart:
            return {"case_ref": None, "focus_rule": None, "pending": None, "asking": None}
        kept: dict[str, Any] = {}
        if self.case_reference:
            kept["case_ref"] = self.case_reference
        if self.rule_id:
            kept["focus_rule"] = self.rule_id
        if not self.unchanged:
            kept["pending"] = self.pending.as_slot() if self.pending else None
            kept["asking"] = self.asking.as_slot() if self.asking else None
        return kept
