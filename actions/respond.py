"""Every message: the core reads it, decides which workflow answers, and replies.

A disclosure of harm to a child is answered by the core before anything else; the reply
then carries ``withheld``, and the tracker store keeps no copy of the message's words.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import Restarted
from rasa_sdk.executor import CollectingDispatcher

from actions.common import conversation, current_user, events_for, message_of, problem_text, send, state_of
from bot.conversation import wording

log = logging.getLogger(__name__)


class ActionRespond(Action):
    def name(self) -> str:
        return "action_respond"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        try:
            user = current_user(tracker)
            reply = conversation().respond(user, message_of(tracker), state_of(tracker))
        except Exception as exc:  # noqa: BLE001 - the practitioner gets a message, not a crash
            # The type only: the sender id and the words stay out of the log.
            log.error("action_respond failed (%s)", type(exc).__name__)
            log.debug("the failure", exc_info=True)
            dispatcher.utter_message(text=problem_text(exc))
            return []
        send(dispatcher, reply)
        return events_for(reply)


class ActionRestart(Action):
    """"/restart" (Rasa's own command): the conversation starts afresh, and says so."""

    def name(self) -> str:
        return "action_restart"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=wording.RESTARTED)
        return [Restarted()]
