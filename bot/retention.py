"""How long the words of conversations are kept: the conversation store's retention.

Rasa keeps every turn of every conversation in its tracker store (one ``events`` table:
each row a message, a reply or a slot, its words inside ``data``). Practitioners type
children's details there. After ``EHBOT_CONVERSATION_RETENTION_DAYS`` (30 unless set):
- a conversation with nothing newer is deleted, every event of it;
- in a conversation still going on, each message, reply and slot older than that keeps
  its place (so the store's counts stay right) but loses its words (a slot its value).
What was recorded on cases stays, in the case database. The reminder worker does this
every round; ``ehbot conversations purge`` does it on demand.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import sqlalchemy as sa

from bot import clock, config
from bot.db.session import is_sqlite_file

log = logging.getLogger(__name__)

EXPIRED_MARKER = "[removed: older than the retention period]"
_metadata = sa.MetaData()
# The columns of Rasa's SQL tracker store that retention reads and writes.
EVENTS = sa.Table(
    "events", _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("type_name", sa.String(255)),
    sa.Column("timestamp", sa.Float),
    sa.Column("data", sa.Text),
)
# The events that hold words: messages, replies, and slots (a case in focus, a proposal).
WORDED = ("user", "bot", "slot")


@dataclass(frozen=True)
class Purged:
    conversations: int
    events_deleted: int
    events_redacted: int

    def __str__(self) -> str:
        return (f"conversations older than the retention period: {self.conversations} deleted "
                f"({self.events_deleted} events); {self.events_redacted} older messages in ongoing ones emptied")


def cutoff(days: Optional[int] = None, now: Optional[dt.datetime] = None) -> float:
    """The timestamp (seconds since 1970, as the store keeps them) before which words go."""
    days = config.conversation_retention_days() if days is None else days
    if now is None:
        now = dt.datetime.combine(clock.today(), dt.datetime.now(dt.timezone.utc).time(), dt.timezone.utc)
    return (now - dt.timedelta(days=days)).timestamp()


def _redacted(data: str) -> str:
    try:
        event = json.loads(data)
    except (TypeError, ValueError):
        return json.dumps({"event": "unknown", "text": EXPIRED_MARKER})
    if event.get("event") == "slot":
        event["value"] = None
        event["metadata"] = {"removed": EXPIRED_MARKER}
        return json.dumps(event)
    event["text"] = EXPIRED_MARKER
    for key in ("parse_data", "data", "metadata"):
        if key in event:
            event[key] = {"text": EXPIRED_MARKER} if key == "parse_data" else {}
    return json.dumps(event)


def purge(url: Optional[str] = None, days: Optional[int] = None, now: Optional[dt.datetime] = None) -> Purged:
    """Apply the retention period to the conversation store at ``url`` (the configured one)."""
    url = url or config.tracker_url()
    if is_sqlite_file(url) and not Path(sa.engine.make_url(url).database).exists():
        return Purged(0, 0, 0)  # no conversation kept yet
    engine = sa.create_engine(url)
    try:
        if not sa.inspect(engine).has_table("events"):
            return Purged(0, 0, 0)
        before = cutoff(days, now)
        with engine.begin() as conn:
            last = sa.select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id).having(
                sa.func.max(EVENTS.c.timestamp) < before)
            idle = [row[0] for row in conn.execute(last)]
            deleted = 0
            for start in range(0, len(idle), 500):
                chunk = idle[start:start + 500]
                deleted += conn.execute(sa.delete(EVENTS).where(EVENTS.c.sender_id.in_(chunk))).rowcount or 0
            old = conn.execute(sa.select(EVENTS.c.id, EVENTS.c.data).where(
                EVENTS.c.timestamp < before, EVENTS.c.type_name.in_(WORDED),
                sa.not_(EVENTS.c.data.contains(EXPIRED_MARKER)))).all()
            for event_id, data in old:
                conn.execute(sa.update(EVENTS).where(EVENTS.c.id == event_id).values(data=_redacted(data)))
        purged = Purged(len(idle), deleted, len(old))
        log.info("retention: %s", purged)
        return purged
    finally:
        engine.dispose()
