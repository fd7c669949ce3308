"""No lead professional found: recorded, then the ladder rung by rung (raise with the CAF
Link Worker, challenge partners, Transforming Lives Panel, case note, inform everyone,
step down to universal services) as the core proposes each."""
from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker

from actions.common import ConversationAction, Message, case_in_focus, latest_message
from bot.conversation import Reply


def no_lead_professional(conv, user: Optional[str], message: Message, ref: Optional[str]) -> Reply:
    # The core finds the rung now open (the lead professional step, then each rung in turn)
    # and proposes recording that it found no one.
    return conv.lead_professional_ladder(user, ref, found=False, text=message.text)


class ActionNoLeadProfessional(ConversationAction):
    stateful = True

    def name(self) -> str:
        return "action_no_lead_professional"

    def reply(self, conv, user, tracker: Tracker) -> Reply:
        message = latest_message(tracker)
        return no_lead_professional(conv, user, message, case_in_focus(tracker, message))
