"""Answer a guidance question from the packs' knowledge rules, or say it is not covered.

A rule is chosen by topic when the front end names one, else by the words the
question shares with each rule's title, answer and topics. Too few shared
words means the guidance does not cover it: better said than guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from bot.guidance import Registry
from bot.guidance.model import Rule

STOP = set(
    """a about after all also an and any are as at be been before by can could do does did for from get
    gets got has have how i if in into is it its me my of on or our should so than that the their them then
    there they this to up us was we what when where which who whom why will with would you your do what's
    case child family need needs must tell know please""".split()
)
MIN_SHARED = 2  # words a question must share with a rule before it counts as covered
ASKS_FOR_TIME = re.compile(r"\b(how long|timescales?|deadline|by when|how many days|how quickly|how soon|within)\b", re.I)
STATES_TIME = re.compile(r"\b(\d+|one|two|three|four|five|six|eight|twelve)\s*(-\s*\d+\s*)?(working days?|days?|weeks?|months?)\b", re.I)


def words(text: str) -> set[str]:
    found = set()
    for word in re.findall(r"[a-z0-9]+", (text or "").lower().replace("-", " ")):
        if word in STOP or len(word) < 3:
            continue
        found.add(word[:-1] if word.endswith("s") and len(word) > 4 else word)
    return found


def _rule_words(rule: Rule) -> set[str]:
    return words(" ".join([rule.title, rule.answer or "", " ".join(rule.topics)]))


@dataclass
class Answer:
    rule: Rule
    also: list[Rule]
    no_timescale: bool


def choose(reg: Registry, topic: Optional[str], text: str) -> Optional[Answer]:
    rules = reg.knowledge()
    pool = [r for r in rules if topic and topic in r.topics] or rules
    asked = words(text)

    def score(rule: Rule) -> tuple:
        shared = len(asked & _rule_words(rule))
        primary = bool(topic) and rule.topics[:1] == (topic,)
        return (shared + (2 if primary else 0), shared)

    ranked = sorted(pool, key=score, reverse=True)
    if not ranked:
        return None
    best = ranked[0]
    if not (topic and topic in best.topics) and score(best)[1] < MIN_SHARED:
        return None
    also = [r for r in ranked[1:3] if score(r)[0] > 0 and score(r)[0] >= score(best)[0] - 1]
    return Answer(best, also, no_timescale=_no_timescale(best, topic, text))


def _no_timescale(rule: Rule, topic: Optional[str], text: str) -> bool:
    if rule.reading and "no timescale" in rule.reading.lower():
        return True
    asked = topic == "timescales" or ASKS_FOR_TIME.search(text or "")
    return bool(asked) and not STATES_TIME.search(rule.answer or "")


def answer_text(answer: Answer) -> str:
    rule, c = answer.rule, answer.rule.citation
    lines = [rule.answer or rule.title, "", f'Source: {c.title}, \u00a7 {c.section}: "{c.quote}"']
    if answer.no_timescale:
        lines.append("The guidance sets no timescale for this, so none should be assumed.")
    if answer.also:
        lines.append("See also: " + "; ".join(f"{r.title} ({r.citation.title}, \u00a7 {r.citation.section})" for r in answer.also))
    return "\n".join(lines)
