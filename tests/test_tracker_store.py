"""The tracker store keeps each conversation's last saved tracker in memory, and hands it
back only while the database holds nothing newer (ehbot_channels/tracker_store.py).

Each test runs on SQLite and on PostgreSQL, against a second store on the same database
where another Rasa process matters.
"""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config
from rasa_support import ROOT

from bot.db.session import use_write_ahead_log
from ehbot_channels.tracker_store import KeptSQLTrackerStore

SENDER = "sw.jones"
DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, ask_case_status]
slots:
  case_ref:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
""")


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def rebuilt(monkeypatch):
    """How many times a tracker was rebuilt from its stored events."""
    calls = []
    original = DialogueStateTracker.from_dict.__func__

    def counting(cls, *args, **kwargs):
        calls.append(args[0])
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(DialogueStateTracker, "from_dict", classmethod(counting))
    return calls


def store(db_url, **kwargs) -> KeptSQLTrackerStore:
    use_write_ahead_log(db_url)  # as the Rasa server's entry point does (it makes the folder)
    return KeptSQLTrackerStore(host=db_url, domain=DOMAIN, **kwargs)


def a_turn(text: str, ref: str) -> list:
    return [UserUttered(text, {"name": "ask_case_status", "confidence": 0.97}), ActionExecuted("action_case_status"),
            SlotSet("case_ref", ref), BotUttered(f"Here is what is left on {ref}."), ActionExecuted("action_listen")]


def a_conversation(kept: KeptSQLTrackerStore, sender: str = SENDER) -> DialogueStateTracker:
    """A conversation as Rasa starts one, saved; then read back and one turn saved, as at
    the end of the first turn."""
    first = DialogueStateTracker.from_events(
        sender, [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")],
        slots=DOMAIN.slots)
    run(kept.save(first))
    tracker = run(kept.retrieve(sender))
    tracker.update_with_events(a_turn("what's left on C-1042", "C-1042"), DOMAIN)
    run(kept.save(tracker))
    return tracker


def as_stored(tracker: DialogueStateTracker) -> list:
    return [event.as_dict() for event in tracker.events]


def stored_rows(kept: KeptSQLTrackerStore, sender: str = SENDER) -> int:
    with kept.session_scope() as session:
        return session.query(kept.SQLEvent).filter(kept.SQLEvent.sender_id == sender).count()


def test_the_endpoints_file_names_this_store(tmp_path, monkeypatch):
    # Rasa falls back to a tracker store in memory, with only a warning, if the type
    # cannot be imported: conversations would then be lost on a restart.
    monkeypatch.setenv("EHBOT_TRACKER_URL", f"sqlite:///{tmp_path / 'rasa-tracker.sqlite3'}")
    config = read_endpoint_config(str(ROOT / "endpoints.yml"), "tracker_store")
    made = create_tracker_store(config, DOMAIN)
    assert type(made) is KeptSQLTrackerStore
    assert str(made.engine.url) == f"sqlite:///{tmp_path / 'rasa-tracker.sqlite3'}"


def test_the_next_turn_gets_the_saved_tracker_without_a_rebuild(db_url, rebuilt):
    kept = store(db_url)
    saved = a_conversation(kept)
    rebuilt.clear()
    handed_back = run(kept.retrieve(SENDER))
    assert handed_back is saved and rebuilt == []
    assert handed_back.get_slot("case_ref") == "C-1042"
    # What the database holds is the same conversation, event for event.
    assert as_stored(run(store(db_url).retrieve(SENDER))) == as_stored(handed_back)


def test_the_saved_turns_are_each_stored_once(db_url):
    kept = store(db_url)
    tracker = a_conversation(kept)
    for ref in ("C-1043", "C-1044"):
        tracker = run(kept.retrieve(SENDER))
        tracker.update_with_events(a_turn(f"and {ref}?", ref), DOMAIN)
        run(kept.save(tracker))
    # 3 from the start, 5 a turn; Rasa reads back all but action_session_start.
    assert stored_rows(kept) == 3 + 3 * 5
    assert as_stored(run(store(db_url).retrieve(SENDER))) == as_stored(tracker)


def test_a_turn_another_rasa_process_stored_is_read_from_the_database(db_url, rebuilt):
    ours, theirs = store(db_url), store(db_url)
    a_conversation(ours)
    elsewhere = run(theirs.retrieve(SENDER))
    elsewhere.update_with_events(a_turn("what about C-2002", "C-2002"), DOMAIN)
    run(theirs.save(elsewhere))
    rebuilt.clear()
    tracker = run(ours.retrieve(SENDER))
    assert rebuilt == [SENDER]
    assert tracker.get_slot("case_ref") == "C-2002"
    assert as_stored(tracker) == as_stored(elsewhere)


def test_a_turn_that_failed_before_saving_leaves_nothing_behind(db_url):
    kept = store(db_url)
    a_conversation(kept)
    half_done = run(kept.retrieve(SENDER))
    half_done.update_with_events([UserUttered("record the TAF", {"name": "record_step"}), SlotSet("case_ref", "C-9999")],
                                 DOMAIN)
    # The turn fails here: Rasa never saves it.
    again = run(kept.retrieve(SENDER))
    assert again is not half_done
    assert again.get_slot("case_ref") == "C-1042"
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["what's left on C-1042"]


def test_a_tracker_that_started_a_new_session_is_not_kept(db_url):
    kept = store(db_url)
    tracker = a_conversation(kept)
    tracker = run(kept.retrieve(SENDER))
    # The session expired: Rasa starts a new one in the same tracker, carrying the slots.
    tracker.update_with_events([ActionExecuted("action_session_start"), SessionStarted(), SlotSet("case_ref", "C-1042"),
                                ActionExecuted("action_listen"), *a_turn("hello again, C-1043", "C-1043")], DOMAIN)
    run(kept.save(tracker))
    assert kept.kept_count == 0  # Rasa reads back the new session only
    read_back = run(kept.retrieve(SENDER))
    assert [e.text for e in read_back.events if isinstance(e, UserUttered)] == ["hello again, C-1043"]
    read_back.update_with_events(a_turn("and C-1044?", "C-1044"), DOMAIN)
    run(kept.save(read_back))
    assert stored_rows(kept) == 3 + 5 + 4 + 5 + 5  # nothing stored twice


def test_at_most_the_limit_is_kept_the_least_recent_dropped_first(db_url, rebuilt):
    kept = store(db_url, kept_conversations=2)
    for sender in ("sw.one", "sw.two", "sw.three"):
        a_conversation(kept, sender)
    assert kept.kept_count == 2
    rebuilt.clear()
    for sender in ("sw.one", "sw.two", "sw.three"):
        run(kept.retrieve(sender))
    assert rebuilt == ["sw.one"]


def test_a_new_model_drops_what_was_kept(db_url, rebuilt):
    kept = store(db_url)
    a_conversation(kept)
    kept.domain = Domain.from_dict(DOMAIN.as_dict())  # Rasa sets the domain of a newly loaded model
    rebuilt.clear()
    run(kept.retrieve(SENDER))
    assert rebuilt == [SENDER]


def test_nothing_is_kept_when_told_to_keep_nothing(db_url, rebuilt):
    kept = store(db_url, kept_conversations=0)
    a_conversation(kept)
    rebuilt.clear()
    assert run(kept.retrieve(SENDER)).get_slot("case_ref") == "C-1042"
    assert rebuilt == [SENDER] and kept.kept_count == 0


def test_the_stored_count_is_the_one_rasa_counts(db_url):
    kept = store(db_url)
    a_conversation(kept)  # one session
    a_conversation(kept, "sw.other")
    tracker = run(kept.retrieve("sw.other"))
    tracker.update_with_events([ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
                                *a_turn("a new session, C-1043", "C-1043")], DOMAIN)
    run(kept.save(tracker))  # two sessions
    with kept.session_scope() as session:
        for sender in (SENDER, "sw.other", "nobody.yet"):
            rasa_count = kept._event_query(session, sender, fetch_events_from_all_sessions=False).count()
            assert kept._stored_in_session(session, sender) == rasa_count
        assert [kept._stored_in_session(session, s) for s in (SENDER, "sw.other", "nobody.yet")] == [7, 7, 0]


def test_a_kept_tracker_is_saved_without_counting_what_is_stored(db_url, monkeypatch):
    kept = store(db_url)
    a_conversation(kept)
    counted = []
    count = kept._stored_in_session
    monkeypatch.setattr(kept, "_stored_in_session", lambda session, sender: counted.append(sender) or count(session, sender))
    tracker = run(kept.retrieve(SENDER))
    tracker.update_with_events(a_turn("and C-1043?", "C-1043"), DOMAIN)
    run(kept.save(tracker))
    # It was handed out with exactly the stored events: nothing to count, nothing stored twice.
    assert counted == [] and stored_rows(kept) == 3 + 2 * 5
    assert as_stored(run(store(db_url).retrieve(SENDER))) == as_stored(tracker)
    # A tracker read from the database (here another process's) is counted as Rasa would.
    elsewhere = store(db_url)
    monkeypatch.setattr(elsewhere, "_stored_in_session", lambda session, sender: counted.append(sender) or count(session, sender))
    theirs = run(elsewhere.retrieve(SENDER))
    theirs.update_with_events(a_turn("and C-1044?", "C-1044"), DOMAIN)
    run(elsewhere.save(theirs))
    assert counted == [SENDER] and stored_rows(kept) == 3 + 3 * 5


def test_a_kept_tracker_saved_twice_in_a_turn_is_stored_once(db_url):
    kept = store(db_url)
    a_conversation(kept)
    tracker = run(kept.retrieve(SENDER))
    tracker.update_with_events(a_turn("and C-1043?", "C-1043")[:2], DOMAIN)
    run(kept.save(tracker))
    tracker.update_with_events(a_turn("and C-1043?", "C-1043")[2:], DOMAIN)
    run(kept.save(tracker))
    assert stored_rows(kept) == 3 + 2 * 5
    assert as_stored(run(store(db_url).retrieve(SENDER))) == as_stored(tracker)


def test_a_sqlite_file_keeps_its_connection_between_turns(tmp_path):
    import sqlalchemy as sa

    kept = store(f"sqlite:///{tmp_path / 'rasa-tracker.sqlite3'}")
    connects = []
    sa.event.listen(kept.engine, "connect", lambda *_: connects.append(1))
    a_conversation(kept)
    for ref in ("C-1043", "C-1044"):
        tracker = run(kept.retrieve(SENDER))
        tracker.update_with_events(a_turn(f"and {ref}?", ref), DOMAIN)
        run(kept.save(tracker))
    assert len(connects) == 1  # Rasa's own engine opened the file for every session
    with kept.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert stored_rows(kept) == 3 + 3 * 5


def test_trackers_of_failed_turns_are_not_held_beyond_the_limit(db_url):
    kept = store(db_url, kept_conversations=2)
    for sender in ("sw.one", "sw.two", "sw.three"):
        a_conversation(kept, sender)
        run(kept.retrieve(sender))  # handed out; the turn then fails and never saves
    assert len(kept._handed_out) == 2 and "sw.one" not in kept._handed_out


# ---- a disclosure's words are never kept; nothing is kept past the retention period ----------

DISCLOSURE = "mum's partner hit the toddler with a belt"


def _stored_texts(kept: KeptSQLTrackerStore, sender: str = SENDER) -> str:
    with kept.session_scope() as session:
        return " ".join(row.data for row in session.query(kept.SQLEvent).filter(kept.SQLEvent.sender_id == sender))


def test_a_withheld_message_is_stored_and_kept_without_its_words(db_url):
    kept = store(db_url)
    tracker = a_conversation(kept)
    tracker.update_with_events([UserUttered(DISCLOSURE, {"name": "record_step", "confidence": 0.6},
                                            [{"entity": "concept", "value": "x"}]),
                                ActionExecuted("action_respond"), SlotSet("withheld", True),
                                BotUttered("This needs acting on now"), ActionExecuted("action_listen")], DOMAIN)
    run(kept.save(tracker))
    tracker.update_with_events(a_turn("what's left on C-1043", "C-1043"), DOMAIN)
    run(kept.save(tracker))
    stored = _stored_texts(kept)
    assert "belt" not in stored and "toddler" not in stored and "[withheld: safeguarding]" in stored
    assert "what's left on C-1043" in stored and "what's left on C-1042" in stored  # others keep theirs
    again = run(kept.retrieve(SENDER))
    assert DISCLOSURE not in [e.text for e in again.events if isinstance(e, UserUttered)]
    fresh = run(store(db_url).retrieve(SENDER))
    assert [e.text for e in fresh.events if isinstance(e, UserUttered)] == [
        "what's left on C-1042", "[withheld: safeguarding]", "what's left on C-1043"]


def test_retention_deletes_idle_conversations_and_empties_old_words_in_ongoing_ones(db_url):
    import datetime as dt

    from bot import retention

    kept = store(db_url)
    a_conversation(kept, "idle.worker")
    ongoing = a_conversation(kept, SENDER)
    now = dt.datetime.now(dt.timezone.utc)
    later = now + dt.timedelta(days=31)
    ongoing.update_with_events([UserUttered("a month later on C-2001", {"name": "ask_case_status", "confidence": 0.9},
                                            timestamp=later.timestamp()),
                                BotUttered("C-2001 is ...", timestamp=later.timestamp())], DOMAIN,
                               override_timestamp=False)
    run(kept.save(ongoing))
    rows_before = stored_rows(kept)
    purged = retention.purge(db_url, days=30, now=later + dt.timedelta(minutes=1))
    assert purged.conversations == 1 and purged.events_deleted > 0 and purged.events_redacted == 3
    assert stored_rows(kept, "idle.worker") == 0
    assert stored_rows(kept) == rows_before  # the ongoing conversation keeps every event: counts stay right
    stored = _stored_texts(kept)
    assert "C-1042" not in stored and "a month later on C-2001" in stored
    assert retention.purge(db_url, days=30, now=later + dt.timedelta(minutes=1)).events_redacted == 0  # once
    tracker = run(store(db_url).retrieve(SENDER))
    tracker.update_with_events(a_turn("and now?", "C-2001"), DOMAIN)
    run(kept.save(tracker))
    assert stored_rows(kept) == rows_before + len(a_turn("x", "y"))


def test_retention_of_a_store_that_does_not_exist_yet_is_nothing(tmp_path):
    from bot import retention

    assert retention.purge(f"sqlite:///{tmp_path / 'none' / 'tracker.sqlite3'}", days=30).conversations == 0
    assert not (tmp_path / "none").exists()
