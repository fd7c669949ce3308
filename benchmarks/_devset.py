"""The development set (../shared/eval-dev, written apart from the training data): loading,
playing a message to ehbot, and scoring the reply as the set's README says.

Never copied into training data or tests: it measures unseen phrasing only while unseen.
A message is played either through the core (``Conversation.respond``, no NLU, on a fresh
copy of the demo data) or over REST against a running stack (``make run``), each as the
first message of a fresh conversation.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEV = Path(os.environ.get("EHBOT_EVAL_DEV", ROOT.parent / "shared" / "eval-dev"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SENDERS = {"social_worker": "sam.sw", "team_manager": "tess.tm"}
# A demo case in the state each category of case message needs (bot/demo.py).
CASE_FOR = {
    "report_cads_outcome": "C-1042", "tm_signed_off": "C-1045", "consent_given": "C-1042",
    "consent_declined": "C-1045", "lp_agreed": "C-1046", "no_lp_found": "C-1046", "fpm_booked": "C-1047",
    "fpm_held": "C-1047", "disagreement_family": "C-2004", "disagreement_agency": "C-2004",
    "whats_left": "C-1043", "step_down_start": "C-2003", "preclosure_checklist": "C-2002",
    "referrer_updated": "C-1045", "can_i_do_step_now": "C-1048", "can_i_do_step_now_step_down": "C-2004",
    "why": "C-1043", "undo_correct": "C-1043", "step_not_done": "C-1042",
}
# The first line of the safe reply to a disclosure (bot/conversation/wording.py).
ALARM = re.compile(r"This needs acting on now, under your safeguarding procedures")


@dataclass
class Played:
    text: str          # every message and button title of the reply, joined with newlines
    wrote: int = 0     # rows added to the case database by this message (should be 0)


def available() -> bool:
    return DEV.is_dir()


def arguments(description: str, core_help: str, rest_help: str, argv: Optional[list] = None, extra=None):
    """The options both development-set benchmarks take (--rest, --core, --quick, --results-dir),
    parsed; ``extra(parser)`` adds a benchmark's own."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rest", metavar="URL", help=rest_help)
    parser.add_argument("--core", action="store_true", help=core_help)
    if extra:
        extra(parser)
    parser.add_argument("--quick", action="store_true", help="(accepted for make bench; the set is small)")
    parser.add_argument("--results-dir", type=Path)
    return parser.parse_args(argv)


def missing() -> bool:
    """True (and says so) when there is no development set to play."""
    if available():
        return False
    print(f"no development set at {DEV} (set EHBOT_EVAL_DEV): nothing measured")
    return True


def load(name: str):
    return yaml.safe_load((DEV / name).read_text(encoding="utf-8"))


def matches(pattern: Optional[str], text: str) -> bool:
    return bool(pattern) and re.search(pattern, text, re.I) is not None


def guidance_passes(item: dict, reply: str) -> bool:
    return all(any(matches(p, reply) for p in group) for group in item["expect"])


def case_passes(category: dict, reply: str) -> bool:
    return matches(category["shows"], reply) and not matches(category.get("never"), reply)


# ---- playing through the core ------------------------------------------------------------

@contextlib.contextmanager
def core_player() -> Iterator[Callable[[str, Optional[str]], Played]]:
    """A player on a fresh SQLite copy of the demo data, through ``Conversation.respond``."""
    from bot.conversation import Conversation, State
    from bot.db.migrate import upgrade
    from bot.db.repositories import records_count
    from bot.db.session import make_engine, session_scope
    from bot.demo import load_demo

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as s:
            load_demo(s)
        conv = Conversation(lambda: session_scope(engine))

        def rows() -> int:
            with session_scope(engine) as s:
                return records_count(s)

        def play(text: str, user: Optional[str]) -> Played:
            before = rows()
            reply = conv.respond(user, text, State())
            joined = "\n".join([reply.text] + [title for title, _ in reply.buttons])
            return Played(joined, rows() - before)

        try:
            yield play
        finally:
            engine.dispose()


# ---- playing over REST ---------------------------------------------------------------------

def _post(url: str, sender: str, text: str, timeout: float = 60) -> list[dict]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode() or "[]")


@contextlib.contextmanager
def rest_player(url: str) -> Iterator[Callable[[str, Optional[str]], Played]]:
    """A player over REST: each message as the first of a fresh conversation ("/restart"
    before it). Database writes are counted on the stack's own database, if it is here."""
    count = _db_counter()

    def play(text: str, user: Optional[str]) -> Played:
        sender = user or f"bench-unknown-{uuid.uuid4().hex[:8]}"
        _post(url, sender, "/restart")
        before = count()
        answers = _post(url, sender, text)
        joined = "\n".join([a.get("text") or "" for a in answers]
                           + [b.get("title") or "" for a in answers for b in a.get("buttons") or ()])
        return Played(joined, count() - before)

    yield play


@contextlib.contextmanager
def started_stack() -> Iterator[tuple[str, str]]:
    """The demo stack as `make run` starts it (the slow tests' trained model), on free ports
    over a fresh demo database: yields (REST webhook URL, the case database's URL)."""
    from bot import clock

    if str(ROOT / "tests") not in sys.path:
        sys.path.insert(0, str(ROOT / "tests"))
    from rasa_support import demo_stack

    with tempfile.TemporaryDirectory(prefix="ehbot-bench-dev-") as tmp:
        with demo_stack(Path(tmp), clock.today().isoformat()) as (servers, env):
            yield f"http://127.0.0.1:{servers.rasa_port}/webhooks/rest/webhook", env["EHBOT_DATABASE_URL"]


@contextlib.contextmanager
def rest_or_started(url: Optional[str], start: bool) -> Iterator[Optional[str]]:
    """The REST URL to play to: the one given, or a stack started for the run, or None."""
    if url:
        yield url
    elif start:
        with started_stack() as (started, database):
            saved = os.environ.get("EHBOT_DATABASE_URL")
            os.environ["EHBOT_DATABASE_URL"] = database  # writes are counted on the stack's database
            try:
                yield started
            finally:
                if saved is None:
                    os.environ.pop("EHBOT_DATABASE_URL", None)
                else:
                    os.environ["EHBOT_DATABASE_URL"] = saved
    else:
        yield None


def _db_counter() -> Callable[[], int]:
    try:
        from bot.db.repositories import records_count
        from bot.db.session import make_engine, session_scope

        engine = make_engine()

        def count() -> int:
            with session_scope(engine) as s:
                return records_count(s)

        count()
        return count
    except Exception:  # noqa: BLE001 - the stack's database is elsewhere: writes go uncounted
        return lambda: 0
