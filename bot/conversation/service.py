"""The operations a chat front end calls. Contract first; see each docstring.

``user`` is a practitioner's username, or None for an unknown sender (who may
ask guidance questions but sees no case). ``text`` is the practitioner's whole
message: dates ("yesterday", "14/1", "next Tuesday") and case references are
read from it by the core, relative to the program's clock.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from contextlib import contextmanager
from typing import Callable, Optional

from sqlalchemy.exc import InterfaceError, OperationalError

from bot import access, clock
from bot.conversation import knowledge, phrases, proposals, wording
from bot.conversation.cases import OpenCase, Say, open_case, user_of
from bot.conversation.concepts import Candidate, concepts, pick
from bot.conversation.reply import Reply
from bot.db.repositories import (
    AuditLog,
    CaseRepository,
    PractitionerRepository,
    RecordRejected,
)
from bot.db.session import DatabaseUnavailable
from bot.guidance import registry
from bot.pathways import DONE, evaluate
from bot.render import day, due_words

log = logging.getLogger(__name__)

DATABASE_DOWN = "I can't reach the case records just now; nothing was recorded. Please try again shortly."
CADS_PACK = "cads-outcome-to-caf"
STEP_DOWN_PACK = "step-down-csc-to-caf"
CHECKLIST = "stepdown.checklist-"
YES_NO = [("Yes", "/affirm"), ("No", "/deny")]
# Buttons for the three CADS outcome paths; the payload carries the path as an entity.
PATH_BUTTONS = [
    (title, '/report_outcome{"outcome_path":"%s"}' % path) for path, title in phrases.PATH_TITLES.items()
]
PARTIES = {"family": "disagreement_family", "agency": "disagreement_agency"}

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
            return Reply(DATABASE_DOWN, unchanged=True)
        except RecordRejected as exc:
            return Reply(f"Nothing was recorded: {exc.reason}.")

    @staticmethod
    def _names(session) -> dict:
        return {u: p.display_name for u, p in PractitionerRepository(session).all_by_username().items()}

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

    # ---- outcomes, steps, confirmation ----------------------------------------------

    def report_outcome(self, user: Optional[str], text: str, case_ref: Optional[str] = None, path: Optional[str] = None) -> Reply:
        """"I've finished a CADS assessment, threshold not met for C-1042": find the case
        (ask if missing/ambiguous/not visible), ask which outcome path if not said
        (path: "link_existing_caf" | "progress_to_caf" | "signpost_early_help" | None), then
        propose recording the outcome (pending) and show the checks: consent, lead
        professional, team manager sign-off, deadlines."""
        return self._run(lambda s: self._report_outcome(s, user, text, case_ref, path))

    def _report_outcome(self, session, user, text, case_ref, path) -> Reply:
        case = open_case(session, user, case_ref, text, "report_outcome")
        reg = registry()
        if reg.pathway(case.file.pathway).pack != CADS_PACK:
            raise Say(Reply(
                f"{case.reference} is on {case.view.pathway_title}, not a CADS outcome.\n" + wording.next_line(case.view),
                case_reference=case.reference))
        path = path if path in phrases.OUTCOME_PATHS else phrases.outcome_path(text)
        if path is None:
            return Reply(
                f"Which outcome path is this for {case.reference}? (It is recorded now as: {case.view.pathway_title}.)",
                buttons=list(PATH_BUTTONS), case_reference=case.reference)
        pathway_id = phrases.OUTCOME_PATHS[path]
        moved = dataclasses.replace(case.file, pathway=pathway_id)
        case_on_path = OpenCase(case.user, case.row, moved, evaluate(moved))
        names = self._names(session)
        outcome = case_on_path.view.step("cads.assessment-outcome")
        if outcome.state == DONE:
            lines = [f"The assessment outcome on {case.reference} is already recorded ({due_words(outcome)})."]
            pending = None
            if pathway_id != case.file.pathway:
                lines.append(f"Shall I move the case to: {case_on_path.view.pathway_title}?")
                pending = {"kind": proposals.KIND, "case": case.reference, "label": "Outcome path changed",
                           "rule_id": None, "record": "none", "date": clock.today().isoformat(), "outcome": None,
                           "consent": None, "lead_professional": None, "pathway": pathway_id, "by": case.user.username}
            lines += ["", "Checks:"] + wording.checks(case_on_path.view, names)
            return Reply("\n".join(lines), buttons=list(proposals.YES_NO) if pending else [], pending=pending,
                         case_reference=case.reference, rule_id=outcome.rule_id)
        label = concepts()["assessment_outcome"].label
        cand = Candidate(rule="cads.assessment-outcome")
        reply, after = proposals.proposal_reply(case_on_path, label, cand, outcome, text, pathway=pathway_id,
                                                before=case_on_path.view)
        reply.pending["pathway"] = pathway_id if pathway_id != case.file.pathway else None
        if reply.pending["pathway"]:
            reply.text += f"\nThe case moves to: {case_on_path.view.pathway_title}"
        reply.text += "\n\nChecks once recorded:\n" + "\n".join(wording.checks(after, names))
        return reply

    def case_status(self, user: Optional[str], case_ref: Optional[str], text: str = "") -> Reply:
        """"What's left on C-1042?": done, next, blocked (by what), due and overdue, cited."""

        def work(session):
            case = open_case(session, user, case_ref, text, "status")
            nxt = case.view.next_step
            return Reply("\n".join(wording.status(case.view)), case_reference=case.reference,
                         rule_id=nxt.rule_id if nxt else None)

        return self._run(work)

    def propose_step(self, user: Optional[str], concept: str, text: str, case_ref: Optional[str] = None) -> Reply:
        """A practitioner says something is done (concept from CONCEPTS): work out the case,
        the rule, the date (from text; default today), who, and the outcome; refuse with a
        clear reason (future date for something done, before the case opened, nothing
        matching open on this pathway, case not visible); otherwise return a Reply whose
        ``pending`` holds the proposal and whose text asks to confirm it."""
        if concept not in CONCEPTS:
            # Not echoed: it came from the message, and a reply must never repeat what it cannot vouch for.
            return Reply("I don't know how to record that. Nothing was recorded.")
        return self._run(lambda s: self._propose(s, user, concept, text, case_ref))

    def _propose(self, session, user, concept, text, case_ref) -> Reply:
        case = open_case(session, user, case_ref, text, "propose")
        reg = registry()
        match = pick(concept, case.view, reg, text)
        label = concepts()[concept].label
        if match.candidate is None:
            raise Say(self._no_fit(case, label, match.on_pathway))
        reply, _ = proposals.proposal_reply(case, label, match.candidate, match.step, text)
        return reply

    @staticmethod
    def _no_fit(case: OpenCase, label: str, on_pathway) -> Reply:
        done = [s for s in on_pathway if s.state == DONE]
        if done:
            first = f"{label}: already recorded on {case.reference} ({due_words(done[-1])})."
        elif on_pathway:
            first = f"{label}: that doesn't apply on {case.reference} as things stand ({on_pathway[0].title})."
        else:
            first = f"{label} isn't a step on {case.reference}'s pathway ({case.view.pathway_title})."
        nxt = case.view.next_step
        return Reply(f"{first} Nothing is recorded.\n{wording.next_line(case.view)}", case_reference=case.reference,
                     rule_id=nxt.rule_id if nxt else None)

    def confirm(self, user: Optional[str], pending: dict) -> Reply:
        """Record a confirmed proposal (who and when), then say what comes next."""
        if not isinstance(pending, dict) or pending.get("kind") != proposals.KIND or not pending.get("case"):
            return Reply("There's nothing waiting to be recorded.")
        if not user or pending.get("by") != user:
            return Reply("That proposal was made by someone else, so I won't record it for you. Nothing was recorded.")
        return self._run(lambda s: self._confirm(s, user, pending))

    def _confirm(self, session, user, pending) -> Reply:
        case = open_case(session, user, pending["case"], "", "record")
        new = proposals.record(session, case, pending)
        session.flush()
        session.expire_all()
        after = open_case(session, user, pending["case"], "", "after record")
        when = day(dt.date.fromisoformat(pending["date"]))
        who = case.user.display_name
        if pending["record"] == "booking":
            said = f"Booked on {case.reference}: {pending['label']} for {when}, by {who}."
        else:
            said = f"Recorded on {case.reference}: {pending['label']}, {when}, by {who}."
        if not new:
            said = f"That was already recorded on {case.reference}; nothing changed."
        nxt = after.view.next_step
        log.info("chat recorded %s on %s", pending.get("rule_id") or "pathway", case.reference)
        return Reply(f"{said}\n{wording.next_line(after.view)}", case_reference=case.reference,
                     rule_id=nxt.rule_id if nxt else pending.get("rule_id"))

    def cancel(self, user: Optional[str], pending: Optional[dict]) -> Reply:
        """The practitioner said no: nothing is recorded."""
        ref = pending.get("case") if isinstance(pending, dict) else None
        return Reply("OK, nothing was recorded.", case_reference=ref)

    # ---- why, due ------------------------------------------------------------------

    def why(self, user: Optional[str], case_ref: Optional[str], rule_id: Optional[str]) -> Reply:
        """"Why?": the cited sentence behind the step in focus (document, section, quote)."""
        reg = registry()
        if rule_id:
            rule = reg.rules.get(rule_id)
            if rule is None:
                return Reply("I don't know that step, so I can't say where it comes from.")
            return Reply(self._why_text(rule), case_reference=case_ref, rule_id=rule.id)

        def work(session):
            if not case_ref:
                raise Say(Reply("Why what? Tell me the case (like C-1042) or ask about a step."))
            case = open_case(session, user, case_ref, "", "why")
            nxt = case.view.next_step
            if nxt is None:
                return Reply(f"Nothing is next on {case.reference}.\n{wording.next_line(case.view)}",
                             case_reference=case.reference)
            return Reply(self._why_text(reg.rule(nxt.rule_id)), case_reference=case.reference, rule_id=nxt.rule_id)

        return self._run(work)

    @staticmethod
    def _why_text(rule) -> str:
        lines = [f"{rule.title}: {wording.quote(rule.citation)}"]
        if rule.timescale():
            lines.append(f"Timescale: {rule.timescale()}.")
        if rule.reading:
            lines.append(f"How ehbot reads it: {rule.reading}")
        return "\n".join(lines)

    def due(self, user: Optional[str], scope: str, text: str = "") -> Reply:
        """"What's due on my cases this week?" (scope "mine") / "what's overdue in my team?"
        (scope "team", team managers only)."""
        return self._run(lambda s: self._due(s, user, scope, text))

    def _due(self, session, username, scope, text) -> Reply:
        user = user_of(session, username)
        scope = "team" if scope == "team" else "mine"  # it goes into the audit trail: one of two words, never the caller's
        today = clock.today()
        if scope == "team":
            if not access.leads_team(user):
                return Reply("Only a team manager can ask what's overdue across their team. Ask \"what's due on my cases?\" instead.")
            wanted = lambda f: f.team == user.team.name and access.may_see(user, f)  # noqa: E731
            keep = lambda step: step.overdue  # noqa: E731
            heading = f"Overdue on {user.team.name}'s cases (as of {day(today)}):"
        else:
            horizon = today + dt.timedelta(days=phrases.period_days(text))
            wanted = lambda f: access.is_involved(user, f)  # noqa: E731
            mine = lambda step: step.owner is not None and step.owner.username == user.username  # noqa: E731
            keep = lambda step: step.overdue or (mine(step) and step.due_on <= horizon)  # noqa: E731
            heading = f"Due on your cases up to {day(horizon)}, and everything overdue on them:"
        rows = []
        audit = AuditLog(session)
        for file in CaseRepository(session).open_cases():
            if not wanted(file):
                continue
            try:
                view = evaluate(file, today=today)
            except Exception:  # a case on guidance not enabled here is skipped, not fatal
                continue
            found = [s for s in view.steps if s.open and s.due_on and keep(s)]
            if found:
                audit.record(user.username, "view", file.reference, f"chat: due list ({scope})")
            rows += [(s.due_on, file.reference, s) for s in found]
        if not rows:
            return Reply(heading.split(" (")[0].rstrip(":") + ": nothing.")
        lines = [heading]
        for due_on, ref, step in sorted(rows, key=lambda r: (r[0], r[1])):
            late = f", OVERDUE by {step.days_overdue} day{'s' if step.days_overdue != 1 else ''}" if step.overdue else ""
            lines.append(f"  {ref}: {step.title} — due {day(due_on)}{late}")
        return Reply("\n".join(lines))

    # ---- guidance questions -------------------------------------------------------------

    def answer_question(self, user: Optional[str], topic: Optional[str], text: str) -> Reply:
        """A guidance question, answered from the packs' knowledge rules with the document
        and section named; topic is a knowledge topic id (e.g. "consent", "advice-only",
        "declined-consent", "anonymous-advice", "inform-family-exceptions",
        "transfer-to-early-help", "caf-support-panel", "timescales") or None."""
        found = knowledge.choose(registry(), topic, text)
        if found is None:
            return Reply(
                "The guidance I hold doesn't cover that, and I'd rather not guess. "
                "Please check with your team manager or the CAF Link Worker.")
        return Reply(knowledge.answer_text(found), rule_id=found.rule.id)

    # ---- the step-down checklist, the lead professional ladder, disagreements ---------------

    def step_down_checklist(self, user: Optional[str], case_ref: Optional[str], answer: Optional[bool] = None,
                            item: Optional[str] = None) -> Reply:
        """The team manager's pre-closure checklist, asked item by item (``asking`` names
        the item); answer True records it, False notes it as outstanding. ``item`` is the
        item answered (the last reply's ``asking``); without it, the first not yet recorded."""
        return self._run(lambda s: self._checklist(s, user, case_ref, answer, item))

    def _checklist(self, session, username, case_ref, answer, item) -> Reply:
        case = open_case(session, username, case_ref, "", "checklist")
        if registry().pathway(case.file.pathway).pack != STEP_DOWN_PACK:
            raise Say(Reply(f"The pre-closure checklist belongs to a step down from CSC; {case.reference} is on "
                            f"{case.view.pathway_title}.\n{wording.next_line(case.view)}", case_reference=case.reference))
        if not access.may_sign_checklist(case.user, case.file):
            refuse_text = ("Only the case's team manager (or an Early Help & Specialist Support Manager) records the "
                           f"pre-closure checklist. Ask \"what's left on {case.reference}?\" to see where it stands.")
            AuditLog(session).record(username, "refused", case.reference, "checklist: not the case's team manager")
            raise Say(Reply(refuse_text, case_reference=case.reference))
        items = [s for s in case.view.steps if s.rule_id.startswith(CHECKLIST)]
        said, after = [], None
        if answer is not None:
            todo = [s for s in items if s.state != DONE]
            current = next((s for s in items if s.rule_id == item), None) or (todo[0] if todo else None)
            if current is None:
                raise Say(Reply("Every pre-closure check is already recorded.", case_reference=case.reference))
            if answer:
                CaseRepository(session).record_step(case.reference, current.rule_id, clock.today(), username)
                said.append(f"Recorded: {current.title}, {day(clock.today())}, by {case.user.display_name}.")
                session.flush()
                session.expire_all()
                case = open_case(session, username, case.reference, "", "checklist")
                items = [s for s in case.view.steps if s.rule_id.startswith(CHECKLIST)]
            else:
                AuditLog(session).record(username, "checklist_outstanding", case.reference, current.rule_id)
                said.append(f"Noted as outstanding: {current.title}.")
            after = current.rule_id
        order = [s.rule_id for s in items]
        start = order.index(after) + 1 if after in order else 0
        remaining = [s for s in items[start:] if s.state != DONE]
        if remaining:
            step = remaining[0]
            n = order.index(step.rule_id) + 1
            said.append(f"Pre-closure check {n} of {len(items)} on {case.reference}: {step.title}. Is it done? "
                        f"{wording.cite(step.citation)}")
            return Reply("\n".join(said), buttons=list(YES_NO), case_reference=case.reference,
                         rule_id=step.rule_id, asking=step.rule_id)
        outstanding = [s.title for s in items if s.state != DONE]
        if outstanding:
            said.append("Still outstanding: " + "; ".join(outstanding) + ". The closure sign-off waits for these.")
        else:
            said.append("All pre-closure checks are recorded.")
        said.append(wording.next_line(case.view))
        return Reply("\n".join(said), case_reference=case.reference)

    def lead_professional_ladder(self, user: Optional[str], case_ref: Optional[str], found: Optional[bool] = None,
                                 text: str = "") -> Reply:
        """"No one will take the LP role": the challenge-and-support ladder, rung by rung.
        found None asks about the current rung; True proposes naming the lead professional
        (who, from text); False proposes recording that this rung found no one, then the next."""
        return self._run(lambda s: self._ladder(s, user, case_ref, found, text))

    def _ladder(self, session, username, case_ref, found, text) -> Reply:
        case = open_case(session, username, case_ref, text, "ladder")
        reg = registry()
        rungs = [s for s in case.view.steps if s.kind == "lead-professional" or ".ladder-" in s.rule_id]
        if not any(".ladder-" in s.rule_id for s in rungs):
            raise Say(Reply(f"{case.reference}'s pathway ({case.view.pathway_title}) has no lead professional ladder.\n"
                            + wording.next_line(case.view), case_reference=case.reference))
        current = next((s for s in rungs if s.open), None)
        if current is None:
            if case.file.lead_professional:
                msg = f"{case.reference} has a lead professional: {case.file.lead_professional.display_name}."
            else:
                msg = f"The lead professional ladder on {case.reference} has nothing open."
            raise Say(Reply(f"{msg}\n{wording.next_line(case.view)}", case_reference=case.reference))
        rule = reg.rule(current.rule_id)
        n = [s.rule_id for s in rungs].index(current.rule_id) + 1
        if found is None:
            return Reply(
                f"Lead professional ladder on {case.reference}, rung {n} of {len(rungs)}: {current.title}; "
                f"owner: {wording.owner(current)}.\nWhy: {wording.quote(current.citation)}\n"
                "Has a lead professional been found?",
                buttons=list(YES_NO), case_reference=case.reference, rule_id=current.rule_id, asking=current.rule_id)
        if found:
            if "agreed" in rule.outcomes:
                cand = Candidate(rule=rule.id, outcome="agreed", lead_professional=True)
            else:
                cand = Candidate(rule=rule.id, record="none", lead_professional=True)
            reply, _ = proposals.proposal_reply(case, "Lead professional agreed", cand, current, text)
            return reply
        outcome = "none_found" if "none_found" in rule.outcomes else None
        cand = Candidate(rule=rule.id, outcome=outcome)
        reply, _ = proposals.proposal_reply(case, current.title, cand, current, text)
        reply.asking = current.rule_id
        return reply

    def record_disagreement(self, user: Optional[str], case_ref: Optional[str], party: str, text: str = "") -> Reply:
        """"Mum disagrees with the step-down" (party "family") / "the school doesn't agree"
        (party "agency"): propose recording it, with the deadline the guidance sets for
        resolving it (5 working days on a step-down; the CADS guidance sets none)."""
        concept = PARTIES.get(party)
        if concept is None:
            return Reply("Who disagrees: the family (a parent or the child) or an agency?",
                         buttons=[("The family", '/report_disagreement{"party":"family"}'),
                                  ("An agency", '/report_disagreement{"party":"agency"}')])
        return self._run(lambda s: self._propose(s, user, concept, text, case_ref))

    # ---- help -----------------------------------------------------------------------------

    def help(self, user: Optional[str]) -> Reply:
        """What the assistant can do, for this user (an unknown sender is told they can ask
        guidance questions only)."""
        guidance_only = (
            "Ask me about the guidance, e.g. \"who gains consent?\", \"what if consent is declined?\", "
            "\"how do I bring a case to the CAF Support Panel?\"; every answer names its document and section."
        )

        def work(session):
            found = PractitionerRepository(session).by_username(user) if user else None
            if not access.active(found):
                return Reply("I only answer guidance questions for you, as I don't know you as an active "
                             "practitioner in ehbot.\n" + guidance_only)
            lines = [
                f"Hello {found.display_name}. I can:",
                "• walk a CADS outcome: \"I've finished a CADS assessment, threshold not met for C-1042\"",
                "• record what's done (I ask before I write): \"the TM signed it off this morning on C-1042\"",
                "• book a meeting: \"initial FPM booked for 14 Jan on C-1042\"",
                "• show a case: \"what's left on C-1042?\", and \"why?\" for the guidance behind a step",
                "• list deadlines: \"what's due on my cases this week?\"",
                "• work the lead professional ladder and record disagreements",
                "• " + guidance_only,
            ]
            if access.leads_team(found):
                lines.insert(6, "• for your team: \"what's overdue in my team?\" and the step-down pre-closure checklist")
            return Reply("\n".join(lines))

        return self._run(work)
