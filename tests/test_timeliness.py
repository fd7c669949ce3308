"""The timeliness view on the demo data and its fictional history: figures, access, no names."""
from __future__ import annotations

from bot import timeliness, timeliness_formats
from bot.db.session import session_scope
from bot.demo import load_demo
from bot.demo_history import load_history


def test_the_report_counts_history_and_names_no_child(migrated):
    with session_scope(migrated) as s:
        load_demo(s)
        load_history(s)
        report = timeliness.for_reader(s, "tess.tm", team="Demo North Team")
        page = timeliness_formats.html(report)
    assert report.total.due > 50 and 0 < report.total.on_time < report.total.due
    assert "<svg" in page and "Fictional" not in page and "parent (demo)" not in page
    assert all(ref.startswith("C-") for ref, _, _ in report.overdue)


def test_a_team_manager_asks_in_chat(migrated):
    from bot.conversation import Conversation

    with session_scope(migrated) as s:
        load_demo(s)
        load_history(s)
    reply = Conversation(lambda: session_scope(migrated)).respond("tess.tm", "how is my team doing on timescales?")
    assert reply.text.startswith("Timescales on Demo North Team since") and "ehbot report timeliness" in reply.text
