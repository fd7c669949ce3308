"""The Teams channel (ehbot_channels/teams.py) against a fake Bot Framework connector.

The channel's own Sanic blueprint is served on 127.0.0.1 with a stub in place of Rasa's
message handler (no trained model): the stub answers through the channel's output
channel, as Rasa does, so what is asserted is what the fake connector received. Tokens
are real RS256 JWTs, checked against the fake's OpenID metadata and JWKS.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import socket
from contextlib import asynccontextmanager

import aiohttp
import pytest
from fake_botframework import FakeBotFramework, new_key
from sanic import Sanic

from ehbot_channels import teams_cards
from ehbot_channels.always_answer import NO_ANSWER
from ehbot_channels.teams import BotFrameworkInput

APP_ID = "11111111-app-id"
PASSWORD = "teams-password-3Xy8"
USER = "29:1AbCpractitioner"
BOT = {"id": f"28:{APP_ID}", "name": "ehbot"}
QUESTION = "Referrer updated on C-1045. Shall I record it?\n\nPath: CADS outcome"
BUTTONS = [{"title": "Yes, record it", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
_ids = itertools.count(1)
_apps = itertools.count(1)

Sanic.test_mode = True  # many apps in one process


@pytest.fixture
def fake():
    connector = FakeBotFramework(APP_ID, PASSWORD).start()
    yield connector
    connector.stop()


class StubBot:
    """Rasa's part: answers each message through the message's output channel."""

    def __init__(self):
        self.heard: list[tuple[str, str, str]] = []  # (sender, text, input channel)

    async def __call__(self, message) -> None:
        self.heard.append((message.sender_id, message.text, message.input_channel))
        out = message.output_channel
        if message.text == "/affirm":
            await out.send_response(message.sender_id, {"text": "Recorded on C-1045."})
        elif message.text == "silence":
            return  # a turn that says nothing
        elif message.text.startswith("long"):
            await out.send_response(message.sender_id, {"text": "First paragraph.\n\nSecond paragraph.\nA line."})
        else:
            await out.send_response(message.sender_id, {"text": QUESTION, "buttons": BUTTONS})


def activity(fake, text="sorted that one on C-1045 today", conversation="a:personal-chat-1", **extra) -> dict:
    return {
        "type": "message", "id": f"act-{next(_ids)}", "channelId": "msteams", "serviceUrl": fake.service_url,
        "from": {"id": USER, "name": "Sam Social"}, "recipient": BOT,
        "conversation": {"id": conversation, "conversationType": "personal"}, "text": text, **extra,
    }


@asynccontextmanager
async def webhook(fake, bot=None, **credentials):
    """The channel as Rasa mounts it: (post, channel, bot)."""
    bot = bot or StubBot()
    channel = BotFrameworkInput.from_credentials({
        "app_id": APP_ID, "app_password": PASSWORD, "openid_metadata_url": fake.metadata_url,
        "token_url": fake.token_url, **credentials})
    app = Sanic(f"teams-test-{next(_apps)}")
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/botframework")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    await server.startup()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks/botframework/webhook"

    async def post(body, token: "str | None" = None, authorization: "str | None" = None):
        headers = {}
        if authorization is not None:
            headers["Authorization"] = authorization
        elif token is not None:
            headers["Authorization"] = f"Bearer {token}"
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=body, headers=headers) as response:
                return response.status

    try:
        yield post, channel, bot
    finally:
        await channel.idle()
        await server.close()


def run(coro):
    return asyncio.run(coro)


# ---- a conversation ---------------------------------------------------------------------


def test_a_message_gets_a_card_whose_buttons_continue_the_conversation(fake):
    async def go():
        async with webhook(fake) as (post, channel, bot):
            first = activity(fake)
            assert await post(first, fake.mint()) == 202
            await channel.idle()
            [reply] = fake.replies_to("a:personal-chat-1")
            assert reply["type"] == "message" and reply["replyToId"] == first["id"]
            assert reply["from"] == BOT and reply["recipient"] == {"id": USER}
            [attachment] = reply["attachments"]
            assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
            content = attachment["content"]
            assert content["type"] == "AdaptiveCard" and content["version"] == "1.4"
            assert [b["text"] for b in content["body"]] == [
                "Referrer updated on C-1045. Shall I record it?", "Path: CADS outcome"]
            assert content["body"][1]["spacing"] == "Medium"  # the paragraph break kept
            yes, no = content["actions"]
            assert yes["type"] == "Action.Submit" and yes["title"] == "Yes, record it"
            assert yes["data"]["msteams"] == {"type": "messageBack", "text": "Yes, record it",
                                              "displayText": "Yes, record it", "value": {"ehbot": "/affirm"}}
            assert no["data"]["ehbot"] == "/deny"

            # Pressing "Yes": Teams sends the messageBack's text and value.
            press = activity(fake, text=yes["data"]["msteams"]["text"], value=yes["data"]["msteams"]["value"])
            assert await post(press, fake.mint()) == 202
            await channel.idle()
            assert bot.heard == [(USER, "sorted that one on C-1045 today", "botframework"),
                                 (USER, "/affirm", "botframework")]
            second = fake.replies_to("a:personal-chat-1")[1]
            assert second["text"] == "Recorded on C-1045." and second["textFormat"] == "plain"
            assert second["replyToId"] == press["id"]

    run(go())


def test_a_text_reply_is_one_message_not_one_per_paragraph(fake):
    async def go():
        async with webhook(fake) as (post, channel, _):
            assert await post(activity(fake, "long answer please", conversation="a:chat-long"), fake.mint()) == 202
            await channel.idle()
            assert [r["text"] for r in fake.replies_to("a:chat-long")] == ["First paragraph.\n\nSecond paragraph.\nA line."]

    run(go())


def test_a_value_sent_as_json_text_and_a_mention_are_read(fake):
    async def go():
        async with webhook(fake) as (post, channel, bot):
            await post(activity(fake, "", value=json.dumps({"ehbot": "/affirm"})), fake.mint())
            await post(activity(fake, "<at>ehbot</at> what's left on C-1042?"), fake.mint())
            await channel.idle()
            assert [h[1] for h in bot.heard] == ["/affirm", "what's left on C-1042?"]

    run(go())


def test_a_turn_that_says_nothing_gets_the_no_answer_message(fake):
    async def go():
        async with webhook(fake) as (post, channel, _):
            await post(activity(fake, "silence", conversation="a:chat-quiet"), fake.mint())
            await channel.idle()
            assert [r["text"] for r in fake.replies_to("a:chat-quiet")] == [NO_ANSWER]

    run(go())


def test_non_message_activities_are_not_handled(fake):
    async def go():
        async with webhook(fake) as (post, channel, bot):
            update = {**activity(fake), "type": "conversationUpdate"}
            assert await post(update, fake.mint()) == 200
            await channel.idle()
            assert bot.heard == [] and fake.replies == []

    run(go())


# ---- who may call the webhook ------------------------------------------------------------


def test_requests_without_a_valid_connector_token_are_refused(fake):
    stranger = new_key()

    async def go():
        async with webhook(fake) as (post, channel, bot):
            body = activity(fake)
            bad = {
                "no header": dict(authorization=None, token=None),
                "not bearer": dict(authorization=f"Basic {fake.mint()}"),
                "empty bearer": dict(authorization="Bearer "),
                "not a JWT": dict(token="not-a-token"),
                "another key, same id": dict(token=fake.mint(key=stranger)),
                "an unknown key id": dict(token=fake.mint(kid="who-knows")),
                "another app": dict(token=fake.mint(audience="22222222-other-app")),
                "another issuer": dict(token=fake.mint(issuer="https://evil.example")),
                "expired": dict(token=fake.mint(expires_in=-600)),
                "another service URL": dict(token=fake.mint(service_url="https://evil.example/")),
                "unsigned": dict(token=_unsigned(fake)),
            }
            for what, how in bad.items():
                assert await post(body, **how) == 401, what
            # The right token for another channel's activity: the key is endorsed for Teams only.
            assert await post({**body, "channelId": "webchat"}, fake.mint()) == 401
            await channel.idle()
            assert bot.heard == [] and fake.replies == []
            # Nothing refused was remembered: the same activity, rightly signed, is handled.
            assert await post(body, fake.mint()) == 202
            await channel.idle()
            assert len(bot.heard) == 1 and len(fake.replies) == 1

    run(go())


def _unsigned(fake) -> str:
    import jwt

    return jwt.encode({"iss": "https://api.botframework.com", "aud": APP_ID, "serviceurl": fake.service_url,
                       "exp": 4102444800}, key=None, algorithm="none", headers={"kid": "fake-key-1"})


def test_without_the_signing_keys_nothing_is_handled(fake):
    async def go():
        async with webhook(fake, openid_metadata_url=fake.base + "/no/such/metadata") as (post, channel, bot):
            assert await post(activity(fake), fake.mint()) == 503
            await channel.idle()
            assert bot.heard == [] and fake.replies == []

    run(go())


def test_nothing_is_fetched_until_a_request_comes(fake):
    BotFrameworkInput.from_credentials({"app_id": APP_ID, "app_password": PASSWORD,
                                        "openid_metadata_url": fake.metadata_url, "token_url": fake.token_url})
    assert fake.requests == []  # Rasa's channel downloads Microsoft's keys in its constructor


def test_the_keys_are_fetched_once_for_many_requests(fake):
    async def go():
        async with webhook(fake) as (post, channel, _):
            for _ in range(3):
                await post(activity(fake), fake.mint())
            await channel.idle()
        assert fake.requests.count("GET /v1/.well-known/keys") == 1
        assert fake.requests.count("POST /botframework.com/oauth2/v2.0/token") == 1  # the access token is kept

    run(go())


# ---- redelivery --------------------------------------------------------------------------


def test_a_redelivered_activity_is_handled_once(fake):
    async def go():
        async with webhook(fake) as (post, channel, bot):
            once = activity(fake, conversation="a:chat-again")
            assert await post(once, fake.mint()) == 202
            await channel.idle()
            for _ in range(2):
                assert await post(once, fake.mint()) == 200
            await channel.idle()
            assert len(bot.heard) == 1 and len(fake.replies_to("a:chat-again")) == 1
            # The same activity id in another conversation is another activity.
            assert await post({**once, "conversation": {"id": "a:chat-other"}}, fake.mint()) == 202
            await channel.idle()
            assert len(bot.heard) == 2 and len(fake.replies_to("a:chat-other")) == 1

    run(go())


# ---- replies -----------------------------------------------------------------------------


def test_a_refused_access_token_means_no_reply_and_a_logged_status(fake, caplog):
    fake.refuse_tokens = True

    async def go():
        async with webhook(fake) as (post, channel, bot):
            assert await post(activity(fake), fake.mint()) == 202
            await channel.idle()
            assert len(bot.heard) == 1 and fake.replies == []

    with caplog.at_level(logging.DEBUG):
        run(go())
    assert "a botframework message could not be handled (ConnectorError)" in caplog.text
    assert "the token endpoint refused (401)" in caplog.text  # the status, at debug level


def test_an_access_token_the_connector_no_longer_takes_is_renewed_once(fake):
    async def go():
        async with webhook(fake) as (post, channel, _):
            await post(activity(fake, conversation="a:chat-renew"), fake.mint())
            await channel.idle()
            with fake.lock:
                fake.issued.clear()  # revoked (or expired early): the next post gets a 401
            await post(activity(fake, "/affirm", conversation="a:chat-renew"), fake.mint())
            await channel.idle()
            assert [r.get("text") for r in fake.replies_to("a:chat-renew")][1:] == ["Recorded on C-1045."]
        assert fake.requests.count("POST /botframework.com/oauth2/v2.0/token") == 2

    run(go())


def test_no_token_password_or_message_text_in_the_logs(fake, caplog):
    async def go():
        async with webhook(fake) as (post, channel, _):
            await post(activity(fake, "my secret words on C-1042"), fake.mint())
            await post(activity(fake, "refused words"), fake.mint(audience="x"))
            await channel.idle()

    with caplog.at_level(logging.DEBUG):
        run(go())
    assert "a Teams request was refused" in caplog.text
    for secret in (PASSWORD, "fake-access-token", "eyJ", "my secret words", "refused words", "Shall I record"):
        assert secret not in caplog.text


# ---- the card ------------------------------------------------------------------------


def test_many_buttons_go_in_rows_in_the_body():
    buttons = [{"title": f"Step {i}", "payload": f"/step{{\"n\":{i}}}"} for i in range(8)]
    content = teams_cards.card("Which step?", buttons)["content"]
    assert "actions" not in content
    rows = [b for b in content["body"] if b["type"] == "ActionSet"]
    assert [len(r["actions"]) for r in rows] == [5, 3]
    assert rows[1]["actions"][2]["data"]["ehbot"] == '/step{"n":7}'


def test_pressed_reads_only_an_ehbot_payload():
    assert teams_cards.pressed({"value": {"ehbot": "/affirm"}}) == "/affirm"
    assert teams_cards.pressed({"value": '{"ehbot": "/deny"}'}) == "/deny"
    for value in (None, "", "not json", {"other": 1}, {"ehbot": ""}, {"ehbot": 3}, ["ehbot"]):
        assert teams_cards.pressed({"value": value}) is None


# ---- reminder cards: links into the personal chat ----------------------------------------


def _reminder(stage="due_soon", due_in=3):
    import datetime as dt

    from bot.notify.messages import Handle, ReminderItem

    today = dt.date(2026, 11, 23)
    return ReminderItem(reminder_id=12, case_reference="C-1042", rule_id="cads.update-referrer",
                        step_title="Update the referrer", stage=stage, due_on=today + dt.timedelta(days=due_in),
                        today=today, reason="CADS guidance § Role of the Social Worker",
                        owner=Handle("Social Worker", username="sam.sw", teams_user_id="29:sam"))


def _links(payload: dict) -> list[dict]:
    content = payload["attachments"][0]["content"]
    return [a for b in content["body"] if b["type"] == "ActionSet" for a in b["actions"]]


def test_a_reminder_card_offers_done_remind_me_and_why_as_chat_links(monkeypatch):
    from urllib.parse import parse_qs, urlparse

    from bot.notify.teams import card

    monkeypatch.setenv("EHBOT_TEAMS_APP_ID", APP_ID)
    links = _links(card([_reminder()]))
    assert [a["title"] for a in links] == ["Done", "Remind me on Thu 26 Nov", "Why?"]
    sent = []
    for action in links:
        assert action["type"] == "Action.OpenUrl"
        url = urlparse(action["url"])
        assert (url.scheme, url.netloc, url.path) == ("https", "teams.microsoft.com", "/l/chat/0/0")
        query = parse_qs(url.query)
        assert query["users"] == [f"28:{APP_ID}"]
        [message] = query["message"]
        assert message.startswith("/case_report{")
        sent.append(json.loads(message[len("/case_report"):]))
        # The reminder's id, the press and a day: no case, step, rule or person.
        for detail in ("C-1042", "referrer", "Referrer", "sam", "Social"):
            assert detail not in action["url"]
    assert sent == [{"reminder": "12", "press": "done"},
                    {"reminder": "12", "press": "hold", "remind_on": "2026-11-26"},
                    {"reminder": "12", "press": "why"}]


def test_an_overdue_reminder_cannot_be_held_and_without_the_app_id_there_are_no_links(monkeypatch):
    from bot.notify.teams import card

    monkeypatch.setenv("EHBOT_TEAMS_APP_ID", APP_ID)
    assert [a["title"] for a in _links(card([_reminder("overdue", -2), _reminder("due_today", 0)]))] == [
        "Done", "Why?", "Done", "Why?"]
    monkeypatch.delenv("EHBOT_TEAMS_APP_ID")
    assert _links(card([_reminder()])) == []
