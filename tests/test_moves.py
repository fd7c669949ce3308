"""A case moved between pathways where the guidance moves one (the packs' ``moves:``): the
old pathway's episode ends with its steps done, the new one's clock starts from the
recorded event; and a lead professional's history (who, from when, why).

Today is Mon 23 Nov 2026 (conftest).
"""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import add_case, turn
from sqlalchemy import select

from bot import guidance
from bot.db.episodes import EpisodeRepository
from bot.db.models import AuditEvent
from bot.db.repositories import CaseRepository, RecordRejected
from bot.guidance import PackError
from bot.guidance.loader import load_packs
from bot.pathways import evaluate

D = dt.date
TODAY = D(2026, 11, 23)


# ---- the packs' moves ---------------------------------------------------------------------


def test_every_move_joins_pathways_the_packs_have_with_its_steps_where_it_says():
    reg = guidance.Registry(load_packs())  # all five packs: a move to a pathway no pack has is refused
    assert set(reg.moves) == {"cads.signpost-to-early-help", "earlyhelp.from-step-down",
                              "frontdoor.assessment-to-transfer", "frontdoor.step-up"}
    packs = load_packs()
    declared = {m for p in packs.values() for m in p.moves}
    assert declared == set(reg.moves)
    assert [m.to for m in reg.moves_from("cads-signpost-early-help")] == ["early-help-allocation"]
    assert [m.id for m in reg.moves_from("early-help-allocation")] == ["frontdoor.step-up"]


def test_a_move_whose_step_is_not_on_the_pathway_it_leaves_is_refused():
    packs = load_packs()
    move = packs["cads-outcome-to-caf"].moves["cads.signpost-to-early-help"]
    import dataclasses
    packs["cads-outcome-to-caf"].moves[move.id] = dataclasses.replace(move, after="cads.caf-closure")
    with pytest.raises(PackError, match="after cads.caf-closure is not a step of cads-signpost-early-help"):
        guidance.Registry(packs)


def test_a_move_to_a_pack_not_in_use_is_not_offered():
    reg = guidance.Registry(load_packs(only=["cads-outcome-to-caf", "step-down-csc-to-caf"]))
    assert reg.moves == {}


# ---- moving a case ------------------------------------------------------------------------


def test_signposted_case_moves_to_early_help_counting_from_the_allocation(session, people):
    add_case(session, people, pathway="cads-signpost-early-help", lead_professional_name="Pat Nurse")
    repo, episodes = CaseRepository(session), EpisodeRepository(session)
    with pytest.raises(RecordRejected, match="not recorded yet: The CADSSO Team Manager allocates"):
        episodes.move_case("C-1042", "cads.signpost-to-early-help", TODAY, "sw.jones")
    repo.record_step("C-1042", "cads.assessment-outcome", D(2026, 11, 3), "sw.jones")
    repo.record_step("C-1042", "cads.cadsso-allocation", D(2026, 11, 16), "sw.jones", outcome="allocated")

    moved = episodes.move_case("C-1042", "cads.signpost-to-early-help", TODAY, "sw.jones")
    # The Early Help clock runs from the allocation (Mon 16 Nov), not from the day of the move.
    assert (moved.number, moved.pathway, moved.opened_on, moved.moved_by) == (
        2, "early-help-allocation", D(2026, 11, 16), "cads.signpost-to-early-help")
    file = repo.case_file("C-1042", viewer="test")
    assert (file.pathway, file.opened_on, file.lead_professional.display_name) == (
        "early-help-allocation", D(2026, 11, 16), "Pat Nurse")
    assert [(s.rule_id, s.done_on, s.outcome, s.source) for s in file.steps] == [
        ("earlyhelp.allocation", D(2026, 11, 16), "other", "move")]
    view = evaluate(file, today=TODAY)
    # Telephone contact within 2 working days of allocation: Wed 18 Nov, so overdue today.
    assert view.step("earlyhelp.telephone-contact").due_on == D(2026, 11, 18)
    assert view.step("earlyhelp.telephone-contact").overdue

    first, second = episodes.episodes("C-1042", viewer="test")
    assert (first.pathway, first.closed_on) == ("cads-signpost-early-help", D(2026, 11, 16))
    assert [s.rule_id for s in first.steps] == ["cads.assessment-outcome", "cads.cadsso-allocation"]
    assert second.moved_by == "cads.signpost-to-early-help"
    # The same move again changes nothing; a close reason or name is never audited.
    assert episodes.move_case("C-1042", "cads.signpost-to-early-help", TODAY, "sw.jones").number == 2
    details = session.execute(select(AuditEvent.detail).where(AuditEvent.action == "move_case")).scalars().all()
    assert details == ["episode 2 cads-signpost-early-help -> early-help-allocation 2026-11-16"]


