"""Disclosures of harm: recognised first, everywhere, answered with one safe reply, and
never kept. The examples are written for these tests (tests/safeguarding_examples.yaml)."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from bot.conversation import Conversation, Message, State, wording
from bot.db.models import AuditEvent
from bot.db.repositories import AuditLog
from bot.db.session import session_scope
from bot.safeguarding import concern

ROOT = Path(__file__).resolve().parent.parent


def _disclosures() -> list[tuple[str, str]]:
    """The disclosures of data/nlu/safeguarding.yml (the NLU's examples too), with their kind."""
    found = []
    for block in yaml.safe_load((ROOT / "data" / "nlu" / "safeguarding.yml").read_text(encoding="utf-8"))["nlu"]:
        assert block["intent"] == "disclosure"
        found += [(block["metadata"]["kind"], line.strip()[2:]) for line in block["examples"].splitlines()
                  if line.strip().startswith("- ")]
    return found


DISCLOSURES = _disclosures()
NEAR_MISSES = [(kind, q) for kind, qs in yaml.safe_load(
    Path(__file__).with_name("safeguarding_examples.yaml").read_text(encoding="utf-8"))["near_misses"].items() for q in qs]
FIRST_LINE = "This needs acting on now, under your safeguarding procedures."


@pytest.mark.parametrize("kind, text", DISCLOSURES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(DISCLOSURES)])
def test_a_disclosure_is_recognised(kind, text):
    assert concern(text) is not None, text


@pytest.mark.parametrize("kind, text", NEAR_MISSES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(NEAR_MISSES)])
def test_a_near_miss_raises_no_alarm(kind, text):
    assert concern(text) is None, text


def test_the_examples_cover_every_kind_of_harm_and_of_near_miss():
    assert len(DISCLOSURES) >= 100 and len(NEAR_MISSES) >= 80
    assert {"physical", "sexual", "neglect", "self_harm", "domestic_abuse", "exploitation", "missing",
            "radicalisation", "fgm_hba", "substance", "immediate_danger"} <= {k for k, _ in DISCLOSURES}
    assert {"idiom", "shared_word", "guidance_question", "explained_and_seen", "historic_resolved",
            "known_managed"} <= {k for k, _ in NEAR_MISSES}


def test_the_concern_names_a_kind_and_never_the_words():
    found = concern("the 9 year old said her stepdad punched her in the stomach")
    assert found is not None and found.kind and "stomach" not in repr(found)


# ---- through the core --------------------------------------------------------------------------


@pytest.fixture
def chat(demo_chat):
    return demo_chat


def test_the_safe_reply_comes_first_for_everyone_and_records_nothing(chat, written):
    before = written()
    for user in ("sam.sw", "tess.tm", None):
        reply = chat.respond(user, "finished the cads on C-1042, also her brother says dad beat him with a belt last night")
        lines = reply.text.splitlines()
        assert lines[0] == FIRST_LINE
        assert "call 999" in lines[1] and "Front Door / safeguarding duty team" in lines[1]
        assert "I don't take referrals, and I've recorded nothing from this message." in reply.text
        assert "[Front Door guidance § 3.1 Consent]" in reply.text and "Section 47" in reply.text
        assert reply.withheld and reply.unchanged and reply.pending is None and reply.buttons == []
        assert len(lines) <= 7
    assert written() == before


def test_a_proposal_waiting_for_yes_is_kept_not_confirmed(chat, written):
    proposed = chat.respond("sam.sw", "rang the referrer with the CADS result for C-1045 today")
    assert proposed.pending is not None
    before = written()
    state = State(case_ref="C-1045", pending=proposed.pending)
    alarm = chat.respond("sam.sw", Message("yes, and by the way mum said her boyfriend threw the baby across the room",
                                           intent="affirm", confidence=0.97), state)
    assert alarm.text.startswith(FIRST_LINE) and "still waiting" in alarm.text
    assert "pending" not in alarm.slots() and "asking" not in alarm.slots()  # kept as they were
    assert written() == before  # nothing confirmed
    done = chat.respond("sam.sw", "yes", state)
    assert done.text.startswith("Recorded on C-1045: Referrer updated on the outcome")


