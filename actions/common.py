"""The plumbing the actions share.

- ``conversation()``: one ``Conversation`` per process, made on first use (no database
  engine at import time); tests swap in a fake with ``use_conversation``.
- ``message_of`` and ``state_of``: the latest message and the kept state, typed, as the
  core takes them; ``events_for``: the reply's state back into slots.
- ``send``: the reply's text and buttons; ``problem_text``: a failure in plain words.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.conversation import Message, Reply, State

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
# The slot the tracker store reads to keep no copy of a message's words (ehbot_channels/tracker_store.py).
WITHHELD_SLOT = "withheld"
KEPT_SLOTS = ("case_ref", "focus_rule", "pending", "asking")


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


def message_of(tracker: Tracker) -> Message:
    """The latest message: its words, and the NLU's intent and entities as a second opinion.
    A button's payload ("/case_report{...}") has no words of its own."""
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    text = latest.get("text") or ""
    entities = tuple((str(e.get("entity")), str(e.get("value"))) for e in latest.get("entities") or ()
                     if e.get("entity") and e.get("value") is not None)
    return Message(text="" if text.startswith("/") else text, intent=intent.get("name"),
                   confidence=float(intent.get("confidence") or 0.0), entities=entities)


def state_of(tracker: Tracker) -> State:
    return State.from_slots({name: tracker.get_slot(name) for name in KEPT_SLOTS})


def events_for(reply: Reply) -> List[Dict[Text, Any]]:
    events = [SlotSet(name, value) for name, value in reply.slots().items()]
    if reply.withheld:
        events.append(SlotSet(WITHHELD_SLOT, True))
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
