"""Slack: Block Kit reminders through slack-sdk's WebClient, and finding earlier posts.

Each post carries an idempotency marker per reminder (``ehbot:r123``) in a
context block and in the message metadata, so a sender that died between
posting and recording can find its post in the channel's history.
"""
from __future__ import annotations

import datetime as dt
import logging
import socket
from http.client import HTTPException
from typing import Iterable, Optional
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.db.models import HOLDABLE_STAGES
from bot.notify.messages import ReminderItem, digest_title, markers_in, plain_text
from bot.notify.refusals import Refusal, retry_after_seconds

log = logging.getLogger(__name__)

EVENT_TYPE = "ehbot_reminder"
# Slack refuses these whatever we do: fail at once rather than hammer.
PERMANENT_ERRORS = {
    "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "not_authed", "account_inactive",
    "token_revoked", "token_expired", "missing_scope", "no_permission", "restricted_action", "invalid_blocks",
    "msg_too_long", "invalid_metadata_format", "invalid_metadata_schema", "channel_is_archived",
}
# A button's action id: "ehbot_reminder:<press>:<reminder id>"; its value is the id alone. The
# Slack channel (ehbot_channels/slack.py) turns a press into the chat's payload. Nothing else
# rides on a button: never a name or other personal detail.
ACTION_PREFIX = "ehbot_reminder"
HISTORY_PAGES = 20  # a sender that died a while ago: look back this many pages at most
# Seconds of slack between our clock and Slack's when searching history.
CLOCK_MARGIN = 120


