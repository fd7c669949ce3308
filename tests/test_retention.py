"""Conversations are kept only for the retention period: the reminder worker's round and
``ehbot conversations purge`` apply it (bot/retention.py; the store's own behaviour is in
test_tracker_store.py)."""
from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import cli
from bot.notify.worker import remind_once
from ehbot_channels.tracker_store import KeptSQLTrackerStore

DOMAIN = Domain.from_yaml('version: "3.1"\nintents: [greet]\n')


def _conversation(url: str, sender: str, days_ago: int) -> None:
    when = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)).timestamp()
    store = KeptSQLTrackerStore(host=url, domain=DOMAIN)
    tracker = DialogueStateTracker.from_events(sender, [
        UserUttered("what's left on C-1042", {"name": "greet", "confidence": 1.0}, timestamp=when),
        BotUttered("C-1042: ...", timestamp=when), ActionExecuted("action_listen", timestamp=when)])
    asyncio.run(store.save(tracker))
    store.engine.dispose()


def _senders(url: str) -> set[str]:
    store = KeptSQLTrackerStore(host=url, domain=DOMAIN)
    try:
        return set(asyncio.run(store.keys()))
    finally:
        store.engine.dispose()


@pytest.fixture
def tracker_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'rasa-tracker.sqlite3'}"
    monkeypatch.setenv("EHBOT_TRACKER_URL", url)
    monkeypatch.delenv("EHBOT_TODAY", raising=False)  # the store's timestamps are real time
    _conversation(url, "old.sender", days_ago=40)
    _conversation(url, "new.sender", days_ago=2)
    return url


def test_a_reminder_round_deletes_conversations_older_than_the_retention_period(tracker_url, migrated):
    remind_once(migrated)
    assert _senders(tracker_url) == {"new.sender"}


def test_the_retention_period_is_a_setting(tracker_url, migrated, monkeypatch):
    monkeypatch.setenv("EHBOT_CONVERSATION_RETENTION_DAYS", "60")
    remind_once(migrated)
    assert _senders(tracker_url) == {"old.sender", "new.sender"}
    monkeypatch.setenv("EHBOT_CONVERSATION_RETENTION_DAYS", "1")
    remind_once(migrated)
    assert _senders(tracker_url) == set()


def test_the_command_purges_and_says_what_it_did(tracker_url, capsys):
    assert cli.main(["conversations", "purge"]) == 0
    assert "1 deleted" in capsys.readouterr().out
    assert _senders(tracker_url) == {"new.sender"}


def test_a_bad_setting_is_one_clear_line(tracker_url, monkeypatch, capsys):
    monkeypatch.setenv("EHBOT_CONVERSATION_RETENTION_DAYS", "a month")
    assert cli.main(["conversations", "purge"]) != 0
    assert "whole number of days" in capsys.readouterr().err
