"""Completing steps in conversation: "mum gave consent today" -> a proposal to confirm;
yes records it, no records nothing."""
from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.common import ConversationAction, Message, case_in_focus, latest_message
from bot.conversation import CONCEPTS, Reply

# Offered when the words did not name a step ehbot knows: the practitioner picks one.
COMMON_STEPS = (
    ("Consent given", "consent_given"),
    ("Team manager signed it off", "team_manager_sign_off"),
    ("Lead professional agreed", "lead_professional_agreed"),
    ("Initial FPM booked", "family_planning_meeting_booked"),
    ("Referrer updated", "referrer_updated"),
)


def which_step() -> Reply:
    return Reply(
        text="Which step do you mean? Pick one, or say it another way (for example \"mum gave consent today\").",
        buttons=[(title, f'/record_step{{"concept": "{concept}"}}') for title, concept in COMMON_STEPS],
    )


def propose(conv, user: Optional[str], message: Message, ref: Optional[str], concept: Optional[str] = None) -> Reply:
    concept = concept or message.entity("concept", allowed=CONCEPTS)
    if concept not in CONCEPTS:
        return which_step()
    return conv.propose_step(user, concept, message.text, case_ref=ref)


class ActionProposeStep(ConversationAction):
    stateful = True

    def name(self) -> str:
        return "action_propose_step"

    def reply(self, conv, user, tracker: Tracker) -> Reply:
        message = latest_message(tracker)
        return propose(conv, user, message, case_in_focus(tracker, message))

    def after(self, tracker):
        return [SlotSet("concept", None)]


def answer_question_asked(conv, user: Optional[str], tracker: Tracker, yes: bool) -> Reply:
    """A yes or no to what the last reply asked: a lead professional ladder rung, or a checklist item."""
    asking = tracker.get_slot("asking")
    if ".ladder-" in asking or asking.endswith(".lead-professional-agreed"):
        return conv.lead_professional_ladder(user, case_in_focus(tracker), found=yes, text=latest_message(tracker).text)
    return conv.step_down_checklist(user, case_in_focus(tracker), answer=yes, item=asking)


class ActionAffirm(ConversationAction):
    """Yes: record the proposal waiting, or tick the checklist item being asked."""

    stateful = True

    def name(self) -> str:
        return "action_affirm"

    def reply(self, conv, user, tracker: Tracker) -> Reply:
        pending = tracker.get_slot("pending")
        if pending:
            return conv.confirm(user, pending)
        if tracker.get_slot("asking"):
            return answer_question_asked(conv, user, tracker, True)
        return Reply(text="There's nothing waiting for a yes from you just now. Type 'help' to see what I can do.")


class ActionDeny(ConversationAction):
    """No: record nothing, or note the checklist item as outstanding."""

    stateful = True

    def name(self) -> str:
        return "action_deny"

    def reply(self, conv, user, tracker: Tracker) -> Reply:
        pending = tracker.get_slot("pending")
        if not pending and tracker.get_slot("asking"):
            return answer_question_asked(conv, user, tracker, False)
        return conv.cancel(user, pending or None)
