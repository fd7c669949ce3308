"""Whole turns through the core (``Conversation.respond``, no NLU) for each way the
assistant used to misunderstand practitioners. The demo data, today Mon 23 Nov 2026.
Examples written for these tests."""
from __future__ import annotations

import pytest
from bot.conversation import Message, Question, State


@pytest.fixture
def chat(demo_chat):
    return demo_chat


# ---- 1. guidance from the right document and rule -----------------------------------------------


@pytest.mark.parametrize("question, source, facts", [
    ("after a cads outcome how soon does the first family planning meeting have to be",
     "CADS guidance", ("4 weeks",)),
    ("how often should FPMs be held once the CAF is going?", "CADS guidance", ("6-8 weeks",)),
    ("does my TM need to see my recommendation before the referrer is told the outcome?",
     "CADS guidance", ("Team Manager", "referrer")),
    ("when can social workers talk to police or the GP before telling the parents about s47 concerns",
     "Front Door guidance § 3.1 Consent", ("significant harm", "prejudice", "delay")),
    ("in what situations would I bring a family to the CAF support panel?", "CAF Team and Panel guidance",
     ("Lead Professional", "disengaged")),
    ("once the first TAF has happened how often are the reviews", "Early Help process guidance", ("6 weeks",)),
])
def test_a_guidance_question_is_answered_from_the_right_rule(chat, question, source, facts):
    reply = chat.respond("sam.sw", question)
    assert f"Source: {source}" in reply.text
    for fact in facts:
        assert fact.lower() in reply.text.lower(), fact
    assert len(reply.text.splitlines()) <= 6


def test_the_newer_words_get_the_documents_answer(chat):
    reply = chat.respond(None, "the family help lead practitioner for a step down, when do they need to be agreed?")
    assert "final CIN" in reply.text and "Step-down guidance" in reply.text


def test_an_answer_from_a_document_past_its_review_date_says_so_in_one_line(chat, monkeypatch):
    # The Front Door document: "Document review date 02.02.16".
    question = "can I ring the front door before the parents agree to it?"
    line = "The Front Door guidance was due for review by Tue 2 Feb 2016: check it is still current."
    assert chat.respond("sam.sw", question).text.splitlines().count(line) == 1
    assert "due for review" not in chat.respond("sam.sw", "who gets consent after a cads outcome?").text
    monkeypatch.setenv("EHBOT_TODAY", "2016-02-02")  # on the day itself, still current
    assert "due for review" not in chat.respond("sam.sw", question).text


def test_a_question_the_documents_do_not_answer_says_so(chat):
    reply = chat.respond("sam.sw", "how long can a child stay in an emergency foster placement?")
    assert "doesn't" in reply.text or "not something" in reply.text
    assert chat.respond("sam.sw", "can you book the meeting room for tuesday?").text.startswith("Sorry, that's not something")


# ---- 2. a question about a case step is answered, and records nothing --------------------------------


def test_may_i_tell_the_referrer_yet(chat, written):
    before = written()
    reply = chat.respond("sam.sw", "am I ok to let the referrer know the outcome on C-1045 now?")
    assert reply.text.startswith("Not yet on C-1045") and "team manager" in reply.text
    assert "CADS guidance §" in reply.text and reply.pending is None and written() == before


def test_may_i_on_a_step_down(chat, written):
    before = written()
    reply = chat.respond("sam.sw", "can we hold the final CIN for C-2004 yet?")
    assert reply.text.startswith("Not yet on C-2004") and "lead professional" in reply.text.lower()
    assert "CADS" not in reply.text and written() == before


# ---- 3. negation never flips, and the first line says exactly what is recorded ------------------------


@pytest.mark.parametrize("text", [
    "mum hasn't given consent yet on C-1042",
    "still no consent from dad for C-1042",
    "the TM hasn't looked at my recommendation yet for C-1045",
    "C-1047 initial FPM didn't happen, mum cancelled",
])
def test_a_step_not_done_is_never_proposed_as_done(chat, written, text):
    before = written()
    reply = chat.respond("sam.sw", text)
    assert reply.pending is None and "Shall I record" not in reply.text
    assert reply.text.startswith("Noted:") and "not done yet" in reply.text
    assert written() == before


def test_a_refusal_is_proposed_as_a_refusal(chat):
    reply = chat.respond("sam.sw", "dad has refused consent for the CAF on C-1045")
    assert reply.text.startswith("Consent declined on C-1045")
    assert reply.pending.consent.status == "declined"


def test_no_lead_professional_reads_as_none_found(chat):
    reply = chat.respond("sam.sw", "nobody will agree to be LP on C-1046")
    first = reply.text.splitlines()[0]
    assert first.startswith("No lead professional found on C-1046") and "Shall I record it?" in first
    assert reply.pending.outcome == "none_found"
    assert "CAF Link Worker" in reply.text


