"""Buttons in Teams: an Adaptive Card out, the button's payload back in.

Rasa 3.6 sends buttons as a hero card of its own ``{title, payload}`` objects, which are
not Bot Framework card actions, so Teams sends nothing back when one is pressed. Here a
reply with buttons is an Adaptive Card whose buttons are ``Action.Submit``. Each one's
``data`` carries the Rasa payload under ``ehbot`` and, for Teams, a ``messageBack``:
Teams then shows the button's title in the chat as the practitioner's own message (so
the conversation reads as it does when they type) and sends the bot an activity with
``text`` = the title and ``value`` = ``{"ehbot": payload}``. ``pressed()`` reads the
payload back from that ``value`` (an object, or the same as JSON text).
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"
PAYLOAD_KEY = "ehbot"
TITLE_LIMIT = 80
TOP_LEVEL_ACTIONS = 6  # Teams shows at most six of a card's own actions; more go in rows in the body
ROW = 5


def _text_blocks(text: str) -> List[Dict[str, Any]]:
    """One TextBlock per line: Teams' card markdown would join single lines."""
    blocks: List[Dict[str, Any]] = []
    gap = False
    for line in text.strip().splitlines():
        if not line.strip():
            gap = True
            continue
        block: Dict[str, Any] = {"type": "TextBlock", "text": line, "wrap": True}
        if blocks:
            block["spacing"] = "Medium" if gap else "None"
        blocks.append(block)
        gap = False
    return blocks


def submit(title: str, payload: str) -> Dict[str, Any]:
    title = str(title)[:TITLE_LIMIT]
    value = {PAYLOAD_KEY: str(payload)}
    return {
        "type": "Action.Submit",
        "title": title,
        "data": {**value, "msteams": {"type": "messageBack", "text": title, "displayText": title, "value": value}},
    }


def card(text: str, buttons: List[Mapping[str, Any]]) -> Dict[str, Any]:
    """The attachment: the text, then a button per Rasa button."""
    actions = [submit(b["title"], b["payload"]) for b in buttons]
    content: Dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": _text_blocks(text),
        "msteams": {"width": "Full"},
    }
    if len(actions) <= TOP_LEVEL_ACTIONS:
        content["actions"] = actions
    else:
        content["body"] += [{"type": "ActionSet", "actions": actions[i:i + ROW]} for i in range(0, len(actions), ROW)]
    return {"contentType": CARD_TYPE, "content": content}


def pressed(activity: Mapping[str, Any]) -> Optional[str]:
    """The Rasa payload of the button this activity is the press of, if it is one."""
    value = activity.get("value")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict):
        return None
    payload = value.get(PAYLOAD_KEY)  # also there when a client sends the whole ``data``
    return payload if isinstance(payload, str) and payload.strip() else None
