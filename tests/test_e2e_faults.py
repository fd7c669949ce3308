"""A conversation survives faults, end to end over REST (and Slack where it matters).

Fast: ``answered()`` (ehbot_channels/always_answer.py) telling the sender when a turn says
nothing, to a collecting channel and to a fake Slack on localhost.

Slow: one stack as `ehbot run` starts it (tests/rasa_support.py ``demo_stack``): the case
database on PostgreSQL reached through a TCP link the test can cut, the tracker store in
its own PostgreSQL schema, a Redis lock store, Slack pointed at a fake Slack. Then:

- the case database goes away (every connection reset, new ones refused, as when the
  server stops) while a proposal waits for a yes: the yes gets a clear message, no row
  is written anywhere, and once the database is back the same yes records the step;
- the action server goes away: REST and Slack both get a clear message instead of
  silence, nothing is recorded, and after its restart the same conversation carries on;
- two Rasa processes serve one conversation at once (the same tracker store and Redis
  lock store): every message is answered once, in order. The lock store itself, and
  the endpoints file naming it, are tested in tests/test_lock_store.py.

A restart of the Rasa server mid-conversation (the pending proposal survives, the steps
recorded before it are kept) is walked in tests/test_e2e_rest.py.

PostgreSQL and Redis are found at EHBOT_TEST_POSTGRES_URL (tests/conftest.py) and
EHBOT_TEST_REDIS_URL (redis://127.0.0.1:6379/0); without them the stack runs on SQLite
with no lock store, and the tests that need them skip with the reason.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

import pytest
from fakes import RecordingSlack
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from bot import credentials
from bot import run as ehbot_run
from bot.chatclient import send
from bot.db.models import Case, Practitioner, RecordedStepRow
from bot.db.session import make_engine, session_factory

TODAY = "2026-11-23"  # a Monday; C-1042 was opened 10 days before
SLACK_ENV = {"EHBOT_SLACK_BOT_TOKEN": "xoxb-faults-token-5Rt8", "EHBOT_SLACK_SIGNING_SECRET": "faults-signing-secret-2Wq7"}
SAM_SLACK = "UDEMO0SAM"  # bot/demo.py: sam.sw's Slack user id


# ---- a turn that says nothing (fast) -----------------------------------------------------------


@pytest.mark.parametrize("key, settings", [
    ("rest", None),
    ("botframework", {"app_id": "teams-app-id", "app_password": "teams-app-password"}),  # Teams
])
def test_the_channels_rasa_loads_answer_every_message(key, settings, monkeypatch):
    from rasa.core.channels.botframework import BotFrameworkInput
    from rasa.core.run import _create_single_channel

    # Rasa's Teams channel fetches Microsoft's signing keys when made: not from here
    monkeypatch.setattr(BotFrameworkInput, "_update_cached_jwk_keys", lambda self: None)

    from ehbot_channels.always_answer import AnswersEveryMessage

    env = {"EHBOT_TEAMS_APP_ID": "teams-app-id", "EHBOT_TEAMS_APP_PASSWORD": "teams-app-password"}
    [wanted] = [c for c in credentials.channels(env) if c.key == key]
    channel = _create_single_channel(wanted.loads, settings)
    assert isinstance(channel, AnswersEveryMessage) and channel.name() == key  # webhook and input channel unchanged


def run_turn(handler, channel, text="yes", sender="sam.sw", input_channel="rest"):
    from rasa.core.channels.channel import UserMessage

    asyncio.run(handler(UserMessage(text, channel, sender, input_channel=input_channel)))


def test_a_turn_that_says_nothing_is_told_so():
    from rasa.core.channels.channel import CollectingOutputChannel

    from ehbot_channels.always_answer import NO_ANSWER, answered

    async def silent(message):  # what Rasa does when the action server cannot be reached
        return None

    async def fails(message):  # the tracker store or lock store unreachable
        raise ConnectionError("lost")

    async def replies(message):
        await message.output_channel.send_response(message.sender_id, {"text": "Recorded on C-1042"})

    for handler, expected in ((silent, [NO_ANSWER]), (fails, [NO_ANSWER]), (replies, ["Recorded on C-1042"])):
        channel = CollectingOutputChannel()
        run_turn(answered(handler), channel)
        assert [m["text"] for m in channel.messages] == expected
        assert {m["recipient_id"] for m in channel.messages} == {"sam.sw"}
    assert "recorded" not in NO_ANSWER.lower()  # it cannot know whether the failed turn recorded anything


def test_a_slack_turn_that_says_nothing_is_told_so_in_its_thread():
    from ehbot_channels.always_answer import NO_ANSWER, AnswersEveryMessage, answered
    from ehbot_channels.slack import SlackInput

    async def silent(message):
        return None

    fake = RecordingSlack("xoxb-fake").start()
    try:
        slack = SlackInput.from_credentials({"slack_token": "xoxb-fake", "slack_signing_secret": "s", "api_url": fake.api_url})
        assert isinstance(slack, AnswersEveryMessage)
        run_turn(answered(silent), slack.get_output_channel("DSAM0001", "1700000000.000100"), text="hello",
                 sender=SAM_SLACK, input_channel="slack")
        [post] = fake.calls
        assert (post["channel"], post["text"], post.get("thread_ts")) == ("DSAM0001", NO_ANSWER, "1700000000.000100")
    finally:
        fake.stop()


def test_a_sender_who_cannot_be_checked_is_not_an_unknown_sender(monkeypatch):
    """With the database away, "who is this?" has no answer: saying "unknown" would refuse a
    waiting proposal as someone else's and lose it; the action says the database is down instead."""
    from actions.common import DB_TROUBLE, problem_text
    from bot.conversation import Conversation
    from bot.db.session import DatabaseUnavailable

    monkeypatch.setenv("EHBOT_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(DatabaseUnavailable) as raised:
        Conversation().identify("rest", "sam.sw")
    assert problem_text(raised.value) == DB_TROUBLE


# ---- the stack (slow) ----------------------------------------------------------------------------


class CuttableLink:
    """A TCP link to a server, on a local port, that can be cut like a server going down
    (every open connection reset, new ones refused) and restored on the same port."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = 0
        self._listener: Optional[socket.socket] = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            doomed, self._open = self._open, set()
        for sock in doomed:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # reset
                sock.close()

    close = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                cut = self._listener is not listener
                if not cut:
                    self._open |= {client, upstream}
            if cut:
                client.close()
                upstream.close()
                return
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def in_schema(url: str, schema: str, port: Optional[int] = None) -> str:
    found = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    if port is not None:
        found = found.set(host="127.0.0.1", port=port)
    return found.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def stack(request, tmp_path_factory):
    from rasa_support import demo_stack, trained_model

    tmp = tmp_path_factory.mktemp("faults")
    env = {"EHBOT_SLACK_API_URL": "", **SLACK_ENV}
    found = {"tmp": tmp, "link": None, "case_db": None, "redis": None, "why_no_postgres": "", "why_no_redis": ""}
    with contextlib.ExitStack() as cleanup:
        try:
            base = request.getfixturevalue("postgres_base_url")
        except pytest.skip.Exception as exc:
            found["why_no_postgres"] = str(exc)
        else:
            admin = create_engine(base, future=True)
            cleanup.callback(admin.dispose)
            case_schema, tracker_schema = (f"ehbot_faults_{what}_{uuid.uuid4().hex[:10]}" for what in ("case", "tracker"))
            for schema in (case_schema, tracker_schema):
                with admin.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                cleanup.callback(lambda s=schema: _drop_schema(admin, s))
            where = make_url(base)
            link = CuttableLink(where.host or "127.0.0.1", where.port or 5432)
            cleanup.callback(link.close)
            env["EHBOT_DATABASE_URL"] = in_schema(base, case_schema, port=link.port)
            env["EHBOT_TRACKER_URL"] = in_schema(base, tracker_schema)
            found.update(link=link, case_db=in_schema(base, case_schema), tracker=in_schema(base, tracker_schema))
        try:
            redis_url = request.getfixturevalue("redis_url")
        except pytest.skip.Exception as exc:
            found["why_no_redis"] = str(exc)
        else:
            env["EHBOT_LOCK_STORE_URL"] = found["redis"] = redis_url
            # Rasa drops a waiting message's lock ticket 60 s after it arrives; eight turns queued
            # on one conversation of a loaded CI machine can wait longer than that (see the README)
            env["TICKET_LOCK_LIFETIME"] = "600"
        fake = RecordingSlack(SLACK_ENV["EHBOT_SLACK_BOT_TOKEN"]).start()
        cleanup.callback(fake.stop)
        env["EHBOT_SLACK_API_URL"] = fake.api_url
        servers, env = cleanup.enter_context(demo_stack(tmp, TODAY, **env))
        found.update(servers=servers, env=env, fake=fake, model=trained_model())
        found.setdefault("tracker", env["EHBOT_TRACKER_URL"])
        found["case_db"] = found["case_db"] or env["EHBOT_DATABASE_URL"]
        yield found
    assert not servers.processes


def _drop_schema(admin, schema: str) -> None:
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def say(stack, sender: str, message: str, port: Optional[int] = None) -> tuple[str, list]:
    replies = send(f"http://127.0.0.1:{port or stack['servers'].rasa_port}", sender, message, timeout=120)
    return "\n".join(r.get("text", "") for r in replies), [b for r in replies for b in r.get("buttons") or []]


def steps_of(db_url: str, reference: str) -> set:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            who = {p.id: p.username for p in session.execute(select(Practitioner)).scalars()}
            case = session.execute(select(Case).where(Case.reference == reference)).scalar_one()
            rows = session.execute(select(RecordedStepRow).where(RecordedStepRow.case_id == case.id)).scalars()
            return {(r.rule_id, r.done_on.isoformat(), who.get(r.recorded_by_id)) for r in rows}
    finally:
        engine.dispose()


def row_counts(db_url: str) -> dict:
    """Rows in every table of the case database (read directly, not through the link)."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                tables = [r[0] for r in conn.execute(text("select name from sqlite_master where type = 'table'"))]
            else:
                tables = [r[0] for r in conn.execute(text(
                    "select table_name from information_schema.tables where table_schema = current_schema()"))]
            return {t: conn.execute(text(f'select count(*) from "{t}"')).scalar_one() for t in tables}
    finally:
        engine.dispose()


def propose_the_cads_outcome(stack, me: str, reference: str) -> None:
    text, _ = say(stack, me, f"I've finished a CADS assessment, threshold not met for {reference}")
    assert reference in text and "Shall I" in text, text


@pytest.mark.slow
def test_the_case_database_going_away_mid_conversation(stack):
    link = stack["link"]
    if link is None:
        pytest.skip(f"the case database goes away on PostgreSQL only: {stack['why_no_postgres']}")
    me, db = "sam.sw", stack["case_db"]
    propose_the_cads_outcome(stack, me, "C-1042")
    before = row_counts(db)

    link.cut()  # the server stops: the action server's pooled connections die, new ones are refused
    try:
        text, _ = say(stack, me, "yes")
        assert "can't reach the case" in text and "nothing" in text and "recorded" in text, text
        assert "someone else" not in text
        assert row_counts(db) == before  # nothing half-recorded: not a step, not an audit row
        text, _ = say(stack, me, "what's left on C-1042?")
        assert "can't reach the case" in text, text
    finally:
        link.restore()
    assert row_counts(db) == before

    # The database is back: the same yes, in the same conversation, records the step once.
    text, _ = say(stack, me, "yes")
    assert text.startswith("Recorded on C-1042"), text
    assert ("cads.assessment-outcome", TODAY, me) in steps_of(db, "C-1042")
    after = row_counts(db)
    assert after["recorded_steps"] == before["recorded_steps"] + 1


def sign(body: bytes, timestamp: int) -> str:
    secret = SLACK_ENV["EHBOT_SLACK_SIGNING_SECRET"].encode()
    return "v0=" + hmac.new(secret, f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()


def slack_message(stack, user: str, text_: str, channel: str) -> str:
    """Posts a signed direct message to the Slack webhook; returns its ts (the reply's thread)."""
    ts = f"{time.time():.6f}"
    body = json.dumps({
        "token": "unused", "team_id": "TDEMO", "api_app_id": "ADEMO", "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:12]}", "event_time": int(time.time()),
        "event": {"type": "message", "channel_type": "im", "user": user, "text": text_, "ts": ts,
                  "channel": channel, "event_ts": ts},
        "authorizations": [{"user_id": "UEHBOT", "is_bot": True}],
    }).encode()
    now = int(time.time())
    request = urllib.request.Request(
        f"http://127.0.0.1:{stack['servers'].rasa_port}/webhooks/slack/webhook", data=body, method="POST",
        headers={"Content-Type": "application/json", "X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": sign(body, now)})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    return ts


def slack_replies(stack, channel: str, thread: str, timeout: float = 120.0) -> list[str]:
    """The texts posted in ``thread``, once one has come and a moment has passed with no more."""
    fake, deadline = stack["fake"], time.monotonic() + timeout
    while time.monotonic() < deadline:
        with fake.lock:
            posts = [p["text"] for p in fake.calls if p.get("channel") == channel and p.get("thread_ts") == thread]
        if posts:
            time.sleep(2.0)
            with fake.lock:
                return [p["text"] for p in fake.calls if p.get("channel") == channel and p.get("thread_ts") == thread]
        time.sleep(0.2)
    return []


@pytest.mark.slow
def test_the_action_server_going_away_mid_conversation(stack):
    from ehbot_channels.always_answer import NO_ANSWER

    servers, db, me = stack["servers"], stack["case_db"], "sam.sw"
    text, _ = say(stack, me, "the TM signed off C-1045 this morning")
    assert "Team manager sign-off" in text and "Shall I" in text, text
    before = row_counts(db)

    servers.stop_one("actions")
    text, _ = say(stack, me, "yes")
    assert text == NO_ANSWER  # not silence, not a stack trace
    thread = slack_message(stack, SAM_SLACK, "what's left on C-1045?", "DFAULTS1")
    assert slack_replies(stack, "DFAULTS1", thread) == [NO_ANSWER]
    assert row_counts(db) == before

    servers.start_actions()
    servers.wait_until_up(timeout=300)
    text, _ = say(stack, me, "yes")  # the proposal waited: the failed turn changed nothing
    assert text.startswith("Recorded on C-1045: Team manager sign-off"), text
    assert ("cads.team-manager-oversight", TODAY, me) in steps_of(db, "C-1045")
    assert row_counts(db)["recorded_steps"] == before["recorded_steps"] + 1
    thread = slack_message(stack, SAM_SLACK, "what's left on C-1045?", "DFAULTS1")
    [reply] = slack_replies(stack, "DFAULTS1", thread)
    assert "C-1045" in reply and reply != NO_ANSWER


# ---- two Rasa processes, one conversation (slow) -------------------------------------------------

CASES = ("C-1042", "C-1043", "C-1044", "C-1045", "C-2001", "C-2002", "C-3002", "C-4001")


def tracker_events(tracker_url: str, sender: str) -> list[dict]:
    """The conversation's events as Rasa reads them back (by time, then as stored)."""
    engine = create_engine(tracker_url, future=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("select type_name, data from events where sender_id = :s order by timestamp, id"),
                                {"s": sender}).all()
        return [{"event": t, **json.loads(d)} for t, d in rows]
    finally:
        engine.dispose()


def turns(events: list[dict]) -> list[tuple[str, list[str]]]:
    """(what the user said, what the bot said) for each user message, in the stored order."""
    found: list[tuple[str, list[str]]] = []
    for event in events:
        if event["event"] == "user":
            found.append((event.get("text") or "", []))
        elif event["event"] == "bot" and found:
            found[-1][1].append(event.get("text") or "")
    return found


@pytest.mark.slow
def test_two_rasa_processes_answer_one_conversation_once_and_in_order(stack):
    if not stack["redis"]:
        pytest.skip(f"two Rasa processes need the Redis lock store: {stack['why_no_redis']}")
    from rasa_support import free_port

    servers, me = stack["servers"], "tess.tm"
    second = ehbot_run.Servers(free_port(), servers.actions_port, stack["tmp"] / "logs-second", extra_env=stack["env"])
    try:
        second.start_rasa(stack["model"])
        second.wait_until_up(timeout=420)
        ports = (servers.rasa_port, second.rasa_port)
        say(stack, me, "hello")  # the conversation exists before the race
        start = threading.Barrier(len(CASES))

        def ask(i: int) -> tuple[str, str]:
            start.wait()
            return CASES[i], say(stack, me, f"what's left on {CASES[i]}?", port=ports[i % 2])[0]

        with ThreadPoolExecutor(len(CASES)) as pool:
            answers = list(pool.map(ask, range(len(CASES))))
    finally:
        second.stop()

    for reference, reply in answers:  # each request got its own answer
        assert reference in reply and not any(other in reply for other in CASES if other != reference), (reference, reply)
    asked = [(said, bot) for said, bot in turns(tracker_events(stack["tracker"], me)) if said.startswith("what's left on")]
    assert sorted(said for said, _ in asked) == sorted(f"what's left on {r}?" for r in CASES)  # each once
    for said, bot in asked:  # each answered once, before the next message was taken
        reference = said.removeprefix("what's left on ").rstrip("?")
        assert len(bot) == 1 and reference in bot[0], (said, bot)
