"""A fake Slack Web API and a fake Teams Workflows webhook, on 127.0.0.1.

The tests start them on ephemeral ports and read back what they received. A
newcomer can run them to watch the demo's reminders arrive:

    python -m tests.fakes            # or scripts/fake-channels; prints the settings to use

Fake Slack answers chat.postMessage and conversations.history (with the
message metadata, cursors and ``oldest``), and can be told to refuse the next
posts (429 with Retry-After, 500, or a 500 *after* keeping the message, as a
real server sometimes does), or to misbehave at random (``Chaos``: seeded
refusals, and posts kept but never answered). Fake Teams answers any POST with
202 and a run id.
"""
from __future__ import annotations

import argparse
import collections
import itertools
import json
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional
from urllib.parse import parse_qs, urlparse


@dataclass
class Scripted:
    status: int
    body: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    keep_message: bool = False  # post it anyway, then answer with this status
    drop: bool = False  # close the connection without answering (status is ignored)


@dataclass
class Chaos:
    """Random refusals, seeded: each rate is the share of calls that get that answer.

    A post "kept then failed" landed in the channel but the sender hears a 500
    (or, "dropped", nothing at all: the connection closes): the sender cannot
    know it arrived. Rate limits and plain 500s mean nothing was posted.
    """

    seed: int = 0
    rate_limited: float = 0.0  # 429 with Retry-After
    server_error: float = 0.0  # 500, nothing kept
    kept_then_500: float = 0.0
    kept_then_dropped: float = 0.0
    history_rate_limited: float = 0.0
    history_server_error: float = 0.0
    retry_after: int = 1  # seconds, as Slack sends it

    def __post_init__(self):
        self.random = random.Random(self.seed)

    def _pick(self, lock, choices: list[tuple[float, Scripted]]) -> Optional[Scripted]:
        with lock:
            roll = self.random.random()
        for rate, answer in choices:
            if roll < rate:
                return answer
            roll -= rate
        return None

    def for_post(self, lock) -> Optional[Scripted]:
        limited = Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": self.retry_after})
        return self._pick(lock, [
            (self.rate_limited, limited),
            (self.server_error, Scripted(500, {"ok": False, "error": "internal_error"})),
            (self.kept_then_500, Scripted(500, {"ok": False, "error": "internal_error"}, keep_message=True)),
            (self.kept_then_dropped, Scripted(0, keep_message=True, drop=True)),
        ])

    def for_history(self, lock) -> Optional[Scripted]:
        limited = Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": self.retry_after})
        return self._pick(lock, [
            (self.history_rate_limited, limited),
            (self.history_server_error, Scripted(500, {"ok": False, "error": "internal_error"})),
        ])


class _FakeServer:
    def __init__(self, port: int = 0, on_receive: Optional[Callable[[str, dict], None]] = None):
        self.lock = threading.Lock()
        self.raw: list[str] = []  # every request body and query as received, for "no personal data" checks
        self.script: list[Scripted] = []
        self.on_receive = on_receive
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake._handle(self, "GET")

            def do_POST(self):
                fake._handle(self, "POST")

            def log_message(self, *args):  # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def refuse_next(self, *responses: Scripted) -> None:
        with self.lock:
            self.script.extend(responses)

    def _next_scripted(self) -> Optional[Scripted]:
        with self.lock:
            return self.script.pop(0) if self.script else None

    def _handle(self, req, method):
        url = urlparse(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length).decode("utf-8") if length else ""
        with self.lock:
            self.raw.append(f"{url.path}?{url.query}\n{raw}")
        if (req.headers.get("Content-Type") or "").startswith("application/json") and raw:
            params = json.loads(raw)
        else:
            params = {k: v[0] for k, v in parse_qs(raw).items()}
        params.update({k: v[0] for k, v in parse_qs(url.query).items()})
        status, body, headers = self.respond(url.path, params, req.headers)
        if status is None:  # hang up without an answer
            req.close_connection = True
            return
        data = json.dumps(body).encode("utf-8")
        try:
            req.send_response(status)
            req.send_header("Content-Type", "application/json; charset=utf-8")
            req.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                req.send_header(key, str(value))
            req.end_headers()
            req.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client was killed while we held its answer

    def respond(self, path, params, headers):  # pragma: no cover - overridden
        raise NotImplementedError

    def everything_received(self) -> str:
        with self.lock:
            return "\n".join(self.raw)


