"""All database access for callers: cases, steps, consents, practitioners, audit.

Callers (the CLI, chat actions) use these classes and never write SQL. The
repositories flush but never commit: ``bot.db.session.session_scope`` does.
A refusal raises a ``RecordRejected`` whose message a practitioner can act on;
it carries an unsaved audit event that ``session_scope`` writes after rolling back.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Iterable, Iterator, Optional, Union

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from bot import clock, guidance
from bot.casefile import (
    CONSENT_ADVICE_ONLY,
    CONSENT_GIVEN,
    CONSENT_STATUSES,
    CONSENT_TO_ENGAGE,
    LAWFUL_BASIS_TO_SHARE,
    Booking,
    CaseFile,
    ConsentRecord,
    LeadProfessionalChange,
    Person,
    RecordedStep,
)
from bot.references import normalise_reference  # noqa: F401  (callers import it from here too)
from bot.db.models import (
    STEP_SOURCES,
    AuditEvent,
    BookingRow,
    Case,
    ConsentRow,
    LeadProfessionalRow,
    Practitioner,
    RecordedStepRow,
    Team,
)

log = logging.getLogger(__name__)

BATCH = 200


class CaseNotFound(LookupError):
    pass


class RecordRejected(ValueError):
    """Refused, with a one-line reason a practitioner can act on; ``code`` is for the audit trail."""

    def __init__(self, reason: str, code: str = "rejected"):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.audit: Optional[AuditEvent] = None


class StepRejected(RecordRejected):
    pass


class ConsentRejected(RecordRejected):
    pass


DateLike = Union[dt.date, str]


# ---- plain helpers (no database) -------------------------------------------------


def as_date(value: DateLike, what: str, error=RecordRejected) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise error(f"{what} must be a date like 2026-11-23", "bad_date") from None


def check_not_future(day: dt.date, error=RecordRejected) -> None:
    today = clock.today()
    if day > today:
        raise error(f"{day} is in the future (today is {today})", "future_date")


def check_date(day: dt.date, opened_on: dt.date, error=RecordRejected) -> None:
    check_not_future(day, error)
    if day < opened_on:
        raise error(f"{day} is before the case was opened ({opened_on})", "before_opened")


def check_open(case: Case, day: dt.date, error=RecordRejected) -> None:
    """Nothing is recorded on a closed case after the day it closed: it is reopened first."""
    if case.closed_on is not None and day > case.closed_on:
        raise error(f"{case.reference} was closed on {case.closed_on}: reopen it to record what happened since",
                    "case_closed")


def check_step_rule(rule_id: str, pathway_id: str, outcome: Optional[str], check_outcome: bool = True) -> None:
    """The rule exists, belongs to the case's guidance, is a step, and the outcome fits it."""
    reg = guidance.registry()
    if rule_id not in reg.rules:
        raise StepRejected(f"there is no step {rule_id!r} in the guidance", "unknown_rule")
    if pathway_id not in reg.pathways:
        raise StepRejected(f"this case's pathway {pathway_id} is not in the active guidance", "unknown_pathway")
    rule, pathway = reg.rule(rule_id), reg.pathway(pathway_id)
    if rule.pack != pathway.pack:
        raise StepRejected(f"{rule_id} belongs to other guidance ({rule.pack}), not this case's", "other_pack")
    if rule.kind == "knowledge":
        raise StepRejected(f"{rule_id} is guidance to read, not a step to record", "not_a_step")
    if rule.kind == "consent":
        raise StepRejected(f"{rule_id} is met by recording consent, not a step", "consent_rule")
    if check_outcome:
        _check_outcome(rule, outcome)


def _check_outcome(rule, outcome: Optional[str]) -> None:
    choices = ", ".join(rule.outcomes)
    if rule.outcomes and not outcome:
        raise StepRejected(f"say how {rule.id} turned out: one of {choices}", "outcome_missing")
    if outcome and not rule.outcomes:
        raise StepRejected(f"{rule.id} is recorded without an outcome", "no_outcomes")
    if outcome and outcome not in rule.outcomes:
        raise StepRejected(f"{outcome!r} is not an outcome of {rule.id} (one of {choices})", "bad_outcome")


