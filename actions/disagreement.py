"""A family or an agency disagrees: recorded (after a yes), raised with the team manager,
with the deadline to resolve it set by the guidance."""
from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.common import ConversationAction, Message, case_in_focus, latest_message
from bot.conversation import Reply

CONCEPT_FOR_PARTY = {"family": "disagreement_family", "agency": "disagreement_agency"}


def who_disagrees() -> Reply:
    return Reply(
        text="Who disagrees: the family (a parent, carer or the child) or an agency?",
        buttons=[
            ("The family", '/report_disagreement{"party": "family"}'),
            ("An agency", '/report_disagreement{"party": "agency"}'),
        ],
    )


def disagreement(conv, user: Optional[str], message: Message, ref: Optional[str]) -> Reply:
    concept = CONCEPT_FOR_PARTY.get(message.entity("party", allowed=CONCEPT_FOR_PARTY) or "")
    if concept is None:
        return who_disagrees()
    return conv.propose_step(user, concept, message.text, case_ref=ref)


class ActionReportDisagreement(ConversationAction):
    stateful = True

    def name(self) -> str:
        return "action_report_disagreement"

    def reply(self, conv, user, tracker: Tracker) -> Reply:
        message = latest_message(tracker)
        return disagreement(conv, user, message, case_in_focus(tracker, message))

    def after(self, tracker):
        return [SlotSet("party", None)]
