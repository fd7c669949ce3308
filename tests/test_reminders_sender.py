"""The sender against a fake Slack and a fake Teams: the right posts, once."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from fakes import FakeNow, Scripted, early_help_case, fake_slack, fake_teams  # noqa: F401  (fixtures)
from sqlalchemy import select

from bot.db.models import Reminder, Team
from bot.db.session import session_scope
from bot.notify import sender as sender_module
from bot.notify.pacing import Pacer
from bot.notify.scanner import scan
from bot.notify.sender import Sender
from bot.notify.settings import ReminderSettings


class Crash(BaseException):
    """A sender killed where it stands (not an Exception: nothing catches it)."""


@pytest.fixture
def now():
    return FakeNow()


@pytest.fixture
def settings(fake_slack):
    return ReminderSettings(slack_token=fake_slack.token, slack_api_url=fake_slack.api_url, slack_http_retries=0,
                            post_interval_seconds=0, backoff_seconds=10, max_attempts=3, claim_seconds=60)


@pytest.fixture
def east(session, people):
    """The team's own Slack channel, and two cases with three reminders between them."""
    people["team"].slack_channel_id = "C0EAST"
    session.commit()
    early_help_case(session, people, "C-7001", dt.date(2026, 11, 16))  # escalated + due today
    early_help_case(session, people, "C-7002", dt.date(2026, 11, 20))  # due soon
    scan(session, settings=ReminderSettings())
    session.commit()
    return people["team"]


def rows(engine):
    with session_scope(engine) as s:
        return {r.id: r for r in s.execute(select(Reminder).order_by(Reminder.id)).scalars()}


def make_sender(engine, settings, now, **kw):
    return Sender(engine, settings, now=now, pacer=Pacer(0, sleep=lambda s: None), **kw)


