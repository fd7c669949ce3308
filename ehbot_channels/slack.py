"""Rasa 3.6's Slack channel, with what ehbot needs on top.

Used from the credentials file as ``ehbot_channels.slack.SlackInput``. Its name is
still ``slack``, so the webhook stays at ``/webhooks/slack/webhook`` and the actions
see the input channel ``slack`` (the sender id is the Slack user id).

Kept from Rasa (rasa/core/channels/slack.py): the signature check (HMAC-SHA256 of
``v0:{timestamp}:{body}`` with the signing secret, compared in constant time;
requests more than five minutes from now are refused: 400), replies in the thread
of the message (``use_threads``), buttons as a Block Kit ``actions`` block and
button clicks (interactive payloads) arriving at the same webhook.

Changed:

- **Retries are not handled twice, and not dropped.** Rasa answers Slack at once
  and handles the message in the background, so Slack retries a delivery
  (``X-Slack-Retry-Num``) only when our answer did not reach it. Rasa itself drops
  a retry only when its ``X-Slack-Retry-Reason`` is in ``errors_ignore_retry``
  (default ``http_timeout``) and handles any other retry again, e.g.
  ``http_error`` or ``connection_failed``. Here each delivery is remembered by
  Slack's ``event_id`` for ``retry_memory_seconds`` (default an hour; Slack's
  retries come within minutes): a delivery seen before is answered 200 with
  ``X-Slack-No-Retry: 1`` and not handled; a retry of one never received (the
  server was down) is handled once. The memory is the server's: a restart
  between a delivery and its retry forgets it.
- **Every message gets an answer.** A turn that says nothing (the action server
  unreachable) gets "Sorry, I can't answer that just now..." in its thread
  (ehbot_channels/always_answer.py), not silence.
- **Buttons on reminder posts** (bot/notify/slack.py: action id
  ``ehbot_reminder:<done|hold|why>:<reminder id>``, the datepicker's chosen day) become
  the chat's payload ``/case_report{"reminder":"12","press":"hold","remind_on":"2026-11-26"}``
  (``reminder_press``), handled by the one action like any message. The reply goes to
  the presser's direct message with the app (posted to their user id), never the team
  channel's thread: a case's details are for those who may see it.
- ``api_url`` (``EHBOT_SLACK_API_URL``): the Web API base URL (tests: a fake Slack).
- Replies are posted without the ``as_user`` argument, which Slack refuses from
  apps created since 2020 (``invalid_arguments``, ``deprecated_argument: as_user``).
- One reply is one Slack message (Rasa posts every paragraph as its own message),
  split only where Slack's limits demand it; ``&``, ``<`` and ``>`` are escaped as
  Slack requires. Text with buttons goes in ``mrkdwn`` sections of at most 3,000
  characters (Rasa's single ``plain_text`` section is refused beyond that).

Nothing here logs a message's text, a token or the signing secret.
"""
from __future__ import annotations

import json
import logging
import re
import time
from collections import OrderedDict
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels import slack as rasa_slack
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import response
from sanic.request import Request
from slack_sdk.web.async_client import AsyncWebClient

from ehbot_channels.always_answer import AnswersEveryMessage

logger = logging.getLogger(__name__)

TEXT_LIMIT = 3500  # characters per posted message (Slack truncates at 40,000; advises 4,000)
SECTION_LIMIT = 3000  # a section block's text
BUTTON_TEXT_LIMIT = 75
MAX_BUTTONS = 25  # an actions block's elements


def escape(text: str) -> str:
    """Slack's three control characters (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chunks(text: str, limit: int) -> List[str]:
    """The text in pieces of at most ``limit`` characters, cut between paragraphs or
    lines where possible."""
    text = text.strip()
    pieces: List[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit))
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].strip()
    if text:
        pieces.append(text)
    return pieces


class RecentDeliveries:
    """Keys seen in the last ``seconds`` (at most ``limit`` of them)."""

    def __init__(self, seconds: float = 3600.0, limit: int = 10000, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.limit, self.clock = seconds, limit, clock
        self._seen: "OrderedDict[str, float]" = OrderedDict()

    def first_time(self, key: str) -> bool:
        """True, and remembered, if the key was not seen within the window."""
        now = self.clock()
        while self._seen and (len(self._seen) >= self.limit or next(iter(self._seen.values())) < now - self.seconds):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True


# A reminder post's button (bot/notify/slack.py builds them; nothing from bot/ is imported here).
REMINDER_ACTION = re.compile(r"^ehbot_reminder:(done|hold|why):(\d{1,18})$")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def reminder_press(action: Dict[str, Any]) -> Optional[str]:
    """A press on a reminder post as the chat's payload; None for any other action.
    Only the reminder's id, which button, and the day picked: nothing else rides along."""
    found = REMINDER_ACTION.match(str(action.get("action_id") or ""))
    if not found:
        return None
    press, reminder = found.groups()
    entities = {"reminder": reminder, "press": press}
    day = str(action.get("selected_date") or "")
    if press == "hold" and ISO_DAY.match(day):
        entities["remind_on"] = day
    return "/case_report" + json.dumps(entities, separators=(",", ":"))


