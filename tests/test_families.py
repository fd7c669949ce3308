"""Siblings' cases linked as one family: a step done for the family (a Family Planning
Meeting, a parent's consent) is recorded on each linked case after one confirmation.

Today is Mon 23 Nov 2026 (conftest). The demo links C-1047 and C-1048.
"""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import add_case, turn
from sqlalchemy import select

from bot import guidance
from bot.db.families import FamilyRepository
from bot.db.models import AuditEvent, Case
from bot.db.repositories import CaseRepository, RecordRejected
from bot.db.session import session_scope

D = dt.date


def test_the_family_steps_are_named_in_the_packs():
    reg = guidance.registry()
    family = {r.id for r in reg.rules.values() if r.for_the_family}
    assert {"cads.initial-family-planning-meeting", "cads.informed-consent", "stepdown.family-plan-review",
            "earlyhelp.first-taf"} <= family
    assert "cads.team-manager-oversight" not in family  # a sign-off is each child's own


def test_linking_joins_families_and_unlinking_leaves_the_rest(session, people):
    for ref in ("C-1042", "C-1043", "C-1044"):
        add_case(session, people, reference=ref)
    families = FamilyRepository(session)
    assert families.link(["C-1042", "c1043"], "sw.jones") == ["C-1042", "C-1043"]
    assert families.link(["C-1044", "C-1043"], "sw.jones") == ["C-1042", "C-1043", "C-1044"]
    assert families.link(["C-1042", "C-1044"], "sw.jones") == ["C-1042", "C-1043", "C-1044"]  # no change
    assert [c.reference for c in families.siblings("C-1043")] == ["C-1042", "C-1044"]
    with pytest.raises(RecordRejected, match="two or more cases"):
        families.link(["C-1042", "C-1042"], "sw.jones")
    families.unlink("C-1043", "sw.jones")
    assert families.siblings("C-1043") == [] and [c.reference for c in families.siblings("C-1042")] == ["C-1044"]
    families.unlink("C-1044", "sw.jones")
    assert session.execute(select(Case.family).where(Case.reference == "C-1042")).scalar_one() is None  # alone: none
    details = session.execute(select(AuditEvent.detail).where(AuditEvent.action == "link_family")).scalars().all()
    assert details[0].endswith(": C-1042, C-1043")  # references and a key, never a name


def test_a_family_meeting_is_offered_for_the_linked_sibling_and_recorded_on_both_after_one_yes(demo_chat, migrated):
    proposed, state = turn(demo_chat, "we held the initial family planning meeting for C-1047 yesterday")
    assert proposed.pending.also == ("C-1048",)
    assert "This is done for the family: say yes to record it on C-1048 too (linked with C-1047)" in proposed.text
    assert [b[0] for b in proposed.buttons] == ["Yes, on all 2", "Only C-1047", "No"]
    done, _ = turn(demo_chat, "yes", state)
    assert "Also recorded for the family on C-1048." in done.text
    with session_scope(migrated) as s:
        for ref in ("C-1047", "C-1048"):
            steps = CaseRepository(s).case_file(ref, viewer="test").steps
            assert ("cads.initial-family-planning-meeting", D(2026, 11, 22)) in [(x.rule_id, x.done_on) for x in steps]


def test_only_this_case_records_it_on_one(demo_chat, migrated):
    proposed, state = turn(demo_chat, "C-1048 initial FPM held today")
    assert proposed.pending.also == ("C-1047",)
    done, _ = turn(demo_chat, "only C-1048", state)
    assert "Also recorded" not in done.text and done.text.startswith("Recorded on C-1048")
    with session_scope(migrated) as s:
        steps = CaseRepository(s).case_file("C-1047", viewer="test").steps
        assert "cads.initial-family-planning-meeting" not in [x.rule_id for x in steps]


def test_a_sibling_the_practitioner_may_not_see_is_not_named(demo_chat, migrated):
    with session_scope(migrated) as s:
        s.execute(Case.__table__.update().where(Case.reference == "C-1048").values(
            allocated_worker_id=None, team_id=_other_team(s)))
    proposed, _ = turn(demo_chat, "we held the initial family planning meeting for C-1047 yesterday")
    assert proposed.pending.also == () and "C-1048" not in proposed.text


def _other_team(session):
    from bot.db.models import Team

    team = Team(name="Another team")
    session.add(team)
    session.flush()
    return team.id


def test_cli_links_siblings_and_the_history_names_them(db_url, migrated, session, people, monkeypatch, capsys):
    from bot.cli import main

    monkeypatch.setenv("EHBOT_DATABASE_URL", db_url)
    add_case(session, people)
    add_case(session, people, reference="C-1043")
    assert main(["case", "link", "C-1042", "C-1043", "--user", "sw.jones"]) == 0
    assert "linked as one family: C-1042, C-1043" in capsys.readouterr().out
    assert main(["case", "history", "C-1042"]) == 0
    assert "C-1042: 1 episode. Linked as a family with C-1043." in capsys.readouterr().out
    assert main(["case", "unlink", "C-1043", "--user", "sw.jones"]) == 0
    assert main(["case", "history", "C-1042"]) == 0
    assert "Linked as a family" not in capsys.readouterr().out
