"""The one clock. Every "today" in ehbot comes from here.

``EHBOT_TODAY=YYYY-MM-DD`` fixes the date for demos and tests.
"""
from __future__ import annotations

import datetime as dt
import os


class ClockError(ValueError):
    pass


def today() -> dt.date:
    fixed = os.environ.get("EHBOT_TODAY", "").strip()
    if fixed:
        try:
            return dt.date.fromisoformat(fixed)
        except ValueError:
            raise ClockError(f"EHBOT_TODAY must be a date like 2026-12-22, not {fixed!r}") from None
    return dt.date.today()


def now() -> dt.datetime:
    """A timezone-aware timestamp; its date follows ``today()`` when the clock is fixed."""
    real = dt.datetime.now(dt.timezone.utc)
    fixed = os.environ.get("EHBOT_TODAY", "").strip()
    if fixed:
        return dt.datetime.combine(today(), real.timetz())
    return real