def check_consent(kind: str, status: str, basis: Optional[str]) -> None:
    """Consent to engage and a lawful basis to share are different records."""
    if kind not in (CONSENT_TO_ENGAGE, LAWFUL_BASIS_TO_SHARE):
        raise ConsentRejected(
            "consent is 'engage' (to engage with the service) or 'share' (a lawful basis to share)", "bad_kind"
        )
    if status not in CONSENT_STATUSES:
        raise ConsentRejected(f"consent status is one of {', '.join(CONSENT_STATUSES)}", "bad_status")
    if kind == LAWFUL_BASIS_TO_SHARE and status == CONSENT_ADVICE_ONLY:
        raise ConsentRejected("'advice_only' applies to consent to engage, not to sharing", "bad_status")
    if kind == LAWFUL_BASIS_TO_SHARE and status == CONSENT_GIVEN and not basis:
        raise ConsentRejected("say the lawful basis for sharing (e.g. consent, section 47)", "basis_missing")
    if kind == CONSENT_TO_ENGAGE and basis:
        raise ConsentRejected("a lawful basis belongs to a 'share' record, not consent to engage", "basis_on_engage")


def audit_event(actor: Optional[str], action: str, case_reference: Optional[str] = None, detail: str = "") -> AuditEvent:
    """An unsaved audit event. ``detail`` is ids, rule ids and dates only: never a name."""
    actor = (actor or "unknown")[:64]
    return AuditEvent(at=clock.now(), actor=actor, action=action, case_reference=case_reference, detail=detail[:300])


# ---- conversion to the evaluator's plain data ----------------------------------------


def person(p: Optional[Practitioner]) -> Optional[Person]:
    if p is None:
        return None
    return Person(p.display_name, p.username, p.role, p.slack_user_id, p.teams_user_id)


def lead_professional(name: Optional[str], role: Optional[str], linked: Optional[Person]) -> Optional[Person]:
    """The case's lead professional: the name and role recorded on the case, else the linked practitioner's."""
    name = name or (linked.display_name if linked else None)
    if not name:
        return None
    role = role or (linked.role if linked else "lead_professional")
    if linked is None:
        return Person(name, role=role)
    return Person(name, linked.username, role, linked.slack_user_id, linked.teams_user_id)


def referrer(name: Optional[str]) -> Optional[Person]:
    return Person(name, role="referrer") if name else None


def lead_professional_of(case: Case) -> Optional[Person]:
    return lead_professional(case.lead_professional_name, case.lead_professional_role, person(case.lead_professional))


def recorded_step(row: RecordedStepRow) -> RecordedStep:
    by = row.recorded_by.username if row.recorded_by else None
    return RecordedStep(row.rule_id, row.done_on, by, row.outcome, row.note, row.source)


def consent_record(row: ConsentRow) -> ConsentRecord:
    return ConsentRecord(row.kind, row.status, row.recorded_on, row.given_by, row.obtained_by, row.basis, row.note)


def lead_professional_change(row: LeadProfessionalRow) -> LeadProfessionalChange:
    return LeadProfessionalChange(row.name, row.role, row.from_date, row.reason)


def booking(row: BookingRow) -> Booking:
    return Booking(row.rule_id, row.planned_for, row.recorded_by.username if row.recorded_by else None)


def current(rows, case: Case) -> list:
    """The rows of the case's current episode (an earlier episode's steps are history, not owed work)."""
    return [r for r in rows if r.episode == case.episode]


