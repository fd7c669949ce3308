"""Case files for the reminder scan, read with SQLAlchemy Core; each case's next reminder date.

The scan reads many cases at once (every open case on its first run and after
the rules change), so it builds ``CaseFile``s straight from rows rather than
through ORM objects, which cost several times as much: a fixed number of
queries per batch of cases, practitioners and teams read once per scan.
``bot.db.repositories.case_file`` remains the reference, and a test holds the
two equal. Like the outbox, it names its columns and never reads a child's name.

Like the repositories, it never commits: the caller's ``session_scope`` does.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

from sqlalchemy import bindparam, or_, select, text, update
from sqlalchemy.orm import Session

from bot.casefile import Booking, CaseFile, ConsentRecord, Person, RecordedStep
from bot.db.models import BookingRow, Case, ConsentRow, Practitioner, RecordedStepRow, Team
from bot.db.repositories import BATCH, lead_professional, referrer

_cases, _steps, _consents = Case.__table__, RecordedStepRow.__table__, ConsentRow.__table__
_bookings, _people, _teams = BookingRow.__table__, Practitioner.__table__, Team.__table__

_CASE_COLUMNS = (
    _cases.c.id, _cases.c.updated_at, _cases.c.reference, _cases.c.pathway, _cases.c.opened_on, _cases.c.closed_on,
    _cases.c.episode,
    _cases.c.team_id, _cases.c.allocated_worker_id, _cases.c.team_manager_id, _cases.c.caf_link_worker_id,
    _cases.c.lead_professional_id, _cases.c.lead_professional_name, _cases.c.lead_professional_role,
    _cases.c.referrer_name, _cases.c.referrer_advice_only,
)
_IDS = bindparam("ids", expanding=True)
_STEPS = (
    select(_steps.c.case_id, _steps.c.rule_id, _steps.c.done_on, _steps.c.recorded_by_id, _steps.c.outcome,
           _steps.c.note, _steps.c.source, _steps.c.episode)
    .where(_steps.c.case_id.in_(_IDS))
    .order_by(_steps.c.case_id, _steps.c.done_on, _steps.c.id)
)
_CONSENTS = (
    select(_consents.c.case_id, _consents.c.kind, _consents.c.status, _consents.c.recorded_on, _consents.c.given_by,
           _consents.c.obtained_by, _consents.c.basis, _consents.c.note, _consents.c.episode)
    .where(_consents.c.case_id.in_(_IDS))
    .order_by(_consents.c.case_id, _consents.c.recorded_on, _consents.c.id)
)
_BOOKINGS = (
    select(_bookings.c.case_id, _bookings.c.rule_id, _bookings.c.planned_for, _bookings.c.recorded_by_id,
           _bookings.c.episode)
    .where(_bookings.c.case_id.in_(_IDS))
    .order_by(_bookings.c.case_id, _bookings.c.planned_for, _bookings.c.id)
)
_PEOPLE = select(_people.c.id, _people.c.display_name, _people.c.username, _people.c.role, _people.c.slack_user_id,
                 _people.c.teams_user_id).where(_people.c.id.in_(_IDS))
_TEAMS = select(_teams.c.id, _teams.c.name).where(_teams.c.id.in_(_IDS))


@dataclass
class LoadedCase:
    id: int
    version: dt.datetime  # cases.updated_at as read: storing a date worked out from this read checks it
    file: CaseFile


class CaseLoader:
    """Open cases' files, a batch at a time, in id order."""

    def __init__(self, session: Session, batch_size: int = BATCH):
        self.session = session
        self.batch_size = batch_size
        self._people: dict[int, Person] = {}
        self._teams: dict[int, str] = {}

    def open_cases(self, due_by: Optional[dt.date] = None) -> Iterator[list[LoadedCase]]:
        """Every open case; with ``due_by``, only those whose next reminder date is unset or not after it."""
        self.session.flush()  # the caller's unflushed changes are part of what is read
        conn = self.session.connection()
        query = select(*_CASE_COLUMNS).where(_cases.c.closed_on.is_(None)).order_by(_cases.c.id).limit(self.batch_size)
        if due_by is not None:
            query = query.where(or_(_cases.c.next_reminder_on.is_(None), _cases.c.next_reminder_on <= due_by))
        last_id = 0
        while True:
            rows = conn.execute(query.where(_cases.c.id > last_id)).all()
            if not rows:
                return
            yield self._files(conn, rows)
            if len(rows) < self.batch_size:
                return
            last_id = rows[-1].id

    def by_ids(self, ids: Iterable[int]) -> list[LoadedCase]:
        """These cases (open or not), in id order."""
        conn = self.session.connection()
        ids = sorted(set(ids))
        found = []
        for start in range(0, len(ids), self.batch_size):
            chunk = ids[start : start + self.batch_size]
            rows = conn.execute(select(*_CASE_COLUMNS).where(_cases.c.id.in_(chunk)).order_by(_cases.c.id)).all()
            found += self._files(conn, rows)
        return found

    def _files(self, conn, rows) -> list[LoadedCase]:
        ids = [r.id for r in rows]
        steps, consents, bookings = (_grouped(conn, query, ids) for query in (_STEPS, _CONSENTS, _BOOKINGS))
        people = {r.allocated_worker_id for r in rows} | {r.team_manager_id for r in rows}
        people |= {r.caf_link_worker_id for r in rows} | {r.lead_professional_id for r in rows}
        people |= {row.recorded_by_id for by_case in (steps, bookings) for found in by_case.values() for row in found}
        self._know_people(conn, people)
        self._know_teams(conn, {r.team_id for r in rows})
        username = self._username
        return [
            LoadedCase(r.id, r.updated_at, CaseFile(
                reference=r.reference,
                pathway=r.pathway,
                opened_on=r.opened_on,
                team=self._teams.get(r.team_id),
                allocated_worker=self._people.get(r.allocated_worker_id),
                team_manager=self._people.get(r.team_manager_id),
                lead_professional=lead_professional(
                    r.lead_professional_name, r.lead_professional_role, self._people.get(r.lead_professional_id)),
                referrer=referrer(r.referrer_name),
                caf_link_worker=self._people.get(r.caf_link_worker_id),
                referrer_advice_only=r.referrer_advice_only,
                closed_on=r.closed_on,
                episode=r.episode,
                # Only the current episode's records count (as in bot.db.repositories.case_file).
                steps=[RecordedStep(s.rule_id, s.done_on, username(s.recorded_by_id), s.outcome, s.note, s.source)
                       for s in steps.get(r.id, ()) if s.episode == r.episode],
                consents=[ConsentRecord(c.kind, c.status, c.recorded_on, c.given_by, c.obtained_by, c.basis, c.note)
                          for c in consents.get(r.id, ()) if c.episode == r.episode],
                bookings=[Booking(b.rule_id, b.planned_for, username(b.recorded_by_id))
                          for b in bookings.get(r.id, ()) if b.episode == r.episode],
            ))
            for r in rows
        ]

    def _username(self, practitioner_id: Optional[int]) -> Optional[str]:
        known = self._people.get(practitioner_id)
        return known.username if known else None

    def _know_people(self, conn, ids: set) -> None:
        missing = sorted(i for i in ids if i is not None and i not in self._people)
        for start in range(0, len(missing), self.batch_size):
            for p in conn.execute(_PEOPLE, {"ids": missing[start : start + self.batch_size]}):
                self._people[p.id] = Person(p.display_name, p.username, p.role, p.slack_user_id, p.teams_user_id)

    def _know_teams(self, conn, ids: set) -> None:
        missing = sorted(i for i in ids if i is not None and i not in self._teams)
        if missing:
            self._teams.update((t.id, t.name) for t in conn.execute(_TEAMS, {"ids": missing}))