def test_step_up_opens_a_front_door_contact_on_the_day_of_the_move(session, people):
    add_case(session, people, pathway="early-help-allocation")
    repo, episodes = CaseRepository(session), EpisodeRepository(session)
    repo.record_step("C-1042", "earlyhelp.allocation", D(2026, 11, 2), "sw.jones", outcome="other")
    with pytest.raises(RecordRejected, match="is in the future"):
        episodes.move_case("C-1042", "frontdoor.step-up", D(2026, 11, 30), "sw.jones")
    with pytest.raises(RecordRejected, match="not from early-help-allocation"):
        episodes.move_case("C-1042", "frontdoor.assessment-to-transfer", TODAY, "sw.jones")
    moved = episodes.move_case("C-1042", "frontdoor.step-up", D(2026, 11, 20), "sw.jones", reason="needs escalated")
    assert (moved.pathway, moved.opened_on) == ("front-door-contact", D(2026, 11, 20))
    file = repo.case_file("C-1042", viewer="test")
    assert [(s.rule_id, s.done_on) for s in file.steps] == [("frontdoor.contact-made", D(2026, 11, 20))]
    first = episodes.episodes("C-1042", viewer="test")[0]
    assert (first.close_reason, [s.rule_id for s in first.steps]) == ("needs escalated", ["earlyhelp.allocation"])
    with pytest.raises(RecordRejected, match="already moved to front-door-contact on 2026-11-20"):
        episodes.move_case("C-1042", "frontdoor.step-up", TODAY, "sw.jones")


def test_contact_moves_to_transfer_only_after_a_child_in_need_or_section_47_outcome(session, people):
    add_case(session, people, pathway="front-door-contact")
    repo, episodes = CaseRepository(session), EpisodeRepository(session)
    repo.record_step("C-1042", "frontdoor.contact-made", D(2026, 11, 2), "sw.jones")
    repo.record_step("C-1042", "frontdoor.recommendation", D(2026, 11, 3), "sw.jones", outcome="referral_accepted")
    repo.record_step("C-1042", "frontdoor.area-team-decision", D(2026, 11, 4), "sw.jones",
                     outcome="child_and_family_assessment")
    repo.record_step("C-1042", "frontdoor.child-and-family-assessment", D(2026, 11, 5), "sw.jones")
    repo.record_step("C-1042", "frontdoor.assessment-outcome", D(2026, 11, 6), "sw.jones", outcome="universal_or_targeted")
    with pytest.raises(RecordRejected, match="not recorded yet"):
        episodes.move_case("C-1042", "frontdoor.assessment-to-transfer", TODAY, "sw.jones")
    repo.record_step("C-1042", "frontdoor.assessment-outcome", D(2026, 11, 9), "sw.jones", outcome="child_in_need")
    with pytest.raises(RecordRejected, match="before the step the move follows"):
        episodes.move_case("C-1042", "frontdoor.assessment-to-transfer", D(2026, 11, 8), "sw.jones")
    moved = episodes.move_case("C-1042", "frontdoor.assessment-to-transfer", TODAY, "sw.jones")
    assert (moved.pathway, moved.opened_on, moved.steps) == ("front-door-transfer-to-early-help", TODAY, ())


def test_a_closed_case_is_reopened_before_it_moves(session, people):
    add_case(session, people, pathway="early-help-allocation")
    episodes = EpisodeRepository(session)
    episodes.close_case("C-1042", D(2026, 11, 10), None, "sw.jones")
    with pytest.raises(RecordRejected, match="is closed .* reopen it first"):
        episodes.move_case("C-1042", "frontdoor.step-up", TODAY, "sw.jones")


