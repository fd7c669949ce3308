"""What a reminder says, and the only facts a channel post may carry.

A ``ReminderItem`` holds the case reference, the step, dates, the stage, the
rule, its citation and practitioners' handles. It has no field for a child's
or family member's name or details, so no post (or log line) built from it can
carry one. Practitioners are named by handle: a Slack or Teams mention, else
the guidance's name for their role. Free-text names (a lead professional from
a partner agency, a referrer) are never posted: nobody vets free text.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Optional

STAGE_WORDS = {
    "due_soon": "Due soon",
    "due_today": "Due today",
    "overdue": "Overdue",
    "escalated": "Escalation due",
}
MARKER = "ehbot:r{id}"
MARKER_PATTERN = re.compile(r"ehbot:r(\d+)\b")


@dataclass(frozen=True)
class Handle:
    """How a practitioner is named in a channel."""

    label: str  # the guidance's role name, e.g. "Line Manager"
    username: Optional[str] = None
    slack_user_id: Optional[str] = None
    teams_user_id: Optional[str] = None


@dataclass(frozen=True)
class ReminderItem:
    reminder_id: int
    case_reference: str
    rule_id: str
    step_title: str
    stage: str
    due_on: dt.date
    today: dt.date
    reason: str  # the cited reason: document title and section, or the local policy
    owner: Optional[Handle] = None
    escalate_to: Optional[Handle] = None
    local_policy: bool = False

    @property
    def marker(self) -> str:
        return MARKER.format(id=self.reminder_id)

    @property
    def stage_words(self) -> str:
        return STAGE_WORDS[self.stage]

    def due_words(self) -> str:
        late = (self.today - self.due_on).days
        if late > 0:
            return f"{self.due_on.isoformat()} ({late} day{'' if late == 1 else 's'} overdue)"
        if late == 0:
            return f"{self.due_on.isoformat()} (today)"
        return self.due_on.isoformat()


def markers_in(text: str) -> set[int]:
    return {int(m) for m in MARKER_PATTERN.findall(text or "")}


def plain_text(item: ReminderItem, owner: Optional[str] = None, escalate_to: Optional[str] = None) -> str:
    """One line: for the terminal (dry run) and as a post's notification text."""
    owner = owner or (item.owner.label if item.owner else None)
    escalate_to = escalate_to or (item.escalate_to.label if item.escalate_to else None)
    parts = [f"{item.stage_words}: {item.case_reference} — {item.step_title}", f"due {item.due_words()}"]
    if owner:
        parts.append(f"owner {owner}")
    if escalate_to:
        parts.append(f"escalate to {escalate_to}")
    parts.append(f"{item.rule_id} ({item.reason})")
    return "; ".join(parts)


def digest_title(count: int) -> str:
    return f"{count} ehbot reminders"
