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