def reminder_presser(request: Request) -> Optional[str]:
    """The Slack user id of whoever pressed a reminder post's button; None for any other request."""
    if request.headers.get("content-type") != "application/x-www-form-urlencoded":
        return None
    try:
        payload = json.loads(request.form["payload"][0])
        action = (payload.get("actions") or [{}])[0]
        user = (payload.get("user") or {}).get("id")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
    return user if user and REMINDER_ACTION.match(str(action.get("action_id") or "")) else None


def delivery_key(request: Request) -> Optional[str]:
    """What identifies one delivery across Slack's retries: the Events API's
    ``event_id``; for a button click, who clicked and when."""
    content_type = request.headers.get("content-type")
    try:
        if content_type == "application/json":
            body = request.json or {}
            if body.get("event_id"):
                return f"event:{body['event_id']}"
            event = body.get("event") or {}
            if event.get("channel") and event.get("ts"):
                return f"message:{event['channel']}:{event['ts']}"
        elif content_type == "application/x-www-form-urlencoded":
            payload = json.loads(request.form["payload"][0])
            action = (payload.get("actions") or [{}])[0]
            user = (payload.get("user") or {}).get("id")
            if user and action.get("action_ts"):
                return f"action:{user}:{action['action_ts']}"
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
    return None


class SlackBot(rasa_slack.SlackBot):
    """Posts replies: to another Web API base URL if asked, without ``as_user``."""

    def __init__(self, token: Text, slack_channel: Optional[Text] = None, thread_id: Optional[Text] = None,
                 proxy: Optional[Text] = None, api_url: Optional[Text] = None) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        if api_url:
            self.client = AsyncWebClient(token, proxy=proxy, base_url=api_url)

    async def _post_message(self, channel: Text, **kwargs: Any) -> None:
        kwargs.pop("as_user", None)
        kwargs.pop("type", None)  # not a chat.postMessage argument
        await super()._post_message(channel=channel, **kwargs)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        recipient = self.slack_channel or recipient_id
        for piece in chunks(escape(text), TEXT_LIMIT):
            await self._post_message(channel=recipient, text=piece)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        recipient = self.slack_channel or recipient_id
        if len(buttons) > MAX_BUTTONS:
            logger.warning("a reply had %d buttons; Slack shows at most %d: sent as text", len(buttons), MAX_BUTTONS)
            return await self.send_text_message(recipient, text)
        sections = [{"type": "section", "text": {"type": "mrkdwn", "text": piece}}
                    for piece in chunks(escape(text), SECTION_LIMIT)]
        actions = {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": f"ehbot-button-{i}",
                    "text": {"type": "plain_text", "text": str(button["title"])[:BUTTON_TEXT_LIMIT]},
                    "value": str(button["payload"]),
                }
                for i, button in enumerate(buttons)
            ],
        }
        await self._post_message(channel=recipient, text=escape(text)[:TEXT_LIMIT], blocks=[*sections, actions])


class SlackInput(AnswersEveryMessage, rasa_slack.SlackInput):
    """Rasa's Slack input channel with retries remembered, a configurable API URL, and an
    answer to every message (ehbot_channels/always_answer.py)."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        channel = super().from_credentials(credentials)
        channel.api_url = credentials.get("api_url") or None
        channel.recent = RecentDeliveries(float(credentials.get("retry_memory_seconds") or 3600))
        # Every retry comes through to process_message, which tells a repeat from a
        # first delivery (Rasa's own default would drop http_timeout retries unseen).
        channel.errors_ignore_retry = ()
        return channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_url: Optional[str] = None
        self.recent = RecentDeliveries()

    async def process_message(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                              text: Text, sender_id: Optional[Text], metadata: Optional[Dict]) -> Any:
        retry = request.headers.get(self.retry_num_header)
        reason = request.headers.get(self.retry_reason_header)
        key = delivery_key(request)
        if key is None and retry:
            logger.warning("Slack retry #%s (%s) without an event id: not handled, in case it was", retry, reason)
            return self._already_handled()
        if key is not None and not self.recent.first_time(key):
            logger.info("Slack delivered %s again (retry #%s, %s): already handled", key, retry, reason)
            return self._already_handled()
        if retry:
            logger.info("Slack retry #%s (%s) of %s, not received before: handling it", retry, reason, key)
        return await super().process_message(request, on_new_message, text, sender_id, metadata)

    @staticmethod
    def _get_interactive_response(action: Dict) -> Optional[Text]:
        return reminder_press(action) or rasa_slack.SlackInput._get_interactive_response(action)

    def get_metadata(self, request: Request) -> Dict[Text, Any]:
        metadata = super().get_metadata(request)
        presser = reminder_presser(request)
        if presser:
            # Posting to a user id lands in their direct message with the app: the reply may
            # name what only they may see, so never in the team channel's thread.
            metadata = {**metadata, "out_channel": presser, "thread_id": None}
        return metadata

    @staticmethod
    def _already_handled():
        return response.text("", status=HTTPStatus.OK, headers={"X-Slack-No-Retry": "1"})

    def get_output_channel(self, channel: Optional[Text] = None, thread_id: Optional[Text] = None) -> OutputChannel:
        channel = channel or self.slack_channel
        return SlackBot(self.slack_token, channel, thread_id, self.proxy, api_url=self.api_url)