class FakeSlack(_FakeServer):
    """Channels are created on first use unless ``channels`` limits them."""

    def __init__(self, port: int = 0, token: str = "xoxb-fake", channels: Optional[set[str]] = None, on_receive=None):
        super().__init__(port, on_receive)
        self.token, self.channels = token, channels
        self.messages: dict[str, list[dict]] = {}
        self.posts: list[dict] = []  # every chat.postMessage that was kept
        self.post_calls = 0
        self.history_calls = 0
        self._ts = itertools.count(1)
        # Set: keep each post, then hang before answering until released (a sender killed mid-post).
        self.hang_after_keeping: Optional[threading.Event] = None
        self.holding = 0  # posts kept and not yet answered because of hang_after_keeping
        self.chaos: Optional[Chaos] = None
        self.faults: collections.Counter = collections.Counter()  # what chaos answered, by kind
        self.kept_unconfirmed: list[str] = []  # ts of posts kept but answered with an error or not at all

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def _new_ts(self) -> str:
        # Real seconds (the sender searches from its claim time), made unique.
        return f"{time.time():.0f}.{next(self._ts):06d}"

    def respond(self, path, params, headers):
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        method = path.rsplit("/", 1)[-1]
        if method == "chat.postMessage":
            return self._post(params)
        if method == "conversations.history":
            return self._history(params)
        if method == "auth.test":
            return 200, {"ok": True, "user_id": "UEHBOT", "bot_id": "BEHBOT"}, {}
        return 200, {"ok": False, "error": "unknown_method"}, {}

    def _post(self, params):
        with self.lock:
            self.post_calls += 1
        scripted = self._next_scripted() or self._chaos("post")
        channel = params.get("channel")
        if scripted and not scripted.keep_message:
            return scripted.status, scripted.body or {"ok": False, "error": "scripted"}, scripted.headers
        if self.channels is not None and channel not in self.channels:
            return 200, {"ok": False, "error": "channel_not_found"}, {}
        message = {
            "type": "message", "ts": self._new_ts(), "text": params.get("text", ""), "blocks": params.get("blocks", []),
            "metadata": params.get("metadata"), "bot_id": "BEHBOT", "app_id": "AEHBOT",
        }
        with self.lock:
            self.messages.setdefault(channel, []).append(message)
            self.posts.append({"channel": channel, **message})
        if self.on_receive:
            self.on_receive("slack", {"channel": channel, **message})
        if scripted:
            with self.lock:
                self.kept_unconfirmed.append(message["ts"])
            if scripted.drop:
                return None, {}, {}
            return scripted.status, scripted.body or {"ok": False, "error": "internal_error"}, scripted.headers
        hang = self.hang_after_keeping
        if hang is not None:
            with self.lock:
                self.holding += 1
            hang.wait(10)
            with self.lock:
                self.holding -= 1
        return 200, {"ok": True, "channel": channel, "ts": message["ts"], "message": message}, {}

    def _chaos(self, call: str) -> Optional[Scripted]:
        chaos = self.chaos
        if chaos is None:
            return None
        answer = chaos.for_post(self.lock) if call == "post" else chaos.for_history(self.lock)
        if answer is not None:
            kind = "dropped" if answer.drop else str(answer.status)
            if answer.keep_message:
                kind += " after keeping"
            with self.lock:
                self.faults[f"{call} {kind}"] += 1
        return answer

    def _history(self, params):
        with self.lock:
            self.history_calls += 1
        scripted = self._chaos("history")
        if scripted:
            return scripted.status, scripted.body, scripted.headers
        with self.lock:
            channel = params.get("channel")
            if self.channels is not None and channel not in self.channels:
                return 200, {"ok": False, "error": "channel_not_found"}, {}
            oldest = float(params.get("oldest") or 0)
            found = [m for m in reversed(self.messages.get(channel, [])) if float(m["ts"]) > oldest]
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 100)
        page = [dict(m) if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in found[start : start + limit]]
        more = start + limit < len(found)
        return 200, {"ok": True, "messages": page, "has_more": more,
                     "response_metadata": {"next_cursor": str(start + limit) if more else ""}}, {}

    def post_in(self, channel: str, text: str, bot: bool = False) -> None:
        """Someone (or some bot) writes in the channel."""
        message = {"type": "message", "ts": self._new_ts(), "text": text, "blocks": []}
        if bot:
            message["bot_id"] = "BEHBOT"
        with self.lock:
            self.messages.setdefault(channel, []).append(message)

    def markers_posted(self) -> list[str]:
        """Every reminder marker in every kept post, once per appearance."""
        import re

        found = []
        for post in self.posts:
            found += re.findall(r"ehbot:r\d+\b", json.dumps(post["blocks"]))
        return found


