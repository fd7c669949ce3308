"""Read the date in a practitioner's message, relative to the program's clock.

English day-first: "14/1" is 14 January, and "1/14" is refused rather than
guessed. ``prefer="past"`` reads a date for something done ("on Monday" is the
Monday gone), ``"future"`` a booking ("14 Jan" is the next 14 January).
Month names and relative phrases go to dateparser; what it misreads or misses
(numeric dates, ISO dates, "next/last <weekday>", "this morning", "the 3rd")
is read here. Case references (C-1042) and plain numbers are never dates.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Optional

import dateparser
from dateutil.relativedelta import relativedelta

from bot import clock

PAST, FUTURE = "past", "future"

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
ORD = r"(?:st|nd|rd|th)"

CASE_REFERENCE = re.compile(r"\b[a-z]{1,4}[-_]?\d{3,10}\b", re.I)

# (kind, pattern) in the order tried; the earliest match in the text wins.
PATTERNS = [
    ("iso", re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")),
    ("numeric", re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?\b|\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")),
    ("named", re.compile(rf"\b\d{{1,2}}{ORD}?\s+(?:of\s+)?{MONTH}(?:,?\s+\d{{4}})?(?!\w)", re.I)),
    ("named", re.compile(rf"\b{MONTH}\s+\d{{1,2}}{ORD}?(?:,?\s+\d{{4}})?\b", re.I)),
    ("weekday", re.compile(rf"\b(?:(last|next|this|coming|on)\s+)?{_DAY}\b", re.I)),
    ("today", re.compile(r"\b(?:today|tonight|this\s+(?:morning|afternoon|evening))\b", re.I)),
    ("relative", re.compile(r"\b(?:yesterday|tomorrow|day before yesterday|day after tomorrow)\b", re.I)),
    ("relative", re.compile(r"\b(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?:day|week|month)s?\s+ago\b", re.I)),
    ("relative", re.compile(r"\bin\s+(?:\d{1,3}|a|an|one|two|three|four|five|six)\s+(?:day|week|month)s?\b", re.I)),
    ("ordinal", re.compile(rf"\b(?:the\s+)?(\d{{1,2}}){ORD}\b", re.I)),
]


class UnclearDate(ValueError):
    """A date was given but cannot be read without guessing; the message says what to write."""


def read_date(text: str, prefer: str = PAST, today: Optional[dt.date] = None) -> Optional[dt.date]:
    """The date the message gives, or None if it gives none; UnclearDate if it cannot be read."""
    if prefer not in (PAST, FUTURE):
        raise ValueError("prefer is 'past' or 'future'")
    today = today or clock.today()
    cleaned = CASE_REFERENCE.sub(" ", text or "")
    found = []
    for order, (kind, pattern) in enumerate(PATTERNS):
        match = pattern.search(cleaned)
        if match:
            found.append((match.start(), order, kind, match))
    # A bare ordinal ("2nd FPM") is read as a day only when nothing else is a date.
    found = [f for f in found if f[2] != "ordinal"] or found
    if not found:
        return None
    _, _, kind, match = min(found, key=lambda f: (f[0], f[1]))
    return READERS[kind](match, prefer, today)


def _unclear(said: str) -> UnclearDate:
    return UnclearDate(f"I can't read \"{said}\" as a date. Please write it day first, like 14/1/2027 or 14 Jan.")


def _make(year: int, month: int, day: int, said: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise _unclear(said) from None


# A booking's day-and-month that passed less than this many days ago means this year's (and is
# then questioned as in the past), not next year's: "booked for the 2nd" on the 4th is a slip.
JUST_PASSED_DAYS = 31


def _nearest(make, prefer: str, today: dt.date) -> dt.date:
    """A day-and-month (or day) without its year (or month): the one nearest today on the preferred side."""
    day = make(0)
    if prefer == PAST and day > today:
        day = make(-1)
    elif prefer == FUTURE and day < today and (today - day).days > JUST_PASSED_DAYS:
        day = make(1)
    return day


def _iso(match, prefer, today) -> dt.date:
    year, month, day = (int(g) for g in match.groups())
    return _make(year, month, day, match.group(0))


def _numeric(match, prefer, today) -> dt.date:
    groups = match.groups()
    day, month, year = groups[0:3] if groups[0] else groups[3:6]
    said = match.group(0)
    day, month = int(day), int(month)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise _unclear(said)  # "1/14": month-first, or not a date at all
    if year:
        year = int(year) + (2000 if len(year) == 2 else 0)
        return _make(year, month, day, said)
    return _nearest(lambda shift: _make(today.year + shift, month, day, said), prefer, today)


def _settings(prefer: str, today: dt.date) -> dict:
    return {
        "RELATIVE_BASE": dt.datetime.combine(today, dt.time(12)),
        "DATE_ORDER": "DMY",
        "PREFER_DATES_FROM": prefer,
        "RETURN_AS_TIMEZONE_AWARE": False,
    }


def _dateparser(said: str, prefer: str, today: dt.date) -> dt.date:
    parsed = dateparser.parse(said, languages=["en"], settings=_settings(prefer, today))
    if parsed is None:
        raise _unclear(said)
    return parsed.date()


def _named(match, prefer, today) -> dt.date:
    said = match.group(0)
    cleaned = re.sub(rf"(\d){ORD}\b", r"\1", re.sub(r"\bof\b", " ", said, flags=re.I), flags=re.I)
    if re.search(r"\d{4}", cleaned):
        return _dateparser(cleaned, prefer, today)
    # Without a year, dateparser's choice of year is checked against the preferred side.
    day = _dateparser(cleaned, prefer, today)
    return _nearest(lambda shift: _make(today.year + shift, day.month, day.day, said), prefer, today)


def _weekday(match, prefer, today) -> dt.date:
    word = (match.group(1) or "").lower()
    target = WEEKDAYS.index(match.group(2).lower())
    if word == "last" or (word in ("", "on") and prefer == PAST):
        back = (today.weekday() - target) % 7 or 7
        return today - dt.timedelta(days=back)
    if word == "this":
        # "this Tuesday": the one in this week (Monday to Sunday).
        return today + dt.timedelta(days=target - today.weekday())
    ahead = (target - today.weekday()) % 7 or 7
    return today + dt.timedelta(days=ahead)


def _today(match, prefer, today) -> dt.date:
    return today


def _relative(match, prefer, today) -> dt.date:
    return _dateparser(match.group(0), prefer, today)


def _ordinal(match, prefer, today) -> dt.date:
    day, said = int(match.group(1)), match.group(0)
    if not 1 <= day <= 31:
        raise _unclear(said)

    def make(shift: int) -> Optional[dt.date]:
        month = dt.date(today.year, today.month, 1) + relativedelta(months=shift)
        try:
            return month.replace(day=day)
        except ValueError:
            return None  # this month has no such day

    # This month's day if it is on the preferred side, else the nearest month's that has it.
    this = make(0)
    if this is not None and (this <= today if prefer == PAST else this >= today):
        return this
    step = -1 if prefer == PAST else 1
    for shift in (step, 2 * step):
        found = make(shift)
        if found is not None:
            return found
    raise _unclear(said)


READERS = {
    "iso": _iso,
    "numeric": _numeric,
    "named": _named,
    "weekday": _weekday,
    "today": _today,
    "relative": _relative,
    "ordinal": _ordinal,
}
