"""End to end over REST: the action server and the Rasa server run as they do under
`ehbot run` (child processes, localhost, free ports) against a temporary SQLite case
database with the demo data, the clock fixed. Conversations are held as a demo social
worker and as an unknown sender; the steps written to the database and the dates in
the replies are checked; the Rasa server is restarted mid-conversation and the
conversation carries on (SQL tracker store). The servers are always stopped."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.chatclient import send
from bot.db.models import BookingRow, Case, ConsentRow, Practitioner, RecordedStepRow
from bot.db.session import make_engine, session_factory
from rasa_support import demo_stack, trained_model

pytestmark = pytest.mark.slow

TODAY = "2026-11-23"  # a Monday; C-1042 was opened 35 days before


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with demo_stack(tmp_path_factory.mktemp("e2e"), TODAY) as (servers, env):
        yield {"servers": servers, "model": trained_model(), "db": env["EHBOT_DATABASE_URL"],
               "tracker": env["EHBOT_TRACKER_URL"]}
    for name in ("rasa", "actions"):
        assert name not in servers.processes


def say(stack, sender, message):
    replies = send(f"http://127.0.0.1:{stack['servers'].rasa_port}", sender, message, timeout=120)
    text = "\n".join(r.get("text", "") for r in replies)
    buttons = [b for r in replies for b in r.get("buttons") or []]
    return text, buttons


def rows(db_url, model, reference="C-1042"):
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            case = session.execute(select(Case).where(Case.reference == reference)).scalar_one()
            return session.execute(select(model).where(model.case_id == case.id).order_by(model.id)).scalars().all()
    finally:
        engine.dispose()


def steps_of(db_url, reference="C-1042"):
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            who = {p.id: p.username for p in session.execute(select(Practitioner)).scalars()}
        return {(r.rule_id, r.done_on.isoformat(), who.get(r.recorded_by_id)) for r in rows(db_url, RecordedStepRow, reference)}
    finally:
        engine.dispose()


def test_unknown_sender_gets_cited_guidance_but_no_case(stack):
    text, _ = say(stack, "guest-e2e", "do I need consent before contacting the front door?")
    assert "3.1 Consent" in text and "Front Door" in text
    text, _ = say(stack, "guest-e2e", "what's left on C-1042?")
    assert "Fictional Child" not in text
    assert "Sam Social" not in text and "Next:" not in text


def test_walk_c1042_from_threshold_not_met_to_initial_fpm_booked(stack):
    db, me = stack["db"], "sam.sw"
    text, buttons = say(stack, me, "I've finished a CADS assessment, threshold not met for C-1042")
    assert "C-1042" in text
    assert "Path: CADS outcome: progress to a new CAF episode" in text  # the recorded path: nothing asked
    assert "Mon 23 Nov 2026" in text
    assert "Mon 21 Dec 2026" in text  # the initial FPM: within 4 weeks
    assert "CADS guidance §" in text
    text, _ = say(stack, me, "yes")
    assert text.startswith("Recorded on C-1042")
    assert ("cads.assessment-outcome", TODAY, me) in steps_of(db)

    text, _ = say(stack, me, "why?")
    assert "Team Manager" in text and "§" in text

    text, _ = say(stack, me, "I've shared my recommendation with the TM")
    assert "C-1042" in text and "Shall I" in text
    text, _ = say(stack, me, "yes")
    assert ("cads.recommendation-to-team-manager", TODAY, me) in steps_of(db)

    text, _ = say(stack, me, "The TM signed it off this morning")
    assert "Team manager sign-off" in text and "Mon 23 Nov 2026" in text

    # The Rasa server restarts while the sign-off waits for a yes: the proposal survives.
    servers = stack["servers"]
    servers.stop_one("rasa")
    servers.start_rasa(stack["model"])
    servers.wait_until_up(timeout=420)
    text, _ = say(stack, me, "yes")
    assert text.startswith("Recorded on C-1042: Team manager sign-off")
    assert ("cads.team-manager-oversight", TODAY, me) in steps_of(db)

    text, _ = say(stack, me, "mum gave consent yesterday")
    assert "Sun 22 Nov 2026" in text
    say(stack, me, "yes")
    consents = rows(db, ConsentRow)
    assert [(c.kind, c.status, c.recorded_on) for c in consents] == [("engage", "given", dt.date(2026, 11, 22))]

    text, _ = say(stack, me, "the school nurse agreed to be lead professional")
    assert "C-1042" in text
    say(stack, me, "yes")

    text, _ = say(stack, me, "initial FPM booked for 14 Jan")
    assert "Thu 14 Jan 2027" in text
    text, _ = say(stack, me, "yes")
    assert "Recorded" in text or "Booked" in text
    bookings = rows(db, BookingRow)
    assert [(b.rule_id, b.planned_for) for b in bookings] == [("cads.initial-family-planning-meeting", dt.date(2027, 1, 14))]


def stored_words(stack) -> str:
    engine = make_engine(stack["tracker"])
    try:
        with engine.connect() as conn:
            return " ".join(row[0] for row in conn.exec_driver_sql("select data from events"))
    finally:
        engine.dispose()


def test_a_disclosure_mid_flow_gets_the_safe_reply_keeps_the_proposal_and_is_not_kept(stack):
    db, me = stack["db"], "sam.sw"
    before = steps_of(db, "C-1045")
    text, _ = say(stack, me, "rang the referrer with the CADS result for C-1045 this morning")
    assert text.startswith("Referrer updated on the outcome on C-1045") and "Shall I record it?" in text
    text, buttons = say(stack, me, "hang on, the little one just said her mums boyfriend holds her head under the bath water")
    assert text.startswith("This needs acting on now") and "999" in text and "recorded nothing" in text
    assert buttons == [] and steps_of(db, "C-1045") == before
    assert "bath water" not in stored_words(stack)
    text, _ = say(stack, me, "yes")  # the proposal waited
    assert text.startswith("Recorded on C-1045: Referrer updated on the outcome")
    assert ("cads.update-referrer", TODAY, me) in steps_of(db, "C-1045")


def test_restart_and_start_again_say_so(stack):
    text, _ = say(stack, "sam.sw", "/restart")
    assert text.startswith("Starting again")
    say(stack, "sam.sw", "mum gave consent today on C-1042")
    text, _ = say(stack, "sam.sw", "start again")
    assert text.startswith("Starting again")
    text, _ = say(stack, "sam.sw", "yes")
    assert "nothing waiting" in text


def test_a_question_about_a_step_records_nothing_and_says_what_blocks_it(stack):
    db = stack["db"]
    before = steps_of(db, "C-1048")
    text, _ = say(stack, "sam.sw", "can I tell the referrer yet on C-1048?")
    assert text.startswith("Not yet on C-1048") and "team manager" in text and "Nothing was recorded" in text
    text, _ = say(stack, "sam.sw", "the tm hasn't signed it off yet on C-1048")
    assert text.startswith("Noted:") and "Shall I record" not in text
    assert steps_of(db, "C-1048") == before
