"""The incremental scan: only cases whose reminders can have changed are evaluated, with the same result.

The decisive test scans every day for two months, with practitioners writing
to cases on some days, and checks each day that the outbox holds exactly what a
full evaluation of every open case every day would have recorded.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import sys
from pathlib import Path

from conftest import add_case
from fakes import early_help_case
from sqlalchemy import event, func, select, update

from bot import guidance
from bot.calendar import WorkingCalendar
from bot.cli import main
from bot.db.caseload import CaseLoader, store_next_reminder_dates
from bot.db.models import NEVER_DUE, BookingRow, Case, RecordedStepRow, Reminder
from bot.db.repositories import CaseRepository, case_file
from bot.db.session import session_factory
from bot.demo import CASES, load_demo
from bot.importer import import_cases, import_steps
from bot.notify.outbox import Outbox
from bot.notify.scanner import due_reminders, next_change, scan, stage_of
from bot.notify.settings import ReminderSettings
from bot.pathways import StepView, UnknownPathway, evaluate

ROOT = Path(__file__).resolve().parent.parent
START = dt.date(2026, 11, 23)  # the fixed clock of the tests and of benchmarks/generate.py
GENERATED = 240  # fictional cases from benchmarks/generate.py, beside the demo's
DAYS = 60  # over Christmas and New Year: bank holidays move working-day deadlines
# Local escalation on, so that every kind of date the scanner reckons with is exercised.
SETTINGS = ReminderSettings(local_escalation_after_working_days=3)


def _generate():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "benchmarks" / "generate.py")
    module = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module.generate


def outbox_keys(session) -> set[tuple]:
    query = select(Case.reference, Reminder.rule_id, Reminder.due_on, Reminder.stage).join(Case, Reminder.case_id == Case.id)
    return {tuple(row) for row in session.execute(query)}


def due_everywhere(session, today) -> set[tuple]:
    """What a full scan finds due today: every open case evaluated.

    Loaded with the Core loader, which the next section holds equal to the ORM's ``case_file``.
    """
    registry, cal, found = guidance.registry(), WorkingCalendar.from_config(), set()
    for batch in CaseLoader(session).open_cases():
        for case in batch:
            try:
                found |= {(d.case_reference, d.rule_id, d.due_on, d.stage)
                          for d in due_reminders(case.file, today, cal, SETTINGS, registry)}
            except UnknownPathway:
                pass
    return found


def next_dates(session) -> dict[str, dt.date]:
    query = select(Case.reference, Case.next_reminder_on)
    return dict(session.connection().execute(query).all())


def csv_file(tmp_path, name, header, rows) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(",".join(map(str, r)) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


# ---- the decisive test ---------------------------------------------------------------------


def _import_a_step(session, tmp_path, today) -> str:
    """Import, as done today, an open step with a due date on one of the generated cases; returns the case."""
    registry = guidance.registry()
    for case in CaseRepository(session).open_cases():
        if not case.reference.startswith("BN-"):
            continue
        view = evaluate(case, today=today, registry=registry)
        step = next((s for s in view.steps if s.state == "todo" and s.due_on and s.kind != "consent"), None)
        if step is not None:
            rule = registry.rule(step.rule_id)
            header = ["case_reference", "rule_id", "done_on", "outcome"]
            import_steps(session, csv_file(tmp_path, "steps.csv", header,
                                           [[case.reference, rule.id, today, rule.outcomes[0] if rule.outcomes else ""]]))
            return case.reference
    raise AssertionError("no generated case has an open step with a due date")


def _writes(session, tmp_path, today) -> dict:
    """What practitioners do on some days, through every kind of write: day -> a write, returning its case."""
    repo = CaseRepository(session)

    def on(reference, write):
        return lambda: (write(), reference)[1]

    return {
        2: on("C-4002", lambda: repo.record_step("C-4002", "earlyhelp.managers-decision", today, "tess.tm",
                                                 outcome="caf_required")),
        4: on("C-4002", lambda: repo.record_step("C-4002", "earlyhelp.telephone-contact", today, "erin.ehw")),
        6: on("C-1043", lambda: repo.set_lead_professional("C-1043", None, practitioner_username="erin.ehw",
                                                           by_username="sam.sw")),
        8: on("C-1043", lambda: repo.book_step("C-1043", "cads.initial-family-planning-meeting",
                                               today + dt.timedelta(days=3), "sam.sw")),
        10: on("C-2001", lambda: repo.record_consent("C-2001", "engage", "given", today, "sam.sw",
                                                     given_by="parent (demo)")),
        12: on("C-1043", lambda: repo.record_step("C-1043", "cads.initial-family-planning-meeting", today, "erin.ehw")),
        15: on("C-1045", lambda: repo.set_pathway("C-1045", "cads-progress-to-caf", "sam.sw")),
        18: lambda: _import_a_step(session, tmp_path, today),
        20: on("BN-11", lambda: setattr(repo.find("BN-11"), "closed_on", today)),
        25: on("C-1045", lambda: import_cases(session, csv_file(
            tmp_path, "cases.csv", ["reference", "pathway", "team", "child_name", "opened_on", "referrer_advice_only"],
            [["C-1045", "cads-progress-to-caf", "Demo North Team", "Fictional Child Delta", START - dt.timedelta(days=6),
              "yes"]]))),
        30: on("BN-11", lambda: setattr(repo.find("BN-11"), "closed_on", None)),
        41: on("C-2001", lambda: repo.record_step("C-2001", "stepdown.parent-child-disagreement-resolved", today,
                                                  "sam.sw", outcome="resolved")),
    }


def test_scanning_only_what_can_have_changed_records_what_full_scans_record(session, migrated, tmp_path, monkeypatch):
    _generate()(migrated, GENERATED, today=START)
    load_demo(session)
    session.commit()
    expected: set[tuple] = set()
    evaluated = open_cases = 0
    written = set()  # the cases written to
    for n in range(DAYS):
        today = START + dt.timedelta(days=n)
        monkeypatch.setenv("EHBOT_TODAY", today.isoformat())
        write = _writes(session, tmp_path, today).get(n)
        if write:
            written.add(write())
            session.commit()
        expected |= due_everywhere(session, today)
        summary = scan(session, settings=SETTINGS)
        session.commit()

        assert outbox_keys(session) == expected, f"day {n} ({today})"
        assert summary.full == (n == 0)
        if n:
            evaluated += summary.cases
            open_cases += session.execute(select(func.count(Case.id)).where(Case.closed_on.is_(None))).scalar()

    # Not a test that cannot fail: the outbox grew day by day, through every stage, on cases
    # nobody wrote to (their stored dates brought them back), while few cases were evaluated.
    rows = session.execute(select(Reminder.created_at, Case.reference, Reminder.stage)
                           .join(Case, Reminder.case_id == Case.id)).all()
    assert {stage for _, _, stage in rows} == {"due_soon", "due_today", "overdue", "escalated"}
    later = {ref for at, ref, _ in rows if at.date() > START + dt.timedelta(days=2)}
    assert len(later - written) > 20
    assert evaluated < open_cases * 0.2, (evaluated, open_cases)


# ---- the Core loader -------------------------------------------------------------------------


def test_the_core_loader_builds_the_same_case_files_as_the_orm(session, migrated):
    load_demo(session)
    repo = CaseRepository(session)
    # Beyond the demo: a lead professional linked to a practitioner, a booking, a lawful
    # basis to share, two consents on one day, and a closed case.
    repo.set_lead_professional("C-1042", "", role=None, practitioner_username="cleo.clw", by_username="sam.sw")
    repo.book_step("C-1043", "cads.initial-family-planning-meeting", START + dt.timedelta(days=4), "sam.sw", note="x")
    repo.record_consent("C-1043", "share", "given", START, "sam.sw", basis="consent")
    repo.record_consent("C-1042", "engage", "declined", START, "sam.sw")
    repo.record_consent("C-1042", "engage", "given", START, "sam.sw", given_by="parent (demo)")
    repo.find("C-6001").closed_on = START
    session.commit()

    orm = {c.reference: case_file(c) for c in session.execute(select(Case)).scalars()}
    ids = dict(session.execute(select(Case.reference, Case.id)).all())
    core = {c.file.reference: c.file for c in CaseLoader(session, batch_size=5).by_ids(ids.values())}
    opened = [c.file.reference for batch in CaseLoader(session, batch_size=5).open_cases() for c in batch]

    assert sorted(core) == sorted(orm) and len(core) == len(CASES)
    assert opened == sorted((r for r in ids if r != "C-6001"), key=ids.get)
    for reference, expected in orm.items():
        for field in dataclasses.fields(expected):
            assert getattr(core[reference], field.name) == getattr(expected, field.name), (reference, field.name)
    assert core["C-1042"].lead_professional.username == "cleo.clw"
    assert core["C-1043"].bookings and core["C-6001"].closed_on == START


# ---- writes clear the date -------------------------------------------------------------------


def test_every_write_to_a_case_clears_its_next_reminder_date(session, migrated, tmp_path):
    load_demo(session)
    session.commit()
    assert set(next_dates(session).values()) == {None}  # new cases: evaluated at the next scan
    repo = CaseRepository(session)
    ids = dict(session.execute(select(Case.reference, Case.id)).all())
    writes = {
        "record a step (chat)": ("C-4002", lambda: repo.record_step("C-4002", "earlyhelp.telephone-contact", START, "erin.ehw")),
        "book a step": ("C-1043", lambda: repo.book_step("C-1043", "cads.initial-family-planning-meeting",
                                                          START + dt.timedelta(days=2), "sam.sw")),
        "record consent": ("C-2001", lambda: repo.record_consent("C-2001", "engage", "given", START, "sam.sw")),
        "set the lead professional": ("C-1043", lambda: repo.set_lead_professional(
            "C-1043", "A Nurse (demo)", role="school nurse", by_username="sam.sw")),
        "set the pathway": ("C-1045", lambda: repo.set_pathway("C-1045", "cads-progress-to-caf", "sam.sw")),
        "import cases": ("C-1044", lambda: import_cases(session, csv_file(
            tmp_path, "cases.csv", ["reference", "pathway", "team", "child_name", "opened_on", "referrer_advice_only"],
            [["C-1044", "cads-link-existing-caf", "Demo North Team", "Fictional Child Charlie",
              START - dt.timedelta(days=70), "yes"]]))),
        "import steps": ("C-1044", lambda: import_steps(session, csv_file(
            tmp_path, "steps.csv", ["case_reference", "rule_id", "done_on"],
            [["C-1044", "cads.family-plan-review", START]]))),
        "close the case": ("C-3002", lambda: setattr(repo.find("C-3002"), "closed_on", START)),
        "reopen the case": ("C-3002", lambda: setattr(repo.find("C-3002"), "closed_on", None)),
        "edit a step's note": ("C-2002", lambda: setattr(
            session.execute(select(RecordedStepRow).where(RecordedStepRow.case_id == ids["C-2002"])).scalars().first(),
            "note", "edited")),
        "delete a booking": ("C-1043", lambda: session.delete(
            session.execute(select(BookingRow).where(BookingRow.case_id == ids["C-1043"])).scalar_one())),
        "add a step row by case id": ("C-5001", lambda: session.add(RecordedStepRow(
            case_id=ids["C-5001"], rule_id="cafpanel.request-via-caf-team", done_on=START, source="cli"))),
    }
    for what, (reference, write) in writes.items():
        # As a scan leaves them (this session's copies of the cases do not know).
        session.connection().execute(update(Case.__table__).values(next_reminder_on=NEVER_DUE))
        session.commit()
        before = next_dates(session)
        write()
        session.commit()
        after = next_dates(session)
        assert after[reference] is None, what
        assert {r: d for r, d in after.items() if r != reference} == {r: d for r, d in before.items() if r != reference}, what

    # Reading a case (and scanning it) is not a write to it.
    scan(session, settings=SETTINGS)
    session.commit()
    before = next_dates(session)
    repo.case_file("C-1043", viewer="sam.sw")
    session.commit()
    assert next_dates(session) == before and None not in before.values()


def test_a_date_worked_out_before_a_write_is_not_stored(session, migrated, db_url):
    load_demo(session)
    session.commit()
    scanner = session_factory(migrated)()
    try:
        batch = next(CaseLoader(scanner).open_cases(due_by=START))
        # A practitioner records a step after the scanner read the case, before it stores the date.
        with session_factory(migrated)() as other:
            CaseRepository(other).record_step("C-4002", "earlyhelp.telephone-contact", START, "erin.ehw")
            other.commit()
        store_next_reminder_dates(scanner, [(c.id, c.version, START + dt.timedelta(days=1)) for c in batch])
        scanner.commit()
    finally:
        scanner.close()
    dates = next_dates(session)
    assert dates.pop("C-4002") is None  # evaluated again at the next scan, with the step
    assert set(dates.values()) == {START + dt.timedelta(days=1)}


# ---- a change of rules: a full scan --------------------------------------------------------


def test_changed_rules_or_a_clock_moved_back_make_a_full_scan(session, people, monkeypatch):
    for n in range(3):
        early_help_case(session, people, f"C-70{n}", START - dt.timedelta(days=n))
    first = scan(session, settings=SETTINGS)
    again = scan(session, settings=SETTINGS)
    assert (first.full, first.cases, again.full, again.cases) == (True, 3, False, 0)

    def cases_scanned(**options):
        summary = scan(session, **{"settings": SETTINGS, **options})
        session.commit()
        return summary.full, summary.cases

    assert cases_scanned(settings=dataclasses.replace(SETTINGS, due_soon_working_days=3)) == (True, 3)
    assert cases_scanned(settings=dataclasses.replace(SETTINGS, due_soon_working_days=3)) == (False, 0)
    assert cases_scanned() == (True, 3)  # and back
    assert cases_scanned(settings=dataclasses.replace(SETTINGS, local_escalation_after_working_days=None)) == (True, 3)
    assert cases_scanned() == (True, 3)
    monkeypatch.setenv("EHBOT_CLOSURE_DAYS", "2026-12-24")
    assert cases_scanned() == (True, 3)
    assert cases_scanned() == (False, 0)
    monkeypatch.delenv("EHBOT_CLOSURE_DAYS")
    assert cases_scanned() == (True, 3)
    packs = dict(guidance.registry().packs)
    packs["early-help-process"] = dataclasses.replace(packs["early-help-process"], version=99)
    assert cases_scanned(registry=guidance.Registry(packs)) == (True, 3)
    assert cases_scanned() == (True, 3)
    monkeypatch.setenv("EHBOT_TODAY", (START + dt.timedelta(days=1)).isoformat())
    assert cases_scanned()[0] is False
    monkeypatch.setenv("EHBOT_TODAY", START.isoformat())  # the clock moved back (a demo's EHBOT_TODAY)
    assert cases_scanned() == (True, 3)
    assert cases_scanned(full=True) == (True, 3)


def test_a_new_closure_day_moves_a_deadline_and_is_reminded_at_once(session, people, monkeypatch):
    # Allocated Fri 20 Nov: telephone contact due within 2 working days, Tue 24th: due soon today.
    early_help_case(session, people, "C-7002", dt.date(2026, 11, 20))
    scan(session, settings=SETTINGS)
    session.commit()
    assert next_dates(session)["C-7002"] == dt.date(2026, 11, 24)  # due today, tomorrow
    # The council closes on Tuesday: the deadline moves to Wednesday, due soon from today.
    monkeypatch.setenv("EHBOT_CLOSURE_DAYS", "2026-11-24")
    summary = scan(session, settings=SETTINGS)
    session.commit()
    assert summary.full
    assert ("C-7002", "earlyhelp.telephone-contact", dt.date(2026, 11, 25), "due_soon") in outbox_keys(session)


def test_ehbot_remind_full_evaluates_every_open_case(db_url, migrated, session, people, monkeypatch, capsys):
    monkeypatch.setenv("EHBOT_DATABASE_URL", db_url)
    early_help_case(session, people, "C-7001", dt.date(2026, 11, 16))
    early_help_case(session, people, "C-7002", dt.date(2026, 11, 20))
    assert main(["remind", "--once"]) == 0
    assert main(["remind", "--once"]) == 0
    assert main(["remind", "--full"]) == 0
    scans = [line for line in capsys.readouterr().out.splitlines() if "open cases scanned" in line]
    assert scans == [
        "2 open cases scanned (full scan): 3 reminders due, 3 new",
        "0 open cases scanned: 0 reminders due, 0 new",
        "2 open cases scanned (full scan): 3 reminders due, 0 new",
    ]


def test_a_case_with_nothing_dated_ahead_waits_until_it_changes(session, people):
    case = add_case(session, people, reference="C-1099", pathway="cads-progress-to-caf", referrer_advice_only=False)
    scan(session, settings=SETTINGS)
    session.commit()
    assert next_dates(session)["C-1099"] == NEVER_DUE  # no step has a due date yet
    CaseRepository(session).record_step(case.reference, "cads.assessment-outcome", START, "sw.jones")
    session.commit()
    assert next_dates(session)["C-1099"] is None


# ---- the outbox: one cached statement, new rows counted ---------------------------------------


def test_the_outbox_counts_new_rows_with_one_statement_per_batch(session, people, migrated):
    case = early_help_case(session, people, "C-7001", dt.date(2026, 11, 16))

    def rows(days):
        return [{"case_id": case.id, "rule_id": "earlyhelp.telephone-contact", "due_on": START + dt.timedelta(days=d),
                 "stage": "overdue", "owner_username": "sw.jones"} for d in days]

    statements = []
    listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(migrated, "before_cursor_execute", listener)
    try:
        outbox = Outbox(session)
        # More rows than psycopg2 sends in one page (1,000), some already there.
        assert outbox.record(rows(range(0, 1500))) == 1500
        assert outbox.record(rows(range(1000, 2600))) == 1100
        assert outbox.record(rows(range(0, 2600, 7))) == 0
        assert outbox.record(rows([5000])) == 1
    finally:
        event.remove(migrated, "before_cursor_execute", listener)
    session.commit()
    assert len(outbox_keys(session)) == 2601
    assert len(statements) == 4 and len(set(statements)) == 1  # one statement a batch, the same every time


# ---- the next reminder date, day by day ---------------------------------------------------------


def _as_on(step: StepView, day: dt.date) -> StepView:
    """The step as the evaluator shows it on ``day``: only its overdue and escalation flags move."""
    return dataclasses.replace(step, overdue=day > step.due_on,
                               escalation_due=step.escalate_after is not None and day > step.escalate_after)


def test_the_next_reminder_date_is_the_first_day_a_step_changes_stage():
    """Against stage_of itself, day by day, over weekends, bank holidays and a closure day."""
    cal = WorkingCalendar([dt.date(2026, 12, 29)])
    checked = 0
    for due in (START + dt.timedelta(days=n) for n in range(0, 60, 3)):
        for window in (None, 14):
            for escalate in (None, 0, 3):
                for settings in (ReminderSettings(), ReminderSettings(due_soon_working_days=0),
                                 ReminderSettings(due_soon_working_days=5, local_escalation_after_working_days=2)):
                    step = StepView(rule_id="r", title="t", kind="step", state="todo", citation=None, due_on=due,
                                    due_from=due - dt.timedelta(days=window) if window else None,
                                    escalate_after=None if escalate is None else cal.add_working_days(due, escalate))
                    days = [due + dt.timedelta(days=n) for n in range(-25, 40)]
                    stages = [stage_of(_as_on(step, d), d, cal, settings) for d in days]
                    for i, today in enumerate(days[:-20]):
                        first = next((d for d, st in zip(days[i + 1:], stages[i + 1:]) if st != stages[i]), None)
                        assert next_change(_as_on(step, today), today, cal, settings) == first, (step, today, settings)
                        checked += 1
    assert checked > 10_000
    done = StepView(rule_id="r", title="t", kind="step", state="done", citation=None, due_on=START)
    assert next_change(done, START - dt.timedelta(days=9), cal, ReminderSettings()) is None
