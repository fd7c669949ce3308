"""A Teams reminder card's choices: links that open the bot's personal chat.

A Workflows webhook's card cannot send anything back to ehbot (the flow posts as
itself), so each choice is an ``Action.OpenUrl`` deep link,
``https://teams.microsoft.com/l/chat/0/0?users=28:<app id>&message=<text>``: it opens
the practitioner's chat with the bot with the message typed in; they press send.

The message is the chat's payload for a reminder button, the same one the Slack
channel makes of a press (``/case_report{"reminder":"12","press":"done"}``, handled
by bot/conversation/reminders.py). Plain words were tried first and are not safe:
"why is <rule> due on C-1042?" is read as reporting the step done. The link carries
the reminder's id, the press and a date only: the core finds the case from the
reminder and checks who may see it. No name, no case detail.

"Remind me on…" cannot pick a day in a link, so it offers the one day that makes
sense for a step due soon: its due date. Only when ``EHBOT_TEAMS_APP_ID`` is set
(the personal chat exists only then).
"""
from __future__ import annotations

import json
import os
from typing import Mapping, Optional
from urllib.parse import quote

from bot.notify.messages import ReminderItem

CHAT_LINK = "https://teams.microsoft.com/l/chat/0/0?users=28:{app_id}&message={message}"


def app_id(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    env = os.environ if env is None else env
    return (env.get("EHBOT_TEAMS_APP_ID") or "").strip() or None


def payload(item: ReminderItem, press: str, remind_on: Optional[str] = None) -> str:
    entities = {"reminder": str(item.reminder_id), "press": press}
    if remind_on:
        entities["remind_on"] = remind_on
    return "/case_report" + json.dumps(entities, separators=(",", ":"))


def link(bot_app_id: str, message: str) -> str:
    return CHAT_LINK.format(app_id=quote(bot_app_id, safe=""), message=quote(message, safe=""))


def actions(item: ReminderItem, bot_app_id: Optional[str]) -> list[dict]:
    """The card's Done / Remind me on… / Why? for one item; none without the bot's app id."""
    if not bot_app_id:
        return []
    choices = [("Done", payload(item, "done"))]
    if item.stage == "due_soon" and item.due_on > item.today:
        day = item.due_on.isoformat()
        choices.append((f"Remind me on {item.due_on:%a %d %b}", payload(item, "hold", day)))
    choices.append(("Why?", payload(item, "why")))
    return [{"type": "Action.OpenUrl", "title": title, "url": link(bot_app_id, message)} for title, message in choices]
