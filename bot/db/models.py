"""The case database: teams, practitioners, cases, consents, recorded steps, audit.

A child's name is kept in one column only (``cases.child_name``); every other
table refers to the case by id or reference.
"""
from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    inspect,
)
from sqlalchemy.orm import Session, declarative_base, relationship, validates
from sqlalchemy.orm.attributes import flag_modified

from bot import clock

# Fixed constraint names, so migrations say the same thing on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)
Base = declarative_base(metadata=metadata)

# Free text in the database (adding a role needs no migration), checked here.
ROLES = (
    "social_worker",
    "team_manager",
    "caf_link_worker",
    "front_door_officer",
    "early_help_worker",
    "family_support_worker",
    "eh_ss_manager",
    "cadsso_team_manager",
    "line_manager",
    "lead_professional",
    "admin",
)
STEP_SOURCES = ("chat", "cli", "import", "demo", "move")  # move: the first step a move between pathways records
AUDIT_ACTIONS = ("view", "record_step", "record_consent", "set_lead_professional", "import", "refused",
                 "close_case", "reopen_case", "hold_reminder", "weekly_message")

# Steps, consents and bookings belong to the episode they were recorded in; a case's
# pathway is evaluated on its current episode's records only.
FIRST_EPISODE = 1


class Team(Base):
    __tablename__ = "teams"
    id = Column(Integer, primary_key=True)
    name = Column(String(120), nullable=False, unique=True)
    slack_channel_id = Column(String(64))
    teams_webhook_url = Column(String(500))


class Practitioner(Base):
    __tablename__ = "practitioners"
    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(120), nullable=False)
    role = Column(String(40), nullable=False)
    team_id = Column(Integer, ForeignKey("teams.id"))
    email = Column(String(254))
    slack_user_id = Column(String(64), unique=True)
    teams_user_id = Column(String(128), unique=True)
    active = Column(Boolean, nullable=False, default=True)
    # Opted in to a direct message each week of what is due on their cases.
    weekly_due_message = Column(Boolean, nullable=False, default=False, server_default=false())

    team = relationship(Team)

    @validates("role")
    def _check_role(self, _key, role):
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} (known: {', '.join(ROLES)})")
        return role


class Case(Base):
    __tablename__ = "cases"
    id = Column(Integer, primary_key=True)
    reference = Column(String(32), nullable=False, unique=True)
    pathway = Column(String(100), nullable=False)
    team_id = Column(Integer, ForeignKey("teams.id"), nullable=False)
    child_name = Column(String(200), nullable=False)
    opened_on = Column(Date, nullable=False)
    # opened_on and closed_on are the current episode's (case_episodes keeps every episode).
    closed_on = Column(Date, index=True)
    episode = Column(Integer, nullable=False, default=FIRST_EPISODE, server_default=str(FIRST_EPISODE))
    # Siblings' cases linked as one family share this key ("F" and a number; never a name).
    family = Column(String(20), index=True)
    allocated_worker_id = Column(Integer, ForeignKey("practitioners.id"))
    team_manager_id = Column(Integer, ForeignKey("practitioners.id"))
    caf_link_worker_id = Column(Integer, ForeignKey("practitioners.id"))
    referrer_name = Column(String(200))
    referrer_agency = Column(String(200))
    referrer_advice_only = Column(Boolean)  # None: not recorded
    lead_professional_name = Column(String(200))
    lead_professional_role = Column(String(120))
    lead_professional_agency = Column(String(200))
    lead_professional_id = Column(Integer, ForeignKey("practitioners.id"))
    # The first day after the last reminder scan on which one of the case's steps
    # can reach a new reminder stage (NEVER_DUE: none can until the case changes).
    # NULL: evaluate it at the next scan. Any write to the case's data sets it
    # back to NULL (see _case_data_changed below); bot/notify/scanner.py sets it.
    next_reminder_on = Column(Date, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=clock.now)
    # Also the case data's version: every write to the case's data moves it on, and the
    # scanner stores a next reminder date only if it has not moved since the case was read.
    updated_at = Column(DateTime(timezone=True), nullable=False, default=clock.now, onupdate=clock.now)

    team = relationship(Team)
    allocated_worker = relationship(Practitioner, foreign_keys=[allocated_worker_id])
    team_manager = relationship(Practitioner, foreign_keys=[team_manager_id])
    caf_link_worker = relationship(Practitioner, foreign_keys=[caf_link_worker_id])
    lead_professional = relationship(Practitioner, foreign_keys=[lead_professional_id])
    # Ties on a date keep the order they were recorded in, whichever way the case is loaded.
    steps = relationship("RecordedStepRow", back_populates="case",
                         order_by="[RecordedStepRow.done_on, RecordedStepRow.id]")
    consents = relationship("ConsentRow", back_populates="case", order_by="[ConsentRow.recorded_on, ConsentRow.id]")
    bookings = relationship("BookingRow", back_populates="case", order_by="[BookingRow.planned_for, BookingRow.id]")
    episodes = relationship("EpisodeRow", back_populates="case", order_by="EpisodeRow.number")
    lead_professionals = relationship("LeadProfessionalRow", back_populates="case",
                                      order_by="[LeadProfessionalRow.episode, LeadProfessionalRow.id]")  # in the order recorded: each from the last one's day or later


