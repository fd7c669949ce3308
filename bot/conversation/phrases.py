"""Small things read from a practitioner's message for a record: who gave consent, who
agreed to be lead professional, a period of days.

Each reader returns None when the message does not say, so the caller asks.
"""
from __future__ import annotations

import re
from typing import Optional

from bot.casefile import Person

# Who gave consent, in the database's words (never a name).
GIVEN_BY = [
    ("young person", ("young person", "yp", "the child", "teenager")),
    ("parents", ("parents", "both parents", "mum and dad")),
    ("foster carer", ("foster carer",)),
    ("grandparent", ("grandmother", "grandfather", "grandparent", "nan", "gran", "grandma", "grandad")),
    ("mother", ("mum", "mother", "mom", "stepmum", "step-mum")),
    ("father", ("dad", "father", "stepdad", "step-dad")),
    ("carer", ("carer", "guardian", "special guardian")),
    ("parent", ("parent",)),
]

# Roles a lead professional commonly holds, longest first so "school nurse" beats "nurse".
LEAD_ROLES = (
    "designated safeguarding lead", "family support worker", "early help worker", "head of year",
    "health visitor", "school nurse", "head teacher", "headteacher", "youth worker", "caf coordinator",
    "mental health worker", "housing officer", "learning mentor", "social worker", "pastoral lead",
    "class teacher", "teacher", "midwife", "senco", "dsl", "gp", "nurse", "referrer", "school", "nursery",
)
NAME = re.compile(r"\b([A-Z][a-z]+(?:[-'][A-Z][a-z]+)?\s[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?)\b")
NOT_NAMES = {"Lead Professional", "Team Manager", "Family Planning", "Early Help", "Social Worker"}
# A capitalised name that is a place, not a person ("the DSL at Oakfield Primary").
PLACE = re.compile(r"\b(?:primary|secondary|school|academy|nursery|college|surgery|practice|centre|center|"
                   r"hospital|trust|team|service|clinic|high|infants|juniors)$", re.I)
# Roles written as their letters.
ROLE_LETTERS = {"dsl", "senco", "gp"}


def _has(lowered: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word)}\b", lowered) is not None


def given_by(text: str) -> Optional[str]:
    lowered = (text or "").lower()
    for who, words in GIVEN_BY:
        if any(_has(lowered, w) for w in words):
            return who
    return None


def lead_professional(text: str, referrer: Optional[Person] = None) -> Optional[tuple[str, str]]:
    """(name, role) of who agreed to be lead professional, or None if the message does not say.
    With no name given the role stands for it ("School nurse")."""
    lowered = (text or "").lower()
    role = next((r for r in LEAD_ROLES if _has(lowered, r)), None)
    names = [n for n in NAME.findall(text or "") if n not in NOT_NAMES]
    if role == "referrer" and referrer is not None:
        return referrer.display_name, "referrer"
    if names:
        first = names[0]
        if role and role not in ("school", "nursery"):  # a person's job: are they named by it and a place?
            place = re.search(r"\b(?:at|from)\s+(?:the\s+)?([A-Z][\w'&-]*(?:\s+[A-Z][\w'&-]*)*)", text or "")
            if place and first in place.group(1):
                return f"{_role_words(role)} at {place.group(1)}", role
            if PLACE.search(first):
                return f"{_role_words(role)} at {first}", role
        return first, role or "lead professional"
    if role:
        words = _role_words(role)
        return words[0].upper() + words[1:], role
    return None


def _role_words(role: str) -> str:
    return role.upper() if role in ROLE_LETTERS else role


def period_days(text: str, default: int = 7) -> int:
    """How many days ahead "what's due" looks: "today" 0, "this week" 7, "2 weeks" 14..."""
    lowered = (text or "").lower()
    if match := re.search(r"\b(\d{1,3})\s*(day|week|month)s?\b", lowered):
        n, unit = int(match.group(1)), match.group(2)
        return n * {"day": 1, "week": 7, "month": 31}[unit]
    for words, days in (("today", 0), ("tomorrow", 1), ("fortnight", 14), ("two weeks", 14), ("month", 31), ("week", 7)):
        if words in lowered:
            return days
    return default