def case_file(case: Case) -> CaseFile:
    return CaseFile(
        reference=case.reference,
        pathway=case.pathway,
        opened_on=case.opened_on,
        team=case.team.name if case.team else None,
        allocated_worker=person(case.allocated_worker),
        team_manager=person(case.team_manager),
        lead_professional=lead_professional_of(case),
        referrer=referrer(case.referrer_name),
        caf_link_worker=person(case.caf_link_worker),
        referrer_advice_only=case.referrer_advice_only,
        closed_on=case.closed_on,
        episode=case.episode,
        steps=[recorded_step(s) for s in current(case.steps, case)],
        consents=[consent_record(c) for c in current(case.consents, case)],
        bookings=[booking(b) for b in current(case.bookings, case)],
    )


# Everything a CaseFile needs, loaded in a fixed number of queries per batch of cases.
CASE_FILE_LOADS = (
    joinedload(Case.team),
    joinedload(Case.allocated_worker),
    joinedload(Case.team_manager),
    joinedload(Case.caf_link_worker),
    joinedload(Case.lead_professional),
    selectinload(Case.steps).joinedload(RecordedStepRow.recorded_by),
    selectinload(Case.consents),
    selectinload(Case.bookings).joinedload(BookingRow.recorded_by),
)
# A case's whole history: its episodes and lead professionals besides.
HISTORY_LOADS = (selectinload(Case.episodes), selectinload(Case.lead_professionals), *CASE_FILE_LOADS)


# ---- repositories --------------------------------------------------------------------


class AuditLog:
    def __init__(self, session: Session):
        self.session = session

    def record(self, actor: Optional[str], action: str, case_reference: Optional[str] = None, detail: str = ""):
        event = audit_event(actor, action, case_reference, detail)
        self.session.add(event)
        return event

    def events(self, case_reference: Optional[str] = None, action: Optional[str] = None) -> list[AuditEvent]:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if case_reference:
            query = query.where(AuditEvent.case_reference == case_reference)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(self.session.execute(query).scalars())


class PractitionerRepository:
    def __init__(self, session: Session):
        self.session = session

    def _one(self, column, value: Optional[str]) -> Optional[Practitioner]:
        if not value:
            return None
        return self.session.execute(select(Practitioner).where(column == value.strip())).scalar_one_or_none()

    def by_username(self, username: Optional[str]) -> Optional[Practitioner]:
        return self._one(Practitioner.username, username)

    def by_slack_user_id(self, slack_user_id: Optional[str]) -> Optional[Practitioner]:
        return self._one(Practitioner.slack_user_id, slack_user_id)

    def by_teams_user_id(self, teams_user_id: Optional[str]) -> Optional[Practitioner]:
        return self._one(Practitioner.teams_user_id, teams_user_id)

    def all_by_username(self) -> dict[str, Practitioner]:
        return {p.username: p for p in self.session.execute(select(Practitioner)).scalars()}

    def teams_by_name(self) -> dict[str, Team]:
        return {t.name: t for t in self.session.execute(select(Team)).scalars()}

    def recorder(self, username: Optional[str], error=RecordRejected) -> Optional[Practitioner]:
        """The active practitioner recording something; None when no username is given."""
        if not username:
            return None
        found = self.by_username(username)
        if found is None or not found.active:
            raise error(f"{username} is not an active practitioner in ehbot", "unknown_user")
        return found


