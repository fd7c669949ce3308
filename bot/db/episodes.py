"""A case's episodes: closing one, reopening a closed case after a re-referral (a new
episode, its records its own), moving it to another pathway where the guidance moves a
case (the old pathway's episode ends, the new one's starts), and every episode's history.

The case row holds the current episode (its dates, pathway and people; steps, consents
and bookings carry the episode they were recorded in); ``case_episodes`` keeps each
episode's dates, reasons and lead professional. Like the other repositories, this
flushes but never commits.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy.orm import Session

from bot import guidance, moves
from bot.casefile import Episode
from bot.db.models import Case, EpisodeRow, LeadProfessionalRow
from bot.db.repositories import (
    HISTORY_LOADS,
    CaseRepository,
    DateLike,
    RecordRejected,
    as_date,
    audit_event,
    case_file,
    check_date,
    check_not_future,
    consent_record,
    current,
    lead_professional_change,
    lead_professional_of,
    recorded_step,
    short_reason,
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
        row.closed_on, row.close_reason, row.closed_by = day, short_reason(reason), by
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
                                    reopen_reason=short_reason(reason), opened_by=by))
        self.session.flush()
        self.audit.record(by_username, "reopen_case", case.reference, f"episode {case.episode} opened {day}")
        return self._episode(case, case.episode)

    def move_case(self, reference: str, move_id: str, moved_on: DateLike, by_username: Optional[str],
                  reason: Optional[str] = None) -> Episode:
        """Move an open case along one of the guidance's moves (``guidance.Move``): the episode
        on the old pathway closes and one on the new pathway opens, its clock from the move's
        day (or, where the move says so, the day its ``after`` step was recorded). The old
        episode's steps stay done in the history; the lead professional goes on."""
        case = self.cases.find(reference)
        reg = guidance.registry()
        # By the move's id, or by the pathway it goes to from where the case is.
        move = reg.moves.get(move_id) or next((m for m in reg.moves_from(case.pathway) if m.to == move_id), None)
        try:
            by = self.practitioners.recorder(by_username)
            if move is None:
                raise RecordRejected(f"the guidance gives no move {move_id!r} from {case.pathway}", "unknown_move")
            row = self._episode_row(case)
            if row.moved_by_move == move.id and case.closed_on is None:
                if move.counts_from_after or as_date(moved_on, "the date of the move") == case.opened_on:
                    return self._episode(case, case.episode)  # the same move again: nothing changes
                raise RecordRejected(f"{case.reference} already moved to {move.to} on {case.opened_on}", "already_moved")
            if case.closed_on is not None:
                raise RecordRejected(f"{case.reference} is closed (since {case.closed_on}): reopen it first", "closed")
            if case.pathway not in move.from_pathways:
                raise RecordRejected(f"the guidance gives that move from {', '.join(move.from_pathways)}, "
                                     f"not from {case.pathway}", "not_from_here")
            day = self._move_day(case, move, moved_on)
        except RecordRejected as exc:
            exc.audit = audit_event(by_username, "refused", case.reference, f"move_case: {exc.code}")
            raise
        old = case.pathway
        row.closed_on, row.close_reason, row.closed_by = day, short_reason(reason), by
        row.lead_professional_name, row.lead_professional_role = _lead_name(case), case.lead_professional_role
        lead = current(case.lead_professionals, case)
        case.episode += 1
        case.opened_on, case.pathway = day, move.to
        self.session.add(EpisodeRow(case=case, number=case.episode, pathway=move.to, opened_on=day,
                                    moved_by_move=move.id, opened_by=by))
        if case.lead_professional_name:  # the lead professional goes on into the new episode
            self.session.add(LeadProfessionalRow(
                case=case, episode=case.episode, name=case.lead_professional_name, role=case.lead_professional_role,
                agency=case.lead_professional_agency, practitioner=case.lead_professional,
                from_date=lead[-1].from_date if lead else None, recorded_by=by))
        if move.starts:
            self.cases._add_step(case, move.starts, day, by, move.starts_outcome, None, "move")
        self.session.flush()
        self.audit.record(by_username, "move_case", case.reference, f"episode {case.episode} {old} -> {move.to} {day}")
        return self._episode(case, case.episode)

    def _move_day(self, case: Case, move, moved_on: DateLike):
        """The new episode's first day; refused until what the move follows is recorded."""
        file = case_file(case)
        follows = moves.what_it_follows(file, move)
        if move.after and follows is None:
            title = guidance.registry().rule(move.after).title
            raise RecordRejected(f"the move follows a step not recorded yet: {title}", "not_yet")
        day = moves.opens_on(file, move, as_date(moved_on, "the date of the move"))
        if move.counts_from_after:
            return day
        check_not_future(day)
        check_date(day, case.opened_on)
        if follows is not None and day < follows.done_on:
            raise RecordRejected(f"{day} is before the step the move follows ({follows.done_on})", "before_after")
        return day

    def episodes(self, reference: str, viewer: Optional[str] = None) -> list[Episode]:
        """Every episode of a case, oldest first, with what was recorded in each."""
        case = self.cases.find(reference, *HISTORY_LOADS)
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
        leads = tuple(lead_professional_change(r) for r in case.lead_professionals if r.episode == number)
        moved_by = row.moved_by_move if row else None
        if number == case.episode:
            return Episode(number, case.pathway, case.opened_on, case.closed_on,
                           row.close_reason if row else None, row.reopen_reason if row else None,
                           _lead_name(case), steps, consents, leads, moved_by)
        if row is None:  # pragma: no cover - every earlier episode's row is written when it closes
            raise LookupError(f"episode {number} of {case.reference} is not recorded")
        return Episode(number, row.pathway, row.opened_on, row.closed_on, row.close_reason, row.reopen_reason,
                       row.lead_professional_name, steps, consents, leads, moved_by)



def _lead_name(case: Case) -> Optional[str]:
    found = lead_professional_of(case)
    return found.display_name if found else None
