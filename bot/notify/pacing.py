"""Timing for delivery: the wall clock, a per-channel pacer and retry back-off.

Delivery runs on real time, not ``bot.clock``: Slack's message timestamps and
Retry-After are real seconds, and a claim must lapse in real time even on a
demo that fixes EHBOT_TODAY. Which reminders are due is decided by
``bot.clock`` (the scanner). Tests inject ``now`` and ``sleep``.
"""
from __future__ import annotations

import datetime as dt
import time
from typing import Callable, Hashable, Optional


def wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def as_utc(moment: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """SQLite hands timestamps back without a zone; we only ever store UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.timezone.utc)


class Pacer:
    """At most one post per ``interval`` seconds to each channel (Slack asks ~1/s)."""

    def __init__(self, interval: float, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic):
        self.interval, self.sleep, self.monotonic = interval, sleep, monotonic
        self._last: dict[Hashable, float] = {}

    def wait(self, channel: Hashable) -> None:
        last = self._last.get(channel)
        if last is not None:
            gap = self.interval - (self.monotonic() - last)
            if gap > 0:
                self.sleep(gap)
        self._last[channel] = self.monotonic()


def backoff(attempts: int, base: float, ceiling: float) -> float:
    """Seconds before the next try after ``attempts`` tries: base, 2*base, 4*base... capped."""
    return min(ceiling, base * (2 ** max(0, attempts - 1)))
