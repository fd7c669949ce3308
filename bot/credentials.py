"""The credentials file ``ehbot run`` gives the Rasa server: which input channels are
on, from the environment.

- ``rest``: local development (``ehbot chat``). On unless ``EHBOT_REST_CHANNEL=off``.
  It trusts the sender id it is given, so it must never be reachable from outside:
  ``ehbot run`` refuses to start it on a non-local ``EHBOT_RASA_INTERFACE`` (bot/run.py).
- Slack (``ehbot_channels.slack.SlackInput``, webhook ``/webhooks/slack/webhook``):
  when ``EHBOT_SLACK_BOT_TOKEN`` and ``EHBOT_SLACK_SIGNING_SECRET`` are both set.
- Microsoft Teams (``ehbot_channels.teams.BotFrameworkInput``, ehbot's Bot Framework
  channel, still named ``botframework``; webhook ``/webhooks/botframework/webhook``):
  when ``EHBOT_TEAMS_APP_ID`` and ``EHBOT_TEAMS_APP_PASSWORD`` are both set.

Settings beyond the on/off pairs, each written only when set (the channel's default otherwise):

- ``EHBOT_SLACK_API_URL`` → Slack's ``api_url``: another Slack Web API base URL.
- ``EHBOT_TEAMS_OPENID_METADATA_URL`` → Teams' ``openid_metadata_url``: the OpenID metadata
  naming the keys that sign the connector's tokens (default Microsoft's, login.botframework.com).
- ``EHBOT_TEAMS_TOKEN_URL`` → Teams' ``token_url``: where the bot gets its access token
  (default Microsoft's multi-tenant endpoint; a single-tenant bot needs its tenant's).

The file names the secrets (``${EHBOT_SLACK_BOT_TOKEN}``), never holds them: Rasa
reads them from its environment when it loads the file. So the file, and anything
that prints it, is free of secrets. Nothing here imports Rasa.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from bot import config

SLACK_CHANNEL_CLASS = "ehbot_channels.slack.SlackInput"
REST_CHANNEL_CLASS = "ehbot_channels.rest.RestInput"  # Rasa's, answering every message (always_answer.py)
TEAMS_CHANNEL_CLASS = "ehbot_channels.teams.BotFrameworkInput"  # ehbot's own, in place of Rasa's botframework
# Microsoft's endpoints unless set (tests: the fake connector; a single-tenant bot: its tenant's token URL).
TEAMS_URLS = (("openid_metadata_url", "EHBOT_TEAMS_OPENID_METADATA_URL"), ("token_url", "EHBOT_TEAMS_TOKEN_URL"))
OFF = {"off", "false", "0", "no"}


@dataclass(frozen=True)
class Channel:
    name: str  # as shown to people
    key: str  # the credentials file's key, unless ``loads`` names our class instead
    path: str  # the webhook under the Rasa server
    settings: tuple  # (setting, value) pairs; values are YAML text
    loads: str = ""  # our class Rasa loads in place of its own channel ``key`` (the file's key then)

    def yaml(self) -> str:
        head = f"{self.loads or self.key}:\n"
        return head + "".join(f"  {k}: {v}\n" for k, v in self.settings)


def _set(env: Mapping[str, str], name: str) -> bool:
    return bool((env.get(name) or "").strip())


def _ref(name: str) -> str:
    """A reference Rasa expands from its environment when it reads the file."""
    return "${" + name + "}"


def channels(env: Optional[Mapping[str, str]] = None) -> list[Channel]:
    """The channels the environment turns on, in the order they are written."""
    env = os.environ if env is None else env
    found = []
    if (env.get("EHBOT_REST_CHANNEL") or "").strip().lower() not in OFF:
        found.append(Channel("REST (local development)", "rest", "/webhooks/rest/webhook", (), loads=REST_CHANNEL_CLASS))
    if _set(env, "EHBOT_SLACK_BOT_TOKEN") and _set(env, "EHBOT_SLACK_SIGNING_SECRET"):
        settings = [
            ("slack_token", _ref("EHBOT_SLACK_BOT_TOKEN")),
            ("slack_signing_secret", _ref("EHBOT_SLACK_SIGNING_SECRET")),
            ("use_threads", "true"),  # replies go in the thread of the message
            ("conversation_granularity", "sender"),  # one conversation per Slack user: the sender id is theirs
            ("slack_retry_reason_header", "x-slack-retry-reason"),
            ("slack_retry_number_header", "x-slack-retry-num"),
            ("retry_memory_seconds", "3600"),  # ehbot_channels.slack: a delivery seen is not handled again
        ]
        if _set(env, "EHBOT_SLACK_API_URL"):
            settings.append(("api_url", _ref("EHBOT_SLACK_API_URL")))
        found.append(Channel("Slack", SLACK_CHANNEL_CLASS, "/webhooks/slack/webhook", tuple(settings)))
    if _set(env, "EHBOT_TEAMS_APP_ID") and _set(env, "EHBOT_TEAMS_APP_PASSWORD"):
        settings = [
            ("app_id", _ref("EHBOT_TEAMS_APP_ID")),
            ("app_password", _ref("EHBOT_TEAMS_APP_PASSWORD")),
            ("retry_memory_seconds", "3600"),  # ehbot_channels.teams: an activity seen is not handled again
        ]
        for setting, name in TEAMS_URLS:
            if _set(env, name):
                settings.append((setting, _ref(name)))
        found.append(Channel("Microsoft Teams (Bot Framework)", "botframework", "/webhooks/botframework/webhook",
                             tuple(settings), loads=TEAMS_CHANNEL_CLASS))
    return found


def half_configured(env: Optional[Mapping[str, str]] = None) -> list[str]:
    """Warnings for a channel with one of its two settings (names only, never values)."""
    env = os.environ if env is None else env
    warnings = []
    for what, pair in (("Slack", ("EHBOT_SLACK_BOT_TOKEN", "EHBOT_SLACK_SIGNING_SECRET")),
                       ("Teams", ("EHBOT_TEAMS_APP_ID", "EHBOT_TEAMS_APP_PASSWORD"))):
        have = [n for n in pair if _set(env, n)]
        if len(have) == 1:
            missing = next(n for n in pair if n not in have)
            warnings.append(f"{what} is off: {have[0]} is set but {missing} is not.")
    return warnings


def render(env: Optional[Mapping[str, str]] = None) -> str:
    found = channels(env)
    head = ("# Written by `ehbot run` from the environment (bot/credentials.py); do not edit.\n"
            "# Secrets are ${VARIABLES} Rasa reads from its environment, never written here.\n")
    return head + ("".join(c.yaml() for c in found) if found else "{}\n")


def credentials_path(rasa_port: int = 5005, env: Optional[Mapping[str, str]] = None) -> Path:
    """var/credentials.yml (var/credentials-PORT.yml for a Rasa server on another port)."""
    name = "credentials.yml" if rasa_port == 5005 else f"credentials-{rasa_port}.yml"
    var = (env or {}).get("EHBOT_VAR_DIR")
    return (Path(var) if var else config.var_dir()) / name


def write(path: Optional[Path] = None, env: Optional[Mapping[str, str]] = None) -> Path:
    """Writes the credentials file (atomically) and returns its path."""
    path = path or credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render(env), encoding="utf-8")
    os.replace(tmp, path)
    return path


def summary(rasa_port: int, env: Optional[Mapping[str, str]] = None) -> str:
    """Which channels are on, for the console: names and paths, no secrets."""
    found = channels(env)
    if not found:
        return "No input channel is on (EHBOT_REST_CHANNEL=off and no Slack or Teams settings): nobody can talk to ehbot."
    env = os.environ if env is None else env
    interface = (env.get("EHBOT_RASA_INTERFACE") or "").strip() or "127.0.0.1"
    lines = [f"Channels (Rasa on {interface}:{rasa_port}):"]
    lines += [f"  {c.name}: {c.path}" for c in found]
    lines += [f"  {w}" for w in half_configured(env)]
    return "\n".join(lines)