# ---- a lead professional's history ----------------------------------------------------------


def test_a_new_lead_professional_is_used_and_the_earlier_ones_kept(session, people):
    add_case(session, people, lead_professional_name="Pat Nurse", lead_professional_role="school nurse")
    repo, episodes = CaseRepository(session), EpisodeRepository(session)
    repo.set_lead_professional("C-1042", "Alex Family Worker", role="family support worker", by_username="sw.jones",
                               from_date=D(2026, 11, 16), reason="Pat has left the school")
    with pytest.raises(RecordRejected, match="from 2026-11-16: a change must be from that day or later"):
        repo.set_lead_professional("C-1042", "Sam Other", by_username="sw.jones", from_date=D(2026, 11, 10))
    with pytest.raises(RecordRejected, match="in the future"):
        repo.set_lead_professional("C-1042", "Sam Other", by_username="sw.jones", from_date=D(2026, 11, 24))
    # The same one again changes nothing.
    repo.set_lead_professional("C-1042", "Alex Family Worker", role="family support worker", by_username="sw.jones",
                               from_date=TODAY)
    assert repo.case_file("C-1042", viewer="test").lead_professional.display_name == "Alex Family Worker"
    (episode,) = episodes.episodes("C-1042", viewer="test")
    assert [(c.name, c.from_date, c.reason) for c in episode.lead_professionals] == [
        ("Pat Nurse", None, None), ("Alex Family Worker", D(2026, 11, 16), "Pat has left the school")]
    details = session.execute(select(AuditEvent.detail).where(AuditEvent.action == "set_lead_professional")).scalars().all()
    assert details == ["lead professional is a partner outside ehbot from 2026-11-16"]  # no name, no reason


# ---- in chat ----------------------------------------------------------------------------------

def test_a_signposted_case_moves_to_early_help_in_chat_once_allocated_and_steps_up_later(demo_chat, migrated):
    from bot.db.session import session_scope

    waits, _ = turn(demo_chat, "C-1045 can go over to early help now")
    assert waits.text.startswith("Not yet: C-1045 moves to Early Help: from allocation to the CAF")
    assert "The CADSSO Team Manager allocates" in waits.text and waits.pending is None
    with session_scope(migrated) as s:
        CaseRepository(s).record_step("C-1045", "cads.progress-to-cadsso-team-manager", D(2026, 11, 19), "sam.sw")
        CaseRepository(s).record_step("C-1045", "cads.cadsso-allocation", D(2026, 11, 20), "tess.tm",
                                      outcome="allocated")
    asked, _ = turn(demo_chat, "can C-1045 transfer to early help yet?")
    assert asked.text.startswith("Yes: C-1045 can move to Early Help") and asked.pending is None

    proposed, state = turn(demo_chat, "please move C-1045 to early help")
    assert proposed.text.startswith("Move C-1045 to Early Help: from allocation to the CAF and the Team Around the "
                                    "Family (episode 2), from Fri 20 Nov 2026, by Sam Social (demo). Shall I record it?")
    assert "Recorded with it: Case allocated to the worker" in proposed.text
    done, state = turn(demo_chat, "yes", state)
    assert done.text.startswith("Recorded: C-1045 moved to Early Help")
    assert "Next: " in done.text
    with session_scope(migrated) as s:
        file = CaseRepository(s).case_file("C-1045", viewer="test")
        assert (file.pathway, file.episode, file.opened_on) == ("early-help-allocation", 2, D(2026, 11, 20))

    up, state = turn(demo_chat, "C-1045 needs stepping up to social care, contact made to the front door today", state)
    assert up.text.startswith("Move C-1045 to A contact to the Front Door")
    done, state = turn(demo_chat, "yes", state)
    history, _ = turn(demo_chat, "history of C-1045", state)
    lines = history.text.splitlines()
    assert lines[0] == "C-1045: 3 episodes."
    assert "moved: Signposted to Early Help" in lines[2] and "moved: Stepped up" in lines[3]
    assert "Fictional Child" not in history.text


