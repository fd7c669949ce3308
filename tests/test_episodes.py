"""A case's life: closed (in chat, from the CLI, by CSV), its steps and reminders stop;
reopened after a re-referral as a new episode, the earlier one kept as history.

Today is Mon 23 Nov 2026 (conftest).
"""
from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from conftest import CHILD_NAME, add_case, turn
from fakes import early_help_case, fake_slack  # noqa: F401  (fixture)
from sqlalchemy import select

from bot.cli import main
from bot.db.models import AuditEvent, Case, Reminder
from bot.db.episodes import EpisodeRepository
from bot.db.repositories import CaseRepository, RecordRejected, StepRejected
from bot.db.session import session_scope
from bot.importer import ImportRejected, import_episodes
from bot.language.reading import read
from bot.notify import worker
from bot.notify.outbox import Outbox
from bot.pathways import evaluate

D = dt.date
TODAY = D(2026, 11, 23)


# ---- the repository ---------------------------------------------------------------------


def test_closing_stops_the_case_being_scanned_and_reopening_starts_a_clean_episode(session, people):
    add_case(session, people, lead_professional_name="Pat Nurse", lead_professional_role="school nurse")
    repo, episodes = CaseRepository(session), EpisodeRepository(session)
    repo.record_step("C-1042", "cads.assessment-outcome", D(2026, 11, 3), "sw.jones")
    closed = episodes.close_case("C-1042", D(2026, 11, 20), "plan met", "sw.jones")
    assert (closed.number, closed.closed_on, closed.close_reason) == (1, D(2026, 11, 20), "plan met")
    assert [c.reference for c in repo.open_cases()] == []

    reopened = episodes.reopen_case("C-1042", D(2026, 11, 23), "re-referred by the school", "sw.jones")
    assert (reopened.number, reopened.opened_on, reopened.closed_on) == (2, TODAY, None)
    file = repo.case_file("C-1042", viewer="test")
    # The new episode owes its own steps: nothing done, no lead professional carried over.
    assert (file.episode, file.opened_on, file.steps, file.lead_professional) == (2, TODAY, [], None)
    assert evaluate(file, today=TODAY).step("cads.assessment-outcome").state != "done"
    assert [c.reference for c in repo.open_cases()] == ["C-1042"]

    first, second = episodes.episodes("C-1042", viewer="test")
    assert (first.opened_on, first.closed_on, first.close_reason, first.lead_professional) == (
        D(2026, 11, 2), D(2026, 11, 20), "plan met", "Pat Nurse")
    assert [s.rule_id for s in first.steps] == ["cads.assessment-outcome"]
    assert (second.number, second.reopen_reason, second.steps) == (2, "re-referred by the school", ())


def test_a_closed_case_takes_nothing_dated_after_it_closed(session, people):
    add_case(session, people)
    repo, episodes = CaseRepository(session), EpisodeRepository(session)
    episodes.close_case("C-1042", D(2026, 11, 10), None, "sw.jones")
    with pytest.raises(StepRejected, match="C-1042 was closed on 2026-11-10: reopen it"):
        repo.record_step("C-1042", "cads.assessment-outcome", D(2026, 11, 12), "sw.jones")
    # Something done before it closed may still be recorded late.
    repo.record_step("C-1042", "cads.assessment-outcome", D(2026, 11, 9), "sw.jones")
    with pytest.raises(RecordRejected, match="already closed"):
        episodes.close_case("C-1042", D(2026, 11, 12), None, "sw.jones")
    assert episodes.close_case("C-1042", D(2026, 11, 10), None, "sw.jones").number == 1  # the same close again: no change


@pytest.mark.parametrize("call, message", [
    (lambda r: r.close_case("C-1042", D(2026, 11, 30), None, "sw.jones"), "in the future"),
    (lambda r: r.close_case("C-1042", D(2026, 10, 1), None, "sw.jones"), "before the case was opened"),
    (lambda r: r.reopen_case("C-1042", TODAY, None, "sw.jones"), r"is open \(episode 1\): there is nothing to reopen"),
    (lambda r: r.close_case("C-1042", TODAY, None, "old.worker"), "not an active practitioner"),
])
def test_bad_closes_and_reopens_are_refused_with_a_reason(session, people, call, message):
    add_case(session, people)
    with pytest.raises(RecordRejected, match=message):
        call(EpisodeRepository(session))


def test_a_reopen_cannot_be_dated_before_the_close(session, people):
    add_case(session, people)
    repo = EpisodeRepository(session)
    repo.close_case("C-1042", D(2026, 11, 20), None, "sw.jones")
    with pytest.raises(RecordRejected, match="before C-1042 was closed"):
        repo.reopen_case("C-1042", D(2026, 11, 19), None, "sw.jones")


