"""The operations a chat front end calls. Contract first; see each docstring.

``user`` is a practitioner's username, or None for an unknown sender (who may
ask guidance questions but sees no case). ``text`` is the practitioner's whole
message: dates ("yesterday", "14/1", "next Tuesday") and case references are
read from it by the core, relative to the program's clock.
"""
from __future__ import annotations

from typing import Callable, Optional

from bot.conversation.reply import Reply

# What a practitioner can say they have done, in shared words; each maps to the
# right rule of the case's own guidance pack (bot/conversation/concepts.yaml).
CONCEPTS = (
    "assessment_outcome",  # "I've finished a CADS assessment, threshold not met"
    "recommendation_to_team_manager",  # "I've shared my recommendation with the TM"
    "team_manager_sign_off",  # "the TM signed it off this morning"
    "referrer_updated",  # "I've updated the referrer"
    "caf_link_worker_alerted",  # "case note sent to CLW EHM"
    "consent_given",  # "mum gave consent today"
    "consent_declined",  # "dad declined consent"
    "consent_advice_only",  # "they only wanted advice, no consent yet"
    "lead_professional_agreed",  # "the school nurse agreed to be lead professional"
    "no_lead_professional",  # "no one will take the LP role"
    "family_planning_meeting_booked",  # "initial FPM booked for 14 Jan" (a booking, future date)
    "family_planning_meeting_held",  # "we held the FPM yesterday"
    "final_cin_meeting_held",  # "final CIN was on Monday"
    "disagreement_family",  # "mum disagrees with the step-down"
    "disagreement_agency",  # "the school doesn't agree threshold isn't met"
    "disagreement_resolved",  # "the disagreement is resolved"
    "referral_to_ehm",  # "referral to EHM done"
    "telephone_contact",  # "phoned the family today"
    "personal_contact",  # "saw the family at home on Friday"
    "caf_completed",  # "CAF completed"
    "taf_meeting_held",  # "first TAF was held on the 3rd"
    "taf_minutes_shared",  # "TAF minutes sent out"
)


class Conversation:
    def __init__(self, session_scope: Optional[Callable] = None):
        """``session_scope()`` gives a context manager yielding a SQLAlchemy session
        (committed on success). Default: the configured database, engine made lazily
        on first use, never at import."""
        self._session_scope = session_scope

    def identify(self, channel: str, sender_id: str) -> Optional[str]:
        """The practitioner's username for a sender, or None if unknown.
        channel: "rest"/"cmdline" (sender id is the username), "slack" (Slack user id),
        "botframework" (Teams user id)."""
        raise NotImplementedError

    def report_outcome(self, user: Optional[str], text: str, case_ref: Optional[str] = None, path: Optional[str] = None) -> Reply:
        """"I've finished a CADS assessment, threshold not met for C-1042": find the case
        (ask if missing/ambiguous/not visible), ask which outcome path if not said
        (path: "link_existing_caf" | "progress_to_caf" | "signpost_early_help" | None), then
        propose recording the outcome (pending) and show the checks: consent, lead
        professional, team manager sign-off, deadlines."""
        raise NotImplementedError

    def case_status(self, user: Optional[str], case_ref: Optional[str], text: str = "") -> Reply:
        """"What's left on C-1042?": done, next, blocked (by what), due and overdue, cited."""
        raise NotImplementedError

    def propose_step(self, user: Optional[str], concept: str, text: str, case_ref: Optional[str] = None) -> Reply:
        """A practitioner says something is done (concept from CONCEPTS): work out the case,
        the rule, the date (from text; default today), who, and the outcome; refuse with a
        clear reason (future date for something done, before the case opened, nothing
        matching open on this pathway, case not visible); otherwise return a Reply whose
        ``pending`` holds the proposal and whose text asks to confirm it."""
        raise NotImplementedError

    def confirm(self, user: Optional[str], pending: dict) -> Reply:
        """Record a confirmed proposal (who and when), then say what comes next."""
        raise NotImplementedError

    def cancel(self, user: Optional[str], pending: Optional[dict]) -> Reply:
        """The practitioner said no: nothing is recorded."""
        raise NotImplementedError

    def why(self, user: Optional[str], case_ref: Optional[str], rule_id: Optional[str]) -> Reply:
        """"Why?": the cited sentence behind the step in focus (document, section, quote)."""
        raise NotImplementedError

    def due(self, user: Optional[str], scope: str, text: str = "") -> Reply:
        """"What's due on my cases this week?" (scope "mine") / "what's overdue in my team?"
        (scope "team", team managers only)."""
        raise NotImplementedError

    def answer_question(self, user: Optional[str], topic: Optional[str], text: str) -> Reply:
        """A guidance question, answered from the packs' knowledge rules with the document
        and section named; topic is a knowledge topic id (e.g. "consent", "advice-only",
        "declined-consent", "anonymous-advice", "inform-family-exceptions",
        "transfer-to-early-help", "caf-support-panel", "timescales") or None."""
        raise NotImplementedError

    def step_down_checklist(self, user: Optional[str], case_ref: Optional[str], answer: Optional[bool] = None) -> Reply:
        """The team manager's pre-closure checklist, asked item by item (``asking`` names
        the item); answer True records it, False notes it as outstanding."""
        raise NotImplementedError

    def help(self, user: Optional[str]) -> Reply:
        """What the assistant can do, for this user (an unknown sender is told they can ask
        guidance questions only)."""
        raise NotImplementedError
