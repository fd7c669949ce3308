"""The custom actions, called directly (no Rasa server): a Tracker, a CollectingDispatcher
and the domain are built here, and a fake Conversation (with the core's two entry points
only: a renamed one fails here) records what the action hands the core."""
from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml
from rasa_sdk import Action, Tracker, utils
from rasa_sdk.executor import CollectingDispatcher

from actions import common, respond
from bot.conversation import CONCEPTS, Conversation, Message, Proposal, Question, Reply, State

ROOT = Path(__file__).resolve().parent.parent
PROPOSAL = Proposal(case="C-1045", label="Referrer updated on the outcome", rule_id="cads.update-referrer",
                    record="step", date="2026-11-23", by="sam.sw")


class FakeConversation:
    """The core's entry points (checked against the real class), answering ``reply``."""

    def __init__(self, users: Optional[dict] = None):
        self.users = users if users is not None else {("rest", "sam.sw"): "sam.sw", ("slack", "UDEMO0SAM"): "sam.sw"}
        self.calls: list[tuple] = []
        self.reply: Any = Reply("a reply")

    def identify(self, channel, sender_id):
        self.calls.append(("identify", channel, sender_id))
        return self.users.get((channel, sender_id))

    def respond(self, user, message, state):
        self.calls.append(("respond", user, message, state))
        if isinstance(self.reply, BaseException):
            raise self.reply
        return self.reply

    def handed(self) -> tuple:
        return next(c for c in self.calls if c[0] == "respond")[1:]


def test_the_fake_has_the_real_entry_points():
    for name in ("identify", "respond"):
        real, fake = inspect.signature(getattr(Conversation, name)), inspect.signature(getattr(FakeConversation, name))
        assert list(real.parameters) == list(fake.parameters), name


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


def tracker(text, intent="faq", entities=(), slots=None, sender="sam.sw", channel="rest", confidence=0.95):
    parse = {"text": text, "intent": {"name": intent, "confidence": confidence},
             "entities": [{"entity": n, "value": v} for n, v in entities]}
    latest = {"event": "user", "text": text, "parse_data": parse, "input_channel": channel}
    return Tracker(sender, dict(slots or {}), parse, [latest], False, None, {}, "action_listen")