def test_each_reminder_is_posted_once_in_one_digest(migrated, east, settings, now, fake_slack):
    summary = make_sender(migrated, settings, now).run_once()

    assert len(fake_slack.posts) == 1
    post = fake_slack.posts[0]
    assert post["channel"] == "C0EAST"
    saved = rows(migrated)
    assert len(saved) == 3
    assert sorted(fake_slack.markers_posted()) == sorted(f"ehbot:r{i}" for i in saved)
    assert post["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "3 ehbot reminders"}}
    assert all(r.status == "sent" and r.message_id == post["ts"] and r.sent_at is not None for r in saved.values())
    assert (summary.posted, summary.messages) == (3, 1)

    again = make_sender(migrated, settings, now).run_once()
    assert len(fake_slack.posts) == 1 and again.posted == 0


def test_a_post_names_the_case_step_due_date_owner_rule_and_citation(migrated, east, settings, now, fake_slack):
    make_sender(migrated, settings, now).run_once()
    blocks = json.dumps(fake_slack.posts[0]["blocks"])
    assert "C-7001" in blocks and "C-7002" in blocks
    assert "Telephone contact with the family" in blocks
    assert "2026-11-18 (5 days overdue)" in blocks and "2026-11-23 (today)" in blocks
    assert "*Owner*\\n<@U1SW> (worker)" in blocks  # the owner's Slack id is known: a mention
    assert "*Escalate to*\\nteam manager" in blocks  # the manager has no Slack id: the role's name
    assert "who it goes to is local policy (not in the guidance)" in blocks  # the guidance names no one
    assert "earlyhelp.telephone-contact" in blocks
    assert "The Early Help Process, \\u00a7 First Contact" in blocks
    assert fake_slack.posts[0]["metadata"]["event_type"] == "ehbot_reminder"


def test_one_reminder_is_a_plain_message_not_a_digest(migrated, session, people, settings, now, fake_slack):
    people["team"].slack_channel_id = "C0EAST"
    session.commit()
    early_help_case(session, people, "C-7002", dt.date(2026, 11, 20))
    scan(session, settings=ReminderSettings())
    session.commit()
    make_sender(migrated, settings, now).run_once()
    assert len(fake_slack.posts) == 1
    assert fake_slack.posts[0]["blocks"][0]["type"] == "section"
    assert fake_slack.posts[0]["text"].startswith("Due soon: C-7002")


def test_each_channel_gets_its_own_message_and_teams_gets_an_adaptive_card(
        migrated, session, people, east, settings, now, fake_slack, fake_teams):
    west = Team(name="CADS West", teams_webhook_url=fake_teams.url("west"))
    session.add(west)
    session.commit()
    case = early_help_case(session, people, "C-7100", dt.date(2026, 11, 16))
    case.team = west
    session.commit()
    scan(session, settings=ReminderSettings())
    session.commit()

    make_sender(migrated, settings, now).run_once()

    assert len(fake_slack.posts) == 1 and "C-7100" not in json.dumps(fake_slack.posts[0])
    assert len(fake_teams.cards) == 1
    card = fake_teams.cards[0]
    assert card["path"] == "/workflows/west"
    attachment = card["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["type"] == "AdaptiveCard" and "MessageCard" not in json.dumps(card)
    text = json.dumps(attachment["content"])
    assert "C-7100" in text and "earlyhelp.telephone-contact" in text
    # The escalation goes to the team manager, whose Teams id is known: a mention.
    assert {"type": "mention", "text": "<at>tm.patel</at>", "mentioned": {"id": "T-TM", "name": "tm.patel"}} in (
        attachment["content"]["msteams"]["entities"])
    teams_rows = [r for r in rows(migrated).values() if r.channel_kind == "teams"]
    assert teams_rows and all(r.status == "sent" and r.message_id == "run-1" and r.destination == f"team:{west.id}"
                              for r in teams_rows)
    assert fake_teams.url("west") not in json.dumps([r.destination for r in rows(migrated).values()])


def test_rate_limited_post_waits_as_told_then_posts_once(migrated, east, settings, now, fake_slack):
    fake_slack.refuse_next(Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "30"}))
    sender = make_sender(migrated, settings, now)

    first = sender.run_once()
    assert first.retrying == 3 and fake_slack.posts == []
    waiting = rows(migrated).values()
    assert all(r.status == "pending" and r.last_error == "slack: rate limited (429)" for r in waiting)
    assert all(abs((r.next_attempt_at.replace(tzinfo=dt.timezone.utc) - now()).total_seconds() - 30) < 1 for r in waiting)

    now.advance(10)
    assert sender.run_once().posted == 0  # not before Retry-After
    now.advance(21)
    assert sender.run_once().posted == 3
    assert len(fake_slack.posts) == 1 and fake_slack.history_calls == 0  # a 429 posts nothing: no need to look


def test_slack_sdk_retry_handler_honours_retry_after(migrated, east, settings, now, fake_slack, monkeypatch):
    from types import SimpleNamespace

    from slack_sdk.http_retry import builtin_handlers

    slept = []
    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=slept.append))
    fake_slack.refuse_next(Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}))
    handled = ReminderSettings(**{**settings.__dict__, "slack_http_retries": 2})

    summary = make_sender(migrated, handled, now).run_once()

    assert summary.posted == 3 and len(fake_slack.posts) == 1
    assert len(slept) == 1 and 7 <= slept[0] < 8
    assert fake_slack.post_calls == 2


def test_server_error_is_retried_with_back_off_after_looking_in_the_channel(migrated, east, settings, now, fake_slack):
    fake_slack.refuse_next(Scripted(500, {"ok": False, "error": "internal_error"}))
    sender = make_sender(migrated, settings, now)
    assert sender.run_once().retrying == 3
    assert all(r.last_error == "slack: server error 500" for r in rows(migrated).values())
    now.advance(11)
    assert sender.run_once().posted == 3
    assert fake_slack.history_calls == 1  # a 500 may have posted: looked first, found nothing
    assert len(fake_slack.posts) == 1


