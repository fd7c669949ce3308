"""The opt-in weekly direct message: what is due on a practitioner's own cases this week.

It is the chat's own "what's due on my cases this week?" answer (case references, steps and
dates, never a child's or family's name), sent in Slack to each active practitioner who
opted in and has a Slack id, once per week from its Monday on. A message is claimed (a row
per practitioner and week, unique) before it is posted, so two workers never both post it;
one refused outright is tried again next round, up to the reminders' attempt limit; one
whose fate is unknown (a timeout) is not posted again: a second copy is worse than asking.
Teams has no way here to start a conversation, so the message is Slack's only.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot import clock
from bot.conversation import status
from bot.db.models import Practitioner, WeeklyMessage
from bot.db.repositories import AuditLog
from bot.db.session import session_scope
from bot.notify.refusals import Refusal
from bot.notify.settings import ReminderSettings

log = logging.getLogger(__name__)


@dataclass
class WeeklySummary:
    sent: int = 0
    refused: int = 0

    def __str__(self) -> str:
        return f"weekly messages: {self.sent} sent" + (f", {self.refused} refused" if self.refused else "")


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def set_opt_in(session, username: str, wanted: bool, actor: Optional[str] = None) -> Practitioner:
    """Turns a practitioner's weekly message on or off; the change is in the audit trail."""
    practitioner = session.execute(select(Practitioner).where(Practitioner.username == username)).scalar_one_or_none()
    if practitioner is None:
        raise LookupError(f"no practitioner {username!r}")
    practitioner.weekly_due_message = wanted
    AuditLog(session).record(actor or username, "weekly_message", None, "on" if wanted else "off")
    return practitioner


def _waiting(session, week: dt.date, max_attempts: int) -> list[tuple[int, str, str]]:
    """(id, username, Slack id) of those opted in whose message this week is not settled."""
    settled = select(WeeklyMessage.practitioner_id).where(
        WeeklyMessage.week_of == week,
        (WeeklyMessage.status != "failed") | (WeeklyMessage.attempts >= max_attempts))
    rows = session.execute(
        select(Practitioner.id, Practitioner.username, Practitioner.slack_user_id)
        .where(Practitioner.weekly_due_message.is_(True), Practitioner.active.is_(True),
               Practitioner.slack_user_id.is_not(None), Practitioner.id.not_in(settled))
        .order_by(Practitioner.id))
    return [tuple(r) for r in rows]


def _claim(engine: Engine, practitioner_id: int, week: dt.date) -> Optional[int]:
    """The claimed row's id, or None when another worker holds this week's message."""
    try:
        with session_scope(engine) as session:
            row = session.execute(select(WeeklyMessage).where(
                WeeklyMessage.practitioner_id == practitioner_id, WeeklyMessage.week_of == week)).scalar_one_or_none()
            if row is None:
                row = WeeklyMessage(practitioner_id=practitioner_id, week_of=week, status="sending", attempts=1)
                session.add(row)
            elif row.status == "failed":  # a refusal last round: take it again, atomically
                taken = session.execute(
                    WeeklyMessage.__table__.update()
                    .where(WeeklyMessage.id == row.id, WeeklyMessage.status == "failed")
                    .values(status="sending", attempts=WeeklyMessage.attempts + 1, claimed_at=clock.now()))
                if taken.rowcount != 1:
                    return None
            else:
                return None
            session.flush()
            return row.id
    except IntegrityError:
        return None


def _settle(engine: Engine, row_id: int, status_: str, ts: Optional[str] = None, error: Optional[str] = None) -> None:
    with session_scope(engine) as session:
        row = session.get(WeeklyMessage, row_id)
        row.status, row.message_ts, row.error = status_, ts, error
        if status_ == "sent":
            row.sent_at = clock.now()


def send_week(engine: Engine, slack, settings: ReminderSettings, today: Optional[dt.date] = None) -> WeeklySummary:
    """Posts this week's message to each practitioner waiting for it. ``slack``: a
    ``SlackChannel`` (None: Slack is not set up, nothing is sent)."""
    summary = WeeklySummary()
    if slack is None:
        return summary
    week = week_of(today or clock.today())
    with session_scope(engine) as session:
        waiting = _waiting(session, week, settings.max_attempts)
    for practitioner_id, username, slack_id in waiting:
        row_id = _claim(engine, practitioner_id, week)
        if row_id is None:
            continue
        with session_scope(engine) as session:
            text = status.due(session, username, "mine", "this week", via="weekly message").text
        try:
            ts = slack.post_text(slack_id, text)
        except Refusal as refusal:
            summary.refused += 1
            log.warning("weekly message refused (%s)", refusal.reason)
            _settle(engine, row_id, "unknown" if refusal.maybe_posted else "failed", error=refusal.reason)
            continue
        _settle(engine, row_id, "sent", ts=ts)
        summary.sent += 1
    return summary
