"""No personal data in channels or logs: distinctive names never leave the database."""
from __future__ import annotations

import datetime as dt
import logging

from fakes import early_help_case, fake_slack, fake_teams  # noqa: F401  (fixtures)

from bot.cli import main
from bot.db.models import Team
from bot.db.repositories import CaseRepository

# Every name or detail of a child, family member or referrer on these cases.
SECRETS = [
    "Zebedee", "Quillfeather", "Ambrose",  # the children
    "Philippa", "Grandmother", "Ottoline", "Brackenbury", "Fitch", "Marmaduke", "Featherstonehaugh",
    "Nettlebed Lane", "lives with", "Saffron Pemberton-Okafor", "Pemberton",
]


def _cases_with_distinctive_names(session, people, teams_url):
    west = Team(name="CADS West", teams_webhook_url=teams_url)
    session.add(west)
    people["team"].slack_channel_id = "C0EAST"
    session.commit()
    repo = CaseRepository(session)
    for ref, team, child in [("C-9001", people["team"], "Zebedee Quillfeather-Ambrose"),
                             ("C-9002", west, "Saffron Pemberton-Okafor")]:
        case = early_help_case(session, people, ref, dt.date(2026, 11, 16), child_name=child)
        case.referrer_name, case.referrer_agency = "Ottoline Brackenbury-Fitch", "Nettlebed Lane Surgery"
        case.team = team
        session.commit()
        repo.record_consent(ref, "engage", "given", dt.date(2026, 11, 17), "sw.jones",
                            given_by="Grandmother Philippa Quillfeather", note="Zebedee lives with grandmother")
        # A lead professional from a partner agency, named in free text: never posted.
        repo.set_lead_professional(ref, "Marmaduke Featherstonehaugh", role="school nurse", agency="Nettlebed Lane",
                                   by_username="sw.jones")
        repo.record_step(ref, "earlyhelp.managers-decision", dt.date(2026, 11, 17), "tm.patel", outcome="caf_required",
                         note="Zebedee's grandmother Philippa asked for a visit", source="import")
    session.commit()


def test_no_name_reaches_a_channel_a_log_line_or_the_cli(db_url, migrated, session, people, fake_slack, fake_teams,
                                                        monkeypatch, caplog, capsys):
    _cases_with_distinctive_names(session, people, fake_teams.url("west"))
    monkeypatch.setenv("EHBOT_DATABASE_URL", db_url)
    monkeypatch.setenv("EHBOT_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("EHBOT_SLACK_API_URL", fake_slack.api_url)
    monkeypatch.setenv("EHBOT_REMIND_POST_INTERVAL", "0")
    monkeypatch.setenv("EHBOT_LOCAL_ESCALATION_AFTER_WORKING_DAYS", "0")
    caplog.set_level(logging.DEBUG)

    assert main(["remind", "--dry-run"]) == 0
    assert main(["remind", "--once"]) == 0
    assert main(["reminders", "list"]) == 0
    out = capsys.readouterr()

    assert fake_slack.posts and fake_teams.cards, "both channels received reminders"
    assert "C-9001" in fake_slack.everything_received() and "C-9002" in fake_teams.everything_received()
    received = fake_slack.everything_received() + fake_teams.everything_received()
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert caplog.records, "the run logged something"
    for secret in SECRETS:
        assert secret.lower() not in received.lower(), f"{secret!r} was sent to a channel"
        assert secret.lower() not in logged.lower(), f"{secret!r} was logged"
        assert secret.lower() not in (out.out + out.err).lower(), f"{secret!r} was printed"
