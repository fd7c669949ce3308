"""Reminder settings, from the environment, read when asked for (never at import)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

SLACK_DEFAULT_API_URL = "https://slack.com/api/"


class SettingError(ValueError):
    pass


def _text(name: str) -> Optional[str]:
    value = os.environ.get(name, "").strip()
    return value or None


def _number(name: str, default: float, kind=float, minimum: float = 0):
    raw = _text(name)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingError(f"{name} must be a number, not {raw!r}") from None
    if value < minimum:
        raise SettingError(f"{name} must be at least {minimum}")
    return value


@dataclass(frozen=True)
class ReminderSettings:
    due_soon_working_days: int = 2
    # A deployment's own escalation for steps whose guidance gives none. Off unless set.
    local_escalation_after_working_days: Optional[int] = None
    local_escalation_to: str = "team_manager"
    slack_token: Optional[str] = None
    slack_api_url: str = SLACK_DEFAULT_API_URL
    slack_channel: Optional[str] = None  # for teams that have no channel of their own
    slack_http_retries: int = 2  # slack-sdk's own retries (rate limits, server errors on reads)
    teams_webhook_url: Optional[str] = None  # for teams that have no webhook of their own
    post_interval_seconds: float = 1.0  # at most one post a second per channel
    max_attempts: int = 5
    backoff_seconds: float = 30.0  # first retry after this; doubled each time
    backoff_max_seconds: float = 3600.0
    claim_seconds: float = 600.0  # a claim not finished by then is the sign of a sender that died
    http_timeout_seconds: float = 15.0
    batch_size: int = 100
    interval_seconds: float = 300.0  # the worker's loop


def reminder_settings() -> ReminderSettings:
    local = _text("EHBOT_LOCAL_ESCALATION_AFTER_WORKING_DAYS")
    return ReminderSettings(
        due_soon_working_days=_number("EHBOT_REMIND_DUE_SOON_WORKING_DAYS", 2, int),
        local_escalation_after_working_days=None if local is None else _number("EHBOT_LOCAL_ESCALATION_AFTER_WORKING_DAYS", 0, int),
        local_escalation_to=_text("EHBOT_LOCAL_ESCALATION_TO") or "team_manager",
        slack_token=_text("EHBOT_SLACK_BOT_TOKEN"),
        slack_api_url=_text("EHBOT_SLACK_API_URL") or SLACK_DEFAULT_API_URL,
        slack_channel=_text("EHBOT_SLACK_CHANNEL"),
        slack_http_retries=_number("EHBOT_SLACK_HTTP_RETRIES", 2, int),
        teams_webhook_url=_text("EHBOT_TEAMS_WEBHOOK_URL"),
        post_interval_seconds=_number("EHBOT_REMIND_POST_INTERVAL", 1.0),
        max_attempts=_number("EHBOT_REMIND_MAX_ATTEMPTS", 5, int, minimum=1),
        backoff_seconds=_number("EHBOT_REMIND_BACKOFF", 30.0),
        backoff_max_seconds=_number("EHBOT_REMIND_BACKOFF_MAX", 3600.0),
        claim_seconds=_number("EHBOT_REMIND_CLAIM_SECONDS", 600.0, minimum=1),
        http_timeout_seconds=_number("EHBOT_REMIND_HTTP_TIMEOUT", 15.0, minimum=0.1),
        batch_size=_number("EHBOT_REMIND_BATCH", 100, int, minimum=1),
        interval_seconds=_number("EHBOT_REMIND_INTERVAL", 300.0, minimum=0.1),
    )
