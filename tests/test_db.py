"""The case database: migrations, sessions, and the repositories' rules."""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from conftest import CHILD_NAME, add_case
from sqlalchemy import event, inspect, select, text
from sqlalchemy.exc import IntegrityError

from bot.casefile import CONSENT_TO_ENGAGE, LAWFUL_BASIS_TO_SHARE
from bot.db.migrate import NotMigrated, alembic_config, current_revision, ensure_migrated, head_revision, upgrade
from bot.db.models import AuditEvent, BookingRow, ConsentRow, Practitioner, RecordedStepRow
from bot.db.repositories import (
    AuditLog,
    CaseNotFound,
    CaseRepository,
    ConsentRejected,
    PractitionerRepository,
    RecordRejected,
    StepRejected,
    normalise_reference,
)
from bot.db.session import (
    DatabaseUnavailable,
    check_connection,
    describe,
    make_engine,
    session_factory,
    session_scope,
    use_write_ahead_log,
)

D = dt.date
pytestmark = pytest.mark.usefixtures("known_packs")


def steps_in_db(session, rule_id=None):
    query = select(RecordedStepRow).order_by(RecordedStepRow.id)
    if rule_id:
        query = query.where(RecordedStepRow.rule_id == rule_id)
    return list(session.execute(query).scalars())


def audit_rows(engine):
    with session_scope(engine) as s:
        return [(e.actor, e.action, e.case_reference, e.detail) for e in AuditLog(s).events()]


# ---- migrations and sessions ------------------------------------------------------------


def test_migrations_reach_head_and_rerun_is_a_no_op(db_url, engine):
    assert current_revision(engine) is None
    upgrade(db_url)
    upgrade(db_url)
    assert current_revision(engine) == head_revision()
    ensure_migrated(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"teams", "practitioners", "cases", "consent_records", "recorded_steps", "step_bookings", "audit_events"} <= tables


def test_ensure_migrated_refuses_an_unmigrated_database(engine):
    with pytest.raises(NotMigrated) as refused:
        ensure_migrated(engine)
    message = str(refused.value)
    assert f"is not migrated (at no version, needs {head_revision()})" in message
    assert "run `ehbot db upgrade`" in message
    assert describe(engine.url) in message


def test_default_url_is_a_sqlite_file_under_the_var_dir(tmp_path):
    engine = make_engine()
    try:
        assert engine.url.database == str(tmp_path / "var" / "ehbot.sqlite3")
        assert (tmp_path / "var").is_dir()  # parent made so the first connect works
    finally:
        engine.dispose()


def journal_mode(path) -> str:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        connection.close()


def test_a_sqlite_case_database_keeps_a_write_ahead_log(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'ehbot.sqlite3'}")
    with session_scope(engine) as s:
        s.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    assert journal_mode(tmp_path / "ehbot.sqlite3") == "wal"  # kept in the file, seen by any reader


def test_a_sqlite_file_is_opened_once_not_for_every_session(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'ehbot.sqlite3'}")
    opened = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    for _ in range(5):
        with session_scope(engine) as s:
            assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1  # the pragmas still hold
    assert len(opened) == 1
    engine.dispose()


def test_each_engine_has_one_session_maker_and_a_new_session_each_time(tmp_path):
    first, second = make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}"), make_engine(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    assert session_factory(first) is session_factory(first)
    assert session_factory(second) is not session_factory(first)
    assert session_factory(second).kw["bind"] is second
    with session_scope(first) as one, session_scope(first) as other:
        assert one is not other
        assert one.get_bind() is first
    first.dispose()
    second.dispose()


def test_the_tracker_store_file_is_put_in_write_ahead_log_mode(tmp_path):
    tracker = tmp_path / "var" / "rasa-tracker.sqlite3"
    use_write_ahead_log(f"sqlite:///{tracker}")
    assert journal_mode(tracker) == "wal"
    use_write_ahead_log(f"sqlite:///{tracker}")  # again: no harm
    assert journal_mode(tracker) == "wal"


