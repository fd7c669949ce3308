"""Rasa's Redis lock store, with every change to a conversation's lock made atomically.

Rasa 3.6's ``RedisLockStore`` changes a lock in three round trips: read it, change it,
write it back. Two Rasa processes taking a message of one conversation at the same
moment both read "last ticket N" and both take N+1; both then handle their turn at once,
and the second tracker save silently drops the first turn's events (RasaHQ/rasa#9213;
the upstream fix, #11256, was reverted). Returning a ticket races the same way: a
process can delete the lock just after another took a ticket on it.

Here each change is one Redis transaction: WATCH the lock's key, read, change, write in
MULTI/EXEC, and start again if another process wrote the key in between. Reading the
lock to see whose turn it is stays as Rasa does it.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Optional, Text, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

# A change is given the stored lock (None if there is none) and returns the lock to store
# (None: delete the key) and what the caller gets back.
Change = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], Any]]


class AtomicRedisLockStore(RedisLockStore):
    """Named in the endpoints file as ``type: ehbot_channels.lock_store.AtomicRedisLockStore``."""

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        # Rasa builds a lock store named by module path with ``endpoint_config=`` only.
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _change(self, conversation_id: Text, change: Change) -> Any:
        key = self.key_prefix + conversation_id

        def attempt(pipe: Any) -> Any:
            raw = pipe.get(key)  # WATCHed by ``transaction``: EXEC fails if anyone writes it
            kept, result = change(TicketLock.from_dict(json.loads(raw)) if raw else None)
            pipe.multi()
            if kept is None:
                pipe.delete(key)
            else:
                pipe.set(key, kept.dumps())
            return result

        return self.red.transaction(attempt, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def take(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, take)
        except Exception as error:  # what Rasa's own store raises, so Rasa reports it the same way
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def _edit(self, conversation_id: Text, edit: Callable[[TicketLock], Any]) -> None:
        """``edit`` the stored lock in place, if there is one."""

        def change(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock:
                edit(lock)
            return lock, None

        self._change(conversation_id, change)

    def update_lock(self, conversation_id: Text) -> None:
        self._edit(conversation_id, TicketLock.remove_expired_tickets)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._edit(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        # Give the ticket back and delete the lock if no one else holds one, in one step:
        # apart, another process's new ticket could be deleted with the lock.
        def give_back_and_tidy(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock:
                lock.remove_ticket_for(ticket_number)
            return (lock if lock and lock.is_someone_waiting() else None), None

        self._change(conversation_id, give_back_and_tidy)
