"""Schema migrations (Alembic), run from code: no alembic.ini is needed."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from bot import config as settings
from bot.db.session import describe, make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class NotMigrated(RuntimeError):
    """The database schema is not at the version this code needs."""


def alembic_config(url: Optional[str] = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Config is configparser underneath: a literal % (e.g. in a URL-encoded password) must be doubled.
    cfg.set_main_option("sqlalchemy.url", (url or settings.database_url()).replace("%", "%%"))
    return cfg


def upgrade(url: Optional[str] = None, revision: str = "head") -> str:
    """Bring the database at ``url`` (default: the configured one) up to ``revision``; returns the URL."""
    url = url or settings.database_url()
    cfg = alembic_config(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()
    return url


def current_revision(engine: Engine) -> Optional[str]:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def ensure_migrated(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise NotMigrated(
            f"the database at {describe(engine.url)} is not migrated "
            f"(at {current or 'no version'}, needs {head}): run `ehbot db upgrade`"
        )
