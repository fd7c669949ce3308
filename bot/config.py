"""Settings, all from the environment, each with an embedded default.

Read when asked for, never at import time, so tests and the CLI can set them.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    return Path(os.environ.get("EHBOT_VAR_DIR", PROJECT_ROOT / "var"))


def database_url() -> str:
    url = os.environ.get("EHBOT_DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{var_dir() / 'ehbot.sqlite3'}"


def tracker_url() -> str:
    """Where Rasa keeps its conversations (its tracker store)."""
    raw = os.environ.get("EHBOT_TRACKER_URL", "").strip()
    return raw or f"sqlite:///{var_dir().resolve() / 'rasa-tracker.sqlite3'}"


def guidance_dir() -> Optional[Path]:
    """Where the guidance documents are, if anywhere (they are not part of the project)."""
    configured = os.environ.get("EHBOT_GUIDANCE_DIR", "").strip()
    path = Path(configured) if configured else PROJECT_ROOT.parent / "shared" / "guidance"
    return path if path.is_dir() else None


def active_packs() -> Optional[list[str]]:
    """The packs this deployment enables (``EHBOT_PACKS=a,b``); None means all."""
    raw = os.environ.get("EHBOT_PACKS", "").strip()
    if not raw or raw == "all":
        return None
    return [p.strip() for p in raw.split(",") if p.strip()]


def closure_days() -> list[str]:
    """Local closure days (``EHBOT_CLOSURE_DAYS=2026-12-24,2026-12-31``), as ISO strings."""
    raw = os.environ.get("EHBOT_CLOSURE_DAYS", "").strip()
    return [d.strip() for d in raw.split(",") if d.strip()]


SAFEGUARDING_CONTACTS = (
    ("EHBOT_SAFEGUARDING_PHONE", "Front Door / duty team"),
    ("EHBOT_SAFEGUARDING_HOURS", "Hours"),
    ("EHBOT_SAFEGUARDING_OUT_OF_HOURS", "Out of hours"),
)


def safeguarding_contacts() -> list[tuple[str, str]]:
    """The local safeguarding contacts that are set, as (label, value)."""
    found = []
    for name, label in SAFEGUARDING_CONTACTS:
        value = os.environ.get(name, "").strip()
        if value:
            found.append((label, value))
    return found


def conversation_retention_days() -> int:
    """How many days a conversation's words are kept (``EHBOT_CONVERSATION_RETENTION_DAYS``)."""
    raw = os.environ.get("EHBOT_CONVERSATION_RETENTION_DAYS", "").strip()
    if not raw:
        return 30
    try:
        days = int(raw)
    except ValueError:
        raise ValueError("EHBOT_CONVERSATION_RETENTION_DAYS is a whole number of days") from None
    if days < 1:
        raise ValueError("EHBOT_CONVERSATION_RETENTION_DAYS is at least 1")
    return days
