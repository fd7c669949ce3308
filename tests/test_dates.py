"""Reading dates from practitioners' messages. Today is Mon 23 Nov 2026 (conftest)."""
import datetime as dt

import pytest

from bot.dates import FUTURE, PAST, UnclearDate, read_date

D = dt.date


@pytest.mark.parametrize(
    "text, prefer, expected",
    [
        ("the TM signed it off today", PAST, D(2026, 11, 23)),
        ("signed it off this morning", PAST, D(2026, 11, 23)),
        ("phoned them this afternoon", PAST, D(2026, 11, 23)),
        ("mum gave consent yesterday", PAST, D(2026, 11, 22)),
        ("saw the family last Friday", PAST, D(2026, 11, 20)),
        ("final CIN was on Monday", PAST, D(2026, 11, 16)),  # said on a Monday: the Monday gone
        ("FPM on Monday", FUTURE, D(2026, 11, 30)),
        ("FPM next Tuesday", FUTURE, D(2026, 11, 24)),
        ("held it last Monday", PAST, D(2026, 11, 16)),
        ("initial FPM booked for 14/1", FUTURE, D(2027, 1, 14)),
        ("consent on 14/1", PAST, D(2026, 1, 14)),
        ("booked for 14/01/2027", FUTURE, D(2027, 1, 14)),
        ("booked for 14.01.2027", FUTURE, D(2027, 1, 14)),
        ("initial FPM booked for 14 Jan", FUTURE, D(2027, 1, 14)),
        ("held on 14 Jan", PAST, D(2026, 1, 14)),
        ("held on 2nd November", PAST, D(2026, 11, 2)),
        ("booked for January 14th 2027", FUTURE, D(2027, 1, 14)),
        ("first TAF was held on the 3rd", PAST, D(2026, 11, 3)),
        ("booked for the 3rd", FUTURE, D(2026, 12, 3)),
        ("on the 25th", PAST, D(2026, 10, 25)),
        ("visited 2 days ago", PAST, D(2026, 11, 21)),
        ("a week ago", PAST, D(2026, 11, 16)),
        ("done 2026-11-02", PAST, D(2026, 11, 2)),
        ("C-1042: CAF completed 20/11", PAST, D(2026, 11, 20)),
    ],
)
def test_reads_dates_relative_to_the_clock(text, prefer, expected):
    assert read_date(text, prefer) == expected


@pytest.mark.parametrize(
    "text", ["the TM signed it off", "C-1042 done", "c1042", "seen 2 children", "took 1.5 hours", "", "rang at 10:30"]
)
def test_no_date_is_none(text):
    assert read_date(text) is None


@pytest.mark.parametrize("text", ["on 1/14", "31/11", "booked for 29/2", "on 2026-02-30", "the 32nd", "14/13/2026"])
def test_nonsense_is_unclear_not_guessed(text):
    with pytest.raises(UnclearDate) as err:
        read_date(text, FUTURE)
    assert "day first" in str(err.value)


def test_an_ordinal_skips_months_without_that_day():
    assert read_date("on the 31st", PAST) == D(2026, 10, 31)  # November has no 31st
    assert read_date("booked for the 31st", FUTURE) == D(2026, 12, 31)


def test_a_date_beats_an_ordinal_that_is_not_one():
    assert read_date("2nd FPM held yesterday") == D(2026, 11, 22)


def test_follows_the_clock(monkeypatch):
    monkeypatch.setenv("EHBOT_TODAY", "2026-12-30")
    assert read_date("yesterday") == D(2026, 12, 29)
    assert read_date("booked for 14/1", FUTURE) == D(2027, 1, 14)
