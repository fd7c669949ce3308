"""Working days and periods, counted one way everywhere.

Day 0 is the day of the event; working days are counted from the next day,
skipping weekends, bank holidays in England (substitute days included, from
the maintained ``holidays`` calendar) and local closure days. Weeks are 7
calendar days and months are calendar months; a deadline in weeks or months is
not moved off a weekend, because the guidance counts those in calendar time.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Iterable, Optional

import holidays
from dateutil.relativedelta import relativedelta

from bot import config
from bot.guidance.model import Period


@lru_cache(maxsize=8)
def _england(years: tuple[int, ...]) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG", years=years)


class WorkingCalendar:
    def __init__(self, closure_days: Iterable[dt.date] = ()):
        self.closure_days = frozenset(closure_days)

    @classmethod
    def from_config(cls) -> "WorkingCalendar":
        days = []
        for raw in config.closure_days():
            try:
                days.append(dt.date.fromisoformat(raw))
            except ValueError:
                raise ValueError(f"EHBOT_CLOSURE_DAYS: {raw!r} is not a date like 2026-12-24") from None
        return cls(days)

    def bank_holiday(self, day: dt.date) -> Optional[str]:
        return _england((day.year,)).get(day)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and self.bank_holiday(day) is None and day not in self.closure_days

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start`` (``start`` itself is day 0)."""
        if n < 0:
            raise ValueError("count working days forwards only")
        day = start
        while n:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def add(self, start: dt.date, period: Period) -> dt.date:
        if period.unit == "working_days":
            return self.add_working_days(start, period.amount)
        if period.unit == "days":
            return start + dt.timedelta(days=period.amount)
        if period.unit == "weeks":
            return start + dt.timedelta(weeks=period.amount)
        if period.unit == "months":
            return start + relativedelta(months=period.amount)
        raise ValueError(f"unknown period unit {period.unit!r}")