def test_the_audit_log_says_what_happened_but_never_why(session, people):
    add_case(session, people)
    repo = EpisodeRepository(session)
    repo.close_case("C-1042", D(2026, 11, 20), "mum moved in with her new partner", "sw.jones")
    repo.reopen_case("C-1042", TODAY, "re-referred after a police call", "sw.jones")
    session.commit()
    events = session.execute(select(AuditEvent).where(AuditEvent.action.in_(("close_case", "reopen_case")))).scalars()
    details = [(e.action, e.detail) for e in events]
    assert details == [("close_case", "episode 1 closed 2026-11-20"), ("reopen_case", "episode 2 opened 2026-11-23")]
    every = " ".join(e.detail for e in session.execute(select(AuditEvent)).scalars())
    assert "partner" not in every and "police" not in every and CHILD_NAME not in every


# ---- reminders ------------------------------------------------------------------------------


@pytest.fixture
def reminding(db_url, migrated, session, people, fake_slack, monkeypatch):  # noqa: F811
    monkeypatch.setenv("EHBOT_DATABASE_URL", db_url)
    monkeypatch.setenv("EHBOT_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("EHBOT_SLACK_API_URL", fake_slack.api_url)
    monkeypatch.setenv("EHBOT_SLACK_CHANNEL", "C0DEFAULT")
    monkeypatch.setenv("EHBOT_REMIND_POST_INTERVAL", "0")
    early_help_case(session, people, "C-7001", D(2026, 11, 16))
    early_help_case(session, people, "C-7002", D(2026, 11, 20))
    return migrated


def test_a_closed_case_is_not_reminded_and_a_queued_reminder_of_it_is_not_sent(reminding, fake_slack):  # noqa: F811
    assert "C-7001" in "\n".join(worker.dry_run(reminding))
    with session_scope(reminding) as s:  # queue the reminders, then close the case before they go
        from bot.notify.scanner import scan

        scan(s)
    with session_scope(reminding) as s:
        EpisodeRepository(s).close_case("C-7001", TODAY, None, "sw.jones")
    assert "C-7001" not in "\n".join(worker.dry_run(reminding))
    worker.remind_once(reminding)
    posted = " ".join(str(p) for p in fake_slack.posts)
    assert "C-7002" in posted and "C-7001" not in posted
    with session_scope(reminding) as s:
        left = s.execute(select(Reminder.status).join(Case).where(Case.reference == "C-7001")).scalars().all()
        assert left and set(left) == {"pending"}  # kept, unsent; reopening does not revive them (new episode)
        assert Outbox(s).waiting() == []


# ---- chat ---------------------------------------------------------------------------------


def test_close_in_chat_then_reopen_and_the_history_shows_both_episodes(demo_chat, migrated):
    proposed, state = turn(demo_chat, "C-1043 can be closed now, the plan has been met")
    assert proposed.text.startswith("Close C-1043 (episode 1), Mon 23 Nov 2026, by Sam Social (demo). Shall I record it?")
    assert "Reason: the plan has been met" in proposed.text
    assert "Still open: " in proposed.text and "no longer owed or reminded" in proposed.text
    assert "C-1043" in "\n".join(worker.dry_run(migrated))  # nothing changes before yes

    done, state = turn(demo_chat, "yes", state)
    assert done.text.startswith("Recorded: C-1043 closed, Mon 23 Nov 2026, by Sam Social (demo).")
    assert "C-1043" not in "\n".join(worker.dry_run(migrated))
    status, state = turn(demo_chat, "what's left on C-1043?", state)
    assert status.text.startswith("C-1043 is closed (since Mon 23 Nov 2026)")
    refused, state = turn(demo_chat, "C-1043 mum gave consent today", state)
    assert "C-1043 is closed" in refused.text and refused.pending is None

    proposed, state = turn(demo_chat, "C-1043 has been re-referred by the health visitor", state)
    assert proposed.text.startswith("Reopen C-1043 as episode 2 (CADS outcome: progress to a new CAF episode), "
                                    "from Mon 23 Nov 2026")
    assert "Reason: re-referred by the health visitor" in proposed.text
    done, state = turn(demo_chat, "yes", state)
    assert done.text.startswith("Recorded: C-1043 reopened as episode 2, Mon 23 Nov 2026")
    assert "Next: CADS assessment completed" in done.text  # the new episode starts from its first step

    history, state = turn(demo_chat, "history of C-1043", state)
    lines = history.text.splitlines()
    assert lines[0] == "C-1043: 2 episodes."
    assert lines[1].startswith("Episode 1: CADS outcome: progress to a new CAF episode, ")
    assert "to Mon 23 Nov 2026; closed: the plan has been met; 7 steps recorded" in lines[1]
    assert lines[2] == ("Episode 2: CADS outcome: progress to a new CAF episode, from Mon 23 Nov 2026, open; "
                        "reopened: re-referred by the health visitor; no steps recorded.")
    assert "Fictional Child" not in history.text


def test_no_closes_a_case_only_after_yes(demo_chat, migrated):
    proposed, state = turn(demo_chat, "please close the case C-1042")
    assert proposed.pending is not None and proposed.pending.record == "close"
    cancelled, _ = turn(demo_chat, "no", state)
    assert cancelled.text.startswith("OK, nothing was recorded")
    with session_scope(migrated) as s:
        assert s.execute(select(Case.closed_on).where(Case.reference == "C-1042")).scalar_one() is None


def test_reopening_an_open_case_says_so_and_proposes_nothing(demo_chat):
    reply, _ = turn(demo_chat, "reopen C-1042")
    assert reply.text.startswith("C-1042 is open (episode 1, from ")
    assert reply.pending is None


def test_someone_who_may_not_see_the_case_cannot_close_it(demo_chat, migrated):
    reply, _ = turn(demo_chat, "close C-1043", user="nobody.here")
    assert reply.pending is None
    with session_scope(migrated) as s:
        assert s.execute(select(Case.closed_on).where(Case.reference == "C-1043")).scalar_one() is None


@pytest.mark.parametrize("text, meant", [
    ("shut the file on C-1042, all goals achieved", "close"),
    ("we're ending our involvement with C-1042", "close"),
    ("C-1042 was re-referred this morning", "reopen"),
    ("open C-1042 again please, new referral", "reopen"),
    ("closing C-1042 to CSC, stepping down to a CAF", None),  # a step-down, not a closure
    ("final CIN held, case closing to social care", None),
])
def test_closing_and_reopening_are_read_in_practitioners_words(text, meant):
    assert read(text).episode == meant


# ---- the command line and CSV ----------------------------------------------------------------


def test_cli_closes_reopens_and_shows_the_history(db_url, migrated, session, people, monkeypatch, capsys):
    monkeypatch.setenv("EHBOT_DATABASE_URL", db_url)
    add_case(session, people)
    assert main(["case", "close", "C-1042", "--on", "2026-11-20", "--reason", "plan met", "--user", "sw.jones"]) == 0
    assert "C-1042: episode 1 closed on 2026-11-20" in capsys.readouterr().out
    assert main(["case", "close", "C-1042", "--on", "2026-11-21"]) == 2
    assert "C-1042 is already closed (since 2026-11-20)" in capsys.readouterr().err
    assert main(["case", "reopen", "c1042", "--reason", "re-referred", "--user", "sw.jones"]) == 0
    assert "C-1042: reopened as episode 2 on cads-progress-to-caf, from 2026-11-23" in capsys.readouterr().out
    assert main(["case", "history", "C-1042"]) == 0
    out = capsys.readouterr().out
    assert "C-1042: 2 episodes." in out and "Mon 2 Nov 2026 to Fri 20 Nov 2026; closed: plan met" in out


def _csv(tmp_path, text):
    path = tmp_path / "episodes.csv"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_csv_closes_and_reopens_in_file_order_and_a_second_import_changes_nothing(session, people, tmp_path):
    add_case(session, people)
    add_case(session, people, reference="C-1043")
    path = _csv(tmp_path, """\
        case_reference,action,on,reason,pathway,recorded_by
        C-1042,close,2026-11-10,plan met,,sw.jones
        C-1042,reopen,2026-11-20,re-referred by school,cads-signpost-early-help,sw.jones
        c1043,close,2026-11-21,,,
        """)
    assert str(import_episodes(session, path)) == "episodes: 0 created, 3 updated, 0 unchanged"
    session.commit()
    first, second = EpisodeRepository(session).episodes("C-1042")
    assert (first.closed_on, second.opened_on, second.pathway) == (D(2026, 11, 10), D(2026, 11, 20),
                                                                     "cads-signpost-early-help")
    assert str(import_episodes(session, path)) == "episodes: 0 created, 0 updated, 3 unchanged"


def test_a_csv_with_any_bad_row_changes_nothing_and_names_every_problem(session, people, tmp_path):
    add_case(session, people)
    path = _csv(tmp_path, """\
        case_reference,action,on,reason,pathway,recorded_by
        C-1042,close,2026-11-10,,,
        C-1042,close,2026-11-12,,,
        C-9999,reopen,2026-11-12,,,
        C-1042,pause,2026-11-30,,,
        """)
    with pytest.raises(ImportRejected) as refused:
        import_episodes(session, path)
    assert refused.value.errors == [
        "row 3: C-1042 is already closed (since 2026-11-10)",
        "row 4: there is no case C-9999",
        "row 5: action must be close or reopen, not 'pause'",
        "row 5: on 2026-11-30 is in the future (today is 2026-11-23)",
    ]
    session.rollback()
    assert session.execute(select(Case.closed_on)).scalar_one() is None

