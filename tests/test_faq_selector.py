"""The faq response selector answers guidance questions only (ehbot_channels/faq_selector.py);
tests/test_e2e_rest.py asks one through the trained model and gets the cited answer."""
from __future__ import annotations

import pytest
import yaml
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.training_data.message import Message
from rasa_support import ROOT

from ehbot_channels.faq_selector import FaqResponseSelector


def message(text: str, intent: str) -> Message:
    return Message(data={"text": text, "intent": {"name": intent, "confidence": 0.9}})


@pytest.fixture
def selected(monkeypatch):
    """The messages Rasa's own selector was asked about."""
    asked = []

    def select(self, messages):
        asked.extend(m.get("text") for m in messages)
        for m in messages:
            m.set("response_selector", {"faq": {"response": {"intent_response_key": "faq/consent_before_contact"}}})
        return messages

    monkeypatch.setattr(ResponseSelector, "process", select)
    return asked


def selector(retrieval_intent, all_retrieval_intents=("faq",)) -> FaqResponseSelector:
    made = FaqResponseSelector.__new__(FaqResponseSelector)  # the filter needs no trained model
    made.retrieval_intent, made.all_retrieval_intents = retrieval_intent, list(all_retrieval_intents)
    return made


def test_only_guidance_questions_reach_the_selector(selected):
    messages = [message("can I contact the school without consent?", "faq"),
                message("what's left on C-1042", "ask_case_status"), Message(data={"text": "/greet"})]
    assert selector("faq").process(messages) == messages
    assert selected == ["can I contact the school without consent?"]
    assert messages[0].get("response_selector")["faq"]["response"]["intent_response_key"] == "faq/consent_before_contact"
    assert messages[1].get("response_selector") is None


def test_without_a_named_retrieval_intent_every_one_in_the_data_counts(selected):
    selector(None, ["faq", "chitchat"]).process([message("hi", "chitchat"), message("status", "ask_case_status")])
    assert selected == ["hi"]


def test_no_message_no_call(selected):
    assert selector("faq").process([message("bye", "goodbye")])[0].get("response_selector") is None
    assert selected == []


def test_config_uses_it_for_the_faq_intent():
    components = {c["name"]: c for c in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]}
    assert components["ehbot_channels.faq_selector.FaqResponseSelector"]["retrieval_intent"] == "faq"
    assert "ResponseSelector" not in components
