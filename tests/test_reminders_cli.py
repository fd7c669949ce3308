"""`ehbot remind` and `ehbot reminders`: once, dry run, the worker loop, listing and retrying failures."""
from __future__ import annotations

import datetime as dt
import os
import signal
import threading

import pytest
from fakes import early_help_case, fake_slack  # noqa: F401  (fixture)
from sqlalchemy import func, select

from bot.cli import main
from bot.db.models import Reminder
from bot.db.session import session_scope


@pytest.fixture
def env(db_url, migrated, session, people, fake_slack, monkeypatch):
    monkeypatch.setenv("EHBOT_DATABASE_URL", db_url)
    monkeypatch.setenv("EHBOT_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("EHBOT_SLACK_API_URL", fake_slack.api_url)
    monkeypatch.setenv("EHBOT_REMIND_POST_INTERVAL", "0")
    early_help_case(session, people, "C-7001", dt.date(2026, 11, 16))
    early_help_case(session, people, "C-7002", dt.date(2026, 11, 20))
    return migrated


def count(engine):
    with session_scope(engine) as s:
        return s.execute(select(func.count(Reminder.id))).scalar()


def test_remind_once_sends_and_a_second_run_sends_nothing(env, fake_slack, capsys):
    assert main(["reminders", "channel", "CADS East", "--slack", "C0EAST"]) == 0
    assert main(["remind", "--once"]) == 0
    out = capsys.readouterr().out
    assert "2 open cases scanned (full scan): 3 reminders due, 3 new" in out  # the first scan: every case
    assert "3 reminders posted in 1 message," in out
    assert main(["remind", "--once"]) == 0
    assert "0 new" in capsys.readouterr().out
    assert len(fake_slack.posts) == 1 and fake_slack.posts[0]["channel"] == "C0EAST"

    assert main(["reminders", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 3 and all(" sent " in line and "slack C0EAST" in line for line in listed)
    assert any("escalated  C-7001    earlyhelp.telephone-contact  due 2026-11-18" in line for line in listed)


def test_dry_run_prints_what_would_be_sent_and_writes_nothing(env, fake_slack, capsys, monkeypatch):
    monkeypatch.setenv("EHBOT_SLACK_CHANNEL", "C0DEFAULT")
    assert main(["remind", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("slack C0DEFAULT: 3 reminders (one digest)")
    assert "[new] Escalation due: C-7001 — Telephone contact with the family" in out
    assert "escalate to team manager" in out  # EHBOT_LOCAL_ESCALATION_TO unset: the team manager
    assert "(The Early Help Process, § First Contact; who it goes to is local policy (not in the guidance))" in out
    assert count(env) == 0 and fake_slack.post_calls == 0


def test_a_failure_is_listed_with_its_reason_and_can_be_retried(env, fake_slack, capsys):
    fake_slack.channels = {"C0RIGHT"}
    assert main(["reminders", "channel", "CADS East", "--slack", "C0WRONG"]) == 0
    assert main(["remind", "--once"]) == 0
    assert "3 failed" in capsys.readouterr().out

    assert main(["reminders", "list", "--failed"]) == 0
    failed = capsys.readouterr().out.splitlines()
    assert len(failed) == 3 and all("failed" in line and "— slack: channel_not_found" in line for line in failed)

    # Someone fixes the team's channel and puts one back in the queue.
    assert main(["reminders", "channel", "CADS East", "--slack", "C0RIGHT"]) == 0
    first_id = failed[-1].split()[0]
    assert main(["reminders", "retry", first_id]) == 0
    assert f"reminder {first_id} is pending again" in capsys.readouterr().out
    assert main(["remind", "--once"]) == 0
    assert len(fake_slack.posts) == 1 and fake_slack.posts[0]["channel"] == "C0RIGHT"
    assert f"ehbot:r{first_id}" in fake_slack.markers_posted()
    capsys.readouterr()

    assert main(["reminders", "list", "--failed"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_retrying_what_has_not_failed_says_so(env, capsys):
    assert main(["reminders", "retry", "999"]) == 2
    assert capsys.readouterr().err.strip() == "ehbot: there is no reminder 999"


def test_the_worker_loop_stops_cleanly_on_sigterm(env, fake_slack, capsys, monkeypatch):
    monkeypatch.setenv("EHBOT_SLACK_CHANNEL", "C0EAST")
    monkeypatch.setenv("EHBOT_REMIND_INTERVAL", "0.1")
    before = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(0.4, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        assert main(["remind", "--loop"]) == 0
    finally:
        timer.cancel()
    out = capsys.readouterr().out
    assert "reminder worker stopped after" in out
    assert out.count("3 new") == 1 and len(fake_slack.posts) == 1
    assert signal.getsignal(signal.SIGTERM) == before  # the worker put the old handler back


def test_the_slack_app_manifest_asks_for_what_the_bot_uses():
    from pathlib import Path

    import yaml

    manifest = yaml.safe_load((Path(__file__).resolve().parent.parent / "slack" / "manifest.yml").read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "chat:write", "channels:history", "groups:history", "im:history", "app_mentions:read", "im:write", "users:read"}
    events = manifest["settings"]["event_subscriptions"]
    assert set(events["bot_events"]) == {"app_mention", "message.im"}
    assert events["request_url"] == manifest["settings"]["interactivity"]["request_url"] == (
        "https://YOUR-HOST/webhooks/slack/webhook")


def test_make_run_starts_the_reminder_worker_only_where_a_channel_is_set(monkeypatch, tmp_path):
    from bot import run

    started = []

    class FakeServers:
        log_dir = tmp_path

        def start_reminders(self):
            started.append(True)

    for name in ("EHBOT_SLACK_BOT_TOKEN", "EHBOT_TEAMS_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    assert "not started" in run.start_reminder_worker(FakeServers()) and not started
    monkeypatch.setenv("EHBOT_SLACK_BOT_TOKEN", "xoxb-fake")
    assert "Reminder worker started" in run.start_reminder_worker(FakeServers()) and started
