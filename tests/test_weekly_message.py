"""The opt-in weekly direct message against the fake Slack: to those opted in, once a week,
their own cases only, no child's name, and a refusal tried again without a second copy."""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import CHILD_NAME
from fakes import Scripted, early_help_case, fake_slack  # noqa: F401  (fixture)
from sqlalchemy import select

from bot.db.models import AuditEvent, WeeklyMessage
from bot.db.session import session_scope
from bot.notify import weekly
from bot.notify.settings import ReminderSettings
from bot.notify.slack import SlackChannel, make_client

MONDAY = dt.date(2026, 11, 23)  # the tests' today


@pytest.fixture
def settings(fake_slack):
    return ReminderSettings(slack_token=fake_slack.token, slack_api_url=fake_slack.api_url, slack_http_retries=0,
                            max_attempts=2)


@pytest.fixture
def slack(fake_slack):
    return SlackChannel(make_client(fake_slack.token, fake_slack.api_url, http_retries=0))


@pytest.fixture
def opted_in(session, people):
    early_help_case(session, people, "C-7001", dt.date(2026, 11, 18))  # its contact steps fall due this week
    weekly.set_opt_in(session, "sw.jones", True)
    weekly.set_opt_in(session, "clw.ng", True)  # opted in, but no Slack id: nothing can be sent
    session.commit()
    return people


def test_an_opted_in_worker_gets_their_week_once(migrated, opted_in, settings, slack, fake_slack):
    first = weekly.send_week(migrated, slack, settings)
    again = weekly.send_week(migrated, slack, settings, today=MONDAY + dt.timedelta(days=3))

    assert (first.sent, again.sent) == (1, 0)
    [post] = fake_slack.posts
    assert post["channel"] == "U1SW"  # the worker's direct message, not a team channel
    assert post["text"].startswith("Due on your cases up to") and "C-7001" in post["text"]
    assert CHILD_NAME not in post["text"]
    with session_scope(migrated) as s:
        [row] = s.execute(select(WeeklyMessage)).scalars().all()
        assert (row.week_of, row.status, row.message_ts) == (MONDAY, "sent", post["ts"])
        views = s.execute(select(AuditEvent.detail).where(AuditEvent.action == "view")).scalars().all()
    assert views == ["weekly message: due list (mine)"]


def test_next_week_brings_a_new_message(migrated, opted_in, settings, slack, fake_slack):
    weekly.send_week(migrated, slack, settings)
    assert weekly.send_week(migrated, slack, settings, today=MONDAY + dt.timedelta(days=7)).sent == 1
    assert len(fake_slack.posts) == 2


def test_nobody_who_has_not_opted_in_or_has_left_gets_one(migrated, session, people, settings, slack, fake_slack):
    early_help_case(session, people, "C-7001", dt.date(2026, 11, 18))
    weekly.set_opt_in(session, "sw.jones", True)
    weekly.set_opt_in(session, "sw.jones", False)
    people["gone"].slack_user_id, people["gone"].weekly_due_message = "U1GONE", True
    session.commit()

    assert weekly.send_week(migrated, slack, settings).sent == 0
    assert fake_slack.posts == []
    with session_scope(migrated) as s:
        changes = s.execute(select(AuditEvent.detail).where(AuditEvent.action == "weekly_message")).scalars().all()
    assert changes == ["on", "off"]


def test_a_refusal_is_tried_again_up_to_the_limit_and_an_unknown_fate_is_not(migrated, opted_in, settings, slack,
                                                                            fake_slack):
    fake_slack.refuse_next(Scripted(200, {"ok": False, "error": "ratelimited"}))
    assert weekly.send_week(migrated, slack, settings).refused == 1
    assert weekly.send_week(migrated, slack, settings).sent == 1  # the next round
    assert len(fake_slack.posts) == 1

    fake_slack.refuse_next(Scripted(500, {"ok": False, "error": "internal_error"}, keep_message=True))
    nxt = MONDAY + dt.timedelta(days=7)
    assert weekly.send_week(migrated, slack, settings, today=nxt).refused == 1
    assert weekly.send_week(migrated, slack, settings, today=nxt).sent == 0  # it may have arrived: not sent twice
    assert len(fake_slack.posts) == 2
    with session_scope(migrated) as s:
        statuses = s.execute(select(WeeklyMessage.status).order_by(WeeklyMessage.week_of)).scalars().all()
    assert statuses == ["sent", "unknown"]


def test_no_slack_means_nothing_is_sent_and_nothing_claimed(migrated, opted_in, settings):
    assert weekly.send_week(migrated, None, settings).sent == 0
    with session_scope(migrated) as s:
        assert s.execute(select(WeeklyMessage)).scalars().all() == []
