"""Microsoft Teams (personal chat) through the Bot Framework, in place of Rasa 3.6's channel.

Used from the credentials file as ``ehbot_channels.teams.BotFrameworkInput``. Its name
is still ``botframework``, so the webhook stays at ``/webhooks/botframework/webhook``,
the actions see the input channel ``botframework`` and the sender id is the activity's
``from.id`` (``29:…``), as with Rasa's.

Why not Rasa's (rasa/core/channels/botframework.py): it downloads Microsoft's keys
from ``login.botframework.com`` in its constructor (the server does not start offline,
and nothing can be tested), sends buttons as a hero card Teams cannot send back, posts
every paragraph as its own message with blocking ``requests`` calls, and handles a
redelivered activity again.

What this one does:

- **Every request is checked** (teams_auth.py): a JWT from the connector, signed by a
  key from the OpenID metadata at ``openid_metadata_url``
  (``EHBOT_TEAMS_OPENID_METADATA_URL``; Microsoft's by default), for our app id, not
  expired, vouching for the activity's ``serviceUrl``. Anything else: **401**, nothing
  handled. Keys that cannot be fetched: **503** (the connector tries again later).
- **Answered at once, handled in the background**: the connector waits only 15 seconds
  for an answer, a Rasa turn can take longer.
- **A redelivered activity is handled once**: each is remembered by conversation and
  activity id for ``retry_memory_seconds`` (``RecentDeliveries`` from the Slack channel).
  Only after the token check, so nobody else can fill the memory.
- **Buttons work** (teams_cards.py): an Adaptive Card of ``Action.Submit`` buttons; a
  press comes back as an activity whose ``value`` carries the Rasa payload, taken as the
  practitioner's message.
- **One reply is one message** (as ``textFormat: plain``: no Markdown surprises), split
  only beyond what Teams takes.
- **Every message gets an answer** (ehbot_channels/always_answer.py).
- Replies go through teams_connector.py: aiohttp, the token endpoint a setting
  (``token_url``, ``EHBOT_TEAMS_TOKEN_URL``).

Nothing here logs a message's text, a token or the app password.
"""
from __future__ import annotations

import asyncio
import logging
import re
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Set, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from ehbot_channels.always_answer import AnswersEveryMessage
from ehbot_channels.slack import RecentDeliveries, chunks
from ehbot_channels.teams_auth import MICROSOFT_OPENID_METADATA_URL, ConnectorKeys, KeysUnavailable, Refused, check
from ehbot_channels.teams_cards import card, pressed
from ehbot_channels.teams_connector import MICROSOFT_TOKEN_URL, Connector

logger = logging.getLogger(__name__)

TEXT_LIMIT = 12000  # characters per message: Teams takes 40 KB of UTF-16 for the whole activity
MENTION = re.compile(r"<at>[^<]*</at>")  # "@ehbot" as it arrives when mentioned


class TeamsOutput(OutputChannel):
    """Replies in the conversation an activity came from."""

    @classmethod
    def name(cls) -> Text:
        return "botframework"

    def __init__(self, connector: Connector, activity: Mapping[str, Any]) -> None:
        self.connector = connector
        self.service_url = activity["serviceUrl"]
        self.conversation = {"id": activity["conversation"]["id"]}
        self.bot = activity.get("recipient") or {}
        self.reply_to = activity.get("id")

    def _activity(self, recipient_id: Text, **fields: Any) -> Dict[str, Any]:
        activity = {"type": "message", "from": self.bot, "recipient": {"id": recipient_id},
                    "conversation": self.conversation, **fields}
        if self.reply_to:
            activity["replyToId"] = self.reply_to
        return activity

    async def _post(self, activity: Dict[str, Any]) -> None:
        await self.connector.post(self.service_url, self.conversation["id"], activity)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for piece in chunks(text, TEXT_LIMIT):
            await self._post(self._activity(recipient_id, text=piece, textFormat="plain"))

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        pieces = chunks(text, TEXT_LIMIT) or [""]
        for piece in pieces[:-1]:  # a very long text: all but its end as text, the end with the buttons
            await self._post(self._activity(recipient_id, text=piece, textFormat="plain"))
        await self._post(self._activity(recipient_id, attachments=[card(pieces[-1], buttons)]))

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        hero = {"contentType": "application/vnd.microsoft.card.hero", "content": {"images": [{"url": image}]}}
        await self._post(self._activity(recipient_id, attachments=[hero]))

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self._post({**self._activity(recipient_id), **json_message})


