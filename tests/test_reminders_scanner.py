"""The scanner: the right stage for each open step, recorded once, escalations only where cited."""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import add_case
from fakes import early_help_case
from sqlalchemy import event, func, select

from bot.db.models import Reminder
from bot.db.repositories import CaseRepository
from bot.notify.scanner import scan
from bot.notify.settings import ReminderSettings

SETTINGS = ReminderSettings()


def reminders(session):
    rows = session.execute(select(Reminder).order_by(Reminder.id)).scalars().all()
    return {(r.case.reference, r.rule_id, r.due_on, r.stage): r for r in rows}


def test_overdue_escalated_due_today_and_due_soon(session, people):
    # Allocated Mon 16 Nov: telephone contact due Wed 18th (overdue, and the
    # pack escalates at once); personal contact due within 5 working days: today.
    early_help_case(session, people, "C-7001", dt.date(2026, 11, 16))
    # Allocated Fri 20 Nov: telephone contact due Tue 24th: due soon.
    early_help_case(session, people, "C-7002", dt.date(2026, 11, 20))

    summary = scan(session, settings=SETTINGS)
    session.commit()

    found = reminders(session)
    assert ("C-7001", "earlyhelp.telephone-contact", dt.date(2026, 11, 18), "escalated") in found
    assert ("C-7001", "earlyhelp.personal-contact", dt.date(2026, 11, 23), "due_today") in found
    assert ("C-7002", "earlyhelp.telephone-contact", dt.date(2026, 11, 24), "due_soon") in found
    # Escalated, not also "overdue": one reminder per step per scan.
    assert ("C-7001", "earlyhelp.telephone-contact", dt.date(2026, 11, 18), "overdue") not in found
    escalated = found[("C-7001", "earlyhelp.telephone-contact", dt.date(2026, 11, 18), "escalated")]
    assert escalated.escalate_to_username == "tm.patel" and escalated.local_policy is False
    assert escalated.owner_username == "sw.jones"
    assert all(r.status == "pending" and r.attempts == 0 for r in found.values())
    assert summary.recorded == len(found) and summary.cases == 2


def test_running_the_scanner_again_changes_nothing(session, people):
    early_help_case(session, people, "C-7001", dt.date(2026, 11, 16))
    first = scan(session, settings=SETTINGS)
    session.commit()
    before = {k: (r.id, r.created_at) for k, r in reminders(session).items()}

    second = scan(session, settings=SETTINGS)
    session.commit()
    # Every case evaluated again, as after a change of rules: the same reminders due, none new.
    full = scan(session, settings=SETTINGS, full=True)
    session.commit()

    assert first.recorded > 0 and first.full and first.cases == 1
    assert (second.cases, second.due, second.recorded) == (0, 0, 0)  # nothing about the case has changed
    assert full.full and full.cases == 1 and full.due == first.due and full.recorded == 0
    assert {k: (r.id, r.created_at) for k, r in reminders(session).items()} == before


def test_a_later_day_records_the_next_stage(session, people, monkeypatch):
    early_help_case(session, people, "C-7002", dt.date(2026, 11, 20))
    scan(session, settings=SETTINGS)
    monkeypatch.setenv("EHBOT_TODAY", "2026-11-24")
    scan(session, settings=SETTINGS)
    monkeypatch.setenv("EHBOT_TODAY", "2026-11-25")
    scan(session, settings=SETTINGS)
    session.commit()
    stages = [k[3] for k in reminders(session) if k[1] == "earlyhelp.telephone-contact"]
    assert stages == ["due_soon", "due_today", "escalated"]


def test_no_escalation_is_invented_where_the_guidance_gives_none(session, people):
    # CADS: the initial Family Planning Meeting is overdue; the pack gives no escalation.
    case = _cads_case_with_overdue_fpm(session, people)
    scan(session, settings=SETTINGS)
    session.commit()
    stages = {k[3] for k in reminders(session) if k[0] == case.reference and k[1] == "cads.initial-family-planning-meeting"}
    assert stages == {"overdue"}


