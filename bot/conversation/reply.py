"""What the assistant says back: text, optional buttons, and state to keep."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class Reply:
    text: str
    # (title, payload) pairs, e.g. ("Yes, record it", "/affirm"); typed replies always work too.
    buttons: list[tuple[str, str]] = field(default_factory=list)
    # A proposal awaiting the practitioner's yes (JSON-able; kept in a slot between turns).
    pending: Optional[dict] = None
    # The case and step now in focus, so "why?" and "what's next?" need no reference.
    case_reference: Optional[str] = None
    rule_id: Optional[str] = None
    # The step-down checklist item or ladder rung being asked about, if any.
    asking: Optional[str] = None
    # Nothing could be read or written (the database was away): whatever was waiting for the
    # practitioner's answer still waits, so the same "yes" works once the database is back.
    unchanged: bool = False