class EpisodeRow(Base):
    """One episode of work with a case: from opening (or reopening after a re-referral) to closing.

    The case row holds the current episode's dates and people; this keeps each episode's,
    so that a reopened case's earlier history stays readable. ``close_reason`` and
    ``reopen_reason`` are case data (shown to those who may see the case), never audited.
    """

    __tablename__ = "case_episodes"
    __table_args__ = (UniqueConstraint("case_id", "number", name="uq_case_episodes_case_number"),)
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=False, index=True)
    number = Column(Integer, nullable=False)
    pathway = Column(String(100), nullable=False)
    opened_on = Column(Date, nullable=False)
    reopen_reason = Column(String(200))
    closed_on = Column(Date)
    close_reason = Column(String(200))
    lead_professional_name = Column(String(200))  # who led this episode, kept when it closes
    lead_professional_role = Column(String(120))
    # A move between pathways (the guidance's, by move id) ends one episode and opens the next.
    moved_by_move = Column(String(100))  # on the episode a move opened
    opened_by_id = Column(Integer, ForeignKey("practitioners.id"))
    closed_by_id = Column(Integer, ForeignKey("practitioners.id"))
    recorded_at = Column(DateTime(timezone=True), nullable=False, default=clock.now)

    case = relationship(Case, back_populates="episodes")
    opened_by = relationship(Practitioner, foreign_keys=[opened_by_id])
    closed_by = relationship(Practitioner, foreign_keys=[closed_by_id])


class LeadProfessionalRow(Base):
    """Who was lead professional on a case, from when and why: the latest is the case's
    current one (kept on the case row too); the earlier ones stay as history. The name and
    reason are case data (shown to those who may see the case), never audited."""

    __tablename__ = "lead_professional_changes"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=False, index=True)
    episode = Column(Integer, nullable=False, default=FIRST_EPISODE)
    name = Column(String(200), nullable=False)
    role = Column(String(120))
    agency = Column(String(200))
    practitioner_id = Column(Integer, ForeignKey("practitioners.id"))
    from_date = Column(Date)  # None: named before changes were dated (carried from the case row)
    reason = Column(String(200))
    recorded_by_id = Column(Integer, ForeignKey("practitioners.id"))
    recorded_at = Column(DateTime(timezone=True), nullable=False, default=clock.now)

    case = relationship(Case, back_populates="lead_professionals")
    practitioner = relationship(Practitioner, foreign_keys=[practitioner_id])
    recorded_by = relationship(Practitioner, foreign_keys=[recorded_by_id])


class ConsentRow(Base):
    """Consent to engage ('engage') and a lawful basis to share ('share'), kept apart."""

    __tablename__ = "consent_records"
    __table_args__ = (
        CheckConstraint("kind IN ('engage', 'share')", name="kind"),
        CheckConstraint("status IN ('given', 'declined', 'advice_only')", name="status"),
    )
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=False, index=True)
    kind = Column(String(10), nullable=False)
    status = Column(String(20), nullable=False)
    recorded_on = Column(Date, nullable=False)
    given_by = Column(String(120))
    obtained_by = Column(String(120))
    basis = Column(String(120))
    note = Column(Text)
    episode = Column(Integer, nullable=False, default=FIRST_EPISODE, server_default=str(FIRST_EPISODE))
    recorded_by_id = Column(Integer, ForeignKey("practitioners.id"))
    recorded_at = Column(DateTime(timezone=True), nullable=False, default=clock.now)

    case = relationship(Case, back_populates="consents")
    recorded_by = relationship(Practitioner)


