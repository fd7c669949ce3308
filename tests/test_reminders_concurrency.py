"""Two senders at once: every reminder posted exactly once (row locks that skip locked rows)."""
from __future__ import annotations

import collections
import datetime as dt
import threading
import time

from fakes import FakeNow, early_help_case, fake_slack  # noqa: F401  (fixture)
from sqlalchemy import select

from bot.db.models import Reminder
from bot.db.session import make_engine, session_scope
from bot.notify.pacing import Pacer
from bot.notify.scanner import scan
from bot.notify.sender import Sender
from bot.notify.settings import ReminderSettings


def test_two_senders_at_once_post_each_reminder_exactly_once(db_url, migrated, session, people, fake_slack):
    people["team"].slack_channel_id = "C0EAST"
    session.commit()
    for n in range(15):
        early_help_case(session, people, f"C-8{n:03d}", dt.date(2026, 11, 16) + dt.timedelta(days=n % 5))
    scan(session, settings=ReminderSettings())
    session.commit()
    ids = set(session.execute(select(Reminder.id)).scalars())
    assert len(ids) >= 20

    settings = ReminderSettings(slack_token=fake_slack.token, slack_api_url=fake_slack.api_url, slack_http_retries=0,
                                batch_size=3, claim_seconds=60)
    start = threading.Barrier(2)
    results, errors = {}, []

    def run(name):
        engine = make_engine(db_url)
        try:
            # A short real pause between posts, so the two senders' work interleaves.
            sender = Sender(engine, settings, now=FakeNow(), pacer=Pacer(0.005, sleep=time.sleep), name=name)
            start.wait()
            results[name] = sender.run_once()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run, args=(n,)) for n in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert not errors
    posted = collections.Counter(fake_slack.markers_posted())
    assert posted == collections.Counter({f"ehbot:r{i}": 1 for i in ids})
    assert results["one"].posted > 0 and results["two"].posted > 0
    assert results["one"].posted + results["two"].posted == len(ids)
    with session_scope(migrated) as s:
        saved = s.execute(select(Reminder)).scalars().all()
        assert {r.status for r in saved} == {"sent"}
        by_message = {p["ts"]: p for p in fake_slack.posts}
        # Each row records the message that carries it.
        assert all(f"ehbot:r{r.id}" in str(by_message[r.message_id]["blocks"]) for r in saved)
