"""The conversation's facade: what a chat front end calls. Contract first; see each docstring.

``respond(user, message, state)`` is the whole of a turn: the message is checked for a
disclosure of harm before anything else, read once (bot.language.reading), routed
(bot.conversation.router) and answered by one workflow module. The workflow methods
below are the same turns called directly (tests, the command line).

``user`` is a practitioner's username, or None for an unknown sender (who may ask
guidance questions but sees no case). ``text`` is the practitioner's whole message:
dates ("yesterday", "14/1", "next Tuesday") and case references are read from it by the
core, relative to the program's clock.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Callable, Optional, Union

from sqlalchemy.exc import InterfaceError, OperationalError

from bot import access
from bot.conversation import (
    checklist as checklists,
    episodes,
    guidance,
    ladder as ladders,
    outcome,
    reminders,
    safeguard,
    status,
    steps,
    timescales,
    wording,
)
from bot.conversation.cases import Say, open_case
from bot.conversation.reply import Reply
from bot.conversation.router import Route, route
from bot.conversation.state import Message, Proposal, Question, State
from bot.conversation.steps import CONCEPTS
from bot.db.repositories import PractitionerRepository, RecordRejected
from bot.db.session import DatabaseUnavailable
from bot.language.reading import read
from bot.safeguarding import concern, worth_a_second_look

log = logging.getLogger(__name__)

DATABASE_DOWN = wording.DATABASE_DOWN
PARTIES = {"family": "disagreement_family", "agency": "disagreement_agency"}
# Buttons offered when the words did not name a step ehbot knows.
COMMON_STEPS = (
    ("Consent given", "consent_given"),
    ("Team manager signed it off", "team_manager_sign_off"),
    ("Lead professional agreed", "lead_professional_agreed"),
    ("Initial FPM booked", "family_planning_meeting_booked"),
    ("Referrer updated", "referrer_updated"),
)


# How sure the NLU must be that a message tells of harm for its second opinion to count
# (bot/safeguarding reads every message itself; this catches words it has no pattern for).
NLU_DISCLOSURE = 0.9


def _nlu_hears_harm(message: Message) -> bool:
    return (bool(message.text) and message.intent == "disclosure" and message.confidence >= NLU_DISCLOSURE
            and worth_a_second_look(message.text))


def _comparable(text: str) -> bool:
    """Text a database can look up: no NUL and no lone surrogates (which no real sender id has,
    and which the drivers refuse with an error instead of "not found")."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Conversation:
    def __init__(self, session_scope: Optional[Callable] = None):
        """``session_scope()`` gives a context manager yielding a SQLAlchemy session
        (committed on success). Default: the configured database, engine made lazily
        on first use, never at import."""
        self._session_scope = session_scope
        self._engine = None

    # ---- plumbing -------------------------------------------------------------

    @contextmanager
    def _default_scope(self):
        from bot.db.session import make_engine, session_scope

        if self._engine is None:
            self._engine = make_engine()
        with session_scope(self._engine) as session:
            yield session

    def _run(self, work: Callable) -> Reply:
        """One turn in one transaction: all of it is recorded, or none of it."""
        scope = self._session_scope or self._default_scope
        try:
            with scope() as session:
                try:
                    return work(session)
                except Say as say:
                    return say.reply  # a question or refusal: its audit row is still committed
        except (DatabaseUnavailable, OperationalError, InterfaceError) as exc:
            # Unreachable, or gone mid-turn: the transaction rolled back, so nothing is half-recorded.
            log.warning("the case database is unavailable (%s); nothing recorded", type(exc).__name__)
            return Reply(wording.DATABASE_DOWN, unchanged=True)
        except RecordRejected as exc:
            return Reply(wording.rejected(exc.reason))

    # ---- who is asking ---------------------------------------------------------

    def identify(self, channel: str, sender_id: str) -> Optional[str]:
        """The practitioner's username for a sender, or None if unknown.
        channel: "rest"/"cmdline" (sender id is the username), "slack" (Slack user id),
        "botframework" (Teams user id). Raises DatabaseUnavailable when the database cannot
        be asked: a sender who cannot be checked is not an unknown sender (whose proposal
        would be refused as someone else's)."""
        lookups = {
            "rest": PractitionerRepository.by_username,
            "cmdline": PractitionerRepository.by_username,
            "slack": PractitionerRepository.by_slack_user_id,
            "botframework": PractitionerRepository.by_teams_user_id,
        }
        lookup = lookups.get(channel)
        if lookup is None or not sender_id or not _comparable(sender_id):
            return None
        try:
            with (self._session_scope or self._default_scope)() as session:
                user = lookup(PractitionerRepository(session), sender_id)
                return user.username if access.active(user) else None
        except (OperationalError, InterfaceError) as exc:
            raise DatabaseUnavailable("the case database was lost while identifying the sender") from exc

    # ---- a whole turn ------------------------------------------------------------

    def respond(self, user: Optional[str], message: Union[Message, str], state: Optional[State] = None) -> Reply:
        """Everything a front end needs for one message: the reply, and (``Reply.slots()``)
        what to keep. A disclosure of harm gets the safe reply and nothing else."""
        message = message if isinstance(message, Message) else Message(str(message or ""))
        state = state or State()
        if concern(message.text) is not None:
            return self._safeguarding(user, state)
        if not message.text and state.asking is not None and state.asking.words and not message.entity("reminder"):
            # A button has no words of its own: it finishes the request it answers.
            message = Message(state.asking.words, message.intent, message.confidence, message.entities)
        reading = read(message.text)
        chosen = route(reading, message, state, known_user=bool(user))
        reply = self._follow(user, chosen, reading.text, state, message)
        # The detector let it pass but the NLU and some worrying words say it may tell of harm:
        # the usual answer, after a line on acting on harm, and its words kept nowhere.
        return safeguard.with_a_reminder(reply) if _nlu_hears_harm(message) else reply

    def _safeguarding(self, user: Optional[str], state: State) -> Reply:
        def work(session):
            safeguard.record(session, user, state.case_ref)
            return safeguard.reply(kept_proposal=state.pending is not None)

        reply = self._run(work)
        if reply.text == wording.DATABASE_DOWN:  # the audit row could not be written: the reply still matters
            reply = safeguard.reply(kept_proposal=state.pending is not None)
        return reply

    def _follow(self, user: Optional[str], chosen: Route, text: str, state: State, message: Message) -> Reply:
        w, case, concept, args = chosen.workflow, chosen.case, chosen.concept, chosen.args
        if w == "restart":
            return Reply(wording.RESTARTED, restart=True)
        if w == "cancel":
            return self.cancel(user, state.pending)
        if w == "confirm":
            return self.confirm(user, state.pending, only=args.get("only", False))
        if w == "reminder":
            return self.reminder_pressed(user, args["reminder"], args["press"], args.get("remind_on"))
        if w == "nothing_for_yes":
            return Reply(wording.NOTHING_FOR_YES)
        if w in ("greeting", "thanks", "goodbye", "bot_challenge", "out_of_scope"):
            return Reply({"greeting": wording.GREETING, "thanks": wording.THANKS, "goodbye": wording.GOODBYE,
                          "bot_challenge": wording.I_AM_A_BOT, "out_of_scope": wording.OUT_OF_SCOPE}[w], unchanged=True)
        if w == "help":
            return self.help(user)
        if w == "guidance":
            return self.answer_question(user, text)
        if w == "case_for_unknown":
            return self._run(lambda s: open_case(s, user, case, text, "view"))  # refuses, and says why
        if w == "due":
            return self.due(user, args["scope"], text)
        if w == "timeliness":
            return self._run(lambda s: timescales.summary(s, user))
        if w == "status":
            return self.case_status(user, case, text, everything=args.get("everything", False))
        if w == "why":
            return self.why(user, case, state.focus_rule)
        if w == "resume":
            return self.respond(user, Message(f"{args['words']} {case}", message.intent, message.confidence), state)
        if case is None and w not in ("checklist", "ladder"):
            return Reply(wording.ASK_REFERENCE, asking=Question("which_case", words=text))
        if w == "close":
            return self._run(lambda s: episodes.propose_close(s, user, case, text))
        if w == "reopen":
            return self._run(lambda s: episodes.propose_reopen(s, user, case, text))
        if w == "move":
            # Words of a move that name a step ("contact made to the Front Door" on a contact's own
            # pathway) record the step where the pathway gives no move that way.
            step = (lambda s: steps.propose(s, user, concept, text, case)) if concept and not args["asking"] else None
            return self._run(lambda s: episodes.propose_move(s, user, case, text, args["towards"], args["asking"],
                                                             otherwise=step and (lambda: step(s))))
        if w == "history":
            return self._run(lambda s: episodes.history(s, user, case, text, args.get("everything", False)))
        if w == "outcome":
            return self.report_outcome(user, args.get("words") or text, case_ref=case, path=args.get("path"))
        if w == "checklist":
            return self.step_down_checklist(user, case, answer=args.get("answer"), item=args.get("item"))
        if w == "ladder":
            return self.lead_professional_ladder(user, case, found=args.get("found"), text=text)
        if w == "step_down":
            return self.case_status(user, case, text)
        if w == "which_step":
            return Reply(wording.WHICH_STEP, case_reference=case, asking=Question("which_step", case=case, words=text),
                         buttons=[(t, wording.payload("case_report", concept=c)) for t, c in COMMON_STEPS])
        if w == "may_i":
            return self._run(lambda s: steps.may_i(s, user, concept, text, case))
        if w == "not_done":
            return self._run(lambda s: steps.not_done(s, user, concept, text, case))
        if w == "correct":
            return self._run(lambda s: steps.correct(s, user, concept, text, case))
        return self.propose_step(user, concept, text, case_ref=case)

    # ---- workflows, one call each --------------------------------------------------

    def report_outcome(self, user: Optional[str], text: str, case_ref: Optional[str] = None, path: Optional[str] = None) -> Reply:
        """"I've finished a CADS assessment, threshold not met for C-1042": the recorded
        pathway unless another path is named (then a move is proposed), the outcome
        proposed (nothing written until yes), and the checks once it is recorded."""
        return self._run(lambda s: outcome.report(s, user, text, case_ref, path))

    def case_status(self, user: Optional[str], case_ref: Optional[str], text: str = "", everything: bool = False) -> Reply:
        """"What's left on C-1042?": what is next, overdue, blocked, to do, done, cited."""
        return self._run(lambda s: status.case_status(s, user, case_ref, text, everything))

    def propose_step(self, user: Optional[str], concept: str, text: str, case_ref: Optional[str] = None) -> Reply:
        """A practitioner says something is done (concept from CONCEPTS): the case, the rule,
        the date (from text; default today), who, and the outcome; refused with a clear
        reason (a future date for something done, before the case opened, nothing matching
        open on this pathway, case not visible); otherwise a Reply whose ``pending`` holds
        the proposal and whose first line says exactly what would be recorded."""
        if concept not in CONCEPTS:
            # Not echoed: it came from the message, and a reply must never repeat what it cannot vouch for.
            return Reply(wording.DONT_KNOW_STEP)
        return self._run(lambda s: steps.propose(s, user, concept, text, case_ref))

    def may_i(self, user: Optional[str], concept: str, text: str, case_ref: Optional[str] = None) -> Reply:
        """"Can I tell the referrer yet?": allowed now or not, what blocks it, by when. Records nothing."""
        return self._run(lambda s: steps.may_i(s, user, concept, text, case_ref))

    def confirm(self, user: Optional[str], pending: Optional[Proposal], only: bool = False) -> Reply:
        """Record a confirmed proposal (who and when), then say what comes next. A family's
        step goes on the linked siblings' cases it names too, unless ``only`` (this case)."""
        pending = Proposal.from_slot(pending)
        if pending is None:
            return Reply(wording.NOTHING_WAITING)
        if only:
            pending = pending.but(also=())
        if not user or pending.by != user:
            return Reply(wording.SOMEONE_ELSES)
        return self._run(lambda s: steps.confirm(s, user, pending))

    def cancel(self, user: Optional[str], pending: Optional[Proposal]) -> Reply:
        """The practitioner said no: nothing is recorded."""
        pending = Proposal.from_slot(pending)
        if pending is None:
            return Reply(wording.CANCELLED_NOTHING)
        return Reply(wording.CANCELLED, case_reference=pending.case)

    def reminder_pressed(self, user: Optional[str], reminder_id: str, press: str, remind_on: Optional[str] = None) -> Reply:
        """A button on a reminder post (press "done", "hold" with ``remind_on`` an ISO date, or
        "why"), for someone who may see the case: "done" proposes the step (nothing is recorded
        until yes), "hold" keeps the item's next due-soon or due-today reminder back until that
        day, "why" quotes the rule. Anyone else is refused and nothing changes."""
        return self._run(lambda s: reminders.pressed(s, user, reminder_id, press, remind_on))

    def why(self, user: Optional[str], case_ref: Optional[str], rule_id: Optional[str]) -> Reply:
        """"Why?": the cited sentence behind the step in focus (document, section, quote)."""
        return self._run(lambda s: status.why(s, user, case_ref, rule_id))

    def due(self, user: Optional[str], scope: str, text: str = "") -> Reply:
        """"What's due on my cases this week?" (scope "mine") / "what's overdue in my team?"
        (scope "team", team managers only)."""
        return self._run(lambda s: status.due(s, user, scope, text))

    def answer_question(self, user: Optional[str], text: str) -> Reply:
        """A guidance question, answered from the packs' knowledge rules with the document
        and section named, or "the guidance doesn't cover that"."""
        return guidance.answer(text)

    def step_down_checklist(self, user: Optional[str], case_ref: Optional[str], answer: Optional[bool] = None,
                            item: Optional[str] = None) -> Reply:
        """The team manager's pre-closure checklist, asked item by item (``asking`` names
        the item); answer True records it, False notes it as outstanding. ``item`` is the
        item answered (the last reply's ``asking``); without it, the first not yet recorded."""
        return self._run(lambda s: checklists.checklist(s, user, case_ref, answer, item))

    def lead_professional_ladder(self, user: Optional[str], case_ref: Optional[str], found: Optional[bool] = None,
                                 text: str = "") -> Reply:
        """"No one will take the LP role": the challenge-and-support ladder, rung by rung.
        found None asks about the current rung; True proposes naming the lead professional
        (who, from text); False proposes recording that this rung found no one."""
        return self._run(lambda s: ladders.ladder(s, user, case_ref, found, text))

    def record_disagreement(self, user: Optional[str], case_ref: Optional[str], party: str, text: str = "") -> Reply:
        """"Mum disagrees with the step-down" (party "family") / "the school doesn't agree"
        (party "agency"): propose recording it, with the deadline the guidance sets for
        resolving it (5 working days on a step-down; the CADS guidance sets none)."""
        concept = PARTIES.get(party)
        if concept is None:
            return Reply(wording.WHO_DISAGREES,
                         buttons=[("The family", wording.payload("case_report", party="family")),
                                  ("An agency", wording.payload("case_report", party="agency"))])
        return self._run(lambda s: steps.propose(s, user, concept, text, case_ref))

    def help(self, user: Optional[str]) -> Reply:
        """What the assistant can do, for this user (an unknown sender is told they can ask
        guidance questions only)."""

        def work(session):
            found = PractitionerRepository(session).by_username(user) if user else None
            if not access.active(found):
                return Reply(wording.help_unknown())
            return Reply(wording.help_text(found.display_name, access.leads_team(found)))

        return self._run(work)

