"""A case's episodes: closing one, reopening a closed case after a re-referral (a new
episode, its records its own), and every episode's history.

The case row holds the current episode (its dates, pathway and people; steps, consents
and bookings carry the episode they were recorded in); ``case_episodes`` keeps each
episode's dates, reasons and lead professional. Like the other repositories, this
flushes but never commits.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy.orm import Session, selectinload

from bot import guidance
from bot.casefile import Episode
from bot.db.models import Case, EpisodeRow
from bot.db.repositories import (
    CASE_FILE_LOADS,
    CaseRepository,
    DateLike,
    RecordRejected,
    as_date,
    audit_event,
    check_date,
    check_not_future,
    consent_record,
    lead_professional_of,
    recorded_step,
)


class EpisodeRepository:
    def __init__(self, session: Session):
        self.session = session
        self.cases = CaseRepository(session)
        self.audit = self.cases.audit
        self.practitioners = self.cases.practitioners

    def close_case(self, reference: str, closed_on: DateLike, reason: Optional[str], by_username: Optional[str]) -> Episode:
        """Close the case's current episode: its steps stop being owed and its reminders stop."""
        case = self.cases.find(reference)
        try:
            by = self.practitioners.recorder(by_username)
            day = as_date(closed_on, "the date it closed")
            check_date(day, case.opened_on)
            if case.closed_on is not None:
                if case.closed_on == day:
                    return self._episode(case, case.episode)
                raise RecordRejected(f"{case.reference} is already closed (since {case.closed_on})", "already_closed")
        except RecordRejected as exc:
            exc.audit = audit_event(by_username, "refused", case.reference, f"close_case: {exc.code}")
            raise
        row = self._episode_row(case)
        row.closed_on, row.close_reason, row.closed_by = day, _reason(reason), by
        row.lead_professional_name, row.lead_professional_role = _lead_name(case), case.lead_professional_role
        case.closed_on = day
        self.session.flush()
        self.audit.record(by_username, "close_case", case.reference, f"episode {case.episode} closed {day}")
        return self._episode(case, case.episode)

    def reopen_case(self, reference: str, opened_on: DateLike, reason: Optional[str], by_username: Optional[str],
                    pathway: Optional[str] = None) -> Episode:
        """Reopen a closed case (a re-referral): a new episode, its clock from ``opened_on``, with
        no steps, consents or lead professional carried over; the earlier episodes stay as history."""
        case = self.cases.find(reference)
        try:
            by = self.practitioners.recorder(by_username)
            day = as_date(opened_on, "the date it reopened")
            if case.closed_on is None:
                if case.episode > 1 and case.opened_on == day:
                    return self._episode(case, case.episode)
                raise RecordRejected(f"{case.reference} is open (episode {case.episode}): there is nothing to reopen",
                                     "not_closed")
            check_not_future(day)
            if day < case.closed_on:
                raise RecordRejected(f"{day} is before {case.reference} was closed ({case.closed_on})", "before_closed")
            pathway = pathway or case.pathway
            if pathway not in guidance.registry().pathways:
                raise RecordRejected(f"there is no pathway {pathway!r} in the active guidance", "unknown_pathway")
        except RecordRejected as exc:
            exc.audit = audit_event(by_username, "refused", case.reference, f"reopen_case: {exc.code}")
            raise
        self._episode_row(case)  # the closing episode's record exists before the case moves on
        case.episode += 1
        case.opened_on, case.closed_on, case.pathway = day, None, pathway
        case.lead_professional_name = case.lead_professional_role = case.lead_professional_agency = None
        case.lead_professional = None
        case.referrer_advice_only = None
        self.session.add(EpisodeRow(case=case, number=case.episode, pathway=pathway, opened_on=day,
                                    reopen_reason=_reason(reason), opened_by=by))
        self.session.flush()
        self.audit.record(by_username, "reopen_case", case.reference, f"episode {case.episode} opened {day}")
        return self._episode(case, case.episode)

    def episodes(self, reference: str, viewer: Optional[str] = None) -> list[Episode]:
        """Every episode of a case, oldest first, with what was recorded in each."""
        case = self.cases.find(reference, selectinload(Case.episodes), *CASE_FILE_LOADS)
        self.audit.record(viewer, "view", case.reference, "case history")
        return [self._episode(case, n) for n in range(1, case.episode + 1)]

    def _episode_row(self, case: Case) -> EpisodeRow:
        """The current episode's row, made from the case row the first time it is needed
        (cases opened before episodes were kept, or never closed, have none)."""
        row = next((e for e in case.episodes if e.number == case.episode), None)
        if row is None:
            row = EpisodeRow(case=case, number=case.episode, pathway=case.pathway, opened_on=case.opened_on)
            self.session.add(row)
        return row

    def _episode(self, case: Case, number: int) -> Episode:
        row = next((e for e in case.episodes if e.number == number), None)
        steps = tuple(recorded_step(s) for s in case.steps if s.episode == number)
        consents = tuple(consent_record(c) for c in case.consents if c.episode == number)
        if number == case.episode:
            return Episode(number, case.pathway, case.opened_on, case.closed_on,
                           row.close_reason if row else None, row.reopen_reason if row else None,
                           _lead_name(case), steps, consents)
        if row is None:  # pragma: no cover - every earlier episode's row is written when it closes
            raise LookupError(f"episode {number} of {case.reference} is not recorded")
        return Episode(number, row.pathway, row.opened_on, row.closed_on, row.close_reason, row.reopen_reason,
                       row.lead_professional_name, steps, consents)


REASON_LENGTH = 200


def _reason(text: Optional[str]) -> Optional[str]:
    text = " ".join((text or "").split())
    return text[:REASON_LENGTH] or None


def _lead_name(case: Case) -> Optional[str]:
    found = lead_professional_of(case)
    return found.display_name if found else None
