"""Small values ehbot keeps between runs, by key (the ``app_state`` table)."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot import clock
from bot.db.models import AppState

_table = AppState.__table__
_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def read(session: Session, key: str) -> Optional[str]:
    return session.connection().execute(select(_table.c.value).where(_table.c.key == key)).scalar()


def write(session: Session, key: str, value: str) -> None:
    """Set ``key``; two processes writing it at once do not fail (the last one wins)."""
    conn = session.connection()
    if read(session, key) == value:
        return
    insert = _INSERT[conn.dialect.name](_table).values(key=key, value=value, updated_at=clock.now())
    conn.execute(insert.on_conflict_do_update(index_elements=[_table.c.key],
                                              set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at}))
