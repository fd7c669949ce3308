"""The custom actions, called directly (no Rasa server): a Tracker, a CollectingDispatcher
and the domain are built here, and a fake Conversation records what the actions ask of
the core and answers with canned Replies."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import common, disagreement, fallback, guidance, ladder, outcome, status, step_down, steps
from bot.conversation import CONCEPTS, Reply

ROOT = Path(__file__).resolve().parent.parent


class FakeConversation:
    """Records every call; answers with ``replies[method]`` (a Reply, or an exception to raise)."""

    def __init__(self, users: Optional[dict] = None):
        self.users = users if users is not None else {("rest", "sam.sw"): "sam.sw", ("slack", "UDEMO0SAM"): "sam.sw"}
        self.calls: list[tuple[str, tuple, dict]] = []
        self.replies: dict[str, Any] = {}

    def identify(self, channel, sender_id):
        self.calls.append(("identify", (channel, sender_id), {}))
        return self.users.get((channel, sender_id))

    def __getattr__(self, method):
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args, **kwargs):
            self.calls.append((method, args, kwargs))
            answer = self.replies.get(method, Reply(text=f"{method} reply"))
            if isinstance(answer, BaseException):
                raise answer
            return answer

        return call

    def called(self, method):
        return [(args, kwargs) for name, args, kwargs in self.calls if name == method]


@pytest.fixture
def conv():
    fake = FakeConversation()
    common.use_conversation(fake)
    yield fake
    common.use_conversation(None)


@pytest.fixture(scope="session")
def domain():
    return yaml.safe_load((ROOT / "domain.yml").read_text())


@pytest.fixture
def dispatcher():
    return CollectingDispatcher()


def user_event(text, intent, entities=(), channel="rest", response_key=None, ranking=None):
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "entities": [dict(e) for e in entities],
        "intent_ranking": ranking or [{"name": intent, "confidence": 0.95}],
    }
    if response_key:
        parse["response_selector"] = {"faq": {"response": {"intent_response_key": response_key}}}
    return {"event": "user", "text": text, "parse_data": parse, "input_channel": channel}


def action_event(name):
    return {"event": "action", "name": name}


def tracker(text, intent, entities=(), slots=None, history=(), sender="sam.sw", channel="rest", response_key=None, ranking=None):
    latest = user_event(text, intent, entities, channel, response_key, ranking)
    events = [*history, latest]
    return Tracker(sender, dict(slots or {}), latest["parse_data"], events, False, None, {}, "action_listen")


def ent(name, value):
    return {"entity": name, "value": value}


def run(action, dispatcher, trk, domain):
    return action.run(dispatcher, trk, domain)


def slots_set(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# --- who is speaking --------------------------------------------------------------


def test_rest_sender_is_mapped_to_a_practitioner(conv, dispatcher, domain):
    run(status.ActionDueMine(), dispatcher, tracker("what's due this week", "ask_due_mine"), domain)
    assert conv.called("identify") == [(("rest", "sam.sw"), {})]
    assert conv.called("due") == [(("sam.sw", "mine", "what's due this week"), {})]


def test_slack_sender_is_mapped_by_slack_id(conv, dispatcher, domain):
    trk = tracker("what's overdue in my team", "ask_overdue_team", sender="UDEMO0SAM", channel="slack")
    run(status.ActionDueTeam(), dispatcher, trk, domain)
    assert conv.called("identify") == [(("slack", "UDEMO0SAM"), {})]
    assert conv.called("due")[0][0][:2] == ("sam.sw", "team")


def test_unknown_sender_reaches_the_core_as_none(conv, dispatcher, domain):
    trk = tracker("do i need consent before contacting the front door", "faq", sender="stranger",
                  response_key="faq/consent_before_contact")
    run(guidance.ActionAnswerQuestion(), dispatcher, trk, domain)
    assert conv.called("answer_question") == [((None, "consent", "do i need consent before contacting the front door"), {})]


# --- replies become messages, buttons and slots ------------------------------------


def test_report_outcome_sends_text_buttons_and_keeps_state(conv, dispatcher, domain):
    conv.replies["report_outcome"] = Reply(
        text="Which outcome path?", buttons=[("Progress to CAF", '/report_outcome{"outcome_path":"progress_to_caf"}')],
        case_reference="C-1042", rule_id="cads.assessment-outcome",
    )
    text = "I've finished a CADS assessment, threshold not met for c1042"
    events = run(outcome.ActionReportOutcome(), dispatcher,
                 tracker(text, "report_outcome", [ent("CASE_REF", "c1042")]), domain)
    assert conv.called("report_outcome") == [(("sam.sw", text), {"case_ref": "C-1042", "path": None})]
    assert dispatcher.messages[0]["text"] == "Which outcome path?"
    assert dispatcher.messages[0]["buttons"] == [
        {"title": "Progress to CAF", "payload": '/report_outcome{"outcome_path":"progress_to_caf"}'}]
    assert slots_set(events) == {"case_ref": "C-1042", "focus_rule": "cads.assessment-outcome", "pending": None,
                                 "asking": None, "outcome_path": None}


def test_outcome_path_button_keeps_the_words_and_the_case(conv, dispatcher, domain):
    first = user_event("I've finished a CADS assessment, threshold not met for C-1042", "report_outcome",
                       [ent("CASE_REF", "C-1042")])
    history = [first, action_event("action_report_outcome"), action_event("action_listen")]
    trk = tracker('/report_outcome{"outcome_path": "progress_to_caf"}', "report_outcome",
                  [ent("outcome_path", "progress_to_caf")], slots={"case_ref": "C-1042"}, history=history)
    run(outcome.ActionReportOutcome(), dispatcher, trk, domain)
    (args, kwargs), = conv.called("report_outcome")
    assert args == ("sam.sw", "I've finished a CADS assessment, threshold not met for C-1042")
    assert kwargs == {"case_ref": "C-1042", "path": "progress_to_caf"}


def test_a_new_outcome_report_does_not_assume_the_last_case(conv, dispatcher, domain):
    history = [user_event("what's left on C-1043", "ask_case_status"), action_event("action_case_status")]
    trk = tracker("threshold not met", "report_outcome", slots={"case_ref": "C-1043"}, history=history)
    run(outcome.ActionReportOutcome(), dispatcher, trk, domain)
    assert conv.called("report_outcome")[0][1]["case_ref"] is None


def test_a_spurious_outcome_path_is_ignored(conv, dispatcher, domain):
    trk = tracker("threshold not met on c 1043, recommending a new caf", "report_outcome",
                  [ent("outcome_path", "on"), ent("outcome_path", "progress_to_caf"), ent("outcome_path", "the")])
    run(outcome.ActionReportOutcome(), dispatcher, trk, domain)
    assert conv.called("report_outcome")[0][1]["path"] == "progress_to_caf"


def test_propose_step_keeps_the_proposal(conv, dispatcher, domain):
    proposal = {"case": "C-1042", "rule": "cads.team-manager-oversight", "date": "2026-11-23"}
    conv.replies["propose_step"] = Reply(text="Record it?", buttons=[("Yes, record it", "/affirm"), ("No", "/deny")],
                                         pending=proposal, case_reference="C-1042")
    trk = tracker("the TM signed it off this morning", "record_step", [ent("ROLE", "TM"), ent("concept", "team_manager_sign_off")],
                  slots={"case_ref": "C-1042"})
    events = run(steps.ActionProposeStep(), dispatcher, trk, domain)
    assert conv.called("propose_step") == [(("sam.sw", "team_manager_sign_off", "the TM signed it off this morning"),
                                            {"case_ref": "C-1042"})]
    assert slots_set(events)["pending"] == proposal
    assert slots_set(events)["concept"] is None
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/affirm", "/deny"]


def test_unrecognised_step_is_asked_about_not_guessed(conv, dispatcher, domain):
    trk = tracker("the thing is done", "record_step", [ent("concept", "the thing")])
    events = run(steps.ActionProposeStep(), dispatcher, trk, domain)
    assert not conv.called("propose_step")
    assert "Which step" in dispatcher.messages[0]["text"]
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert '/record_step{"concept": "consent_given"}' in payloads
    assert slots_set(events)["pending"] is None


def test_step_button_uses_the_words_typed_before(conv, dispatcher, domain):
    history = [user_event("mum said yes yesterday", "nlu_fallback"), action_event("action_clarify"),
               user_event("/record_step", "record_step"), action_event("action_propose_step")]
    trk = tracker('/record_step{"concept": "consent_given"}', "record_step", [ent("concept", "consent_given")], history=history)
    run(steps.ActionProposeStep(), dispatcher, trk, domain)
    assert conv.called("propose_step")[0][0] == ("sam.sw", "consent_given", "mum said yes yesterday")


# --- yes and no --------------------------------------------------------------------


def test_yes_confirms_the_pending_proposal(conv, dispatcher, domain):
    proposal = {"case": "C-1042", "rule": "cads.team-manager-oversight"}
    conv.replies["confirm"] = Reply(text="Recorded. Next: ...", case_reference="C-1042", rule_id="cads.update-referrer")
    events = run(steps.ActionAffirm(), dispatcher, tracker("yes", "affirm", slots={"pending": proposal}), domain)
    assert conv.called("confirm") == [(("sam.sw", proposal), {})]
    assert slots_set(events) == {"case_ref": "C-1042", "focus_rule": "cads.update-referrer", "pending": None, "asking": None}


def test_no_cancels_the_pending_proposal(conv, dispatcher, domain):
    proposal = {"case": "C-1042"}
    events = run(steps.ActionDeny(), dispatcher, tracker("no", "deny", slots={"pending": proposal}), domain)
    assert conv.called("cancel") == [(("sam.sw", proposal), {})]
    assert slots_set(events)["pending"] is None


def test_yes_and_no_answer_the_checklist_item(conv, dispatcher, domain):
    conv.replies["step_down_checklist"] = Reply(text="Chronology up to date?", asking="stepdown.checklist-chronology",
                                                case_reference="C-2002")
    slots = {"asking": "stepdown.checklist-supervisions", "case_ref": "C-2002"}
    events = run(steps.ActionAffirm(), dispatcher, tracker("yes", "affirm", slots=slots), domain)
    run(steps.ActionDeny(), dispatcher, tracker("no", "deny", slots=slots), domain)
    item = "stepdown.checklist-supervisions"
    assert conv.called("step_down_checklist") == [(("sam.sw", "C-2002"), {"answer": True, "item": item}),
                                                  (("sam.sw", "C-2002"), {"answer": False, "item": item})]
    assert slots_set(events)["asking"] == "stepdown.checklist-chronology"


def test_yes_and_no_answer_the_lead_professional_ladder_rung(conv, dispatcher, domain):
    conv.replies["lead_professional_ladder"] = Reply(text="Record it?", pending={"case": "C-1043"}, case_reference="C-1043")
    slots = {"asking": "cads.ladder-caf-link-worker-challenge", "case_ref": "C-1043"}
    run(steps.ActionAffirm(), dispatcher, tracker("yes", "affirm", slots=slots), domain)
    run(steps.ActionDeny(), dispatcher, tracker("no", "deny", slots=slots), domain)
    assert conv.called("lead_professional_ladder") == [(("sam.sw", "C-1043"), {"found": True, "text": "yes"}),
                                                       (("sam.sw", "C-1043"), {"found": False, "text": "no"})]
    assert not conv.called("step_down_checklist")


def test_yes_with_nothing_waiting_records_nothing(conv, dispatcher, domain):
    run(steps.ActionAffirm(), dispatcher, tracker("yes", "affirm"), domain)
    assert not conv.called("confirm") and not conv.called("step_down_checklist")
    assert "nothing waiting" in dispatcher.messages[0]["text"]


def test_no_with_nothing_waiting_asks_the_core(conv, dispatcher, domain):
    run(steps.ActionDeny(), dispatcher, tracker("no", "deny"), domain)
    assert conv.called("cancel") == [(("sam.sw", None), {})]


# --- status, why, guidance, help -----------------------------------------------------


def test_why_uses_the_step_in_focus(conv, dispatcher, domain):
    slots = {"case_ref": "C-1042", "focus_rule": "cads.team-manager-oversight"}
    run(status.ActionWhy(), dispatcher, tracker("why?", "ask_why", slots=slots), domain)
    assert conv.called("why") == [(("sam.sw", "C-1042", "cads.team-manager-oversight"), {})]


def test_case_status_prefers_the_case_named(conv, dispatcher, domain):
    trk = tracker("what's left on c-1043", "ask_case_status", [ent("CASE_REF", "c-1043")], slots={"case_ref": "C-1042"})
    run(status.ActionCaseStatus(), dispatcher, trk, domain)
    assert conv.called("case_status") == [(("sam.sw", "C-1043", "what's left on c-1043"), {})]


def test_status_reply_leaves_a_pending_proposal_alone(conv, dispatcher, domain):
    events = run(status.ActionCaseStatus(), dispatcher, tracker("what's next?", "ask_case_status",
                                                                 slots={"pending": {"x": 1}}), domain)
    assert "pending" not in slots_set(events)


@pytest.mark.parametrize("sub_intent", sorted(guidance.TOPICS))
def test_each_faq_maps_to_a_topic(conv, dispatcher, domain, sub_intent):
    trk = tracker("a question", "faq", response_key=f"faq/{sub_intent}")
    run(guidance.ActionAnswerQuestion(), dispatcher, trk, domain)
    assert conv.called("answer_question")[0][0][1] == guidance.TOPICS[sub_intent]


def test_every_faq_in_the_domain_has_a_topic_the_packs_know(domain):
    from bot.guidance import registry

    faqs = {r.split("/", 1)[1] for r in domain["responses"] if r.startswith("utter_faq/")}
    assert faqs == set(guidance.TOPICS)
    known = {t for rule in registry().rules.values() for t in getattr(rule, "topics", ())}
    assert set(guidance.TOPICS.values()) <= known


def test_faq_without_a_selection_passes_no_topic(conv, dispatcher, domain):
    run(guidance.ActionAnswerQuestion(), dispatcher, tracker("consent?", "faq"), domain)
    assert conv.called("answer_question") == [(("sam.sw", None, "consent?"), {})]


def test_help(conv, dispatcher, domain):
    conv.replies["help"] = Reply(text="I can ...")
    run(guidance.ActionHelp(), dispatcher, tracker("help", "help"), domain)
    assert [m["text"] for m in dispatcher.messages] == ["I can ..."]
    assert not dispatcher.messages[0]["buttons"]


# --- step-down, ladder, disagreement -------------------------------------------------


def test_step_down_checklist_starts(conv, dispatcher, domain):
    conv.replies["step_down_checklist"] = Reply(text="Supervisions up to date?", asking="stepdown.checklist-supervisions",
                                                buttons=[("Yes", "/affirm"), ("No", "/deny")], case_reference="C-2002")
    trk = tracker("step down checklist for C-2002", "start_step_down_checklist", [ent("CASE_REF", "C-2002")])
    events = run(step_down.ActionStepDownChecklist(), dispatcher, trk, domain)
    assert conv.called("step_down_checklist") == [(("sam.sw", "C-2002"), {"answer": None})]
    assert slots_set(events)["asking"] == "stepdown.checklist-supervisions"


def test_no_lead_professional_records_the_rung_now_open(conv, dispatcher, domain):
    trk = tracker("no one will take the LP role on c1043", "no_lead_professional", [ent("CASE_REF", "c1043")])
    run(ladder.ActionNoLeadProfessional(), dispatcher, trk, domain)
    assert conv.called("lead_professional_ladder") == [
        (("sam.sw", "C-1043"), {"found": False, "text": "no one will take the LP role on c1043"})]


@pytest.mark.parametrize("party, concept", [("family", "disagreement_family"), ("agency", "disagreement_agency")])
def test_disagreement_by_party(conv, dispatcher, domain, party, concept):
    trk = tracker("they disagree", "report_disagreement", [ent("party", party)], slots={"case_ref": "C-2001"})
    events = run(disagreement.ActionReportDisagreement(), dispatcher, trk, domain)
    assert conv.called("propose_step") == [(("sam.sw", concept, "they disagree"), {"case_ref": "C-2001"})]
    assert slots_set(events)["party"] is None


def test_disagreement_without_a_party_asks_who(conv, dispatcher, domain):
    run(disagreement.ActionReportDisagreement(), dispatcher, tracker("there's a disagreement", "report_disagreement"), domain)
    assert not conv.called("propose_step")
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == [
        '/report_disagreement{"party": "family"}', '/report_disagreement{"party": "agency"}']


# --- a bare case reference -------------------------------------------------------------


def test_bare_reference_finishes_the_previous_request(conv, dispatcher, domain):
    history = [user_event("the TM signed it off this morning", "record_step", [ent("concept", "team_manager_sign_off")]),
               action_event("action_propose_step"), action_event("action_listen")]
    trk = tracker("c1045", "inform_case", [ent("CASE_REF", "c1045")], history=history)
    run(outcome.ActionInformCase(), dispatcher, trk, domain)
    assert conv.called("propose_step") == [(("sam.sw", "team_manager_sign_off", "the TM signed it off this morning c1045"),
                                            {"case_ref": "C-1045"})]


def test_bare_reference_on_its_own_shows_the_case(conv, dispatcher, domain):
    run(outcome.ActionInformCase(), dispatcher, tracker("C-1044", "inform_case", [ent("CASE_REF", "C-1044")]), domain)
    assert conv.called("case_status") == [(("sam.sw", "C-1044", "C-1044"), {})]


# --- asking rather than guessing -------------------------------------------------------


def test_clarify_offers_the_best_guesses(conv, dispatcher, domain):
    ranking = [{"name": "nlu_fallback", "confidence": 0.6}, {"name": "record_step", "confidence": 0.4},
               {"name": "faq", "confidence": 0.3}, {"name": "greet", "confidence": 0.2}]
    trk = tracker("mum said yes", "nlu_fallback", ranking=ranking)
    assert fallback.ActionClarify().run(dispatcher, trk, domain) == []
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert payloads == ["/record_step", "/faq", "/help"]
    assert "rather ask than guess" in dispatcher.messages[0]["text"]


# --- failures are messages, not crashes ---------------------------------------------------


def test_database_down_is_a_clear_message(conv, dispatcher, domain):
    from bot.db.session import DatabaseUnavailable

    conv.replies["case_status"] = DatabaseUnavailable("cannot reach the database at db:5432/ehbot")
    events = run(status.ActionCaseStatus(), dispatcher, tracker("what's left on C-1042", "ask_case_status"), domain)
    assert events == []
    assert dispatcher.messages[0]["text"] == common.DB_TROUBLE


def test_identify_failing_is_a_clear_message(conv, dispatcher, domain):
    from bot.db.session import DatabaseUnavailable

    def broken(channel, sender):
        raise DatabaseUnavailable("cannot reach the database")

    conv.identify = broken
    run(steps.ActionAffirm(), dispatcher, tracker("yes", "affirm", slots={"pending": {"a": 1}}), domain)
    assert dispatcher.messages[0]["text"] == common.DB_TROUBLE


def test_a_database_lost_mid_turn_keeps_the_proposal_waiting(conv, dispatcher, domain):
    from bot.conversation.service import DATABASE_DOWN

    conv.replies["confirm"] = Reply(DATABASE_DOWN, unchanged=True)
    pending = {"kind": "record", "case": "C-1045", "by": "sam.sw"}
    events = run(steps.ActionAffirm(), dispatcher, tracker("yes", "affirm", slots={"pending": pending}), domain)
    assert dispatcher.messages[0]["text"] == DATABASE_DOWN
    assert not [e for e in events if e.get("name") in ("pending", "asking")]  # left as they were
    conv.replies["confirm"] = Reply("Recorded on C-1045: Referrer updated.", case_reference="C-1045")
    events = run(steps.ActionAffirm(), dispatcher, tracker("yes", "affirm", slots={"pending": pending}), domain)
    assert {"event": "slot", "timestamp": None, "name": "pending", "value": None} in events


def test_unexpected_error_is_a_clear_message(conv, dispatcher, domain):
    conv.replies["confirm"] = RuntimeError("boom")
    run(steps.ActionAffirm(), dispatcher, tracker("yes", "affirm", slots={"pending": {"a": 1}}), domain)
    assert dispatcher.messages[0]["text"] == common.SOMETHING_WRONG


def test_unfinished_core_is_a_clear_message(conv, dispatcher, domain):
    conv.replies["help"] = NotImplementedError()
    run(guidance.ActionHelp(), dispatcher, tracker("help", "help"), domain)
    assert dispatcher.messages[0]["text"] == common.NOT_READY


# --- the project's rules for actions/ -------------------------------------------------------


def test_every_domain_action_is_implemented_once(domain):
    from rasa_sdk import Action, utils
    import inspect

    names = [a().name() for a in utils.all_subclasses(Action)
             if a.__module__.startswith("actions.") and not inspect.isabstract(a)]
    assert sorted(names) == sorted(domain["actions"])


def test_actions_hold_no_sql_and_no_deprecated_calls():
    for path in sorted((ROOT / "actions").glob("*.py")):
        source = path.read_text()
        assert not re.search(r"^\s*(from|import)\s+sqlalchemy", source, re.M), path
        assert not re.search(r"\b(SELECT|INSERT|UPDATE|DELETE)\s", source), path
        assert "template=" not in source, path


def test_no_conversation_is_made_at_import():
    import importlib

    common.use_conversation(None)
    importlib.reload(common)
    assert common._conversation is None


def test_training_concepts_are_the_cores_concepts():
    text = (ROOT / "data" / "nlu" / "steps.yml").read_text()
    used = set(re.findall(r'"entity": "concept", "value": "(\w+)"', text))
    by_intent = {"no_lead_professional", "disagreement_family", "disagreement_agency"}  # their own intents
    assert used <= set(CONCEPTS)
    assert used | by_intent == set(CONCEPTS)




def test_every_button_the_core_offers_names_this_domains_intents_and_entities():
    import json

    import yaml

    domain_yml = yaml.safe_load((ROOT / "domain.yml").read_text())
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain_yml["intents"]}
    entities = {e if isinstance(e, str) else next(iter(e)) for e in domain_yml["entities"]}
    source = "".join(p.read_text() for p in (ROOT / "bot" / "conversation").glob("*.py"))
    payloads = re.findall(r"""['"](/\w+(?:\{[^'"]*?\})?)['"]""".replace("[^'\"]", "[^']"), source)
    assert payloads, "no button payloads found in the conversation core"
    for payload in payloads:
        intent, _, body = payload[1:].partition("{")
        assert intent in intents, f"{payload}: intent {intent!r} is not in domain.yml"
        if body:
            names = set(json.loads("{" + body.replace("%s", "x")))
            assert names <= entities, f"{payload}: entities {names - entities} are not in domain.yml"