class RecordedStepRow(Base):
    __tablename__ = "recorded_steps"
    # One row per case, rule and day: re-imports and retried chat turns never double-record.
    __table_args__ = (
        UniqueConstraint("case_id", "rule_id", "done_on", name="uq_recorded_steps_case_rule_day"),
        Index("ix_recorded_steps_case_rule", "case_id", "rule_id"),
    )
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=False)
    rule_id = Column(String(100), nullable=False)
    done_on = Column(Date, nullable=False)
    outcome = Column(String(60))
    note = Column(Text)
    source = Column(String(10), nullable=False, default="chat")
    episode = Column(Integer, nullable=False, default=FIRST_EPISODE, server_default=str(FIRST_EPISODE))
    recorded_by_id = Column(Integer, ForeignKey("practitioners.id"))
    recorded_at = Column(DateTime(timezone=True), nullable=False, default=clock.now)

    case = relationship(Case, back_populates="steps")
    recorded_by = relationship(Practitioner)


class BookingRow(Base):
    """A step planned for a date ("initial FPM booked for 14 Jan"): not done until recorded."""

    __tablename__ = "step_bookings"
    __table_args__ = (UniqueConstraint("case_id", "rule_id", "planned_for", name="uq_step_bookings_case_rule_day"),)
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=False, index=True)
    rule_id = Column(String(100), nullable=False)
    planned_for = Column(Date, nullable=False)
    note = Column(Text)
    episode = Column(Integer, nullable=False, default=FIRST_EPISODE, server_default=str(FIRST_EPISODE))
    recorded_by_id = Column(Integer, ForeignKey("practitioners.id"))
    recorded_at = Column(DateTime(timezone=True), nullable=False, default=clock.now)

    case = relationship(Case, back_populates="bookings")
    recorded_by = relationship(Practitioner)


# A next reminder date for a case none of whose steps can reach a new stage as days pass.
NEVER_DUE = dt.date(9999, 12, 31)


class AuditEvent(Base):
    """Who did what to which case. ``detail`` holds ids, rule ids and dates, never names."""

    __tablename__ = "audit_events"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, default=clock.now, index=True)
    actor = Column(String(64), nullable=False)
    action = Column(String(32), nullable=False)
    case_reference = Column(String(32), index=True)
    detail = Column(String(300), nullable=False, default="")


# ---- reminders (the outbox the notifier fills and empties) ---------------------------

REMINDER_STAGES = ("due_soon", "due_today", "overdue", "escalated")
REMINDER_STATUSES = ("pending", "sending", "sent", "failed")
CHANNEL_KINDS = ("slack", "teams")


class Reminder(Base):
    """One reminder to a team's channel: a case's step at one stage of one due date.

    Nothing here names a child or family member: the message is built from the
    case reference, the rule and the practitioners' handles (see docs/reminders.md).
    """

    __tablename__ = "reminders"
    __table_args__ = (
        # The scanner inserts if absent on this key: running it again changes nothing.
        UniqueConstraint("case_id", "rule_id", "due_on", "stage", name="uq_reminders_case_rule_due_stage"),
        CheckConstraint("stage IN ('due_soon', 'due_today', 'overdue', 'escalated')", name="stage"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
        CheckConstraint("channel_kind IN ('slack', 'teams')", name="channel_kind"),
        Index("ix_reminders_status_next_attempt", "status", "next_attempt_at"),
    )
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=False)
    rule_id = Column(String(100), nullable=False)
    due_on = Column(Date, nullable=False)
    stage = Column(String(12), nullable=False)
    # Who to name in the post, as seen by the scanner: a username (for a Slack or
    # Teams mention) and the guidance's role name, never a free-text name.
    owner_label = Column(String(120))
    owner_username = Column(String(64))
    escalate_to_label = Column(String(120))
    escalate_to_username = Column(String(64))
    local_policy = Column(Boolean, nullable=False, default=False)  # escalation set by the deployment, not the guidance
    status = Column(String(10), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    # pending: not before this (NULL: at once); sending: the claim lapses at this time.
    next_attempt_at = Column(DateTime(timezone=True))
    last_error = Column(String(200))  # a short reason, never personal data
    channel_kind = Column(String(10))
    destination = Column(String(100))  # Slack channel id, or a Teams webhook key (never the URL: it is a secret)
    message_id = Column(String(100))  # Slack ts, or the Teams workflow run id
    sent_at = Column(DateTime(timezone=True))
    claimed_by = Column(String(100))
    claimed_at = Column(DateTime(timezone=True))  # the first claim: reconciliation searches the channel from here
    created_at = Column(DateTime(timezone=True), nullable=False, default=clock.now)

    case = relationship(Case)


# A practitioner's "remind me on ..." can hold back only these: never an overdue step or an escalation.
HOLDABLE_STAGES = ("due_soon", "due_today")


class ReminderHold(Base):
    """"Remind me on <date>", pressed on a reminder: the item's next due-soon or due-today
    reminder (same case, rule and due date) is not posted before ``until``. The due date
    never moves. One row per item, the latest choice, with who made it and when; every
    choice is also in the audit trail."""

    __tablename__ = "reminder_holds"
    __table_args__ = (UniqueConstraint("case_id", "rule_id", "due_on", name="uq_reminder_holds_case_rule_due"),)
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=False)
    rule_id = Column(String(100), nullable=False)
    due_on = Column(Date, nullable=False)
    until = Column(Date, nullable=False)
    reminder_id = Column(Integer, ForeignKey("reminders.id"), nullable=False)  # the post whose button was pressed
    held_by_id = Column(Integer, ForeignKey("practitioners.id"), nullable=False)
    held_at = Column(DateTime(timezone=True), nullable=False, default=clock.now)

    held_by = relationship(Practitioner)


