"""Rasa's SQL tracker store, keeping each conversation's last saved tracker in memory.

At the start of every turn Rasa 3.6's ``SQLTrackerStore`` reads every event of the
conversation's session and replays them into a new tracker
(``DialogueStateTracker.from_dict``): about 9 ms of a 50 ms status turn on the test
machine, and more as a conversation grows. Between two turns of one conversation in one
Rasa process, nothing else changes those events, so the replay rebuilds the tracker the
process just saved.

This store keeps the tracker it saved and hands it back at the next turn if the
database holds no later event for the conversation (one indexed query). Everything is
still written to the database as before, so a restart, or a turn taken by another Rasa
process behind the Redis lock store, is seen (a later event) and read from the database.

- A kept tracker is handed out once: a turn that fails before saving leaves nothing
  kept, so the next turn reads the database as Rasa would.
- It is kept only if it holds exactly the events Rasa would read back: all of them are
  stored and none starts a new session (Rasa reads back from the latest session's
  start, so a tracker that began one mid-turn is read back shorter).
- Saving counts what is stored with one plain count. Rasa's count wraps its whole event
  query, every stored event's data included and sorted, which a long conversation makes
  slow (about 7 ms a save on the test machine); the count is the same. A tracker handed
  out kept needs no count at all: when it was handed out the database held exactly its
  events, and the lock store lets no other turn of the conversation write in between.
- A SQLite file keeps its connections open between turns. Rasa's engine opens the file
  for each session (SQLAlchemy 1.4 gives SQLite files no pool), and in write-ahead-log
  mode closing the last connection also checkpoints the log: about 3 ms a turn.
- At most ``kept_conversations`` trackers are kept (from the endpoints file; 500 unless
  told), the least recently used dropped first; a new model (domain) drops them all.
- A message the core answered as a disclosure of harm (its turn sets the ``withheld``
  slot) is saved, and kept in memory, with its words replaced by a marker: its text, what
  the NLU read from it, and the entities. Nothing else of the message is stored.
"""
from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from typing import Any, Optional, Text, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot.db.session import is_sqlite_file

KEPT_CONVERSATIONS = 500
WITHHELD_SLOT = "withheld"  # actions/common.py sets it on a turn whose message disclosed harm
WITHHELD_MARKER = "[withheld: safeguarding]"

# What is kept per conversation: the id of the last event stored, the domain the tracker
# was built with, and the tracker.
Kept = Tuple[int, Domain, DialogueStateTracker]


class KeptSQLTrackerStore(SQLTrackerStore):
    """Named in the endpoints file as ``type: ehbot_channels.tracker_store.KeptSQLTrackerStore``."""

    def __init__(self, *args: Any, kept_conversations: int = KEPT_CONVERSATIONS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keep_sqlite_connections()
        self._kept: "OrderedDict[Text, Kept]" = OrderedDict()
        self._kept_limit = max(0, int(kept_conversations))
        # Trackers handed out kept and not yet saved, with how many of their events are
        # stored (a turn that fails never saves: no more of these than of kept ones).
        self._handed_out: "OrderedDict[Text, Tuple[DialogueStateTracker, int]]" = OrderedDict()

    def _keep_sqlite_connections(self) -> None:
        """A pooled engine in place of Rasa's for a SQLite file (as SQLAlchemy 2.0 pools them)."""
        if not is_sqlite_file(self.engine.url):
            return
        pooled = sa.create_engine(self.engine.url, poolclass=QueuePool, connect_args={"check_same_thread": False})
        self.engine.dispose()
        self.engine = pooled
        self.sessionmaker = sessionmaker(bind=pooled)

    @property
    def kept_count(self) -> int:
        """How many conversations' trackers are kept now."""
        return len(self._kept)

    def _last_event_id(self, session: Any, sender_id: Text) -> Optional[int]:
        return session.query(sa.func.max(self.SQLEvent.id)).filter(self.SQLEvent.sender_id == sender_id).scalar()

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        kept = self._kept.pop(sender_id, None)
        if kept is not None:
            last_id, domain, tracker = kept
            with self.session_scope() as session:
                unchanged = domain is self.domain and self._last_event_id(session, sender_id) == last_id
            if unchanged:
                self._handed_out[sender_id] = (tracker, len(tracker.events))
                while len(self._handed_out) > self._kept_limit:
                    self._handed_out.popitem(last=False)
                return tracker
        self._handed_out.pop(sender_id, None)
        return await super().retrieve(sender_id)

    def _stored_in_session(self, session: Any, sender_id: Text) -> int:
        """How many events of the conversation's latest session are stored: the number
        Rasa's ``_additional_events`` counts, without reading the events."""
        events = self.SQLEvent
        session_start = (sa.select(sa.func.max(events.timestamp))
                         .where(events.sender_id == sender_id, events.type_name == SessionStarted.type_name)
                         .scalar_subquery())
        query = (sa.select(sa.func.count()).select_from(events.__table__)
                 .where(events.sender_id == sender_id,
                        sa.or_(events.timestamp >= session_start, session_start.is_(None))))
        return session.execute(query).scalar_one()

    def _row(self, sender_id: Text, event: Event) -> Any:
        """An event as Rasa's own ``save`` stores it."""
        data = event.as_dict()
        return self.SQLEvent(sender_id=sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
                             intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                             action_name=data.get("name"), data=json.dumps(data))

    async def save(self, tracker: DialogueStateTracker) -> None:
        withhold_disclosures(tracker)
        self._kept.pop(tracker.sender_id, None)
        handed_out, stored_when_handed_out = self._handed_out.pop(tracker.sender_id, (None, 0))
        await self.stream_events(tracker)
        with self.session_scope() as session:
            if handed_out is tracker:
                stored = stored_when_handed_out
            else:
                stored = self._stored_in_session(session, tracker.sender_id)
            new = list(itertools.islice(tracker.events, stored, len(tracker.events)))
            rows = [self._row(tracker.sender_id, event) for event in new]
            session.add_all(rows)
            session.flush()  # gives the rows their ids
            last_id = rows[-1].id if rows else self._last_event_id(session, tracker.sender_id)
            session.commit()
        # Kept only if reading it back would give these very events: all of the tracker
        # is now stored, and no new session began (Rasa reads back from its start).
        whole = stored + len(new) == len(tracker.events)
        if self._kept_limit == 0 or last_id is None or not whole or any(isinstance(e, SessionStarted) for e in new):
            return
        self._kept[tracker.sender_id] = (last_id, self.domain, tracker)
        while len(self._kept) > self._kept_limit:
            self._kept.popitem(last=False)


def withhold_disclosures(tracker: DialogueStateTracker) -> int:
    """Replace the words of every message whose turn set the ``withheld`` slot; returns how many."""
    withheld, user_event = 0, None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            user_event = event
        elif isinstance(event, SlotSet) and event.key == WITHHELD_SLOT and event.value and user_event is not None:
            if user_event.text != WITHHELD_MARKER:
                _withhold(user_event)
                withheld += 1
            user_event = None
    return withheld


def _withhold(event: UserUttered) -> None:
    event.text = WITHHELD_MARKER
    event.entities = []
    event.parse_data = {"text": WITHHELD_MARKER, "intent": event.parse_data.get("intent") or {},
                        "entities": [], "intent_ranking": []}
