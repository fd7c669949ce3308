"""The reminders outbox: every query the notifier makes, and nowhere else.

Like ``bot.db.repositories`` it flushes but never commits; callers wrap each
unit of work in ``session_scope``. It reads a case's reference and team, never
its child's name: the queries name their columns.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterable, Optional

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot import clock
from bot.db.models import HOLDABLE_STAGES, Case, Practitioner, Reminder, ReminderHold, Team
from bot.notify.pacing import as_utc

UNIQUE_KEY = ("case_id", "rule_id", "due_on", "stage")
CLAIM_TRIES = 5  # SQLite: another sender took the rows between our SELECT and UPDATE


_OPEN_CASES = select(Case.id).where(Case.closed_on.is_(None))


def _record_statement(dialect_insert, returning: bool):
    # Every column is given on every row, so one compiled statement serves every batch.
    statement = dialect_insert(Reminder.__table__).on_conflict_do_nothing(index_elements=list(UNIQUE_KEY))
    return statement.returning(Reminder.__table__.c.id) if returning else statement


_RECORD = {
    "postgresql": _record_statement(postgresql.insert, returning=True),
    "sqlite": _record_statement(sqlite.insert, returning=False),
}
_RECORD_DEFAULTS = {
    "status": "pending", "attempts": 0, "local_policy": False, "owner_label": None, "owner_username": None,
    "escalate_to_label": None, "escalate_to_username": None,
}


class ReminderNotFound(LookupError):
    pass


def _not_held(today: dt.date):
    """A reminder no "remind me on ..." holds back today. An overdue step or an escalation is never held."""
    held = exists().where(
        ReminderHold.case_id == Reminder.case_id, ReminderHold.rule_id == Reminder.rule_id,
        ReminderHold.due_on == Reminder.due_on, ReminderHold.until > today,
    )
    return or_(Reminder.stage.not_in(HOLDABLE_STAGES), ~held)


@dataclass(frozen=True)
class Pressed:
    """The reminder behind a button: what the chat needs to act on it (no personal details)."""

    id: int
    case_id: int
    case_reference: str
    rule_id: str
    due_on: dt.date
    stage: str


@dataclass
class Claimed:
    """A reminder this sender holds, with what is needed to post it (and no more)."""

    id: int
    case_reference: str
    rule_id: str
    due_on: dt.date
    stage: str
    owner_label: Optional[str]
    owner_username: Optional[str]
    escalate_to_label: Optional[str]
    escalate_to_username: Optional[str]
    local_policy: bool
    attempts: int
    claimed_at: Optional[dt.datetime]
    channel_kind: Optional[str]
    destination: Optional[str]
    team_id: int
    team_name: str
    team_slack_channel: Optional[str]
    team_teams_webhook: Optional[str]
    # An earlier attempt may have reached the channel: look before posting again.
    may_have_been_posted: bool = False


@dataclass
class Listed:
    id: int
    case_reference: str
    rule_id: str
    due_on: dt.date
    stage: str
    status: str
    attempts: int
    channel_kind: Optional[str]
    destination: Optional[str]
    message_id: Optional[str]
    sent_at: Optional[dt.datetime]
    next_attempt_at: Optional[dt.datetime]
    last_error: Optional[str]


Route = Callable[[Claimed], Optional[tuple[str, str]]]

_CLAIMED_COLUMNS = (
    Reminder.id, Case.reference, Reminder.rule_id, Reminder.due_on, Reminder.stage, Reminder.owner_label,
    Reminder.owner_username, Reminder.escalate_to_label, Reminder.escalate_to_username, Reminder.local_policy,
    Reminder.attempts, Reminder.claimed_at, Reminder.channel_kind, Reminder.destination, Team.id, Team.name,
    Team.slack_channel_id, Team.teams_webhook_url,
)
_LISTED_COLUMNS = (
    Reminder.id, Case.reference, Reminder.rule_id, Reminder.due_on, Reminder.stage, Reminder.status,
    Reminder.attempts, Reminder.channel_kind, Reminder.destination, Reminder.message_id, Reminder.sent_at,
    Reminder.next_attempt_at, Reminder.last_error,
)


class Outbox:
    def __init__(self, session: Session):
        self.session = session

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    # -- the scanner's side --

    def case_ids(self, references: Iterable[str]) -> dict[str, int]:
        refs = sorted(set(references))
        if not refs:
            return {}
        query = select(Case.reference, Case.id).where(Case.reference.in_(refs))
        return dict(self.session.execute(query).all())

    def known_keys(self, case_ids: Iterable[int]) -> set[tuple]:
        ids = sorted(set(case_ids))
        if not ids:
            return set()
        query = select(Reminder.case_id, Reminder.rule_id, Reminder.due_on, Reminder.stage).where(Reminder.case_id.in_(ids))
        return {tuple(row) for row in self.session.execute(query)}

    def case_teams(self, case_ids: Iterable[int]) -> dict[str, tuple]:
        """Case reference -> (team id, team name, Slack channel, Teams webhook URL)."""
        query = select(Case.reference, Team.id, Team.name, Team.slack_channel_id, Team.teams_webhook_url).join(
            Team, Case.team_id == Team.id).where(Case.id.in_(sorted(set(case_ids))))
        return {ref: tuple(rest) for ref, *rest in self.session.execute(query)}

    def record(self, rows: list[dict]) -> int:
        """Insert the reminders not yet recorded (one cached statement, all rows); returns how many were new."""
        if not rows:
            return 0
        now = clock.now()
        values = [{**_RECORD_DEFAULTS, "created_at": now, **row} for row in rows]
        dialect = self._dialect
        if dialect not in _RECORD:  # pragma: no cover - ehbot supports these two
            raise RuntimeError(f"reminders need PostgreSQL or SQLite, not {dialect}")
        result = self.session.connection().execute(_RECORD[dialect], values)
        if dialect == "postgresql":
            # psycopg2 sends the rows a page at a time, and its row count is the last page's:
            # the ids RETURNING gives back (only rows inserted, not those that conflicted) are the count.
            return len(result.all())
        # sqlite3 adds up the rows each parameter set changed; a conflict changes none.
        return result.rowcount

    # -- the sender's side --

    def claim(self, token: str, limit: int, now: dt.datetime, claim_seconds: float, route: Route,
              today: Optional[dt.date] = None) -> list[Claimed]:
        """Take up to ``limit`` reminders that are due to be sent (or whose sender died).

        ``today`` (default ``bot.clock``): a due-soon or due-today reminder held back until
        a later day waits, still pending, and is claimed on that day like any other.
        """
        today = today or clock.today()
        eligible = or_(
            # A pending reminder of a case closed since it was queued is not sent (one being
            # sent when its sender stopped is still settled: it may have been posted).
            and_(Reminder.status == "pending", or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= now),
                 Reminder.case_id.in_(_OPEN_CASES), _not_held(today)),
            and_(Reminder.status == "sending", Reminder.next_attempt_at <= now),
        )
        candidates = select(Reminder.id, Reminder.claimed_at).where(eligible).order_by(Reminder.id).limit(limit)
        if self._dialect == "postgresql":
            # Two senders never wait on, or take, each other's rows.
            candidates = candidates.with_for_update(skip_locked=True)
        for _ in range(CLAIM_TRIES):
            seen = dict(self.session.execute(candidates).all())
            ids = list(seen)
            if not ids:
                return []
            # The guard repeats the test: on SQLite (no row locks) a row another
            # sender took since the SELECT is simply not updated here.
            taken = self.session.execute(
                update(Reminder)
                .where(Reminder.id.in_(ids), eligible)
                .values(
                    status="sending",
                    claimed_by=token,
                    claimed_at=func.coalesce(Reminder.claimed_at, now),
                    attempts=Reminder.attempts + 1,
                    next_attempt_at=now + dt.timedelta(seconds=claim_seconds),
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken:
                claimed = self._claimed(token, ids, now, attempted={i for i, at in seen.items() if at is not None})
                self._route(claimed, route)
                return claimed
        return []  # another sender kept taking them first: it is sending them

    def _claimed(self, token: str, ids: list[int], now: dt.datetime, attempted: set[int]) -> list[Claimed]:
        query = (
            select(*_CLAIMED_COLUMNS)
            .join(Case, Reminder.case_id == Case.id)
            .join(Team, Case.team_id == Team.id)
            .where(Reminder.id.in_(ids), Reminder.claimed_by == token, Reminder.status == "sending")
            .order_by(Reminder.id)
        )
        found = []
        for row in self.session.execute(query):
            item = Claimed(*row)
            item.claimed_at = as_utc(item.claimed_at)
            # claimed_at is kept from the first attempt whose outcome is not known to be "not posted".
            item.may_have_been_posted = item.id in attempted or (item.claimed_at is not None and item.claimed_at != now)
            found.append(item)
        return found

    def _route(self, claimed: list[Claimed], route: Route) -> None:
        # Where a reminder goes is written down before it is posted, so that a
        # sender picking up after a crash looks in the right channel.
        groups: dict[tuple[str, str], list[int]] = {}
        for item in claimed:
            if item.destination is None:
                chosen = route(item)
                if chosen:
                    item.channel_kind, item.destination = chosen
                    groups.setdefault(chosen, []).append(item.id)
        for (kind, destination), ids in groups.items():
            self.session.execute(
                update(Reminder).where(Reminder.id.in_(ids))
                .values(channel_kind=kind, destination=destination)
                .execution_options(synchronize_session=False)
            )

    def _settle(self, ids: list[int], token: str, **values) -> int:
        if not ids:
            return 0
        statement = (
            update(Reminder)
            .where(Reminder.id.in_(ids), Reminder.claimed_by == token, Reminder.status == "sending")
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return self.session.execute(statement).rowcount

    def mark_sent(self, ids: list[int], token: str, message_id: str, sent_at: dt.datetime) -> int:
        return self._settle(ids, token, status="sent", message_id=message_id[:100], sent_at=sent_at,
                            next_attempt_at=None, last_error=None)

    def retry_later(self, ids: list[int], token: str, reason: str, at: dt.datetime, not_posted: list[int] = ()) -> int:
        """Back to pending until ``at``. ``not_posted``: ids known never to have reached the channel."""
        done = self._settle(ids, token, status="pending", next_attempt_at=at, last_error=reason[:200])
        self._forget_claim(not_posted)
        return done

    def mark_failed(self, ids: list[int], token: str, reason: str, not_posted: list[int] = ()) -> int:
        done = self._settle(ids, token, status="failed", next_attempt_at=None, last_error=reason[:200])
        self._forget_claim(not_posted)
        return done

    def _forget_claim(self, ids: Iterable[int]) -> None:
        # Nothing reached a channel: the next attempt need not look for it, and may go elsewhere.
        ids = list(ids)
        if ids:
            self.session.execute(
                update(Reminder).where(Reminder.id.in_(ids))
                .values(claimed_at=None, channel_kind=None, destination=None)
                .execution_options(synchronize_session=False)
            )

    def handles(self, usernames: Iterable[str]) -> dict[str, tuple[Optional[str], Optional[str]]]:
        """Active practitioners' Slack and Teams ids, by username."""
        names = sorted({u for u in usernames if u})
        if not names:
            return {}
        query = select(Practitioner.username, Practitioner.slack_user_id, Practitioner.teams_user_id).where(
            Practitioner.username.in_(names), Practitioner.active.is_(True)
        )
        return {u: (s, t) for u, s, t in self.session.execute(query)}

    # -- the chat's side (a button pressed on a reminder) --

    def pressed(self, reminder_id: int) -> Optional[Pressed]:
        query = (select(Reminder.id, Reminder.case_id, Case.reference, Reminder.rule_id, Reminder.due_on, Reminder.stage)
                 .join(Case, Reminder.case_id == Case.id).where(Reminder.id == reminder_id))
        row = self.session.execute(query).first()
        return Pressed(*row) if row else None

    def hold(self, item: Pressed, until: dt.date, practitioner_id: int) -> bool:
        """Hold the item's next due-soon or due-today reminder until ``until``; False when it
        already was (a press handled twice changes nothing the second time)."""
        found = self.session.execute(select(ReminderHold).where(
            ReminderHold.case_id == item.case_id, ReminderHold.rule_id == item.rule_id,
            ReminderHold.due_on == item.due_on)).scalar_one_or_none()
        if found is not None and found.until == until:
            return False
        if found is None:
            found = ReminderHold(case_id=item.case_id, rule_id=item.rule_id, due_on=item.due_on)
            self.session.add(found)
        found.until, found.reminder_id, found.held_by_id, found.held_at = until, item.id, practitioner_id, clock.now()
        self.session.flush()
        return True

    # -- the command line's side --

    def listed(self, failed_only: bool = False, limit: int = 500) -> list[Listed]:
        query = select(*_LISTED_COLUMNS).join(Case, Reminder.case_id == Case.id).order_by(Reminder.id.desc()).limit(limit)
        if failed_only:
            query = query.where(Reminder.status == "failed")
        return [Listed(*row) for row in self.session.execute(query)]

    def waiting(self) -> list[Claimed]:
        """Reminders not yet sent (pending or being sent), for a dry run; nothing is claimed."""
        query = (
            select(*_CLAIMED_COLUMNS)
            .join(Case, Reminder.case_id == Case.id)
            .join(Team, Case.team_id == Team.id)
            .where(or_(and_(Reminder.status == "pending", Case.closed_on.is_(None)), Reminder.status == "sending"))
            .order_by(Reminder.id)
        )
        return [Claimed(*row) for row in self.session.execute(query)]

    def retry(self, reminder_id: int) -> Reminder:
        """Put a failed reminder back in the queue, attempts reset."""
        row = self.session.get(Reminder, reminder_id)
        if row is None:
            raise ReminderNotFound(f"there is no reminder {reminder_id}")
        if row.status != "failed":
            raise ReminderNotFound(f"reminder {reminder_id} is {row.status}, not failed: nothing to retry")
        row.status, row.attempts, row.next_attempt_at, row.last_error = "pending", 0, None, None
        if row.channel_kind != "slack":
            # Only Slack's history can show whether an earlier post arrived; for
            # Teams, whoever retries has looked in the channel.
            row.claimed_at = None
        if row.claimed_at is None:
            row.channel_kind = row.destination = None  # go wherever the team's channel is now
        self.session.flush()
        return row

    def set_team_channel(self, team_name: str, slack_channel_id: Optional[str] = None,
                         teams_webhook_url: Optional[str] = None) -> Team:
        team = self.session.execute(select(Team).where(Team.name == team_name)).scalar_one_or_none()
        if team is None:
            raise ReminderNotFound(f"there is no team {team_name!r}")
        if slack_channel_id is not None:
            team.slack_channel_id = slack_channel_id or None
        if teams_webhook_url is not None:
            team.teams_webhook_url = teams_webhook_url or None
        self.session.flush()
        return team
