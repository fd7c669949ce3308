"""What is left on a case, what is due (mine) or overdue (my team), and why."""
from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker

from actions.common import ConversationAction, Message, case_in_focus, latest_message
from bot.conversation import Reply


def case_status(conv, user: Optional[str], message: Message, ref: Optional[str]) -> Reply:
    return conv.case_status(user, ref, message.text)


class ActionCaseStatus(ConversationAction):
    def name(self) -> str:
        return "action_case_status"

    def reply(self, conv, user, tracker: Tracker) -> Reply:
        message = latest_message(tracker)
        return case_status(conv, user, message, case_in_focus(tracker, message))


class ActionWhy(ConversationAction):
    def name(self) -> str:
        return "action_why"

    def reply(self, conv, user, tracker: Tracker) -> Reply:
        return conv.why(user, case_in_focus(tracker), tracker.get_slot("focus_rule"))


class ActionDueMine(ConversationAction):
    def name(self) -> str:
        return "action_due_mine"

    def reply(self, conv, user, tracker: Tracker) -> Reply:
        return conv.due(user, "mine", latest_message(tracker).text)


class ActionDueTeam(ConversationAction):
    def name(self) -> str:
        return "action_due_team"

    def reply(self, conv, user, tracker: Tracker) -> Reply:
        return conv.due(user, "team", latest_message(tracker).text)