def test_a_local_escalation_policy_is_labelled_as_such(session, people):
    case = _cads_case_with_overdue_fpm(session, people)
    local = ReminderSettings(local_escalation_after_working_days=1)
    scan(session, settings=local)
    session.commit()
    row = next(r for k, r in reminders(session).items() if k[1] == "cads.initial-family-planning-meeting")
    assert (row.stage, row.local_policy, row.escalate_to_label, row.escalate_to_username) == (
        "escalated", True, "Team Manager", "tm.patel")
    assert case.reference == row.case.reference


def test_closed_cases_and_done_steps_are_not_reminded(session, people):
    early_help_case(session, people, "C-7001", dt.date(2026, 11, 16), closed_on=dt.date(2026, 11, 22))
    early_help_case(session, people, "C-7003", dt.date(2026, 11, 16))
    CaseRepository(session).record_step("C-7003", "earlyhelp.telephone-contact", dt.date(2026, 11, 17), "sw.jones",
                                        source="import")
    session.commit()
    scan(session, settings=SETTINGS)
    session.commit()
    keys = reminders(session)
    assert not [k for k in keys if k[0] == "C-7001"]
    assert not [k for k in keys if k[0] == "C-7003" and k[1] == "earlyhelp.telephone-contact"]


def test_queries_per_batch_do_not_grow_with_the_cases(session, people, migrated):
    scan(session, settings=SETTINGS)  # the first scan also records the rules it ran under
    session.commit()

    def queries_for(n_cases, prefix):
        for i in range(n_cases):
            early_help_case(session, people, f"{prefix}-{i + 1}", dt.date(2026, 11, 16))
        count = []
        listener = lambda *a: count.append(1)  # noqa: E731
        event.listen(migrated, "before_cursor_execute", listener)
        try:
            scan(session, settings=SETTINGS, batch_size=50)
            session.commit()
        finally:
            event.remove(migrated, "before_cursor_execute", listener)
        # Close them, so the next measurement sees only its own cases.
        for case in CaseRepository(session).by_references(f"{prefix}-{i + 1}" for i in range(n_cases)).values():
            case.closed_on = dt.date(2026, 11, 23)
        session.commit()
        return len(count)

    assert queries_for(2, "A") == queries_for(9, "B")
    assert session.execute(select(func.count(Reminder.id))).scalar() > 9


def _cads_case_with_overdue_fpm(session, people):
    case = add_case(session, people, reference="C-1043", opened_on=dt.date(2026, 10, 12), referrer_advice_only=False)
    repo = CaseRepository(session)
    for rule, day, outcome in [
        ("cads.assessment-outcome", dt.date(2026, 10, 19), None),
        ("cads.recommendation-to-team-manager", dt.date(2026, 10, 19), None),
        ("cads.team-manager-oversight", dt.date(2026, 10, 20), None),
        ("cads.update-referrer", dt.date(2026, 10, 21), None),
        ("cads.alert-caf-link-worker", dt.date(2026, 10, 21), None),
        ("cads.lead-professional-agreed", dt.date(2026, 10, 22), "none_found"),
    ]:
        repo.record_step(case.reference, rule, day, "sw.jones", outcome=outcome, source="import")
    repo.record_consent(case.reference, "engage", "given", dt.date(2026, 10, 20), "sw.jones")
    session.commit()
    return case


@pytest.mark.parametrize("setting, label", [(None, "team manager"), ("line_manager", "line manager")])
def test_an_escalation_the_guidance_directs_at_no_one_goes_where_local_policy_says(session, people, setting, label):
    # "Failure to contact the family within 2 working days leads to an escalation process": to no one named.
    early_help_case(session, people, "C-7001", dt.date(2026, 11, 16))
    scan(session, settings=ReminderSettings(**({"local_escalation_to": setting} if setting else {})))
    session.commit()
    row = session.execute(select(Reminder).where(Reminder.stage == "escalated")).scalar_one()
    assert (row.rule_id, row.escalate_to_label, row.escalate_to_username) == ("earlyhelp.telephone-contact", label, "tm.patel")
