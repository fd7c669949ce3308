"""``ehbot chat``: talk to the running assistant from a terminal, over its REST channel.

    ehbot chat --as sam.sw      # as a demo practitioner (the REST sender id is the username)
    ehbot chat                  # as an unknown user: guidance questions only, no cases

Buttons are shown as numbered options; type the number (or anything else). Type
/quit (or Ctrl-D) to leave. Rasa-free: plain HTTP with urllib.
"""
from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
import uuid
from typing import Callable, Optional, TextIO

DEFAULT_URL = "http://127.0.0.1:5005"


class ChatError(RuntimeError):
    pass


def send(url: str, sender: str, message: str, timeout: float = 60.0) -> list[dict]:
    """One message to the REST channel; the bot's replies (text and buttons)."""
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(f"{url.rstrip('/')}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode() or "[]")
    except urllib.error.HTTPError as exc:
        raise ChatError(f"the assistant answered {exc.code} at {url}") from None
    except (urllib.error.URLError, ConnectionError, OSError) as exc:
        raise ChatError(f"no assistant answers at {url} ({getattr(exc, 'reason', exc)}); start it with `ehbot run`") from None


def render(replies: list[dict]) -> tuple[str, list[str]]:
    """The replies as text, and the payloads of the numbered options shown."""
    lines, payloads = [], []
    for reply in replies:
        if reply.get("text"):
            lines.append(reply["text"])
        for button in reply.get("buttons") or []:
            payloads.append(button.get("payload") or button.get("title", ""))
            lines.append(f"  {len(payloads)}. {button.get('title', '')}")
    return "\n".join(lines), payloads


def chat(url: str = DEFAULT_URL, user: Optional[str] = None, stdin: TextIO = sys.stdin,
         out: Callable[[str], None] = print) -> int:
    sender = user or f"guest-{uuid.uuid4().hex[:12]}"
    who = f"as {user}" if user else "as an unknown user (guidance questions only)"
    interactive = stdin.isatty()
    out(f"Chatting with ehbot at {url} {who}. Type /quit to leave.")
    options: list[str] = []
    while True:
        if interactive:
            try:
                line = input("you> ")
            except EOFError:
                return 0
        else:
            line = stdin.readline()
            if not line:
                return 0
            out(f"you> {line.rstrip()}")
        line = line.strip()
        if not line:
            continue
        if line in ("/quit", "/exit"):
            return 0
        message = options[int(line) - 1] if line.isdigit() and 0 < int(line) <= len(options) else line
        try:
            text, options = render(send(url, sender, message))
        except ChatError as exc:
            out(f"ehbot: {exc}")
            return 1
        out("ehbot> " + (text.replace("\n", "\n       ") if text else "(no reply)"))