def _grouped(conn, query, ids: list[int]) -> dict[int, list]:
    found: dict[int, list] = {}
    for row in conn.execute(query, {"ids": ids}):
        found.setdefault(row.case_id, []).append(row)
    return found


# ---- each case's next reminder date -------------------------------------------------------

# Stored only if the case has not been written since it was read (its updated_at is
# as read): a date worked out from data a practitioner has since changed is dropped,
# and the case, its date still NULL, is evaluated again at the next scan.
_STORE_SQLITE = (
    update(_cases)
    .where(_cases.c.id == bindparam("case_id"), _cases.c.updated_at == bindparam("version"))
    .values(next_reminder_on=bindparam("next_on"), updated_at=_cases.c.updated_at)  # not a write to the case's data
)
# PostgreSQL: one statement for the whole batch, whatever its size (executemany would be a round trip a row).
_STORE_POSTGRESQL = text(
    "UPDATE cases AS c SET next_reminder_on = v.next_on"
    " FROM unnest(CAST(:ids AS integer[]), CAST(:versions AS timestamptz[]), CAST(:next_ons AS date[]))"
    " AS v(id, version, next_on)"
    " WHERE c.id = v.id AND c.updated_at = v.version"
)


def store_next_reminder_dates(session: Session, dates: list[tuple[int, dt.datetime, dt.date]]) -> None:
    """(case id, version as read, next reminder date) for each case evaluated."""
    if not dates:
        return
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        ids, versions, next_ons = (list(column) for column in zip(*dates))
        conn.execute(_STORE_POSTGRESQL, {"ids": ids, "versions": versions, "next_ons": next_ons})
    else:
        conn.execute(_STORE_SQLITE, [{"case_id": i, "version": v, "next_on": d} for i, v, d in dates])


def clear_next_reminder_dates(session: Session) -> int:
    """Every open case is evaluated at the next scan (the rules its dates were worked out under changed)."""
    statement = (
        update(_cases)
        .where(_cases.c.closed_on.is_(None), _cases.c.next_reminder_on.isnot(None))
        .values(next_reminder_on=None, updated_at=_cases.c.updated_at)
    )
    return session.connection().execute(statement).rowcount