# ---- 4. a lead professional named by job and place -----------------------------------------------------


def test_a_lead_professional_named_by_job_and_place(chat):
    reply = chat.respond("sam.sw", "the DSL at Oakfield Primary has agreed to be lead professional for C-1046")
    assert reply.pending is not None and reply.pending.lead_professional is not None
    assert reply.pending.lead_professional.role == "dsl"
    assert "Section 47" not in reply.text
    assert reply.text.startswith("Lead professional agreed: DSL at Oakfield Primary on C-1046")
    nurse = chat.respond("sam.sw", "the school nurse from Elm Tree Academy will take on the LP role for C-1046")
    assert nurse.text.startswith("Lead professional agreed: school nurse at Elm Tree Academy on C-1046")


# ---- 5. "my" is the practitioner's own work ----------------------------------------------------------------


def test_my_list_is_mine_whatever_case_is_in_focus(chat):
    reply = chat.respond("sam.sw", "what have I got overdue on my list", State(case_ref="C-1042"))
    assert reply.text.startswith(("Due on your cases", "Nothing is due on your cases"))


def test_a_team_manager_asks_for_the_team(chat):
    assert chat.respond("tess.tm", "anything overdue across my team?").text.startswith("Overdue on Demo North Team")


# ---- 6. the recorded pathway is used; paths in everyday words ------------------------------------------


def test_an_outcome_walks_the_recorded_path_without_asking(chat):
    reply = chat.respond("sam.sw", "done my cads for C-1042, not level 4")
    assert reply.text.startswith("CADS assessment outcome (threshold not met) on C-1042")
    assert reply.pending.pathway is None and "Which outcome path" not in reply.text


def test_another_path_named_in_everyday_words_is_proposed_as_a_move(chat):
    reply = chat.respond("sam.sw", "cads done on C-1042, below threshold, they already have a CAF open")
    assert reply.pending.pathway == "cads-link-existing-caf"
    assert "The case moves to: CADS outcome: link to the existing CAF episode" in reply.text


# ---- 7. case references in another format -----------------------------------------------------------------


def test_another_reference_format_reaches_the_case(chat, migrated, monkeypatch):
    monkeypatch.setenv("EHBOT_CASE_REFERENCE_PATTERN", r"(?P<prefix>[A-Z])-?(?P<number>\d{4})\b")
    reply = chat.respond("sam.sw", "whats left on c1043")
    assert reply.text.startswith("C-1043:")


# ---- 8. start again, cancel ----------------------------------------------------------------------------


def test_start_again_and_cancel(chat):
    proposed = chat.respond("sam.sw", "updated the referrer on C-1045")
    state = State(case_ref="C-1045", pending=proposed.pending)
    restarted = chat.respond("sam.sw", "start again", state)
    assert restarted.text.startswith("Starting again") and restarted.slots() == {
        "case_ref": None, "focus_rule": None, "pending": None, "asking": None}
    cancelled = chat.respond("sam.sw", "cancel", state)
    assert cancelled.text == "OK, nothing was recorded." and cancelled.slots()["pending"] is None


# ---- 9. an unknown sender asking a general question gets the guidance ------------------------------------


def test_an_unknown_sender_asking_what_to_do_gets_the_guidance(chat):
    reply = chat.respond(None, "no one will take on the lead professional role, what happens now?")
    assert "CAF Link Worker" in reply.text and "Source:" in reply.text


def test_an_unknown_sender_asking_about_a_case_sees_none(chat):
    reply = chat.respond(None, "what's left on C-1042?")
    assert "I don't know you" in reply.text and "Next:" not in reply.text


# ---- 10. short replies, and buttons that finish what they answer -----------------------------------------


def test_replies_are_short(chat):
    for text in ("I've finished a CADS assessment, threshold not met for C-1042", "what's left on C-1043?",
                 "who gains consent after cads?", "the TM signed it off today on C-1045"):
        assert len(chat.respond("sam.sw", text).text.splitlines()) <= 7, text


def test_which_case_then_the_reference_finishes_the_request(chat):
    asked = chat.respond("sam.sw", "mum gave consent this morning")
    assert asked.text.startswith("Which case") and asked.asking.kind == "which_case"
    done = chat.respond("sam.sw", "C-1042", State(asking=asked.asking))
    assert done.text.startswith("Consent given on C-1042") and done.pending is not None


