"""Working days for England, counted from the day after the event (day 0)."""
import datetime as dt

import pytest

from bot import clock
from bot.calendar import WorkingCalendar
from bot.guidance.model import Period

D = dt.date
cal = WorkingCalendar()


def test_day_zero_is_the_event_day():
    # Fri 20 Nov 2026 + 1 working day: Sat and Sun skipped -> Mon 23 Nov.
    assert cal.add_working_days(D(2026, 11, 20), 1) == D(2026, 11, 23)
    assert cal.add_working_days(D(2026, 11, 20), 0) == D(2026, 11, 20)


def test_christmas_with_boxing_day_substitute_and_new_year():
    # Wed 23 Dec 2026 + 5: Thu 24 (1); Fri 25 Christmas; Sat 26, Sun 27; Mon 28 is the
    # Boxing Day substitute; Tue 29 (2), Wed 30 (3), Thu 31 (4); Fri 1 Jan 2027 New Year;
    # weekend; Mon 4 Jan (5).
    assert cal.bank_holiday(D(2026, 12, 28)) is not None
    assert cal.add_working_days(D(2026, 12, 23), 5) == D(2027, 1, 4)


def test_easter_2027():
    # Good Friday 26 Mar 2027 and Easter Monday 29 Mar 2027 are bank holidays in England.
    assert cal.add_working_days(D(2027, 3, 25), 1) == D(2027, 3, 30)


def test_event_on_a_weekend_counts_from_the_next_working_day():
    # Sat 21 Nov 2026 + 2 working days: Mon 23 (1), Tue 24 (2).
    assert cal.add_working_days(D(2026, 11, 21), 2) == D(2026, 11, 24)


def test_local_closure_days_are_skipped():
    closed = WorkingCalendar([D(2026, 12, 24)])
    assert closed.add_working_days(D(2026, 12, 23), 1) == D(2026, 12, 29)


def test_closure_days_from_configuration(monkeypatch):
    monkeypatch.setenv("EHBOT_CLOSURE_DAYS", "2026-12-24, 2026-12-31")
    configured = WorkingCalendar.from_config()
    assert not configured.is_working_day(D(2026, 12, 31))
    monkeypatch.setenv("EHBOT_CLOSURE_DAYS", "christmas eve")
    with pytest.raises(ValueError, match="EHBOT_CLOSURE_DAYS"):
        WorkingCalendar.from_config()


def test_weeks_and_months_are_calendar_time():
    assert cal.add(D(2026, 11, 10), Period("weeks", 4)) == D(2026, 12, 8)
    assert cal.add(D(2027, 1, 31), Period("months", 1)) == D(2027, 2, 28)
    # Sat 26 Dec 2026 is not moved: calendar-time deadlines stay where they fall.
    assert cal.add(D(2026, 11, 28), Period("weeks", 4)) == D(2026, 12, 26)


def test_working_days_between():
    assert cal.working_days_between(D(2026, 12, 23), D(2027, 1, 4)) == 5
    assert cal.working_days_between(D(2027, 1, 4), D(2026, 12, 23)) == 0


def test_clock_is_fixed_by_ehbot_today(monkeypatch):
    monkeypatch.setenv("EHBOT_TODAY", "2026-12-22")
    assert clock.today() == D(2026, 12, 22)
    assert clock.now().date() == D(2026, 12, 22)
    monkeypatch.setenv("EHBOT_TODAY", "22/12/2026")
    with pytest.raises(clock.ClockError, match="EHBOT_TODAY"):
        clock.today()
