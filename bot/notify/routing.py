"""Which channel a reminder goes to: the case's team's own, else the deployment's default."""
from __future__ import annotations

from typing import Optional

from bot.notify.outbox import Claimed
from bot.notify.settings import ReminderSettings

DEFAULT_WEBHOOK = "default"


def route(item: Claimed, settings: ReminderSettings) -> Optional[tuple[str, str]]:
    """(kind, destination). A Teams destination is a key, never the URL: the URL is a secret."""
    if settings.slack_token and item.team_slack_channel:
        return "slack", item.team_slack_channel
    if item.team_teams_webhook:
        return "teams", f"team:{item.team_id}"
    if settings.slack_token and settings.slack_channel:
        return "slack", settings.slack_channel
    if settings.teams_webhook_url:
        return "teams", DEFAULT_WEBHOOK
    return None


def webhook_url(item: Claimed, settings: ReminderSettings) -> Optional[str]:
    if item.destination == DEFAULT_WEBHOOK:
        return settings.teams_webhook_url
    if item.destination == f"team:{item.team_id}":
        return item.team_teams_webhook
    return None