class TeamsInput(InputChannel):
    """The webhook: checks, remembers, and hands the message to Rasa in the background."""

    @classmethod
    def name(cls) -> Text:
        return "botframework"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(
            credentials.get("app_id"), credentials.get("app_password"),
            openid_metadata_url=credentials.get("openid_metadata_url") or MICROSOFT_OPENID_METADATA_URL,
            token_url=credentials.get("token_url") or MICROSOFT_TOKEN_URL,
            retry_memory_seconds=float(credentials.get("retry_memory_seconds") or 3600),
        )

    def __init__(self, app_id: Text, app_password: Text, openid_metadata_url: str = MICROSOFT_OPENID_METADATA_URL,
                 token_url: str = MICROSOFT_TOKEN_URL, retry_memory_seconds: float = 3600.0) -> None:
        if not app_id or not app_password:
            raise ValueError("the Teams channel needs app_id and app_password")
        self.app_id = str(app_id)
        self.keys = ConnectorKeys(openid_metadata_url)
        self.connector = Connector(self.app_id, str(app_password), token_url)
        self.recent = RecentDeliveries(retry_memory_seconds)
        self._handling: Set[asyncio.Task] = set()

    async def idle(self) -> None:
        """Waits until every message taken is handled (tests; a clean shutdown)."""
        while self._handling:
            await asyncio.gather(*list(self._handling), return_exceptions=True)

    def _later(self, work: Awaitable[Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._handling.add(task)  # kept: the loop holds tasks only weakly
        task.add_done_callback(self._handling.discard)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("botframework_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                activity = request.json
            except Exception:  # noqa: BLE001 - Sanic raises its own type for a body that is not JSON
                activity = None
            if not isinstance(activity, dict):
                return response.text("Not an activity.", status=HTTPStatus.BAD_REQUEST)
            try:
                await check(request.headers.get("Authorization"), activity, self.keys, self.app_id)
            except Refused as exc:
                logger.warning("a Teams request was refused: %s", exc)
                return response.text("Unauthorized.", status=HTTPStatus.UNAUTHORIZED)
            except KeysUnavailable:
                return response.text("Cannot check the token just now.", status=HTTPStatus.SERVICE_UNAVAILABLE)
            message = self._message(activity, request)
            if message is None:
                return response.text("", status=HTTPStatus.OK)
            self._later(on_new_message(message))
            return response.text("", status=HTTPStatus.ACCEPTED)

        return webhook

    def _message(self, activity: Dict[str, Any], request: Request) -> Optional[UserMessage]:
        """The practitioner's message in this activity; None for anything not to handle."""
        if activity.get("type") != "message":
            return None  # conversationUpdate, typing, …: nothing to answer
        try:
            conversation_id = str(activity["conversation"]["id"])
            sender_id = str(activity["from"]["id"])
            activity["serviceUrl"]  # noqa: B018 - where the reply goes
        except (KeyError, TypeError):
            logger.warning("a Teams message without its conversation, sender or service URL: not handled")
            return None
        if activity.get("id") and not self.recent.first_time(f"{conversation_id}:{activity['id']}"):
            logger.info("Teams delivered an activity again: already handled")
            return None
        text = pressed(activity) or MENTION.sub("", activity.get("text") or "").strip()
        if not text:
            return None
        return UserMessage(text=text, output_channel=TeamsOutput(self.connector, activity), sender_id=sender_id,
                           input_channel=self.name(), metadata=self.get_metadata(request))


class BotFrameworkInput(AnswersEveryMessage, TeamsInput):
    """The Teams channel; a turn that says nothing gets ehbot's "no answer" message."""