def test_the_audit_log_says_a_reply_was_given_and_nothing_of_the_message(chat, migrated, caplog):
    caplog.set_level(logging.DEBUG)
    chat.respond("sam.sw", "the girl on C-1042 says her uncle touches her in bed", State(case_ref="C-1042"))
    with session_scope(migrated) as s:
        rows = AuditLog(s).events(action="safeguarding_reply")
        every = " ".join(f"{e.detail} {e.case_reference}" for e in s.execute(select(AuditEvent)).scalars())
    assert [(e.actor, e.case_reference) for e in rows] == [("sam.sw", "C-1042")]
    assert rows[0].at is not None
    for word in ("uncle", "touches", "bed", "girl"):
        assert word not in every and word not in caplog.text


def test_local_contacts_are_shown_when_set(chat, monkeypatch):
    monkeypatch.setenv("EHBOT_SAFEGUARDING_PHONE", "0113 000 0000")
    monkeypatch.setenv("EHBOT_SAFEGUARDING_OUT_OF_HOURS", "0113 000 0001 (Emergency Duty Team)")
    reply = chat.respond("sam.sw", "the 14yo says he's being paid to carry drugs for older lads")
    assert "Front Door / duty team: 0113 000 0000" in reply.text
    assert "Out of hours: 0113 000 0001 (Emergency Duty Team)" in reply.text
    assert "Hours:" not in reply.text


def test_the_safe_reply_is_given_when_the_database_is_down(monkeypatch):
    monkeypatch.setenv("EHBOT_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    reply = Conversation().respond("sam.sw", "the toddler was left alone in the flat all night")
    assert reply.text.startswith(FIRST_LINE) and reply.withheld


def test_a_question_about_the_guidance_gets_the_guidance(chat):
    reply = chat.respond("sam.sw", "what counts as significant harm for a section 47?")
    assert not reply.text.startswith(FIRST_LINE) and not reply.withheld


def test_the_reply_is_one_wording(chat):
    assert wording.safeguarding([], [], False).splitlines()[0] == FIRST_LINE


# ---- the NLU's second opinion -------------------------------------------------------------------

UNSURE = "the lad seems frightened of his uncle and goes quiet when he visits"


def test_the_nlu_and_some_worrying_words_bring_a_line_on_acting_on_harm_before_the_usual_answer(chat, written):
    assert concern(UNSURE) is None  # the detector alone lets it pass
    before = written()
    reply = chat.respond("sam.sw", Message(UNSURE, intent="disclosure", confidence=0.98))
    lines = reply.text.splitlines()
    assert lines[0] == wording.IF_THIS_IS_HARM and FIRST_LINE not in reply.text
    assert len(lines) > 1 and reply.withheld  # the usual answer follows; its words are kept nowhere
    assert written() == before


def test_the_nlu_alone_changes_nothing(chat):
    for message in (Message(UNSURE, intent="faq", confidence=0.98),  # worrying words, the NLU hears no harm
                    Message("FPM booked for C-1042 on friday", intent="disclosure", confidence=0.99),
                    Message(UNSURE, intent="disclosure", confidence=0.4)):
        reply = chat.respond("sam.sw", message)
        assert wording.IF_THIS_IS_HARM not in reply.text and not reply.withheld, message


def test_a_request_that_may_tell_of_harm_is_not_kept_to_be_finished_later(chat):
    plain = chat.respond("sam.sw", "consent given")
    assert plain.asking is not None and plain.asking.words == "consent given"  # "which case?" finishes it later
    reply = chat.respond("sam.sw", Message(f"{UNSURE}, consent given", intent="disclosure", confidence=0.99))
    assert reply.text.startswith(wording.IF_THIS_IS_HARM) and "Which case" in reply.text
    assert reply.asking is None and reply.slots().get("asking") is None