def test_a_move_the_guidance_does_not_give_is_refused_naming_the_ones_it_does(demo_chat):
    reply, _ = turn(demo_chat, "transfer C-1042 to early help")
    assert reply.text.startswith("The guidance gives no move to early help from CADS outcome: progress to a new CAF")
    assert "It gives: Stepped up: a contact to the Front Door" in reply.text and reply.pending is None


@pytest.mark.parametrize("text, towards", [
    ("step C-1042 up please", "social_care"),
    ("we're escalating C-1042 back to CSC", "social_care"),
    ("I've put a referral in to the front door for C-1042", "social_care"),
    ("C-1045 has been allocated to early help", "early_help"),
    ("moving C-1046 over to the EH team", "early_help"),
    ("move C-1042 to Sam's caseload", None),          # a worker, not a pathway
    ("C-1042 CIN closing, step down to a CAF", None),  # a step-down has its own pathway
])
def test_moves_are_read_in_practitioners_words(text, towards):
    from bot.language.reading import read

    reading = read(text)
    assert (reading.towards, reading.episode == "move") == (towards, towards is not None)


def test_a_new_lead_professional_in_chat_is_proposed_as_a_change_and_kept_in_the_history(demo_chat, migrated):
    from bot.db.session import session_scope

    proposed, state = turn(demo_chat, "Pat Nurse agreed to be lead professional for C-1046 on 16/11")
    done, state = turn(demo_chat, "yes", state)
    early, state = turn(demo_chat, "the new lead professional on C-1046 is Jo Smith from 13/11", state)
    assert early.text.startswith("Pat Nurse is lead professional on C-1046 from Mon 16 Nov 2026: ")
    assert early.pending is None
    changed, state = turn(demo_chat, "the lead professional for C-1046 is now Alex Worker from 20/11, as Pat has left",
                          state)
    assert changed.text.startswith("Lead professional on C-1046: Alex Worker from Fri 20 Nov 2026, in place of "
                                   "Pat Nurse, by Sam Social (demo). Shall I record it?")
    assert "Reason: Pat has left" in changed.text
    with session_scope(migrated) as s:  # nothing before yes
        assert CaseRepository(s).case_file("C-1046", viewer="test").lead_professional.display_name == "Pat Nurse"
    done, state = turn(demo_chat, "yes", state)
    assert done.text.startswith("Recorded on C-1046: Lead professional changed: Alex Worker")
    with session_scope(migrated) as s:
        assert CaseRepository(s).case_file("C-1046", viewer="test").lead_professional.display_name == "Alex Worker"
    history, _ = turn(demo_chat, "history of C-1046", state)
    assert ("lead professionals Pat Nurse from Mon 16 Nov 2026, then Alex Worker from Fri 20 Nov 2026 (Pat has left)"
            in history.text)


def test_cli_lists_the_moves_and_moves_a_case_by_the_pathway_it_goes_to(db_url, migrated, session, people,
                                                                      monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.setenv("EHBOT_DATABASE_URL", db_url)
    add_case(session, people, pathway="early-help-allocation")
    assert main(["pathways", "moves"]) == 0
    assert "frontdoor.step-up  early-help-allocation, " in capsys.readouterr().out
    assert main(["case", "move", "C-1042", "front-door-transfer-to-early-help", "--user", "sw.jones"]) == 2
    assert "the guidance gives no move 'front-door-transfer-to-early-help' from early-help-allocation" in \
        capsys.readouterr().err
    assert main(["case", "move", "C-1042", "front-door-contact", "--on", "2026-11-20", "--user", "sw.jones"]) == 0
    assert "C-1042: moved to front-door-contact as episode 2, from 2026-11-20" in capsys.readouterr().out


def test_words_of_a_move_that_name_a_step_not_done_yet_propose_the_step(session, people, demo_chat):
    add_case(session, people, reference="C-1090", pathway="step-down-csc-to-caf")
    reply, _ = turn(demo_chat, "referral to EHM done for C-1090, moving it over to early help", user="sw.jones")
    assert reply.pending is not None and reply.pending.rule_id == "stepdown.referral-to-ehm"
    assert reply.pending.record == "step"