def slots_set(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def run(dispatcher, trk, domain):
    return respond.ActionRespond().run(dispatcher, trk, domain)


# --- who is speaking, what they said, what is kept ----------------------------------


def test_rest_sender_is_mapped_to_a_practitioner(conv, dispatcher, domain):
    run(dispatcher, tracker("what's left on C-1042", "ask_case_status"), domain)
    user, message, state = conv.handed()
    assert user == "sam.sw"
    assert message == Message("what's left on C-1042", "ask_case_status", 0.95, ())
    assert state == State()


def test_slack_sender_is_mapped_by_slack_id(conv, dispatcher, domain):
    run(dispatcher, tracker("hello", "greet", sender="UDEMO0SAM", channel="slack"), domain)
    assert ("identify", "slack", "UDEMO0SAM") in conv.calls
    assert conv.handed()[0] == "sam.sw"


def test_unknown_sender_reaches_the_core_as_none(conv, dispatcher, domain):
    run(dispatcher, tracker("who gains consent?", sender="stranger"), domain)
    assert conv.handed()[0] is None


def test_a_button_hands_over_no_words_and_its_entities(conv, dispatcher, domain):
    run(dispatcher, tracker('/case_report{"outcome_path":"progress_to_caf"}', "case_report",
                            entities=[("outcome_path", "progress_to_caf")]), domain)
    message = conv.handed()[1]
    assert message.text == "" and message.entity("outcome_path") == "progress_to_caf"


def test_the_kept_state_is_handed_over_typed(conv, dispatcher, domain):
    slots = {"case_ref": "C-1045", "focus_rule": "cads.update-referrer", "pending": PROPOSAL.as_slot(),
             "asking": Question("checklist_item", rule_id="stepdown.checklist-chronology", case="C-2002").as_slot()}
    run(dispatcher, tracker("yes", "affirm", slots=slots), domain)
    state = conv.handed()[2]
    assert state.pending == PROPOSAL
    assert state.asking == Question("checklist_item", rule_id="stepdown.checklist-chronology", case="C-2002")
    assert state.case_ref == "C-1045" and state.focus_rule == "cads.update-referrer"


def test_junk_in_a_slot_is_no_proposal(conv, dispatcher, domain):
    run(dispatcher, tracker("yes", "affirm", slots={"pending": {"kind": "record"}, "asking": "nonsense"}), domain)
    assert conv.handed()[2] == State()


def test_the_reply_is_sent_with_buttons_and_its_state_kept(conv, dispatcher, domain):
    conv.reply = Reply("Shall I record it?", buttons=[("Yes, record it", "/affirm"), ("No", "/deny")],
                       pending=PROPOSAL, case_reference="C-1045", rule_id="cads.update-referrer")
    events = run(dispatcher, tracker("told the referrer on C-1045", "record_step"), domain)
    assert dispatcher.messages[0]["text"] == "Shall I record it?"
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["/affirm", "/deny"]
    assert slots_set(events) == {"case_ref": "C-1045", "focus_rule": "cads.update-referrer",
                                 "pending": PROPOSAL.as_slot(), "asking": None}


def test_an_unchanged_reply_leaves_what_was_waiting(conv, dispatcher, domain):
    conv.reply = Reply("I can't reach the case records just now", unchanged=True)
    events = run(dispatcher, tracker("yes", "affirm", slots={"pending": PROPOSAL.as_slot()}), domain)
    assert "pending" not in slots_set(events) and "asking" not in slots_set(events)


def test_a_withheld_message_is_marked_for_the_tracker_store(conv, dispatcher, domain):
    conv.reply = Reply("This needs acting on now", unchanged=True, withheld=True)
    events = run(dispatcher, tracker("a disclosure"), domain)
    assert slots_set(events) == {common.WITHHELD_SLOT: True}


def test_a_restart_clears_everything_kept(conv, dispatcher, domain):
    conv.reply = Reply("Starting again", restart=True)
    events = run(dispatcher, tracker("start again"), domain)
    assert slots_set(events) == {"case_ref": None, "focus_rule": None, "pending": None, "asking": None}


def test_slash_restart_says_so_and_restarts(dispatcher, domain):
    events = respond.ActionRestart().run(dispatcher, tracker("/restart", "restart"), domain)
    assert dispatcher.messages[0]["text"].startswith("Starting again")
    assert [e["event"] for e in events] == ["restart"]


# --- failures are messages, not crashes ---------------------------------------------------


def test_database_down_is_a_clear_message(conv, dispatcher, domain):
    from bot.db.session import DatabaseUnavailable

    conv.reply = DatabaseUnavailable("cannot reach the database at db:5432/ehbot")
    assert run(dispatcher, tracker("what's left on C-1042", "ask_case_status"), domain) == []
    assert dispatcher.messages[0]["text"] == common.DB_TROUBLE


def test_identify_failing_is_a_clear_message(conv, dispatcher, domain):
    from bot.db.session import DatabaseUnavailable

    def broken(channel, sender):
        raise DatabaseUnavailable("cannot reach the database")

    conv.identify = broken
    assert run(dispatcher, tracker("yes", "affirm", slots={"pending": PROPOSAL.as_slot()}), domain) == []
    assert dispatcher.messages[0]["text"] == common.DB_TROUBLE


def test_unexpected_error_is_a_clear_message_and_logs_no_words(conv, dispatcher, domain, caplog):
    conv.reply = RuntimeError("boom: the child's name")
    run(dispatcher, tracker("the words typed"), domain)
    assert dispatcher.messages[0]["text"] == common.SOMETHING_WRONG
    assert "the words typed" not in caplog.text and "child's name" not in caplog.text


def test_unfinished_core_is_a_clear_message(conv, dispatcher, domain):
    conv.reply = NotImplementedError()
    run(dispatcher, tracker("help", "help"), domain)
    assert dispatcher.messages[0]["text"] == common.NOT_READY


# --- the project's rules for actions/ -------------------------------------------------------


def test_every_domain_action_is_implemented_once(domain):
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
    assert used <= set(CONCEPTS)


def test_every_button_the_core_offers_names_this_domains_intents_and_entities():
    domain_yml = yaml.safe_load((ROOT / "domain.yml").read_text())
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain_yml["intents"]}
    entities = {e if isinstance(e, str) else next(iter(e)) for e in domain_yml["entities"]}
    source = "".join(p.read_text() for p in (ROOT / "bot" / "conversation").glob("*.py"))
    plain = re.findall(r"""['"]/(\w+)['"]""", source)
    built = re.findall(r"""payload\("(\w+)"((?:, \w+=)*)""", source)
    assert plain and built, "no button payloads found in the conversation core"
    for intent in plain + [i for i, _ in built]:
        assert intent in intents, f"intent {intent!r} is not in domain.yml"
    for _, names in built:
        used = set(re.findall(r"(\w+)=", names))
        assert used <= entities, f"entities {used - entities} are not in domain.yml"
