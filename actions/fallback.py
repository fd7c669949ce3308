"""When ehbot is unsure what was meant, it asks (offering its best guesses) rather than guess."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

# intent -> how a guess is offered to the practitioner
GUESSES = {
    "report_outcome": "Report a CADS outcome",
    "record_step": "Record a step as done",
    "ask_case_status": "See what's left on a case",
    "ask_due_mine": "What's due on my cases",
    "ask_overdue_team": "What's overdue in my team",
    "start_step_down_checklist": "Step-down checklist",
    "no_lead_professional": "No lead professional found",
    "report_disagreement": "Someone disagrees with a decision",
    "faq": "A question about the guidance",
    "ask_why": "Why (the guidance behind a step)",
}
MAX_GUESSES = 3
MIN_CONFIDENCE = 0.05


class ActionClarify(Action):
    def name(self) -> str:
        return "action_clarify"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        guesses = [
            r["name"] for r in ranking if r.get("name") in GUESSES and (r.get("confidence") or 0) >= MIN_CONFIDENCE
        ][:MAX_GUESSES]
        buttons = [{"title": GUESSES[name], "payload": f"/{name}"} for name in guesses]
        buttons.append({"title": "What can you do?", "payload": "/help"})
        dispatcher.utter_message(
            text="Sorry, I'm not sure what you mean, and I'd rather ask than guess. "
            "Did you mean one of these? Or say it another way.",
            buttons=buttons,
        )
        return []