def test_a_500_after_slack_kept_the_message_is_not_posted_again(migrated, east, settings, now, fake_slack):
    fake_slack.refuse_next(Scripted(500, {"ok": False, "error": "internal_error"}, keep_message=True))
    sender = make_sender(migrated, settings, now)
    sender.run_once()
    now.advance(11)
    summary = sender.run_once()
    assert summary.found_already_posted == 3 and summary.posted == 0
    assert len(fake_slack.posts) == 1
    assert {r.message_id for r in rows(migrated).values()} == {fake_slack.posts[0]["ts"]}


def test_back_off_doubles_and_a_channel_that_keeps_refusing_ends_failed(migrated, east, settings, now, fake_slack):
    fake_slack.refuse_next(*[Scripted(503, {"ok": False, "error": "service_unavailable"})] * 3)
    sender = make_sender(migrated, settings, now)
    waits = []
    for _ in range(3):
        sender.run_once()
        pending = [r for r in rows(migrated).values() if r.status == "pending"]
        if pending:
            waits.append(round((pending[0].next_attempt_at.replace(tzinfo=dt.timezone.utc) - now()).total_seconds()))
        now.advance(1000)
    assert waits == [10, 20]
    failed = rows(migrated).values()
    assert all(r.status == "failed" and r.attempts == 3 for r in failed)
    assert all(r.last_error == "gave up after 3 attempts: slack: server error 503" for r in failed)
    assert fake_slack.posts == []
    now.advance(10_000)
    calls = fake_slack.post_calls
    sender.run_once()
    assert fake_slack.post_calls == calls and len(rows(migrated)) == 3  # failed stays failed, and is kept


def test_a_wrong_channel_fails_at_once_without_hammering(migrated, east, settings, now, fake_slack):
    fake_slack.channels = {"C0SOMEWHERE"}
    sender = make_sender(migrated, settings, now)
    summary = sender.run_once()
    assert summary.failed == 3 and fake_slack.post_calls == 1
    assert all(r.status == "failed" and r.last_error == "slack: channel_not_found" for r in rows(migrated).values())
    now.advance(10_000)
    sender.run_once()
    assert fake_slack.post_calls == 1


def test_a_team_without_a_channel_is_reported_not_lost(migrated, session, people, settings, now, fake_slack):
    early_help_case(session, people, "C-7002", dt.date(2026, 11, 20))
    scan(session, settings=ReminderSettings())
    session.commit()
    make_sender(migrated, settings, now).run_once()
    (row,) = rows(migrated).values()
    assert (row.status, row.last_error) == ("failed", "no channel set for team 'CADS East'")


def test_digests_are_split_and_paced_per_channel(migrated, east, settings, now, fake_slack, monkeypatch):
    monkeypatch.setattr(sender_module, "DIGEST_MAX", 2)
    slept, clock = [], [100.0]
    pacer = Pacer(1.0, sleep=lambda s: (slept.append(s), clock.__setitem__(0, clock[0] + s)), monotonic=lambda: clock[0])
    Sender(migrated, settings, now=now, pacer=pacer).run_once()
    assert [len(set(p["metadata"]["event_payload"]["reminders"].split(","))) for p in fake_slack.posts] == [2, 1]
    assert slept == [1.0]


# ---- a sender that dies mid-post, and a restart ---------------------------------------