def test_a_step_button_finishes_the_words_it_answers(chat):
    state = State(case_ref="C-1045", asking=Question("which_step", case="C-1045", words="sorted that on C-1045"))
    reply = chat.respond("sam.sw", Message("", "case_report", 1.0, (("concept", "referrer_updated"),)), state)
    assert reply.text.startswith("Referrer updated on the outcome on C-1045")


@pytest.mark.parametrize("text", ["show all on C-1043", "show everything for C-1043", "C-1043 full list please"])
def test_show_all_gives_every_step_with_its_citation(chat, text):
    reply = chat.respond("sam.sw", text)
    assert "Say \"show all on C-1043\"" not in reply.text
    assert "\nDone:\n" in reply.text and reply.text.count("[CADS guidance §") >= 5
    assert "Say \"show all on C-1043\"" in chat.respond("sam.sw", "what's left on C-1043").text


# ---- a fresh round's classes: context before the question, numbers not given, two asks -------------


def test_a_question_after_some_context_is_about_the_guidance_not_a_case(chat, written):
    before = written()
    reply = chat.respond("sam.sw", "LP for a family since cads, plan is a year old now and still not finished. what happens next?")
    assert not reply.text.startswith("Which case")
    assert reply.pending is None and written() == before


def test_a_number_the_guidance_never_gives_is_said_to_be_unspecified(chat):
    reply = chat.respond("sam.sw", "how many working days do we have to finish a child and family assessment?")
    assert "doesn't specify" in reply.text
    reply = chat.respond("sam.sw", "is there a maximum number of caseload points an early help worker can hold?")
    assert "doesn't" in reply.text


def test_a_question_asking_two_things_gets_both(chat):
    reply = chat.respond("sam.sw", "new allocation today: by when do i ring the family, and when do i have to visit them?")
    assert "2 working days" in reply.text and "5 working days" in reply.text


def test_topics_the_documents_do_not_cover_are_named(chat):
    reply = chat.respond("sam.sw", "the family are relocating to another local authority, how do i hand the caf over?")
    assert "doesn't" in reply.text and "another local authority" in reply.text


def test_an_errand_is_out_of_scope(chat):
    assert chat.respond("sam.sw", "how do i claim my mileage from october?").text.startswith("Sorry, that's not something")
    assert chat.respond("sam.sw", "what's the weather forecast for the visit on friday").text.startswith("Sorry")


def test_consent_in_other_words_and_a_refusal_beside_a_visit(chat):
    given = chat.respond("sam.sw", "spoke to gran on C-1042, she is fine for us to share information with the school")
    assert given.pending is not None and given.pending.consent.status == "given"
    refused = chat.respond("sam.sw", "home visit done on C-1045 but dad wouldn't let us speak to the nursery")
    assert refused.pending is not None and refused.pending.consent.status == "declined"


def test_nobody_willing_to_lead_reads_as_none_found(chat):
    reply = chat.respond("sam.sw", "tried the school and the HV for C-1046 but couldn't find anyone to take the lead")
    assert reply.text.startswith("No lead professional found on C-1046")


def test_an_agency_saying_the_outcome_is_wrong_is_a_disagreement_not_a_correction(chat):
    reply = chat.respond("sam.sw", "C-2004 the health visitor disagrees, she says the decision is wrong")
    assert "nothing to correct" not in reply.text and reply.pending is not None


def test_a_change_asked_for_is_a_correction(chat):
    reply = chat.respond("sam.sw", "C-1043 the LP is the youth worker not the teacher, please change it")
    assert not reply.text.startswith("No lead professional")


def test_consent_not_given_yet_is_noted_not_proposed(chat, written):
    before = written()
    reply = chat.respond("sam.sw", "rang dad about C-1045, he hasn't agreed yet and wants time to think it over")
    assert reply.pending is None and "consent" in reply.text.lower() and written() == before


def test_a_referrer_not_happy_with_the_outcome_is_a_disagreement(chat):
    reply = chat.respond("sam.sw", "C-1043 the school aren't happy with the outcome and want it looked at again")
    assert reply.pending is not None and "disagree" in reply.text.lower()


def test_which_of_my_cases_need_doing_is_my_list(chat):
    assert chat.respond("sam.sw", "any of my cases need something doing this week?").text.startswith(
        ("Due on your cases", "Nothing is due on your cases"))


def test_a_short_form_with_an_apostrophe_s_is_still_read(chat):
    reply = chat.respond("sam.sw", "what is the TM's part in a cads outcome")
    assert "Team Manager" in reply.text and "quality assur" in reply.text


def test_the_same_words_from_two_documents_are_given_once(chat):
    reply = chat.respond("sam.sw", "the CLW challenged everyone and still no LP, who takes it to the transforming lives panel?")
    first = reply.text.splitlines()[0]
    assert reply.text.count(first) == 1
