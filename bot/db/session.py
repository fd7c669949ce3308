"""Engines and sessions. Nothing connects at import time."""
from __future__ import annotations

import logging
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Union

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot import config

log = logging.getLogger(__name__)

SQLITE_BUSY_SECONDS = 30
# Write-ahead logging: the reminder worker and a chat turn read while the other writes,
# and a commit syncs the log once instead of the journal and the database (1.6 ms a
# commit down to 0.4 ms on the test machine). Synchronous stays FULL, SQLite's default:
# a step recorded and confirmed survives a power cut.
SQLITE_JOURNAL_MODE = "WAL"
# A PostgreSQL host that stops answering (rather than refusing) must not hold a chat turn or
# a reminder round for the minutes TCP would wait: give up connecting after this long, and
# drop a connection whose sent data goes unacknowledged for as long (libpq settings; a
# database URL that sets its own keeps them).
POSTGRES_CONNECT_SECONDS = 10
POSTGRES_KEEPALIVE = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}


class DatabaseUnavailable(RuntimeError):
    """The database server could not be reached (the message never holds a password)."""


def describe(url: Union[str, URL]) -> str:
    """Where a database is, for messages: host, port and name, or the SQLite file."""
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    port = f":{url.port}" if url.port else ""
    return f"{url.host or 'localhost'}{port}/{url.database or ''}"


def make_engine(url: Optional[str] = None) -> Engine:
    url = make_url(url or config.database_url())
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    engine = create_engine(url, future=True, pool_pre_ping=True, connect_args=_postgres_timeouts(url))
    _translate_connect_errors(engine)
    return engine


def _postgres_timeouts(url: URL) -> dict:
    if url.get_driver_name() not in ("psycopg2", "psycopg"):
        return {}
    wanted = {"connect_timeout": POSTGRES_CONNECT_SECONDS, "tcp_user_timeout": POSTGRES_CONNECT_SECONDS * 1000,
              **POSTGRES_KEEPALIVE}
    return {name: value for name, value in wanted.items() if name not in url.query}


def is_sqlite_file(url: Union[str, URL]) -> bool:
    """A SQLite database kept in a file (not in memory, not another server)."""
    url = make_url(url)
    return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")


def _sqlite_engine(url: URL) -> Engine:
    connect_args, pool = {"timeout": SQLITE_BUSY_SECONDS}, {}
    if is_sqlite_file(url):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # SQLAlchemy 1.4 opens a SQLite file afresh for every session (NullPool): the open
        # and the pragmas below were a fifth of a chat turn's work in the action server.
        # Keep connections, as SQLAlchemy 2.0 does; a pooled connection may pass from one
        # thread to another, used by one at a time.
        connect_args["check_same_thread"] = False
        pool["poolclass"] = QueuePool
    engine = create_engine(url, future=True, connect_args=connect_args, **pool)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        # SQLite ignores foreign keys unless asked, per connection.
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.execute(f"PRAGMA journal_mode={SQLITE_JOURNAL_MODE}")
        cursor.close()

    _translate_connect_errors(engine)
    return engine


def use_write_ahead_log(url: Union[str, URL]) -> None:
    """Put a SQLite database file another program opens (Rasa's tracker store) in WAL
    mode. The mode is kept in the file, so every later connection has it. Anything else
    (PostgreSQL, an in-memory database) is left as it is."""
    if not is_sqlite_file(url):
        return
    url = make_url(url)
    engine = _sqlite_engine(url)  # makes the folder; its pragmas switch the file to WAL
    try:
        check_connection(engine)
    except (DatabaseUnavailable, SQLAlchemyError) as exc:  # the store still works, only slower
        log.warning("could not switch %s to write-ahead logging: %s", describe(url), exc)
    finally:
        engine.dispose()


def _translate_connect_errors(engine: Engine) -> None:
    where = describe(engine.url)
    password = engine.url.password

    @event.listens_for(engine, "handle_error")
    def _unavailable(ctx):
        # Only failures to connect (no connection yet); query errors pass through.
        if ctx.connection is not None or not isinstance(ctx.sqlalchemy_exception, OperationalError):
            return None
        reason = (str(ctx.original_exception).strip().splitlines() or [""])[0]
        if password:
            reason = reason.replace(str(password), "***")
        return DatabaseUnavailable(f"cannot reach the database at {where}" + (f" ({reason})" if reason else ""))


def check_connection(engine: Engine) -> None:
    """Connect once, raising DatabaseUnavailable if the server does not answer."""
    with engine.connect():
        pass


_factories: "weakref.WeakKeyDictionary[Engine, sessionmaker]" = weakref.WeakKeyDictionary()


def session_factory(engine: Engine) -> sessionmaker:
    """The engine's one session maker. Each sessionmaker is a new Session class whose
    event machinery SQLAlchemy sets up afresh: made per turn, that was a millisecond."""
    factory = _factories.get(engine)
    if factory is None:
        # Objects stay readable after commit: callers build replies from them.
        factory = _factories[engine] = sessionmaker(bind=engine, future=True, expire_on_commit=False)
    return factory


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error.

    A refusal (an exception carrying an unsaved ``audit`` event) is still
    audited: the event is written after the rollback.
    """
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException as exc:
        session.rollback()
        _audit_refusal(session, exc)
        raise
    finally:
        session.close()


def _audit_refusal(session: Session, exc: BaseException) -> None:
    event_row = getattr(exc, "audit", None)
    if event_row is None:
        return
    try:
        session.add(event_row)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.warning("could not write the audit event for a refusal (%s)", event_row.action)
