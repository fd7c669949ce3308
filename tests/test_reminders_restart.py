"""A real sender process killed in the middle of a post, then a restart: posted once, not twice."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from fakes import FakeNow, early_help_case, fake_slack  # noqa: F401  (fixture)
from sqlalchemy import select

from bot.db.models import Reminder
from bot.db.session import session_scope
from bot.notify.pacing import Pacer
from bot.notify.scanner import scan
from bot.notify.sender import Sender
from bot.notify.settings import ReminderSettings

ROOT = Path(__file__).resolve().parent.parent


def test_a_sender_killed_mid_post_is_reconciled_on_restart(db_url, migrated, session, people, fake_slack):
    people["team"].slack_channel_id = "C0EAST"
    session.commit()
    early_help_case(session, people, "C-7001", dt.date(2026, 11, 16))
    scan(session, settings=ReminderSettings())
    session.commit()

    fake_slack.hang_after_keeping = threading.Event()
    env = {**os.environ, "EHBOT_DATABASE_URL": db_url, "EHBOT_SLACK_BOT_TOKEN": fake_slack.token,
           "EHBOT_SLACK_API_URL": fake_slack.api_url, "EHBOT_REMIND_POST_INTERVAL": "0", "EHBOT_SLACK_HTTP_RETRIES": "0"}
    worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "remind", "--once"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while not fake_slack.posts and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.02)
        assert fake_slack.posts, worker.communicate(timeout=5)
        worker.send_signal(signal.SIGKILL)  # Slack has the message; the sender never hears back
        worker.wait(10)
    finally:
        fake_slack.hang_after_keeping.set()
        if worker.poll() is None:
            worker.kill()
    with session_scope(migrated) as s:
        assert {r.status for r in s.execute(select(Reminder)).scalars()} == {"sending"}

    now = FakeNow()
    now.advance(ReminderSettings().claim_seconds + 1)  # the dead sender's claim lapses
    settings = ReminderSettings(slack_token=fake_slack.token, slack_api_url=fake_slack.api_url, slack_http_retries=0)
    summary = Sender(migrated, settings, now=now, pacer=Pacer(0)).run_once()

    assert summary.found_already_posted == 2 and summary.posted == 0
    assert len(fake_slack.posts) == 1
    with session_scope(migrated) as s:
        rows = s.execute(select(Reminder)).scalars().all()
        assert {(r.status, r.message_id) for r in rows} == {("sent", fake_slack.posts[0]["ts"])}
