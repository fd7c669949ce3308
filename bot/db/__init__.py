"""The case database: models, sessions, migrations and the repositories that use them.

Callers (the CLI, chat actions) go through ``bot.db.repositories`` and
``bot.importer``; they never write SQL. Nothing here connects at import time.
"""
from bot.db.migrate import NotMigrated, ensure_migrated, upgrade
from bot.db.session import DatabaseUnavailable, make_engine, session_scope

__all__ = ["DatabaseUnavailable", "NotMigrated", "ensure_migrated", "make_engine", "session_scope", "upgrade"]