class _ReadsOnly:
    """Retry server and connection errors for reads only: a post that got a 500
    or lost its connection may have arrived, so it is looked for, not resent."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if request.url.rstrip("/").endswith("chat.postMessage"):
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


class ReadServerErrorRetryHandler(_ReadsOnly, ServerErrorRetryHandler):
    pass


class ReadConnectionErrorRetryHandler(_ReadsOnly, ConnectionErrorRetryHandler):
    pass


def make_client(token: str, base_url: str, http_retries: int = 2, timeout: float = 15.0) -> WebClient:
    handlers = []
    if http_retries:
        handlers = [
            RateLimitErrorRetryHandler(max_retry_count=http_retries),  # 429: nothing was posted; wait and retry
            ReadServerErrorRetryHandler(max_retry_count=http_retries),
            ReadConnectionErrorRetryHandler(max_retry_count=http_retries),
        ]
    if not base_url.endswith("/"):
        base_url += "/"
    return WebClient(token=token, base_url=base_url, timeout=int(max(1, timeout)), retry_handlers=handlers)


def mention(item_handle) -> Optional[str]:
    if item_handle is None:
        return None
    if item_handle.slack_user_id:
        return f"<@{item_handle.slack_user_id}> ({item_handle.label})"
    return item_handle.label


def _item_blocks(item: ReminderItem) -> list[dict]:
    fields = [
        {"type": "mrkdwn", "text": f"*Case*\n{item.case_reference}"},
        {"type": "mrkdwn", "text": f"*Due*\n{item.due_words()}"},
        {"type": "mrkdwn", "text": f"*Stage*\n{item.stage_words}"},
    ]
    owner = mention(item.owner)
    if owner:
        fields.append({"type": "mrkdwn", "text": f"*Owner*\n{owner}"})
    escalate = mention(item.escalate_to)
    if escalate:
        fields.append({"type": "mrkdwn", "text": f"*Escalate to*\n{escalate}"})
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{item.stage_words}: {item.step_title}*"}, "fields": fields},
        _actions(item),
        {"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"`{item.rule_id}` · {item.reason}"},
            {"type": "plain_text", "text": item.marker},
        ]},
    ]


def _action_id(press: str, item: ReminderItem) -> str:
    return f"{ACTION_PREFIX}:{press}:{item.reminder_id}"


def _actions(item: ReminderItem) -> dict:
    """Done, Remind me on... (due soon or due today only: nothing holds back an overdue step), Why?"""
    value = str(item.reminder_id)
    elements = [{"type": "button", "action_id": _action_id("done", item), "value": value,
                 "text": {"type": "plain_text", "text": "Done"}}]
    if item.stage in HOLDABLE_STAGES:
        elements.append({"type": "datepicker", "action_id": _action_id("hold", item),
                         "placeholder": {"type": "plain_text", "text": "Remind me on…"}})
    elements.append({"type": "button", "action_id": _action_id("why", item), "value": value,
                     "text": {"type": "plain_text", "text": "Why?"}})
    return {"type": "actions", "block_id": f"{ACTION_PREFIX}:{item.reminder_id}", "elements": elements}


def message(items: list[ReminderItem]) -> dict:
    """The chat.postMessage arguments for one reminder, or a digest of several."""
    blocks: list[dict] = []
    if len(items) > 1:
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": digest_title(len(items))}})
    for item in items:
        if blocks:
            blocks.append({"type": "divider"})
        blocks += _item_blocks(item)
    if len(items) == 1:
        text = plain_text(items[0], mention(items[0].owner), mention(items[0].escalate_to))
    else:
        text = f"{digest_title(len(items))}: " + ", ".join(f"{i.case_reference} {i.stage_words.lower()}" for i in items)
    metadata = {"event_type": EVENT_TYPE, "event_payload": {"reminders": ",".join(str(i.reminder_id) for i in items)}}
    return {"text": text, "blocks": blocks, "metadata": metadata, "unfurl_links": False, "unfurl_media": False}


class SlackChannel:
    kind = "slack"

    def __init__(self, client: WebClient):
        self.client = client

    def post(self, channel: str, items: list[ReminderItem]) -> str:
        """Posts; returns the message ts. Raises Refusal."""
        return self._post(channel=channel, **message(items))

    def post_text(self, channel: str, text: str) -> str:
        """Plain text (a user id as ``channel``: the app's direct message); returns the ts."""
        return self._post(channel=channel, text=text, unfurl_links=False)

    def _post(self, **arguments) -> str:
        try:
            response = self.client.chat_postMessage(**arguments)
        except SlackApiError as exc:
            raise _refusal(exc, posting=True) from None
        except (URLError, socket.timeout, TimeoutError, ConnectionError, HTTPException, OSError) as exc:
            raise Refusal(f"slack: network error ({type(exc).__name__})", maybe_posted=True) from None
        return str(response["ts"])

    def find_posted(self, channel: str, since: dt.datetime, reminder_ids: Iterable[int]) -> dict[int, str]:
        """Which of these reminders our app already posted in ``channel`` since ``since``: id -> ts."""
        wanted, found = set(reminder_ids), {}
        oldest = f"{max(0.0, since.timestamp() - CLOCK_MARGIN):.6f}"
        cursor = None
        for _ in range(HISTORY_PAGES):
            try:
                page = self.client.conversations_history(
                    channel=channel, oldest=oldest, limit=200, include_all_metadata=True, cursor=cursor
                )
            except SlackApiError as exc:
                raise _refusal(exc, posting=False) from None
            except (URLError, socket.timeout, TimeoutError, ConnectionError, HTTPException, OSError) as exc:
                raise Refusal(f"slack: network error reading history ({type(exc).__name__})") from None
            for msg in page.get("messages", []):
                if _ours(msg):
                    for reminder_id in _markers(msg) & wanted:
                        found.setdefault(reminder_id, str(msg.get("ts")))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor or len(found) == len(wanted):
                break
        return found


def _ours(msg: dict) -> bool:
    # Someone typing a marker into the channel must not count as our post.
    metadata = msg.get("metadata") or {}
    return metadata.get("event_type") == EVENT_TYPE or bool(msg.get("bot_id"))


def _markers(msg: dict) -> set[int]:
    found = markers_in(msg.get("text", ""))
    payload = ((msg.get("metadata") or {}).get("event_payload") or {}).get("reminders", "")
    found |= {int(x) for x in str(payload).split(",") if x.strip().isdigit()}
    for block in msg.get("blocks") or []:
        for element in block.get("elements") or []:
            found |= markers_in(element.get("text", "") if isinstance(element.get("text"), str) else "")
    return found


def _refusal(exc: SlackApiError, posting: bool) -> Refusal:
    response = exc.response
    status = getattr(response, "status_code", None)
    error = (response.data.get("error") if isinstance(response.data, dict) else None) or f"http {status}"
    doing = "" if posting else " reading history"
    if status == 429 or error == "ratelimited":
        return Refusal(f"slack: rate limited{doing} (429)", retry_after=retry_after_seconds(response.headers))
    if status and status >= 500:
        # The post may have been made before the server failed: look before retrying.
        return Refusal(f"slack: server error {status}{doing}", maybe_posted=posting)
    if error in PERMANENT_ERRORS:
        return Refusal(f"slack: {error}{doing}", permanent=True)
    return Refusal(f"slack: {error}{doing}")