def test_killed_after_posting_before_recording_the_next_sender_finds_the_post(migrated, east, settings, now,
                                                                             fake_slack, monkeypatch):
    dying = make_sender(migrated, settings, now, name="dying")
    monkeypatch.setattr(dying, "_record_sent", lambda *a: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        dying.run_once()
    assert len(fake_slack.posts) == 1
    assert {r.status for r in rows(migrated).values()} == {"sending"}

    # Restart: a fresh sender (new engine, new name) while the claim still holds: it waits.
    fresh = make_sender(migrated, settings, now, name="fresh")
    assert fresh.run_once().posted == 0 and fake_slack.history_calls == 0

    now.advance(61)  # the dead sender's claim lapses
    summary = fresh.run_once()

    assert summary.found_already_posted == 3 and summary.posted == 0
    assert len(fake_slack.posts) == 1
    assert all(r.status == "sent" and r.message_id == fake_slack.posts[0]["ts"] for r in rows(migrated).values())


def test_killed_before_the_post_reached_slack_it_is_posted_once(migrated, east, settings, now, fake_slack, monkeypatch):
    from bot.notify import slack as slack_module

    def crash_before_sending(self, channel, items):
        raise Crash()

    monkeypatch.setattr(slack_module.SlackChannel, "post", crash_before_sending)
    with pytest.raises(Crash):
        make_sender(migrated, settings, now, name="dying").run_once()
    monkeypatch.undo()
    assert fake_slack.post_calls == 0

    now.advance(61)
    summary = make_sender(migrated, settings, now, name="fresh").run_once()

    assert summary.posted == 3 and summary.found_already_posted == 0
    assert fake_slack.history_calls == 1 and len(fake_slack.posts) == 1
    assert all(r.status == "sent" for r in rows(migrated).values())


def test_a_marker_typed_by_a_person_does_not_count_as_posted(migrated, east, settings, now, fake_slack, monkeypatch):
    from bot.notify import slack as slack_module

    monkeypatch.setattr(slack_module.SlackChannel, "post", lambda *a: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        make_sender(migrated, settings, now).run_once()
    monkeypatch.undo()
    fake_slack.post_in("C0EAST", "about ehbot:r1 ehbot:r2 ehbot:r3")
    now.advance(61)
    assert make_sender(migrated, settings, now).run_once().posted == 3


def test_a_teams_post_whose_outcome_is_unknown_waits_for_a_person(migrated, session, people, settings, now,
                                                                   fake_teams, monkeypatch):
    from bot.notify import teams as teams_module
    from bot.notify.outbox import Outbox

    people["team"].teams_webhook_url = fake_teams.url("east")
    session.commit()
    early_help_case(session, people, "C-7002", dt.date(2026, 11, 20))
    scan(session, settings=ReminderSettings())
    session.commit()
    monkeypatch.setattr(teams_module.TeamsChannel, "post", lambda *a: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        make_sender(migrated, settings, now).run_once()
    monkeypatch.undo()

    now.advance(61)
    make_sender(migrated, settings, now).run_once()
    (row,) = rows(migrated).values()
    assert row.status == "failed" and row.last_error.startswith("teams: outcome unknown: check the channel")
    assert fake_teams.calls == 0

    with session_scope(migrated) as s:
        Outbox(s).retry(row.id)
    make_sender(migrated, settings, now).run_once()
    assert len(fake_teams.cards) == 1 and rows(migrated)[row.id].status == "sent"


def test_a_teams_webhook_that_refuses_fails_fast(migrated, session, people, settings, now, fake_teams):
    people["team"].teams_webhook_url = fake_teams.url("gone")
    session.commit()
    early_help_case(session, people, "C-7002", dt.date(2026, 11, 20))
    scan(session, settings=ReminderSettings())
    session.commit()
    fake_teams.refuse_next(Scripted(404, {"error": "not found"}))
    make_sender(migrated, settings, now).run_once()
    (row,) = rows(migrated).values()
    assert (row.status, row.last_error, fake_teams.calls) == ("failed", "teams: webhook refused the post (404)", 1)


def test_teams_rate_limit_and_server_error_are_retried(migrated, session, people, settings, now, fake_teams):
    people["team"].teams_webhook_url = fake_teams.url("east")
    session.commit()
    early_help_case(session, people, "C-7002", dt.date(2026, 11, 20))
    scan(session, settings=ReminderSettings())
    session.commit()
    fake_teams.refuse_next(Scripted(429, {}, {"Retry-After": "5"}), Scripted(502, {}))
    sender = make_sender(migrated, settings, now)
    sender.run_once()
    now.advance(6)
    sender.run_once()
    (row,) = rows(migrated).values()
    assert (row.status, row.last_error) == ("pending", "teams: server error 502")
    now.advance(21)
    sender.run_once()
    assert len(fake_teams.cards) == 1 and rows(migrated)[row.id].status == "sent" and fake_teams.calls == 3
