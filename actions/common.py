"""The plumbing every action shares.

- ``conversation()``: one ``Conversation`` per process, made on first use (no database
  engine at import time); tests swap in a fake with ``use_conversation``.
- ``ConversationAction``: maps the sender to a practitioner, asks the core for a
  ``Reply``, sends it (text and buttons) and keeps its state in slots. Any failure
  becomes one clear message to the practitioner, never a crash.
"""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.conversation.reply import Reply
from bot.references import normalise_reference

log = logging.getLogger(__name__)

_conversation = None


DB_TROUBLE = (
    "I can't reach the case database just now, so nothing has been read or recorded. "
    "Please try again in a few minutes; if it keeps happening, tell your system administrator."
)
NOT_READY = "Sorry, I can't do that yet: that part of ehbot isn't switched on."
SOMETHING_WRONG = (
    "Sorry, something went wrong on my side and nothing was recorded. "
    "Please try again; if it keeps happening, tell your system administrator."
)


def conversation():
    """The process's Conversation, created on first use."""
    global _conversation
    if _conversation is None:
        from bot.conversation import Conversation

        _conversation = Conversation()
    return _conversation


def use_conversation(conv) -> None:
    """Replace the process's Conversation (tests; None resets to the default)."""
    global _conversation
    _conversation = conv


def channel_of(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


def current_user(tracker: Tracker) -> Optional[str]:
    """The practitioner's username, or None for a sender ehbot does not know."""
    return conversation().identify(channel_of(tracker), tracker.sender_id)


def normalise_ref(ref: Optional[str]) -> Optional[str]:
    """c1042, "c 1042", C-1042 -> C-1042 (anything else is passed on as typed)."""
    if not ref:
        return None
    return normalise_reference(ref) or ref.strip()


@dataclass
class Message:
    """What the practitioner said: the words typed, the intent and the entities.

    A button's payload ("/report_outcome{...}") has no words of its own: its text is
    that of the typed message it answers, so dates and references in it still count.
    """

    text: str = ""
    intent: Optional[str] = None
    entities: List[Dict[str, Any]] = field(default_factory=list)

    def entity(self, name: str, allowed=None) -> Optional[str]:
        """The entity's value (the last one found; with ``allowed``, the last allowed one)."""
        values = [str(e["value"]) for e in self.entities if e.get("entity") == name and e.get("value")]
        if allowed is not None:
            values = [v for v in values if v in allowed]
        return values[-1] if values else None


def _user_events(tracker: Tracker) -> List[Dict[str, Any]]:
    return [e for e in tracker.events if e.get("event") == "user"]


def _intent_of(event: Dict[str, Any]) -> Optional[str]:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def latest_message(tracker: Tracker) -> Message:
    latest = tracker.latest_message or {}
    intent = (latest.get("intent") or {}).get("name")
    message = Message(text=latest.get("text") or "", intent=intent, entities=list(latest.get("entities") or []))
    if message.text.startswith("/"):
        message.text = typed_text_before(tracker, intent)
    return message


def typed_text_before(tracker: Tracker, intent: Optional[str]) -> str:
    """The words of the last typed message (not a button) with this intent, or one the
    bot was unsure of, before the latest message."""
    for event in reversed(_user_events(tracker)[:-1]):
        text = event.get("text") or ""
        if text.startswith("/"):
            continue
        if _intent_of(event) in (intent, "nlu_fallback"):
            return text
        return ""
    return ""


def previous_message(tracker: Tracker) -> Optional[Message]:
    """The message just before the latest one (a button's payload carries the words of
    the typed message it answered)."""
    events = _user_events(tracker)
    if len(events) < 2:
        return None
    event = events[-2]
    parse = event.get("parse_data") or {}
    intent = _intent_of(event)
    text = event.get("text") or ""
    if text.startswith("/"):
        text = ""
        for earlier in reversed(events[:-2]):
            earlier_text = earlier.get("text") or ""
            if earlier_text.startswith("/"):
                continue
            if _intent_of(earlier) in (intent, "nlu_fallback"):
                text = earlier_text
            break
    return Message(text=text, intent=intent, entities=list(parse.get("entities") or []))


def last_bot_action(tracker: Tracker, before_latest_message: bool = True) -> Optional[str]:
    """The last action run before the latest user message (other than listening)."""
    seen_user = not before_latest_message
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
            continue
        if seen_user and event.get("event") == "action" and event.get("name") not in ("action_listen", None):
            return event.get("name")
    return None


def reply_events(reply: Reply, stateful: bool) -> List[Dict[Text, Any]]:
    events = []
    if reply.case_reference:
        events.append(SlotSet("case_ref", reply.case_reference))
    if reply.rule_id:
        events.append(SlotSet("focus_rule", reply.rule_id))
    if stateful and not reply.unchanged:
        events.append(SlotSet("pending", reply.pending))
        events.append(SlotSet("asking", reply.asking))
    return events


def send(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    buttons = [{"title": title, "payload": payload} for title, payload in reply.buttons]
    if buttons:
        dispatcher.utter_message(text=reply.text, buttons=buttons)
    else:
        dispatcher.utter_message(text=reply.text)


def problem_text(exc: BaseException) -> str:
    """A failure, in words for the practitioner (the details go to the log)."""
    if isinstance(exc, NotImplementedError):
        return NOT_READY
    try:
        from bot.db import errors as db_errors
    except Exception:  # noqa: BLE001 - the database layer itself failed to import
        return DB_TROUBLE
    if isinstance(exc, (db_errors.DatabaseUnavailable, db_errors.NotMigrated)):
        return DB_TROUBLE
    if isinstance(exc, db_errors.USER_FACING):
        return str(exc).strip().splitlines()[0] if str(exc).strip() else SOMETHING_WRONG
    return SOMETHING_WRONG


class ConversationAction(Action, ABC):
    """An action that asks the core for one Reply and sends it."""

    #: whether this flow's replies replace the pending proposal and the question asked
    stateful: bool = False

    @abstractmethod
    def reply(self, conv, user: Optional[str], tracker: Tracker) -> Reply:
        """The core's answer to the latest message."""

    def after(self, tracker: Tracker) -> List[Dict[Text, Any]]:
        """Events to add after a reply (e.g. clearing one-turn slots)."""
        return []

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        try:
            user = current_user(tracker)
            reply = self.reply(conversation(), user, tracker)
        except Exception as exc:  # noqa: BLE001 - the practitioner gets a message, not a crash
            log.exception("%s failed for sender %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(text=problem_text(exc))
            return self.after(tracker)
        send(dispatcher, reply)
        return reply_events(reply, self.stateful) + self.after(tracker)


def case_in_focus(tracker: Tracker, message: Optional[Message] = None) -> Optional[str]:
    """The case named in the message, else the case the conversation is about."""
    message = message or latest_message(tracker)
    return normalise_ref(message.entity("CASE_REF") or tracker.get_slot("case_ref"))
