"""Reporting an outcome ("I've finished a CADS assessment, threshold not met for C-1042")
and naming the case when the bot asked which one."""
from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions import disagreement, ladder, status, step_down, steps
from actions.common import ConversationAction, Message, last_bot_action, latest_message, normalise_ref, previous_message
from bot.conversation import Reply

PATHS = ("link_existing_caf", "progress_to_caf", "signpost_early_help")

# Actions after which the case in focus belongs to the outcome being reported.
CONTINUING = ("action_report_outcome", "action_inform_case")


def report(conv, user: Optional[str], message: Message, ref: Optional[str]) -> Reply:
    path = message.entity("outcome_path", allowed=PATHS)
    return conv.report_outcome(user, message.text, case_ref=ref, path=path)


class ActionReportOutcome(ConversationAction):
    stateful = True

    def name(self) -> str:
        return "action_report_outcome"

    def reply(self, conv, user, tracker: Tracker) -> Reply:
        message = latest_message(tracker)
        ref = message.entity("CASE_REF")
        if not ref and last_bot_action(tracker) in CONTINUING:
            ref = tracker.get_slot("case_ref")  # "progress to CAF" answering "which path?"
        return report(conv, user, message, normalise_ref(ref))

    def after(self, tracker):
        return [SlotSet("outcome_path", None)]


# What a bare case reference answers, by the intent of the message it completes.
FLOWS = {
    "report_outcome": report,
    "record_step": steps.propose,
    "no_lead_professional": ladder.no_lead_professional,
    "report_disagreement": disagreement.disagreement,
    "start_step_down_checklist": step_down.checklist,
    "ask_case_status": status.case_status,
}


class ActionInformCase(ConversationAction):
    """"C-1042" on its own: finish what the practitioner was asking about with this case
    (the words of that message still count), or show the case's status."""

    stateful = True

    def name(self) -> str:
        return "action_inform_case"

    def reply(self, conv, user, tracker: Tracker) -> Reply:
        message = latest_message(tracker)
        ref = normalise_ref(message.entity("CASE_REF") or message.text.strip())
        earlier = previous_message(tracker)
        if earlier is None or earlier.intent not in FLOWS:
            return status.case_status(conv, user, message, ref)
        combined = Message(
            text=f"{earlier.text} {message.text}".strip(),
            intent=earlier.intent,
            entities=[e for e in earlier.entities if e.get("entity") != "CASE_REF"],
        )
        return FLOWS[earlier.intent](conv, user, combined, ref)
