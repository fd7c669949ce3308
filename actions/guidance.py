"""Guidance questions, answered from the guidance packs (cited) — never from the domain.

The ResponseSelector picks a ``faq/...`` sub-intent; it is mapped here to a knowledge
topic of the packs (the ``topics:`` of their knowledge rules) and the core answers.
"""
from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker

from actions.common import ConversationAction, latest_message
from bot.conversation import Reply

# faq sub-intent -> knowledge topic in the packs
TOPICS = {
    "consent_before_contact": "consent",
    "advice_only": "advice-only",
    "declined_consent": "declined-consent",
    "anonymous_advice": "anonymous-advice",
    "inform_family_exceptions": "inform-family-exceptions",
    "section_47": "section-47",
    "transfer_to_early_help": "transfer-to-early-help",
    "caf_support_panel": "caf-support-panel",
    "timescales": "timescales",
    "lead_professional_ladder": "ladder",
    "step_down_checklist": "checklist",
    "who_gains_consent": "consent",
    "contact_not_accepted": "contact-not-accepted",
    "referral_accepted": "referral-accepted",
    "disagreement_process": "disagreement",
    "lead_professional_role": "lead-professional",
    "closing_summary": "closing-summary",
}


def selected_faq(tracker: Tracker) -> Optional[str]:
    """The faq sub-intent the ResponseSelector chose for the latest message, if any."""
    selector = (tracker.latest_message or {}).get("response_selector") or {}
    for key in ("faq", "default"):
        response = (selector.get(key) or {}).get("response") or {}
        full = response.get("intent_response_key") or ""
        if full.startswith("faq/"):
            return full.split("/", 1)[1]
    return None


def topic_for(tracker: Tracker) -> Optional[str]:
    return TOPICS.get(selected_faq(tracker) or "")


class ActionAnswerQuestion(ConversationAction):
    def name(self) -> str:
        return "action_answer_question"

    def reply(self, conv, user, tracker: Tracker) -> Reply:
        return conv.answer_question(user, topic_for(tracker), latest_message(tracker).text)


class ActionHelp(ConversationAction):
    def name(self) -> str:
        return "action_help"

    def reply(self, conv, user, tracker: Tracker) -> Reply:
        return conv.help(user)
