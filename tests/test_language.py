"""Reading a message once: the lexicon, and the reading every workflow uses (bot/language).
Examples written for these tests."""
from __future__ import annotations

import pytest

from bot.language.lexicon import normalise
from bot.language.reading import read
from bot.references import find_reference, normalise_reference


@pytest.mark.parametrize("typed, reads", [
    ("TM sined off the recomendation", "team manager signed off"),
    ("cant find a family help lead practitioner", "can't find a lead professional"),
    ("is the family help plan reviewed", "is the caf plan reviewed"),
    ("consnet from mum for the CAF", "consent from mum parent for the caf"),
    ("whats the timescale for the intial FPM", "what is the timescale for the initial family planning meeting"),
    ("the s47 exceptions", "the section 47 exceptions"),
])
def test_the_lexicon_reads_practitioners_words_as_the_guidance_writes_them(typed, reads):
    assert normalise(typed).startswith(reads)


def test_a_word_that_is_not_a_slip_is_left_alone():
    assert normalise("the grandparents are brilliant") == "the grandparents are brilliant"


@pytest.mark.parametrize("word", ["reuse", "brother", "overnight", "identity", "office", "starting", "cause"])
def test_an_english_word_is_never_corrected_into_a_word_of_the_guidance(word):
    # each is one slip from a word the guidance uses (refuse, bother, oversight, identify...)
    assert normalise(f"the {word} one") == f"the {word} one"


def test_a_child_in_need_keeps_its_need():
    from bot.guidance import registry
    from bot.guidance.retrieval import index

    assert "child in need" in index(registry()).words("leaving cin soon")


# ---- the steps named, and whether they happened --------------------------------------------


@pytest.mark.parametrize("text, concept, not_done, refused", [
    ("the TM signed it off this morning on C-1042", "team_manager_sign_off", False, False),
    ("manager has QA'd my recommendation for C-1042", "team_manager_sign_off", False, False),
    ("TM still hasn't signed off C-1042", "team_manager_sign_off", True, False),
    ("mum refused consent for C-1045", "consent_given", False, True),
    ("dad's still thinking about consent on C-1042", "consent_given", True, False),
    ("consent form signed by both parents at the visit", "consent_given", False, False),
    ("the school nurse agreed to be lead professional", "lead_professional_agreed", False, False),
    ("nobody will take on lead professional for C-1046", "lead_professional_agreed", True, False),
    ("the CLW has had no luck finding an LP", "lead_professional_agreed", True, False),
    ("initial FPM booked for 14 Jan", "family_planning_meeting_booked", False, False),
    ("the FPM was cancelled, family were ill", "family_planning_meeting_held", True, False),
    ("we held the first FPM yesterday", "family_planning_meeting_held", False, False),
    ("rang the nursery to let them know it's going to CAF", "referrer_updated", False, False),
    ("dad is against the step down", "disagreement_family", False, False),
    ("the school are pushing back on closing the case", "disagreement_agency", False, False),
])
def test_each_step_is_read_with_whether_it_happened(text, concept, not_done, refused):
    step = read(text).step
    assert step is not None and (step.concept, step.not_done, step.refused) == (concept, not_done, refused)


def test_negation_stays_in_its_own_part_of_the_message():
    reading = read("the FPM didn't go ahead last week but the TM has signed off the recommendation")
    assert reading.names("family_planning_meeting_held").not_done
    assert not reading.names("team_manager_sign_off").not_done


@pytest.mark.parametrize("text", [
    "can I tell the referrer yet?", "am I ok to start the CAF now", "do I need TM sign off before the FPM?",
    "is C-2004 ready for the final CIN?", "have I got to get consent first",
])
def test_asking_whether_a_step_may_be_done(text):
    assert read(text).asks_may_i


def test_a_report_is_not_a_question():
    assert not read("told the referrer this morning").asks_may_i


@pytest.mark.parametrize("text, path", [
    ("threshold not met, they already have a CAF open", "link_existing_caf"),
    ("below level 4, going to a family support worker", "signpost_early_help"),
    ("nfa csc, starting a new CAF", "progress_to_caf"),
    ("threshold not met", None),
])
def test_the_outcome_path_in_everyday_words(text, path):
    assert read(text).path == path


@pytest.mark.parametrize("text, due", [
    ("what's overdue on my list?", "mine"), ("anything due for me this week", "mine"),
    ("what is my team behind on", "team"), ("what's left on C-1042", None),
])
def test_what_is_due_and_for_whom(text, due):
    assert read(text).due == due


@pytest.mark.parametrize("text, command", [
    ("/restart", "restart"), ("start again", "restart"), ("Start over!", "restart"), ("cancel", "cancel"),
    ("never mind", "cancel"), ("cancel the FPM on C-1047", None),
])
def test_commands(text, command):
    assert read(text).command == command


def test_the_case_reference_is_read_once_and_not_as_words():
    reading = read("step C-2004 down please")
    assert reading.case_reference == "C-2004" and reading.step_down_start


# ---- case references in an authority's own format -------------------------------------------


def test_the_default_reference_format():
    assert find_reference("finished the cads for c 1042 today") == "C-1042"
    assert find_reference("the year 10 pupil is at level 4") is None
    assert normalise_reference("c_1042") == "C-1042"


def test_another_authoritys_reference_format(monkeypatch):
    monkeypatch.setenv("EHBOT_CASE_REFERENCE_PATTERN", r"(?P<prefix>EH)(?P<number>\d{6})")
    assert find_reference("consent given on eh123456 yesterday") == "EH-123456"
    assert normalise_reference("EH-123456") is None and normalise_reference("eh123456") == "EH-123456"
    assert find_reference("on C-1042") is None
    assert read("mum gave consent on EH123456").case_reference == "EH-123456"


def test_a_numeric_reference_format(monkeypatch):
    monkeypatch.setenv("EHBOT_CASE_REFERENCE_PATTERN", r"\d{7}")
    assert find_reference("what's left on 1234567?") == "1234567"
    assert find_reference("the FPM on 14/1 at 10") is None


@pytest.mark.parametrize("question, rule_id", [
    ("nobody is willing to be lead professional after the cads, what happens now?", "cads.knowledge-lead-professional-ladder"),
    ("no agency will take the lp role on the step down, what next?", "stepdown.knowledge-lead-professional-ladder"),
])
def test_a_vague_question_gets_the_whole_answer_not_one_short_rung(question, rule_id):
    from bot.guidance import registry
    from bot.guidance.retrieval import index

    assert index(registry()).search(question, k=1)[0].rule.id == rule_id