def test_write_ahead_log_leaves_other_databases_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    use_write_ahead_log("sqlite://")
    use_write_ahead_log("postgresql://ehbot@127.0.0.1:9/nowhere")  # never connects
    assert list(tmp_path.iterdir()) == []


def test_a_tracker_store_that_cannot_be_opened_is_left_to_rasa(tmp_path, caplog):
    folder = tmp_path / "a-folder.sqlite3"
    folder.mkdir()  # a folder where the file should be: SQLite cannot open it
    use_write_ahead_log(f"sqlite:///{folder}")
    assert "could not switch" in caplog.text


def test_foreign_keys_are_enforced(session):
    session.add(RecordedStepRow(case_id=999, rule_id="cads.assessment-outcome", done_on=D(2026, 11, 3), source="cli"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_database_unavailable_names_host_and_db_but_never_the_password():
    engine = make_engine("postgresql://ehbot:s3cr3t-pw@127.0.0.1:1/ehbot_live")
    try:
        with pytest.raises(DatabaseUnavailable) as down:
            check_connection(engine)
        with pytest.raises(DatabaseUnavailable):
            with session_scope(engine) as s:
                s.execute(text("select 1"))
    finally:
        engine.dispose()
    assert "127.0.0.1:1/ehbot_live" in str(down.value)
    assert "s3cr3t-pw" not in str(down.value)
    with pytest.raises(DatabaseUnavailable) as down_again:
        upgrade("postgresql://ehbot:s3cr3t-pw@127.0.0.1:1/ehbot_live")
    assert "s3cr3t-pw" not in str(down_again.value)


def test_a_database_host_that_never_answers_is_reported_not_waited_on(monkeypatch):
    """A server that takes the connection and then says nothing: a clear error, not a hang."""
    import socket
    import threading

    monkeypatch.setattr("bot.db.session.POSTGRES_CONNECT_SECONDS", 1)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nobody ever reads or replies
    port = silent.getsockname()[1]
    engine = make_engine(f"postgresql://ehbot@127.0.0.1:{port}/ehbot_live")
    outcome: list = []

    def connect():
        try:
            check_connection(engine)
            outcome.append("connected")
        except DatabaseUnavailable as down:
            outcome.append(down)

    try:
        worker = threading.Thread(target=connect, daemon=True)
        worker.start()
        worker.join(60)  # only a bound on a hang: libpq gives up after about a second
        assert outcome and isinstance(outcome[0], DatabaseUnavailable), outcome or "still waiting after 60 s"
        assert f"127.0.0.1:{port}/ehbot_live" in str(outcome[0])
    finally:
        engine.dispose()
        silent.close()


def connect_parameters(url: str) -> dict:
    """What the engine would hand the driver to connect (captured; nothing connects)."""
    from sqlalchemy import event

    engine = make_engine(url)
    seen: dict = {}

    @event.listens_for(engine, "do_connect")
    def capture(dialect, record, cargs, cparams):
        seen.update(cparams)
        raise ConnectionRefusedError("captured")

    try:
        with pytest.raises(Exception):
            check_connection(engine)
    finally:
        engine.dispose()
    return seen


def test_postgres_connections_time_out_unless_the_url_says_otherwise():
    default = connect_parameters("postgresql://ehbot@db.example/ehbot")
    assert default["connect_timeout"] == 10 and default["tcp_user_timeout"] == 10_000 and default["keepalives"] == 1
    own = connect_parameters("postgresql://ehbot@db.example/ehbot?connect_timeout=3&keepalives=0")
    assert own["connect_timeout"] == "3" and own["keepalives"] == "0" and own["tcp_user_timeout"] == 10_000


def test_describe_and_alembic_config_keep_passwords_safe():
    assert describe("postgresql://u:p%40ss@db.example:5432/ehbot") == "db.example:5432/ehbot"
    cfg = alembic_config("postgresql://u:p%40ss@db.example/ehbot")
    assert cfg.get_main_option("sqlalchemy.url") == "postgresql://u:p%40ss@db.example/ehbot"


def test_session_scope_commits_or_rolls_back(migrated):
    with session_scope(migrated) as s:
        s.add(Practitioner(username="a.one", display_name="A One", role="admin"))
    with pytest.raises(RuntimeError):
        with session_scope(migrated) as s:
            s.add(Practitioner(username="b.two", display_name="B Two", role="admin"))
            s.flush()
            raise RuntimeError("boom")
    with session_scope(migrated) as s:
        assert [p.username for p in s.execute(select(Practitioner)).scalars()] == ["a.one"]


def test_roles_are_checked():
    with pytest.raises(ValueError, match="unknown role 'wizard'"):
        Practitioner(username="x", display_name="X", role="wizard")


# ---- case references and reading ------------------------------------------------------------


@pytest.mark.parametrize("typed", ["C-1042", "c-1042", "C1042", "c 1042", " c_1042 "])
def test_case_references_are_normalised(session, case, typed):
    assert normalise_reference(typed) == "C-1042"
    assert CaseRepository(session).find(typed).id == case.id


@pytest.mark.parametrize("typed", ["C-9999", "not a reference", "", "1042"])
def test_unknown_cases_are_not_found(session, case, typed):
    with pytest.raises(CaseNotFound):
        CaseRepository(session).find(typed)


def test_case_file_carries_people_steps_and_consents_and_logs_a_view(session, case):
    repo = CaseRepository(session)
    repo.record_step("C-1042", "cads.assessment-outcome", D(2026, 11, 3), "sw.jones", note="seen at home")
    repo.record_consent("C-1042", "engage", "given", D(2026, 11, 4), "sw.jones", given_by="mother")
    repo.set_lead_professional("C-1042", "Pat Nurse", role="school nurse", agency="Oakfield Primary", by_username="sw.jones")
    session.commit()
    cf = CaseRepository(session).case_file("c1042", viewer="tm.patel")
    session.commit()
    assert (cf.reference, cf.pathway, cf.opened_on, cf.team) == ("C-1042", "cads-progress-to-caf", D(2026, 11, 2), "CADS East")
    assert cf.allocated_worker.username == "sw.jones" and cf.allocated_worker.slack_user_id == "U1SW"
    assert cf.team_manager.teams_user_id == "T-TM" and cf.caf_link_worker.role == "caf_link_worker"
    assert cf.lead_professional.display_name == "Pat Nurse" and cf.lead_professional.role == "school nurse"
    assert cf.referrer.display_name == "Robin Referrer" and cf.referrer_advice_only is None
    assert [(s.rule_id, s.done_on, s.recorded_by, s.note) for s in cf.steps] == [
        ("cads.assessment-outcome", D(2026, 11, 3), "sw.jones", "seen at home")
    ]
    assert cf.latest_consent(CONSENT_TO_ENGAGE).given_by == "mother"
    assert cf.latest_consent(LAWFUL_BASIS_TO_SHARE) is None
    views = AuditLog(session).events(action="view")
    assert [(e.actor, e.case_reference) for e in views] == [("tm.patel", "C-1042")]


def test_open_cases_skips_closed_and_loads_in_batches(session, people, migrated):
    for n in range(25):
        add_case(session, people, reference=f"C-{2000 + n}")
    add_case(session, people, reference="C-3000", closed_on=D(2026, 11, 20))
    repo = CaseRepository(session)
    for n in range(25):
        repo.record_step(f"C-{2000 + n}", "cads.assessment-outcome", D(2026, 11, 3), "sw.jones")
    session.commit()
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    event.listen(migrated, "before_cursor_execute", listener)
    try:
        files = list(CaseRepository(session).open_cases(batch_size=10))
    finally:
        event.remove(migrated, "before_cursor_execute", listener)
    assert [f.reference for f in files] == [f"C-{2000 + n}" for n in range(25)]
    assert all(len(f.steps) == 1 for f in files)
    # 3 full batches of a case query and three bulk loads (steps, consents, bookings),
    # plus the final empty batch: a fixed number per batch, not one query per case.
    assert len(statements) <= 3 * 4 + 1


# ---- recording steps ------------------------------------------------------------------------


def test_record_step_writes_a_row_and_an_audit_event(session, case, migrated):
    step = CaseRepository(session).record_step("c 1042", "cads.assessment-outcome", D(2026, 11, 3), "sw.jones", note="x")
    session.commit()
    assert (step.rule_id, step.done_on, step.recorded_by, step.source) == ("cads.assessment-outcome", D(2026, 11, 3), "sw.jones", "chat")
    [row] = steps_in_db(session)
    assert (row.case_id, row.rule_id, row.done_on, row.recorded_by.username, row.source) == (
        case.id,
        "cads.assessment-outcome",
        D(2026, 11, 3),
        "sw.jones",
        "chat",
    )
    assert audit_rows(migrated) == [("sw.jones", "record_step", "C-1042", "cads.assessment-outcome done 2026-11-03 (chat)")]


def test_recording_the_same_step_twice_keeps_one_row(session, case):
    repo = CaseRepository(session)
    first = repo.record_step("C-1042", "cads.lead-professional-agreed", D(2026, 11, 5), "sw.jones", outcome="agreed")
    again = repo.record_step("c1042", "cads.lead-professional-agreed", "2026-11-05", "sw.jones", outcome="agreed")
    session.commit()
    assert first == again
    assert len(steps_in_db(session)) == 1
    with pytest.raises(StepRejected, match="already recorded on 2026-11-05 with outcome agreed"):
        repo.record_step("C-1042", "cads.lead-professional-agreed", D(2026, 11, 5), "sw.jones", outcome="none_found")
    repo.record_step("C-1042", "cads.lead-professional-agreed", D(2026, 11, 6), "sw.jones", outcome="none_found")
    session.commit()
    assert [s.outcome for s in steps_in_db(session)] == ["agreed", "none_found"]


@pytest.mark.parametrize(
    "rule_id, done_on, outcome, by, reason",
    [
        ("cads.assessment-outcome", D(2026, 11, 24), None, "sw.jones", "2026-11-24 is in the future (today is 2026-11-23)"),
        ("cads.assessment-outcome", D(2026, 11, 1), None, "sw.jones", "2026-11-01 is before the case was opened (2026-11-02)"),
        ("cads.no-such-step", D(2026, 11, 3), None, "sw.jones", "there is no step 'cads.no-such-step' in the guidance"),
        ("other.visit", D(2026, 11, 3), None, "sw.jones", "other.visit belongs to other guidance (test-other)"),
        ("cads.lead-professional-agreed", D(2026, 11, 3), "maybe", "sw.jones", "'maybe' is not an outcome of cads.lead-professional-agreed (one of agreed, none_found)"),
        ("cads.lead-professional-agreed", D(2026, 11, 3), None, "sw.jones", "say how cads.lead-professional-agreed turned out: one of agreed, none_found"),
        ("cads.assessment-outcome", D(2026, 11, 3), "agreed", "sw.jones", "cads.assessment-outcome is recorded without an outcome"),
        ("cads.informed-consent", D(2026, 11, 3), None, "sw.jones", "is met by recording consent"),
        ("cads.knowledge-consent-owner", D(2026, 11, 3), None, "sw.jones", "guidance to read, not a step"),
        ("cads.assessment-outcome", "3/11/2026", None, "sw.jones", "must be a date like 2026-11-23"),
        ("cads.assessment-outcome", D(2026, 11, 3), None, "nobody", "nobody is not an active practitioner"),
        ("cads.assessment-outcome", D(2026, 11, 3), None, "old.worker", "old.worker is not an active practitioner"),
    ],
)
def test_record_step_refusals(session, case, migrated, rule_id, done_on, outcome, by, reason):
    with pytest.raises(StepRejected) as refused:
        with session_scope(migrated) as s:
            CaseRepository(s).record_step("C-1042", rule_id, done_on, by, outcome=outcome)
    assert reason in str(refused.value)
    assert "\n" not in str(refused.value)
    assert steps_in_db(session) == []
    [(actor, action, ref, detail)] = audit_rows(migrated)
    assert (actor, action, ref) == (by, "refused", "C-1042") and detail.startswith("record_step")


def test_a_step_from_this_pack_is_refused_on_a_case_of_another_pack(session, people):
    add_case(session, people, reference="C-7", pathway="test-other-pathway")
    repo = CaseRepository(session)
    with pytest.raises(StepRejected, match="belongs to other guidance"):
        repo.record_step("C-7", "cads.assessment-outcome", D(2026, 11, 3), "sw.jones")
    repo.record_step("C-7", "other.visit", D(2026, 11, 3), "sw.jones")
    session.commit()
    assert [s.rule_id for s in steps_in_db(session)] == ["other.visit"]


def test_the_clock_decides_what_is_the_future(session, case, monkeypatch):
    repo = CaseRepository(session)
    with pytest.raises(StepRejected, match="in the future"):
        repo.record_step("C-1042", "cads.assessment-outcome", D(2026, 12, 1), "sw.jones")
    monkeypatch.setenv("EHBOT_TODAY", "2026-12-01")
    repo.record_step("C-1042", "cads.assessment-outcome", D(2026, 12, 1), "sw.jones")
    session.commit()
    assert [s.done_on for s in steps_in_db(session)] == [D(2026, 12, 1)]


# ---- consent and the lead professional ------------------------------------------------------


def test_consent_to_engage_and_lawful_basis_to_share_are_kept_apart(session, case):
    repo = CaseRepository(session)
    repo.record_consent("C-1042", "engage", "declined", D(2026, 11, 4), "sw.jones", given_by="mother")
    repo.record_consent("C-1042", "share", "given", D(2026, 11, 5), "sw.jones", basis="section 47")
    repo.record_consent("C-1042", "share", "given", D(2026, 11, 5), "sw.jones", basis="section 47")  # a retried turn
    session.commit()
    rows = list(session.execute(select(ConsentRow).order_by(ConsentRow.id)).scalars())
    assert [(r.kind, r.status, r.basis, r.obtained_by, r.recorded_by.username) for r in rows] == [
        ("engage", "declined", None, "sw.jones", "sw.jones"),
        ("share", "given", "section 47", "sw.jones", "sw.jones"),
    ]
    cf = CaseRepository(session).case_file("C-1042")
    assert cf.latest_consent("engage").status == "declined" and cf.latest_consent("share").basis == "section 47"


@pytest.mark.parametrize(
    "kind, status, day, basis, reason",
    [
        ("maybe", "given", D(2026, 11, 4), None, "consent is 'engage'"),
        ("engage", "perhaps", D(2026, 11, 4), None, "consent status is one of given, declined, advice_only"),
        ("share", "given", D(2026, 11, 4), None, "say the lawful basis for sharing"),
        ("share", "advice_only", D(2026, 11, 4), None, "applies to consent to engage, not to sharing"),
        ("engage", "given", D(2026, 11, 4), "section 47", "a lawful basis belongs to a 'share' record"),
        ("engage", "given", D(2026, 11, 30), None, "is in the future"),
        ("engage", "given", D(2026, 10, 30), None, "is before the case was opened"),
    ],
)
def test_record_consent_refusals(session, case, migrated, kind, status, day, basis, reason):
    with pytest.raises(ConsentRejected, match=reason):
        with session_scope(migrated) as s:
            CaseRepository(s).record_consent("C-1042", kind, status, day, "sw.jones", basis=basis)
    assert session.execute(select(ConsentRow)).first() is None
    assert [a[:2] for a in audit_rows(migrated)] == [("sw.jones", "refused")]


def test_set_lead_professional_outside_and_inside_ehbot(session, case):
    repo = CaseRepository(session)
    outside = repo.set_lead_professional("C-1042", "Pat Nurse", role="school nurse", agency="Health", by_username="sw.jones")
    assert (outside.display_name, outside.role, outside.username) == ("Pat Nurse", "school nurse", None)
    inside = repo.set_lead_professional("C-1042", None, practitioner_username="clw.ng", by_username="sw.jones")
    session.commit()
    assert (inside.display_name, inside.username) == ("Chris Ng", "clw.ng")
    session.refresh(case)
    assert (case.lead_professional_name, case.lead_professional.username, case.lead_professional_agency) == ("Chris Ng", "clw.ng", None)
    with pytest.raises(RecordRejected, match="say who the lead professional is"):
        repo.set_lead_professional("C-1042", "  ", by_username="sw.jones")
    with pytest.raises(RecordRejected, match="nobody is not an active practitioner"):
        repo.set_lead_professional("C-1042", None, practitioner_username="nobody", by_username="sw.jones")
    details = [e.detail for e in AuditLog(session).events(action="set_lead_professional")]
    assert details == ["lead professional is a partner outside ehbot from 2026-11-23",
                       f"lead professional is practitioner #{case.lead_professional_id} from 2026-11-23"]


# ---- practitioners and the audit trail --------------------------------------------------------


def test_practitioner_lookups(session, people):
    repo = PractitionerRepository(session)
    assert repo.by_username("sw.jones").display_name == "Sam Jones"
    assert repo.by_slack_user_id("U1SW").username == "sw.jones"
    assert repo.by_teams_user_id("T-TM").username == "tm.patel"
    assert repo.by_username("nobody") is None and repo.by_slack_user_id(None) is None


def test_no_name_of_a_child_or_family_member_reaches_the_audit_trail(session, case, migrated):
    with session_scope(migrated) as s:
        repo = CaseRepository(s)
        repo.record_step("C-1042", "cads.assessment-outcome", D(2026, 11, 3), "sw.jones", note=f"{CHILD_NAME} seen")
        repo.record_consent("C-1042", "engage", "given", D(2026, 11, 4), "sw.jones", given_by="mother Jo Quinnborough", note=CHILD_NAME)
        repo.set_lead_professional("C-1042", "Pat Nurse", by_username="sw.jones")
        repo.case_file("C-1042", viewer="tm.patel")
    with pytest.raises(StepRejected):
        with session_scope(migrated) as s:
            CaseRepository(s).record_step("C-1042", "cads.assessment-outcome", D(2026, 11, 3), "sw.jones", outcome=CHILD_NAME)
    events = audit_rows(migrated)
    assert [e[1] for e in events] == ["record_step", "record_consent", "set_lead_professional", "view", "refused"]
    text_of_events = " ".join(str(v) for e in events for v in e)
    for word in ("Ellie", "Quinnborough", "Jo ", "mother", "Robin", "Pat Nurse"):
        assert word not in text_of_events
    stored = session.execute(select(AuditEvent.at)).scalars().first()
    assert stored.date() == D(2026, 11, 23)  # the one clock


# ---- bookings -------------------------------------------------------------------------


def test_a_booked_meeting_shows_beside_its_deadline(session, case, known_packs):
    from bot.pathways import evaluate

    repo = CaseRepository(session)
    repo.record_step("C-1042", "cads.assessment-outcome", "2026-11-10", "sw.jones")
    # 10 Nov + 4 weeks = Tue 8 Dec 2026; booked for Thu 14 Jan 2027: after the deadline.
    booked = repo.book_step("C-1042", "cads.initial-family-planning-meeting", "2027-01-14", "sw.jones")
    assert booked.planned_for == dt.date(2027, 1, 14)
    assert repo.book_step("C-1042", "cads.initial-family-planning-meeting", "2027-01-14", "sw.jones") == booked
    step = evaluate(repo.case_file("C-1042"), today=dt.date(2026, 11, 23)).step("cads.initial-family-planning-meeting")
    assert step.booked_for == dt.date(2027, 1, 14) and step.booked_after_due
    assert session.query(BookingRow).count() == 1
    assert AuditLog(session).events("C-1042", "book_step")


def test_a_booking_in_the_past_is_refused(session, case, known_packs):
    with pytest.raises(StepRejected, match="in the past"):
        CaseRepository(session).book_step("C-1042", "cads.initial-family-planning-meeting", "2026-11-01", "sw.jones")