class CaseRepository:
    def __init__(self, session: Session):
        self.session = session
        self.audit = AuditLog(session)
        self.practitioners = PractitionerRepository(session)

    # -- reading --

    def find(self, reference: str, *options) -> Case:
        ref = normalise_reference(reference)
        if ref is None:
            raise CaseNotFound("that is not a case reference (they look like C-1042)")
        query = select(Case).where(Case.reference == ref).options(*options)
        case = self.session.execute(query).unique().scalar_one_or_none()
        if case is None:
            raise CaseNotFound(f"there is no case {ref}")
        return case

    def by_references(self, references: Iterable[str]) -> dict[str, Case]:
        refs, found = sorted(set(references)), {}
        for start in range(0, len(refs), BATCH):
            query = select(Case).where(Case.reference.in_(refs[start : start + BATCH]))
            found.update((c.reference, c) for c in self.session.execute(query).scalars())
        return found

    def steps_of(self, case_ids: Iterable[int]) -> dict[tuple, RecordedStepRow]:
        """Recorded steps of these cases, keyed by (case_id, rule_id, done_on)."""
        ids, found = sorted(set(case_ids)), {}
        for start in range(0, len(ids), BATCH):
            query = select(RecordedStepRow).where(RecordedStepRow.case_id.in_(ids[start : start + BATCH]))
            found.update(((s.case_id, s.rule_id, s.done_on), s) for s in self.session.execute(query).scalars())
        return found

    def case_file(self, reference: str, viewer: Optional[str] = None) -> CaseFile:
        case = self.find(reference, *CASE_FILE_LOADS)
        self.audit.record(viewer, "view", case.reference, "case file")
        return case_file(case)

    def open_cases(self, batch_size: int = BATCH) -> Iterator[CaseFile]:
        """Every open case, a batch at a time (steps and people loaded per batch, not per case)."""
        return self.cases(batch_size, closed_too=False)

    def cases(self, batch_size: int = BATCH, closed_too: bool = True) -> Iterator[CaseFile]:
        """Every case (with ``closed_too``, the closed ones as well), a batch at a time."""
        last_id = 0
        while True:
            query = select(Case).where(Case.id > last_id)
            if not closed_too:
                query = query.where(Case.closed_on.is_(None))
            query = query.order_by(Case.id).limit(batch_size).options(*CASE_FILE_LOADS)
            batch = self.session.execute(query).unique().scalars().all()
            if not batch:
                return
            for case in batch:
                yield case_file(case)
            last_id = batch[-1].id

    # -- recording --

    def record_step(
        self,
        reference: str,
        rule_id: str,
        done_on: DateLike,
        by_username: Optional[str],
        outcome: Optional[str] = None,
        note: Optional[str] = None,
        source: str = "chat",
    ) -> RecordedStep:
        case = self.find(reference)
        try:
            by, day = self._check_step(case, rule_id, done_on, by_username, outcome, source)
            row = self._existing_step(case, rule_id, day, outcome)
            row = row or self._add_step(case, rule_id, day, by, outcome, note, source)
        except RecordRejected as exc:
            known = rule_id if rule_id in guidance.registry().rules else "?"
            exc.audit = audit_event(by_username, "refused", case.reference, f"record_step {known}: {exc.code}")
            raise
        self.audit.record(by_username, "record_step", case.reference, f"{rule_id} done {day} ({source})")
        return recorded_step(row)

    def _check_step(self, case, rule_id, done_on, by_username, outcome, source):
        if source not in STEP_SOURCES:
            raise StepRejected(f"source is one of {', '.join(STEP_SOURCES)}", "bad_source")
        by = self.practitioners.recorder(by_username, StepRejected)
        check_step_rule(rule_id, case.pathway, outcome)
        day = as_date(done_on, "the date it was done", StepRejected)
        check_date(day, case.opened_on, StepRejected)
        check_open(case, day, StepRejected)
        return by, day

    def _existing_step(self, case, rule_id, day, outcome) -> Optional[RecordedStepRow]:
        query = select(RecordedStepRow).where(
            RecordedStepRow.case_id == case.id, RecordedStepRow.rule_id == rule_id, RecordedStepRow.done_on == day
        )
        row = self.session.execute(query).scalar_one_or_none()
        if row is not None and row.episode != case.episode:
            raise StepRejected(f"{rule_id} is recorded on {day} in an earlier episode of {case.reference}", "other_episode")
        if row is not None and outcome and row.outcome != outcome:
            raise StepRejected(f"{rule_id} is already recorded on {day} with outcome {row.outcome}", "conflict")
        return row

    def _add_step(self, case, rule_id, day, by, outcome, note, source) -> RecordedStepRow:
        row = RecordedStepRow(case=case, rule_id=rule_id, done_on=day, outcome=outcome, note=note, source=source,
                              episode=case.episode)
        row.recorded_by = by
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError:
            # The same step recorded at the same moment elsewhere: the unique key kept one.
            raise StepRejected(f"{rule_id} was being recorded at the same moment; try again", "concurrent") from None
        log.info("recorded step %s on case %s", rule_id, case.reference)
        return row

    def book_step(
        self, reference: str, rule_id: str, planned_for: DateLike, by_username: Optional[str], note: Optional[str] = None
    ) -> Booking:
        """Plan a step for a date (a meeting booked); it is done only once recorded as done."""
        case = self.find(reference)
        try:
            by = self.practitioners.recorder(by_username, StepRejected)
            check_step_rule(rule_id, case.pathway, None, check_outcome=False)
            day = as_date(planned_for, "the date it is booked for", StepRejected)
            if day < clock.today():
                raise StepRejected(f"{day} is in the past: record the step as done instead of booking it", "past_booking")
            check_open(case, day, StepRejected)
        except RecordRejected as exc:
            exc.audit = audit_event(by_username, "refused", case.reference, f"book_step: {exc.code}")
            raise
        query = select(BookingRow).where(
            BookingRow.case_id == case.id, BookingRow.rule_id == rule_id, BookingRow.planned_for == day,
            BookingRow.episode == case.episode,
        )
        row = self.session.execute(query).scalar_one_or_none()
        if row is None:
            row = BookingRow(case=case, rule_id=rule_id, planned_for=day, note=note, episode=case.episode)
            row.recorded_by = by
            self.session.add(row)
            self.session.flush()
        self.audit.record(by_username, "book_step", case.reference, f"{rule_id} booked for {day}")
        return booking(row)

    def record_consent(
        self,
        reference: str,
        kind: str,
        status: str,
        recorded_on: DateLike,
        by_username: Optional[str],
        given_by: Optional[str] = None,
        obtained_by: Optional[str] = None,
        basis: Optional[str] = None,
        note: Optional[str] = None,
    ) -> ConsentRecord:
        case = self.find(reference)
        try:
            by, day = self._check_consent(case, kind, status, recorded_on, by_username, basis)
        except RecordRejected as exc:
            exc.audit = audit_event(by_username, "refused", case.reference, f"record_consent: {exc.code}")
            raise
        row = self._existing_consent(case, kind, status, day, basis)
        if row is None:
            row = ConsentRow(case=case, kind=kind, status=status, recorded_on=day, basis=basis, note=note,
                             episode=case.episode)
            row.given_by = given_by
            row.obtained_by, row.recorded_by = obtained_by or by_username, by
            self.session.add(row)
            self.session.flush()
        self.audit.record(by_username, "record_consent", case.reference, f"{kind} {status} on {day}")
        return consent_record(row)

    def _check_consent(self, case, kind, status, recorded_on, by_username, basis):
        by = self.practitioners.recorder(by_username, ConsentRejected)
        check_consent(kind, status, basis)
        day = as_date(recorded_on, "the date consent was recorded", ConsentRejected)
        check_date(day, case.opened_on, ConsentRejected)
        check_open(case, day, ConsentRejected)
        return by, day

    def _existing_consent(self, case, kind, status, day, basis) -> Optional[ConsentRow]:
        query = select(ConsentRow).where(
            ConsentRow.case_id == case.id,
            ConsentRow.episode == case.episode,
            ConsentRow.kind == kind,
            ConsentRow.status == status,
            ConsentRow.recorded_on == day,
            ConsentRow.basis.is_(None) if basis is None else ConsentRow.basis == basis,
        )
        return self.session.execute(query).scalars().first()

    def set_lead_professional(
        self,
        reference: str,
        name: Optional[str],
        role: Optional[str] = None,
        agency: Optional[str] = None,
        practitioner_username: Optional[str] = None,
        *,
        by_username: Optional[str],
        from_date: DateLike = None,
        reason: Optional[str] = None,
    ) -> Person:
        """Name the case's lead professional from a day (default today); the one named before
        stays in the case's history. Naming the current one again changes nothing."""
        case = self.find(reference)
        try:
            by = self.practitioners.recorder(by_username)
            linked = self.practitioners.recorder(practitioner_username)
            name = " ".join((name or "").split()) or (linked.display_name if linked else "")
            if not name:
                raise RecordRejected("say who the lead professional is", "name_missing")
            day = as_date(from_date, "the date they took over") if from_date is not None else clock.today()
            check_not_future(day)
            check_date(day, case.opened_on)
            check_open(case, day)
            history = current(case.lead_professionals, case)
            latest = history[-1] if history else None
            if latest is not None and latest.from_date is not None and day < latest.from_date:
                raise RecordRejected(f"{latest.name} is lead professional from {latest.from_date}: "
                                     f"a change must be from that day or later", "before_current")
        except RecordRejected as exc:
            exc.audit = audit_event(by_username, "refused", case.reference, f"set_lead_professional: {exc.code}")
            raise
        if (case.lead_professional_name, case.lead_professional_role, case.lead_professional_agency) == \
                (name, role, agency) and case.lead_professional == linked and latest is not None:
            return lead_professional_of(case)
        if latest is None and case.lead_professional_name:
            # Named before changes were kept: keep them as the first, undated.
            self.session.add(LeadProfessionalRow(
                case=case, episode=case.episode, name=case.lead_professional_name, role=case.lead_professional_role,
                agency=case.lead_professional_agency, practitioner=case.lead_professional))
        self.session.add(LeadProfessionalRow(case=case, episode=case.episode, name=name[:200], role=role, agency=agency,
                                             practitioner=linked, from_date=day, reason=short_reason(reason),
                                             recorded_by=by))
        case.lead_professional_name, case.lead_professional_role = name[:200], role
        case.lead_professional_agency, case.lead_professional = agency, linked
        self.session.flush()
        who = f"practitioner #{linked.id}" if linked else "a partner outside ehbot"
        self.audit.record(by_username, "set_lead_professional", case.reference, f"lead professional is {who} from {day}")
        return lead_professional_of(case)

    def set_pathway(self, reference: str, pathway_id: str, by_username: Optional[str]) -> str:
        """Move a case to another pathway of the same guidance (e.g. another CADS outcome path)."""
        case = self.find(reference)
        try:
            self.practitioners.recorder(by_username)
            reg = guidance.registry()
            if pathway_id not in reg.pathways:
                raise RecordRejected(f"there is no pathway {pathway_id!r} in the active guidance", "unknown_pathway")
            current = reg.pathways.get(case.pathway)
            if current is None or current.pack != reg.pathway(pathway_id).pack:
                raise RecordRejected(f"{pathway_id} belongs to other guidance than this case's pathway", "other_pack")
        except RecordRejected as exc:
            exc.audit = audit_event(by_username, "refused", case.reference, f"set_pathway: {exc.code}")
            raise
        old, case.pathway = case.pathway, pathway_id
        self.session.flush()
        self.audit.record(by_username, "set_pathway", case.reference, f"{old} -> {pathway_id}")
        return pathway_id


REASON_LENGTH = 200


def short_reason(text: Optional[str]) -> Optional[str]:
    """Why something changed, in the practitioner's words, on one line and within the column."""
    text = " ".join((text or "").split())
    return text[:REASON_LENGTH] or None


def records_count(session: Session) -> int:
    """How many steps, consents and bookings are recorded on all cases (to check a turn wrote none)."""
    return sum(session.execute(select(func.count()).select_from(t)).scalar_one()
               for t in (RecordedStepRow, ConsentRow, BookingRow))
