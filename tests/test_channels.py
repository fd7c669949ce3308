"""Slack and Teams input channels.

Fast: which channels the environment turns on, what the credentials file holds (the
names of the secrets, never their values), and the Slack channel's pieces (retry
memory, delivery keys, message splitting).

Slow: the Rasa server as `ehbot run` starts it, with Slack credentials (a fake token,
a known signing secret, the Web API pointed at the fake Slack in tests/fakes.py),
the action server and a temporary database with the demo data. Unsigned, wrongly
signed and stale requests are refused; a signed direct message from Sam's Slack user
id gets its reply in the thread; Slack's retry of it is not handled twice; a retry
of a delivery never received is handled once; an unknown Slack user gets guidance
and no case; buttons survive the round trip (the click arrives as an interactive
payload at the same webhook and records the step). Secrets are in no log.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from fakes import RecordingSlack

from bot import credentials
from bot.run import Servers

SLACK_ENV = {"EHBOT_SLACK_BOT_TOKEN": "xoxb-secret-token-7Qm2", "EHBOT_SLACK_SIGNING_SECRET": "signing-secret-9Zk4"}
TEAMS_ENV = {"EHBOT_TEAMS_APP_ID": "11111111-app-id", "EHBOT_TEAMS_APP_PASSWORD": "teams-password-3Xy8"}
SECRETS = ("xoxb-secret-token-7Qm2", "signing-secret-9Zk4", "teams-password-3Xy8")


def keys(env):
    return [c.key for c in credentials.channels(env)]


# ---- which channels, from the environment --------------------------------------------


def test_rest_only_by_default():
    assert keys({}) == ["rest"]
    assert credentials.render({}).splitlines()[-1] == f"{credentials.REST_CHANNEL_CLASS}:"


@pytest.mark.parametrize("value", ["off", "OFF", "false", "0", "no"])
def test_rest_can_be_turned_off(value):
    assert keys({"EHBOT_REST_CHANNEL": value}) == []
    assert credentials.render({"EHBOT_REST_CHANNEL": value}).splitlines()[-1] == "{}"
    assert "nobody can talk to ehbot" in credentials.summary(5005, {"EHBOT_REST_CHANNEL": value})


def test_slack_needs_both_token_and_signing_secret():
    for one in ("EHBOT_SLACK_BOT_TOKEN", "EHBOT_SLACK_SIGNING_SECRET"):
        env = {one: SLACK_ENV[one]}
        assert keys(env) == ["rest"]
        [warning] = credentials.half_configured(env)
        assert warning.startswith("Slack is off") and SLACK_ENV[one] not in warning
    assert keys({**SLACK_ENV, "EHBOT_SLACK_SIGNING_SECRET": "  "}) == ["rest"]
    assert keys(SLACK_ENV) == ["rest", credentials.SLACK_CHANNEL_CLASS]


def test_slack_settings_threads_retries_and_secrets_by_name():
    [slack] = [c for c in credentials.channels(SLACK_ENV) if c.name == "Slack"]
    settings = dict(slack.settings)
    assert settings["slack_token"] == "${EHBOT_SLACK_BOT_TOKEN}"
    assert settings["slack_signing_secret"] == "${EHBOT_SLACK_SIGNING_SECRET}"
    assert settings["use_threads"] == "true"
    assert settings["conversation_granularity"] == "sender"  # the sender id stays the Slack user id
    assert settings["slack_retry_number_header"] == "x-slack-retry-num"
    assert settings["slack_retry_reason_header"] == "x-slack-retry-reason"
    assert "slack_channel" not in settings  # would send every reply to one channel
    assert "api_url" not in settings
    assert dict(credentials.channels({**SLACK_ENV, "EHBOT_SLACK_API_URL": "http://127.0.0.1:1/api/"})[1].settings)[
        "api_url"] == "${EHBOT_SLACK_API_URL}"
    assert slack.path == "/webhooks/slack/webhook"


def test_teams_needs_app_id_and_password():
    assert keys({"EHBOT_TEAMS_APP_ID": "x"}) == ["rest"]
    assert credentials.half_configured({"EHBOT_TEAMS_APP_PASSWORD": "p"}) == [
        "Teams is off: EHBOT_TEAMS_APP_PASSWORD is set but EHBOT_TEAMS_APP_ID is not."]
    assert keys(TEAMS_ENV) == ["rest", "botframework"]
    assert keys({**SLACK_ENV, **TEAMS_ENV, "EHBOT_REST_CHANNEL": "off"}) == [credentials.SLACK_CHANNEL_CLASS, "botframework"]
    teams = credentials.channels(TEAMS_ENV)[1]
    assert dict(teams.settings) == {"app_id": "${EHBOT_TEAMS_APP_ID}", "app_password": "${EHBOT_TEAMS_APP_PASSWORD}",
                                    "retry_memory_seconds": "3600"}


def test_teams_endpoints_are_settings_written_only_when_set():
    env = {**TEAMS_ENV, "EHBOT_TEAMS_OPENID_METADATA_URL": "http://127.0.0.1:1/v1/.well-known/openidconfiguration",
           "EHBOT_TEAMS_TOKEN_URL": "http://127.0.0.1:1/botframework.com/oauth2/v2.0/token"}
    settings = dict(credentials.channels(env)[1].settings)
    assert settings["openid_metadata_url"] == "${EHBOT_TEAMS_OPENID_METADATA_URL}"
    assert settings["token_url"] == "${EHBOT_TEAMS_TOKEN_URL}"
    assert "openid_metadata_url" not in dict(credentials.channels({**TEAMS_ENV, "EHBOT_TEAMS_TOKEN_URL": " "})[1].settings)


def test_the_teams_channel_loads_from_the_written_file_without_the_network(tmp_path):
    """Rasa's own reader, then our channel from what it read: no download at start-up."""
    env = {**TEAMS_ENV, "EHBOT_TEAMS_OPENID_METADATA_URL": "http://127.0.0.1:9/metadata",
           "EHBOT_TEAMS_TOKEN_URL": "http://127.0.0.1:9/token"}
    path = credentials.write(tmp_path / "credentials.yml", env)
    code = ("import sys; from rasa.shared.utils.io import read_config_file; "
            "from ehbot_channels.teams import BotFrameworkInput; "
            "c = BotFrameworkInput.from_credentials(read_config_file(sys.argv[1])[sys.argv[2]]); "
            "print(c.name(), c.app_id, c.keys.metadata_url, c.connector.token_url, c.recent.seconds)")
    done = subprocess.run([sys.executable, "-c", code, str(path), credentials.TEAMS_CHANNEL_CLASS],
                          env={**os.environ, **env}, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["botframework", TEAMS_ENV["EHBOT_TEAMS_APP_ID"], "http://127.0.0.1:9/metadata",
                                   "http://127.0.0.1:9/token", "3600.0"]


def test_the_file_and_the_console_never_hold_a_secret(tmp_path):
    env = {**SLACK_ENV, **TEAMS_ENV, "EHBOT_SLACK_API_URL": "http://127.0.0.1:1/api/"}
    path = credentials.write(tmp_path / "credentials.yml", env)
    text = path.read_text()
    summary = credentials.summary(5005, env)
    for secret in SECRETS:
        assert secret not in text and secret not in summary
    assert "Slack: /webhooks/slack/webhook" in summary and "/webhooks/botframework/webhook" in summary
    import yaml

    loaded = yaml.safe_load(text)
    assert list(loaded) == [credentials.REST_CHANNEL_CLASS, credentials.SLACK_CHANNEL_CLASS, credentials.TEAMS_CHANNEL_CLASS]


def test_servers_write_the_credentials_under_var(tmp_path, monkeypatch):
    monkeypatch.delenv("EHBOT_SLACK_BOT_TOKEN", raising=False)
    servers = Servers(5005, 5055, tmp_path / "logs", extra_env={**SLACK_ENV, "EHBOT_VAR_DIR": str(tmp_path / "v")})
    path = servers.credentials_file()
    assert path == tmp_path / "v" / "credentials.yml"
    assert credentials.SLACK_CHANNEL_CLASS in path.read_text()
    other = Servers(5123, 5055, tmp_path / "logs", extra_env={"EHBOT_VAR_DIR": str(tmp_path / "v")}).credentials_file()
    assert other.name == "credentials-5123.yml" and "slack" not in other.read_text().lower().replace("# ", "")


def test_rasa_reads_the_secrets_from_its_environment(tmp_path):
    """Rasa's own reader expands ${VARIABLES} (rasa/shared/utils/io.py)."""
    path = credentials.write(tmp_path / "credentials.yml", {**SLACK_ENV, **TEAMS_ENV})
    code = ("import json, sys; from rasa.shared.utils.io import read_config_file; "
            "print(json.dumps(read_config_file(sys.argv[1])))")
    done = subprocess.run([sys.executable, "-c", code, str(path)], env={**os.environ, **SLACK_ENV, **TEAMS_ENV},
                          capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    slack = loaded[credentials.SLACK_CHANNEL_CLASS]
    assert slack["slack_token"] == SLACK_ENV["EHBOT_SLACK_BOT_TOKEN"] and slack["use_threads"] is True
    assert loaded[credentials.TEAMS_CHANNEL_CLASS]["app_password"] == TEAMS_ENV["EHBOT_TEAMS_APP_PASSWORD"]


# ---- the Slack channel's pieces ------------------------------------------------------


def test_retry_memory_forgets_after_its_window():
    from ehbot_channels.slack import RecentDeliveries

    now = [0.0]
    recent = RecentDeliveries(seconds=60, limit=3, clock=lambda: now[0])
    assert recent.first_time("a") and not recent.first_time("a")
    now[0] = 61
    assert recent.first_time("a")
    for k in "bcd":
        assert recent.first_time(k)
    assert recent.first_time("a")  # bounded: the oldest made way
    assert not recent.first_time("d")


def test_replies_are_escaped_and_split_only_where_slack_needs_it():
    from ehbot_channels.slack import chunks, escape

    assert escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    text = "\n\n".join(f"paragraph {i} " + "x" * 900 for i in range(8))
    pieces = chunks(text, 3500)
    assert len(pieces) == 3 and all(len(p) <= 3500 for p in pieces)
    assert "".join(p.replace("\n", "") for p in pieces) == text.replace("\n", "")
    assert chunks("short", 3500) == ["short"]


# ---- the Slack channel in a running Rasa server (slow) -----------------------------

TODAY = "2026-11-23"
SAM = "UDEMO0SAM"  # bot/demo.py: sam.sw's Slack user id
BOT_USER = "UEHBOT"
_ts = itertools.count(1)
_ids = itertools.count(1)


def slack_ts() -> str:
    return f"{time.time():.0f}.{next(_ts):06d}"


@pytest.fixture(scope="module")
def slack_stack(tmp_path_factory):
    from rasa_support import demo_stack

    tmp = tmp_path_factory.mktemp("slack")
    fake = RecordingSlack(SLACK_ENV["EHBOT_SLACK_BOT_TOKEN"]).start()
    try:
        with demo_stack(tmp, TODAY, EHBOT_SLACK_API_URL=fake.api_url, **SLACK_ENV) as (servers, env):
            yield {"servers": servers, "fake": fake, "tmp": tmp, "db": env["EHBOT_DATABASE_URL"],
                   "tracker": tmp / "rasa-tracker.sqlite3", "logs": tmp / "logs"}
    finally:
        fake.stop()
    assert not servers.processes


def webhook(stack) -> str:
    return f"http://127.0.0.1:{stack['servers'].rasa_port}/webhooks/slack/webhook"


def sign(body: bytes, timestamp: int, secret: str = SLACK_ENV["EHBOT_SLACK_SIGNING_SECRET"]) -> str:
    return "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()


def post(stack, body: bytes, content_type: str = "application/json", timestamp=None, signature=None, headers=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    all_headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(timestamp),
                   "X-Slack-Signature": sign(body, timestamp) if signature is None else signature, **(headers or {})}
    request = urllib.request.Request(webhook(stack), data=body, headers=all_headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def message_event(user: str, text: str, channel: str, ts: str, mention: bool = False) -> bytes:
    event = {"type": "app_mention" if mention else "message", "user": user, "text": text, "ts": ts,
             "channel": channel, "event_ts": ts}
    if not mention:
        event["channel_type"] = "im"
    return json.dumps({
        "token": "unused", "team_id": "TDEMO", "api_app_id": "ADEMO", "type": "event_callback",
        "event_id": f"Ev{next(_ids):08d}", "event_time": int(time.time()), "event": event,
        "authorizations": [{"user_id": BOT_USER, "is_bot": True}],
    }).encode()


def click(user: str, channel: str, message: dict, value: str, thread_ts: str) -> bytes:
    payload = {
        "type": "block_actions", "user": {"id": user}, "channel": {"id": channel},
        "message": {**message, "thread_ts": thread_ts},
        "actions": [{"type": "button", "action_id": "ehbot-button-1", "value": value, "action_ts": slack_ts()}],
        "trigger_id": f"trigger-{next(_ids)}",
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def replies(stack, channel: str, before: int, settle: float = 3.0, timeout: float = 120.0) -> list[dict]:
    """The posts to ``channel`` after the first ``before`` calls, once they stop coming."""
    fake = stack["fake"]
    deadline = time.monotonic() + timeout
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        with fake.lock:
            new = [c for c in fake.calls[before:] if c.get("channel") == channel]
        if len(new) != seen:
            seen, quiet_since = len(new), time.monotonic()
        elif new and time.monotonic() - quiet_since >= settle:
            return new
        time.sleep(0.2)
    return new


def calls(stack) -> int:
    with stack["fake"].lock:
        return len(stack["fake"].calls)


def text_of(posts: list[dict]) -> str:
    parts = []
    for p in posts:
        parts.append(p.get("text") or "")
    return "\n".join(parts)


def user_events(stack, sender: str) -> int:
    with sqlite3.connect(stack["tracker"]) as conn:
        return conn.execute("select count(*) from events where sender_id = ? and type_name = 'user'", (sender,)).fetchone()[0]


@pytest.mark.slow
def test_requests_without_a_valid_signature_are_refused(slack_stack):
    body = message_event(SAM, "what's left on C-1042?", "DSAM0001", slack_ts())
    before = calls(slack_stack)
    assert post(slack_stack, body, signature="")[0] == 400
    assert post(slack_stack, body, signature=sign(body, int(time.time()), secret="not-the-secret"))[0] == 400
    tampered = body.replace(b"C-1042", b"C-1043")
    assert post(slack_stack, tampered, signature=sign(body, int(time.time())))[0] == 400
    stale = int(time.time()) - 6 * 60  # correctly signed, but more than five minutes old: a replay
    assert post(slack_stack, body, timestamp=stale, signature=sign(body, stale))[0] == 400
    time.sleep(3)
    assert calls(slack_stack) == before
    assert user_events(slack_stack, SAM) == 0


@pytest.mark.slow
def test_slacks_url_verification_is_answered_when_signed(slack_stack):
    body = json.dumps({"token": "unused", "challenge": "challenge-3pQ", "type": "url_verification"}).encode()
    assert post(slack_stack, body, signature="")[0] == 400
    status, _, text = post(slack_stack, body)
    assert status == 200 and "challenge-3pQ" in text


@pytest.mark.slow
def test_a_direct_message_is_answered_in_its_thread_and_a_retry_is_not_handled_twice(slack_stack):
    channel, ts = "DSAM0002", slack_ts()
    body = message_event(SAM, "what's left on C-1042?", channel, ts)
    before, events_before = calls(slack_stack), user_events(slack_stack, SAM)
    status, _, _ = post(slack_stack, body)
    assert status == 200
    posts = replies(slack_stack, channel, before)
    assert posts, "no reply reached the fake Slack"
    assert all(p.get("thread_ts") == ts for p in posts)  # in the thread of the message
    assert all("as_user" not in p for p in posts)
    assert "C-1042" in text_of(posts) and "Next" in text_of(posts)
    assert user_events(slack_stack, SAM) == events_before + 1

    # Slack delivers the same event again (our answer did not reach it, say).
    after_first = calls(slack_stack)
    for n, reason in ((1, "http_error"), (2, "http_timeout")):
        status, headers, _ = post(slack_stack, body, headers={"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": reason})
        assert status == 200 and headers.get("X-Slack-No-Retry") == "1"
    time.sleep(5)
    assert calls(slack_stack) == after_first
    assert user_events(slack_stack, SAM) == events_before + 1


@pytest.mark.slow
def test_a_retry_of_a_delivery_never_received_is_handled_once(slack_stack):
    """Rasa alone drops every http_timeout retry, even of a message it never got."""
    channel, ts = "DSAM0003", slack_ts()
    body = message_event(SAM, "what's left on C-1043?", channel, ts)
    before = calls(slack_stack)
    status, headers, _ = post(slack_stack, body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert status == 200 and "X-Slack-No-Retry" not in headers
    posts = replies(slack_stack, channel, before)
    assert "C-1043" in text_of(posts)
    middle = calls(slack_stack)
    post(slack_stack, body, headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"})
    time.sleep(4)
    assert calls(slack_stack) == middle


@pytest.mark.slow
def test_an_unknown_slack_user_gets_guidance_and_no_case(slack_stack):
    stranger, channel = "UNOBODY01", "DNOBODY01"
    before = calls(slack_stack)
    post(slack_stack, message_event(stranger, "do I need consent before contacting the front door?", channel, slack_ts()))
    text = text_of(replies(slack_stack, channel, before))
    assert "3.1 Consent" in text and "Front Door" in text
    before = calls(slack_stack)
    post(slack_stack, message_event(stranger, "what's left on C-1042?", channel, slack_ts()))
    text = text_of(replies(slack_stack, channel, before))
    assert text and "Next" not in text and "Fictional" not in text and "Sam Social" not in text


@pytest.mark.slow
def test_a_mention_in_a_channel_is_answered_in_its_thread(slack_stack):
    channel, ts = "CNORTH001", slack_ts()
    before = calls(slack_stack)
    post(slack_stack, message_event(SAM, f"<@{BOT_USER}> what's left on C-1044?", channel, ts, mention=True))
    posts = replies(slack_stack, channel, before)
    assert posts and all(p.get("thread_ts") == ts for p in posts)
    assert "C-1044" in text_of(posts)


@pytest.mark.slow
def test_buttons_survive_the_slack_round_trip(slack_stack):
    from sqlalchemy import select

    from bot.db.models import Case, RecordedStepRow
    from bot.db.session import make_engine, session_factory

    channel, ts = "DSAM0004", slack_ts()
    before = calls(slack_stack)
    post(slack_stack, message_event(SAM, "sorted that one on C-1045 today", channel, ts))
    posts = replies(slack_stack, channel, before)
    buttons = [e for p in posts for b in p.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]
    assert buttons, f"no buttons in {posts}"
    sections = [b for p in posts for b in p.get("blocks") or [] if b["type"] == "section"]
    assert all(len(s["text"]["text"]) <= 3000 for s in sections)
    values = [b["value"] for b in buttons]
    step = '/case_report{"concept":"referrer_updated"}'
    assert step in values
    with_buttons = next(p for p in posts if p.get("blocks"))
    message = {"ts": "9" + ts, "text": with_buttons["text"], "blocks": with_buttons["blocks"]}

    # The click: an interactive payload (form-encoded), signed, at the same webhook.
    before = calls(slack_stack)
    status, _, _ = post(slack_stack, click(SAM, channel, message, step, ts), content_type="application/x-www-form-urlencoded")
    assert status == 200
    posts = replies(slack_stack, channel, before)
    text = text_of(posts) + json.dumps([p.get("blocks") for p in posts])
    assert "Referrer updated on the outcome on C-1045, Mon 23 Nov 2026" in text  # the words typed, the step pressed
    assert all(p.get("thread_ts") == ts for p in posts)
    yes = [e["value"] for p in posts for b in p.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]
    assert "/affirm" in yes

    before = calls(slack_stack)
    post(slack_stack, click(SAM, channel, message, "/affirm", ts), content_type="application/x-www-form-urlencoded")
    assert "Recorded on C-1045" in text_of(replies(slack_stack, channel, before))
    engine = make_engine(slack_stack["db"])
    try:
        with session_factory(engine)() as session:
            case = session.execute(select(Case).where(Case.reference == "C-1045")).scalar_one()
            rules = {r.rule_id for r in session.execute(select(RecordedStepRow).where(RecordedStepRow.case_id == case.id)).scalars()}
    finally:
        engine.dispose()
    assert "cads.update-referrer" in rules


@pytest.mark.slow
def test_no_secret_in_any_log_or_file(slack_stack):
    written = list((slack_stack["tmp"] / "var").glob("credentials*.yml"))
    assert written, "ehbot did not write the credentials file"
    texts = [p.read_text(errors="replace") for p in written]
    texts += [p.read_text(errors="replace") for p in slack_stack["logs"].glob("*.log")]
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


@pytest.mark.slow
def test_a_disclosure_in_slack_gets_the_safe_reply_in_its_thread_and_is_kept_nowhere(slack_stack):
    channel, ts = "DSAM0009", slack_ts()
    before = calls(slack_stack)
    words = "the boy on C-1042 says his stepmum burns him with cigarettes when he is naughty"
    assert post(slack_stack, message_event(SAM, words, channel, ts))[0] == 200
    posts = replies(slack_stack, channel, before)
    assert posts and all(p.get("thread_ts") == ts for p in posts)
    assert text_of(posts).startswith("This needs acting on now") and "999" in text_of(posts)
    with stack_lock(slack_stack):
        elsewhere = [c for c in slack_stack["fake"].calls[before:] if c.get("channel") != channel]
    assert elsewhere == []  # nothing posted to any channel
    with sqlite3.connect(slack_stack["tracker"]) as conn:
        stored = " ".join(row[0] for row in conn.execute("select data from events"))
    assert "cigarettes" not in stored and "[withheld: safeguarding]" in stored
    logs = " ".join(p.read_text(errors="ignore") for p in slack_stack["logs"].glob("*.log"))
    assert "cigarettes" not in logs


def stack_lock(stack):
    return stack["fake"].lock