class FakeTeams(_FakeServer):
    def __init__(self, port: int = 0, on_receive=None):
        super().__init__(port, on_receive)
        self.cards: list[dict] = []
        self.calls = 0
        self._runs = itertools.count(1)

    def url(self, key: str = "default") -> str:
        return f"http://127.0.0.1:{self.port}/workflows/{key}"

    def respond(self, path, params, headers):
        with self.lock:
            self.calls += 1
        scripted = self._next_scripted()
        if scripted:
            return scripted.status, scripted.body, scripted.headers
        with self.lock:
            self.cards.append({"path": path, **params})
        if self.on_receive:
            self.on_receive("teams", {"path": path, **params})
        return 202, {}, {"x-ms-workflow-run-id": f"run-{next(self._runs)}"}

    def markers_posted(self) -> list[str]:
        import re

        found = []
        for card in self.cards:
            found += re.findall(r"ehbot:r\d+\b", json.dumps(card))
        return found


# ---- for the tests ---------------------------------------------------------------


class FakeNow:
    """The sender's wall clock, moved by hand (starts at the real time: Slack's ts are real)."""

    def __init__(self):
        import datetime as dt

        self._dt = dt
        self.at = dt.datetime.now(dt.timezone.utc)

    def __call__(self):
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += self._dt.timedelta(seconds=seconds)


def early_help_case(session, people, reference: str, allocated_on, child_name: Optional[str] = None, **extra):
    """An Early Help case allocated on ``allocated_on`` (every clock starts there), committed."""
    import datetime as dt

    from conftest import add_case

    from bot.db.repositories import CaseRepository

    case = add_case(session, people, reference=reference, pathway="early-help-allocation",
                    opened_on=allocated_on - dt.timedelta(days=1), **extra)
    if child_name:
        case.child_name = child_name
    CaseRepository(session).record_step(reference, "earlyhelp.allocation", allocated_on, "tm.patel", outcome="other",
                                        source="import")
    session.commit()
    return case


try:
    import pytest
except ImportError:  # running the demo servers without the test tools
    pytest = None

if pytest is not None:

    @pytest.fixture
    def fake_slack():
        server = FakeSlack().start()
        yield server
        server.stop()

    @pytest.fixture
    def fake_teams():
        server = FakeTeams().start()
        yield server
        server.stop()


# ---- watching the demo ----------------------------------------------------------


def _show(kind: str, message: dict) -> None:
    if kind == "slack":
        print(f"\n[fake Slack] #{message['channel']} ts={message['ts']}\n  {message['text']}", flush=True)
        for block in message.get("blocks") or []:
            if block.get("type") == "section":
                fields = "; ".join(f["text"].replace("*", "").replace("\n", ": ") for f in block.get("fields", []))
                print(f"   - {block['text']['text'].strip('*')}\n     {fields}", flush=True)
    else:
        body = message["attachments"][0]["content"]["body"]
        texts = [b.get("text") for b in body if b.get("type") == "TextBlock"]
        print(f"\n[fake Teams] {message['path']}\n  " + "\n  ".join(t for t in texts if t), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="fake Slack and Teams servers that print what they receive")
    parser.add_argument("--slack-port", type=int, default=8765)
    parser.add_argument("--teams-port", type=int, default=8766)
    args = parser.parse_args(argv)
    slack = FakeSlack(args.slack_port, on_receive=_show).start()
    teams = FakeTeams(args.teams_port, on_receive=_show).start()
    print("Fake Slack and Teams are listening. In another terminal:\n")
    print(f"  export EHBOT_SLACK_API_URL={slack.api_url}")
    print(f"  export EHBOT_SLACK_BOT_TOKEN={slack.token}")
    print("  export EHBOT_SLACK_CHANNEL=CDEMO0001     # for teams without a channel of their own")
    print(f"  # or, for Teams instead: export EHBOT_TEAMS_WEBHOOK_URL={teams.url()}")
    print("  .venv/bin/ehbot remind --once            # run it twice: nothing arrives the second time\n", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        slack.stop()
        teams.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


class RecordingSlack(FakeSlack):
    """The fake Slack, keeping every chat.postMessage's arguments (the thread too)."""

    def __init__(self, token: str = "xoxb-fake"):
        super().__init__(token=token)
        self.calls: list[dict] = []

    def _post(self, params):
        with self.lock:
            self.calls.append(dict(params))
        return super()._post(params)
