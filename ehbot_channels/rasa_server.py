"""Rasa's command line, with its HTTP API token taken from the environment and every
message cut to a length the NLU can afford.

    python -m ehbot_channels.rasa_server run --model ... --enable-api

- **The token.** Rasa 3.6 reads the API token only from its command line
  (``--auth-token``), where anyone on the machine can read it in the process list.
  ``ehbot run`` starts Rasa through this module instead: it adds ``--auth-token`` from
  ``EHBOT_RASA_TOKEN`` inside the process, so the token is on no command line and in no file.
- **Messages Rasa cannot survive.** Every channel hands Rasa a ``UserMessage``; here,
  before any of it is parsed, stored or passed to the actions (``guard_messages``):

  - its text is cut to ``MAX_MESSAGE_CHARS``, far beyond anything a practitioner types.
    DIET's attention grows with the square of a message's length: on the test machine a
    30,000-character message took 21 s and 5 GB; 100 KB would take more than it has;
  - lone surrogates (invalid UTF-8 sent as JSON escapes) and NULs in its text become
    U+FFFD: spaCy fails on the first, so the message would get no answer;
  - a sender id that no channel issues (over 255 characters, the tracker store's column,
    or with a lone surrogate or a NUL) becomes ``invalid-sender-<hash>``, which is no
    practitioner. Rasa 3.6's SQL tracker store treats any ``ValueError`` while saving as
    a missing database schema and exits: one such id over REST stopped the server.
- **Action server responses** are checked against a validator built once
  (``ehbot_channels/action_responses.py``): Rasa rebuilds it, and re-checks its schema,
  on every custom action.
- **A SQLite tracker store** is put in write-ahead-log mode before Rasa opens it, as the
  case database is (``bot/db/session.py``): each turn commits, and in WAL a commit
  costs a quarter as much.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import sys

MAX_MESSAGE_CHARS = 2_000

logger = logging.getLogger(__name__)


def with_token(argv: list, env) -> list:
    """The arguments for Rasa: ``--auth-token`` added when the API is on and a token is set."""
    if any(a.startswith("--auth-token") or (a.startswith("-t") and not a.startswith("--")) for a in argv):
        raise SystemExit("ehbot: give the API token in EHBOT_RASA_TOKEN, not on the command line")
    token = env.get("EHBOT_RASA_TOKEN") or ""
    if "--enable-api" in argv and token:
        return [*argv, "--auth-token", token]
    return list(argv)


UNSAFE = re.compile(r"[\ud800-\udfff\x00]")  # lone surrogates and NUL
MAX_SENDER_ID = 255  # Rasa's SQL tracker store: sender_id VARCHAR(255)


def safe_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    if len(text) > limit:
        logger.warning("a message of %d characters was cut to %d", len(text), limit)  # never its words
        text = text[:limit]
    return UNSAFE.sub("\ufffd", text)


def safe_sender_id(sender_id: str) -> str:
    if len(sender_id) <= MAX_SENDER_ID and not UNSAFE.search(sender_id):
        return sender_id
    digest = hashlib.sha256(sender_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    logger.warning("a sender id no channel issues was replaced (%d characters)", len(sender_id))
    return f"invalid-sender-{digest}"


def guard_messages(message_class, limit: int = MAX_MESSAGE_CHARS) -> None:
    """Make every ``message_class`` (Rasa's ``UserMessage``) made from now on safe for Rasa."""
    original = message_class.__init__
    if getattr(original, "ehbot_guarded", False):
        return

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if isinstance(self.text, str):
            self.text = safe_text(self.text, limit)
        self.sender_id = safe_sender_id(self.sender_id)

    init.ehbot_guarded = True
    message_class.__init__ = init


def main() -> None:
    args = with_token(sys.argv[1:], os.environ)
    os.environ.pop("EHBOT_RASA_TOKEN", None)  # Rasa's own children need not inherit it
    sys.argv = ["rasa", *args]
    from rasa.__main__ import main as rasa_main
    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import UserMessage

    from ehbot_channels.action_responses import check_responses_with_one_validator

    guard_messages(UserMessage)
    check_responses_with_one_validator(RemoteAction)
    tracker_url = os.environ.get("EHBOT_TRACKER_URL", "").strip()
    if tracker_url:
        from bot.db.session import use_write_ahead_log

        use_write_ahead_log(tracker_url)
    rasa_main()


if __name__ == "__main__":
    main()
