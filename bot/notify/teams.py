"""Microsoft Teams: Adaptive Cards posted to a Teams Workflows webhook.

Office 365 connectors (MessageCard) are retired; a Workflows "post to a
channel when a webhook request is received" flow takes an Adaptive Card in a
message envelope. A webhook cannot read the channel back, so a post whose
outcome is unknown cannot be checked automatically (see the sender).
"""
from __future__ import annotations

import json
import socket
import urllib.request
from http.client import HTTPException
from typing import Callable, Optional
from urllib.error import HTTPError, URLError

from bot.notify.messages import ReminderItem, digest_title
from bot.notify.refusals import Refusal, retry_after_seconds
from bot.notify.teams_links import actions, app_id

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
RUN_ID_HEADER = "x-ms-workflow-run-id"


def _mention(handle, entities: list[dict]) -> str:
    if handle is None:
        return ""
    if handle.teams_user_id and handle.username:
        text = f"<at>{handle.username}</at>"
        entities.append({"type": "mention", "text": text, "mentioned": {"id": handle.teams_user_id, "name": handle.username}})
        return f"{text} ({handle.label})"
    return handle.label


def _item_body(item: ReminderItem, entities: list[dict], bot_app_id: Optional[str]) -> list[dict]:
    facts = [
        {"title": "Case", "value": item.case_reference},
        {"title": "Due", "value": item.due_words()},
        {"title": "Stage", "value": item.stage_words},
        {"title": "Rule", "value": item.rule_id},
    ]
    body = [
        {"type": "TextBlock", "text": f"{item.stage_words}: {item.step_title}", "weight": "Bolder", "wrap": True},
        {"type": "FactSet", "facts": facts},
    ]
    owner = _mention(item.owner, entities)
    if owner:
        body.append({"type": "TextBlock", "text": f"Owner: {owner}", "wrap": True})
    escalate = _mention(item.escalate_to, entities)
    if escalate:
        body.append({"type": "TextBlock", "text": f"Escalate to: {escalate}", "wrap": True})
    choices = actions(item, bot_app_id)  # links into the bot's personal chat (teams_links.py)
    if choices:
        body.append({"type": "ActionSet", "actions": choices})
    body.append({"type": "TextBlock", "text": f"{item.reason} · {item.marker}", "isSubtle": True, "size": "Small", "wrap": True})
    return body


def card(items: list[ReminderItem], bot_app_id: Optional[str] = None) -> dict:
    """The webhook payload: one Adaptive Card holding one reminder or a digest. Each item
    gets its Done / Remind me on… / Why? links when the bot's app id is known (by default
    ``EHBOT_TEAMS_APP_ID``)."""
    bot_app_id = bot_app_id or app_id()
    entities: list[dict] = []
    body: list[dict] = []
    if len(items) > 1:
        body.append({"type": "TextBlock", "text": digest_title(len(items)), "size": "Large", "weight": "Bolder"})
    for item in items:
        part = _item_body(item, entities, bot_app_id)
        if body:
            part[0]["separator"] = True
        body += part
    content = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full", "entities": entities},
    }
    return {"type": "message", "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": content}]}


class TeamsChannel:
    kind = "teams"

    def __init__(self, timeout: float = 15.0, urlopen: Callable = urllib.request.urlopen):
        self.timeout, self.urlopen = timeout, urlopen

    def post(self, webhook_url: str, items: list[ReminderItem]) -> str:
        """Posts; returns the workflow run id (or "accepted"). Raises Refusal."""
        data = json.dumps(card(items)).encode("utf-8")
        request = urllib.request.Request(webhook_url, data=data, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with self.urlopen(request, timeout=self.timeout) as response:
                return response.headers.get(RUN_ID_HEADER) or "accepted"
        except HTTPError as exc:
            raise _refusal(exc) from None
        except URLError as exc:
            if isinstance(exc.reason, ConnectionRefusedError) or isinstance(exc.reason, socket.gaierror):
                raise Refusal("teams: webhook not reachable") from None  # nothing was sent
            raise Refusal(f"teams: network error ({type(exc.reason).__name__})", maybe_posted=True) from None
        except (socket.timeout, TimeoutError, ConnectionError, HTTPException, OSError) as exc:
            raise Refusal(f"teams: network error ({type(exc).__name__})", maybe_posted=True) from None


def _refusal(exc: HTTPError) -> Refusal:
    status = exc.code
    if status == 429:
        return Refusal("teams: rate limited (429)", retry_after=retry_after_seconds(dict(exc.headers.items())))
    if status >= 500:
        return Refusal(f"teams: server error {status}")
    # A wrong, expired or deleted webhook: retrying will not help.
    return Refusal(f"teams: webhook refused the post ({status})", permanent=True)
