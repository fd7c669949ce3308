"""Step down from CSC to CAF: the team manager's pre-closure checklist, item by item
(yes and no to each item are handled by action_affirm / action_deny)."""
from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker

from actions.common import ConversationAction, Message, case_in_focus, latest_message
from bot.conversation import Reply


def checklist(conv, user: Optional[str], message: Message, ref: Optional[str]) -> Reply:
    return conv.step_down_checklist(user, ref, answer=None)


class ActionStepDownChecklist(ConversationAction):
    stateful = True

    def name(self) -> str:
        return "action_step_down_checklist"

    def reply(self, conv, user, tracker: Tracker) -> Reply:
        message = latest_message(tracker)
        return checklist(conv, user, message, case_in_focus(tracker, message))