class WeeklyMessage(Base):
    """A practitioner's weekly direct message of what is due, one row per practitioner and
    week (the Monday): claimed before it is posted, so two workers never both post it."""

    __tablename__ = "weekly_messages"
    __table_args__ = (UniqueConstraint("practitioner_id", "week_of", name="uq_weekly_messages_practitioner_week"),)
    id = Column(Integer, primary_key=True)
    practitioner_id = Column(Integer, ForeignKey("practitioners.id"), nullable=False)
    week_of = Column(Date, nullable=False)
    status = Column(String(10), nullable=False, default="sending")  # sending, sent, unknown, failed
    attempts = Column(Integer, nullable=False, default=1)
    claimed_at = Column(DateTime(timezone=True), nullable=False, default=clock.now)
    sent_at = Column(DateTime(timezone=True))
    message_ts = Column(String(64))
    error = Column(String(200))  # the channel's refusal, never the message


class AppState(Base):
    """Small values kept between runs, by key (e.g. what the reminder dates were worked out under)."""

    __tablename__ = "app_state"
    key = Column(String(64), primary_key=True)
    value = Column(Text, nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=clock.now, onupdate=clock.now)


# ---- a write to a case's data makes the reminder scanner look at it again -----------------

# Rows that are part of a case's data: writing one changes what the case's reminders are.
CASE_DATA_ROWS = (RecordedStepRow, ConsentRow, BookingRow, EpisodeRow, LeadProfessionalRow)
# Case columns that are bookkeeping, not case data.
_NOT_CASE_DATA = frozenset({"next_reminder_on", "updated_at", "created_at"})


def _changed(obj, ignore=frozenset()) -> bool:
    state = inspect(obj)
    return any(attr.key not in ignore and attr.history.has_changes() for attr in state.attrs)


@event.listens_for(Session, "before_flush")
def _case_data_changed(session, _context, _instances):
    """Every write to a case's data (a step, booking, consent, person, pathway, closing or
    reopening, from the chat, the CLI, an import or the demo) clears its next reminder date
    in the same flush, so the next scan evaluates it. Done here, once, rather than in each
    write path, so that no path (and no future one) can forget it."""
    touched = {}
    for obj in itertools.chain(session.dirty, session.new, session.deleted):
        if isinstance(obj, Case):
            if obj not in session.new and obj not in session.deleted and _changed(obj, _NOT_CASE_DATA):
                touched[id(obj)] = obj
        elif isinstance(obj, CASE_DATA_ROWS):
            if obj in session.dirty and not _changed(obj):
                continue
            case = obj.case if obj.case is not None else (
                session.get(Case, obj.case_id) if obj.case_id is not None else None)
            if case is not None and case not in session.new:
                touched[id(case)] = case
    for case in touched.values():
        # updated_at is set even when the date is already NULL: it is how a scan that read
        # the case before this write knows not to store a date worked out from old data.
        case.next_reminder_on = None
        # Written even if this session's copy already says NULL: the scanner may have
        # stored a date since the case was loaded here.
        flag_modified(case, "next_reminder_on")
        case.updated_at = clock.now()
