"""Which workflow a message goes to: decided from its one reading, what the NLU thought,
and what the conversation is waiting for. Pure: no database, no Rasa.

The order matters and is the product's judgement: a command first ("start again"), then
an answer to what is waiting ("yes"), then the case named or in focus, then what the
words report or ask, then guidance, then small talk. The NLU's intent is a second
opinion, used where the words alone do not decide.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from bot.conversation.state import Message, State
from bot.conversation.steps import CONCEPTS
from bot.language.reading import Reading

# NLU intents that mean the message is about a case.
CASE_INTENTS = {"case_report"}
SMALL_TALK_INTENTS = {"greet": "greeting", "goodbye": "goodbye", "thank": "thanks", "help": "help",
                      "bot_challenge": "bot_challenge"}
PARTIES = {"family": "disagreement_family", "agency": "disagreement_agency"}
# How sure the NLU must be before its intent alone decides.
NLU_SURE = 0.8
# A "why" this short is about the step in focus; a longer one is a question about the guidance.
SHORT_WHY_WORDS = 6


@dataclass(frozen=True)
class Route:
    workflow: str
    case: Optional[str] = None
    concept: Optional[str] = None
    args: dict = field(default_factory=dict)


def _is_bare_reference(reading: Reading) -> bool:
    rest = reading.text.strip().strip(".!?").split()
    return bool(reading.case_reference) and len(rest) <= 2 and not reading.episode and not reading.history


def _nlu(message: Message, *intents: str) -> bool:
    return message.intent in intents and message.confidence >= NLU_SURE


def route(reading: Reading, message: Message, state: State, known_user: bool) -> Route:
    r = reading
    # A button on a reminder post (bot/notify/slack.py), as the Slack channel hands it over:
    # no words, only the reminder's id and which button. A message with words is never taken for one.
    if not message.text and message.entity("reminder") and message.entity("press"):
        args = {"reminder": message.entity("reminder"), "press": message.entity("press"),
                "remind_on": message.entity("remind_on")}
        return Route("reminder", args=args)
    if r.command == "restart":
        return Route("restart")
    if r.command == "cancel":
        return Route("cancel")

    answer = r.answer
    if answer is None and not r.steps and not r.case_reference and _nlu(message, "affirm", "deny"):
        answer = message.intent == "affirm"
    if state.pending is not None and state.pending.also and r.only_this:
        return Route("confirm", args={"only": True})  # "only C-1046": not on the siblings' cases
    if answer is not None:
        if state.pending is not None:
            return Route("confirm" if answer else "cancel")
        asking = state.asking
        if asking is not None and asking.kind == "checklist_item":
            return Route("checklist", case=asking.case or state.case_ref, args={"answer": answer, "item": asking.rule_id})
        if asking is not None and asking.kind == "ladder_rung":
            return Route("ladder", case=asking.case or state.case_ref, args={"found": answer})
        return Route("nothing_for_yes" if answer else "cancel")

    asking = state.asking
    path = message.entity("outcome_path") or r.path
    if asking is not None and asking.kind == "outcome_path" and path:
        return Route("outcome", case=asking.case or state.case_ref, args={"path": path, "words": asking.words})
    if _is_bare_reference(r):
        if asking is not None and asking.kind == "which_case" and asking.words:
            return Route("resume", case=r.case_reference, args={"words": asking.words})
        return Route("status", case=r.case_reference, args={"everything": r.show_all})

    if r.small_talk == "out_of_scope":  # a service ehbot does not give, whatever words it uses
        return Route("out_of_scope")
    if r.small_talk and not r.steps and not r.case_reference and not r.due:
        return Route(r.small_talk)

    case = r.case_reference or state.case_ref
    concept = r.step.concept if r.step else message.entity("concept")
    if concept not in CONCEPTS:  # the NLU's entity, as a second opinion, only when it names a step ehbot knows
        concept = None
    if concept is None and message.entity("party") in PARTIES:
        concept = PARTIES[message.entity("party")]
    about_a_case = bool(r.steps) or concept is not None or r.step_down_start or r.checklist or _nlu(message, *CASE_INTENTS)
    general = r.asks_question and not r.case_reference and not r.asks_may_i

    if r.asks_why and not r.case_reference and (len(r.text.split()) <= SHORT_WHY_WORDS) and (state.focus_rule or state.case_ref):
        return Route("why", case=state.case_ref)

    if not known_user:
        if r.due or r.whats_left or r.case_reference or (about_a_case and not r.asks_question):
            return Route("case_for_unknown", case=r.case_reference)
        return Route("guidance")

    if r.timeliness and not r.case_reference:
        return Route("timeliness")
    if r.due == "team":
        return Route("due", args={"scope": "team"})
    if r.due == "mine" and not r.case_reference and not r.steps:
        return Route("due", args={"scope": "mine"})

    # A question with no case named or in focus is about the guidance ("do I close it at 12 months?").
    if (r.asks_question or r.asks_may_i) and not case and not r.whats_left and not r.history:
        return Route("guidance")
    if r.history and not r.steps and not r.episode and (r.case_reference or (state.case_ref and not general)):
        return Route("history", case=case, args={"everything": r.show_all})
    if r.episode and not r.checklist and not r.whats_left and not (general and not state.case_ref):
        if r.episode == "move":  # a question ("can C-1042 move to early help yet?") records nothing
            return Route("move", case=case, concept=concept,
                         args={"towards": r.towards, "asking": r.asks_may_i or r.asks_question})
        if r.asks_may_i or r.asks_question:  # "can I close C-1043?": where it stands; nothing recorded
            return Route("status", case=case)
        return Route(r.episode, case=case)
    if (r.whats_left or _nlu(message, "case_question")) and not (r.steps and not r.whats_left):
        if r.case_reference:
            return Route("status", case=r.case_reference, args={"everything": r.show_all})
        if state.case_ref and not r.names_me:
            return Route("status", case=state.case_ref, args={"everything": r.show_all})
        if r.names_me or not r.asks_question:
            return Route("due", args={"scope": "mine"})
    # "the nursery thinks the outcome is wrong" is their disagreement, not a correction.
    if r.correction and case and (concept or r.case_reference) and not (concept or "").startswith("disagreement_"):
        return Route("correct", case=case, concept=concept)
    # A question with no case named or in focus is about the guidance ("can I share it first?").
    if (r.asks_question or r.asks_may_i) and not case:
        return Route("guidance")
    if (r.asks_may_i or (r.asks_question and r.case_reference)) and case and not about_a_case and not r.whats_left \
            and not r.due and not r.asks_why:
        return Route("may_i", case=case)
    if about_a_case and not (general and not state.case_ref):
        if r.asks_why and not r.asks_may_i and r.asks_question and not r.case_reference:
            return Route("guidance")
        if concept == "assessment_outcome":
            return Route("outcome", case=r.case_reference or (state.case_ref if path else None) or case,
                         args={"path": path, "words": r.text})
        if r.checklist:
            return Route("checklist", case=case, args={"answer": None, "item": None})
        if concept is None and r.step_down_start and r.asks_may_i:
            return Route("may_i", case=case)
        if concept is None and r.step_down_start:
            return Route("step_down", case=case)
        if concept is None:
            return Route("which_step", case=case)
        mention = r.names(concept)
        if r.asks_may_i and not (mention and (mention.not_done or mention.refused) and not r.asks_question):
            return Route("may_i", case=case, concept=concept)
        if concept == "lead_professional_agreed" and mention and (mention.not_done or mention.refused):
            return Route("ladder", case=case, args={"found": False})
        if concept == "consent_given" and mention and mention.refused:
            return Route("propose", case=case, concept="consent_declined")
        if concept.startswith("disagreement_"):
            return Route("propose", case=case, concept=concept)
        if mention and mention.not_done:
            return Route("not_done", case=case, concept=concept)
        return Route("propose", case=case, concept=concept)

    if r.asks_why and (state.focus_rule or state.case_ref) and not r.asks_question:
        return Route("why", case=state.case_ref)
    if r.case_reference and r.reports_done and not r.asks_question:
        return Route("which_step", case=r.case_reference)
    if r.case_reference and not r.asks_question:
        return Route("status", case=r.case_reference, args={"everything": r.show_all})
    if _nlu(message, "out_of_scope"):
        return Route("out_of_scope")
    if message.intent in SMALL_TALK_INTENTS and message.confidence >= NLU_SURE and not r.asks_question:
        return Route(SMALL_TALK_INTENTS[message.intent])
    return Route("guidance")
