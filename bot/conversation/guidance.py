"""Guidance questions, answered from the packs' knowledge rules, or honestly not.

The rule is chosen by retrieval over the rules' own text (bot/guidance/retrieval.py).
What the guidance does not hold is said, not papered over:
- a question mostly in words the guidance never uses is not about it ("not something I
  can help with");
- a word the guidance never uses is named ("doesn't cover 'mileage' as such"), with the
  nearest rule after it;
- a timescale asked for that the rule does not give, or a number the rule does not
  hold ("is it 45 working days?"), is said to be unspecified.
A second rule nearly as close as the first is answered beside it.
"""
from __future__ import annotations

import re
from typing import Optional

from bm25s.stopwords import STOPWORDS_EN_PLUS

from bot import clock
from bot.conversation import wording
from bot.conversation.reply import Reply
from bot.guidance import registry
from bot.guidance.model import Rule
from bot.guidance.retrieval import CHATTER, Found, index
from bot.language.lexicon import EVERYDAY, lexicon, plain

# Below this score the best rule is not an answer (BM25 over the lexicon's words).
MIN_SCORE = 3.0
# A second rule scoring this share of the first is answered beside it (a smaller share
# when the question asks two things: "by when do I phone them, and then see them?").
CLOSE = 0.75
CLOSE_FOR_TWO_ASKS = 0.5
TWO_ASKS = re.compile(r"\?.*\w.*\?|\b(?:and|then|also)\b,? (?:then |also )?(?:who|what|when|how|where|does|do|is|are|"
                      r"should|must|can|will|which|for)\b", re.I)
# A question with more than this share of its words unknown to the guidance is not about it.
MOSTLY_UNKNOWN = 0.5
# Below this score, words of the question the guidance never uses are named as not covered.
WEAK_MATCH = 15.0
SALIENT_LENGTH = 4
ASKS_FOR_TIME = re.compile(
    r"\b(how long|how soon|how quickly|how often|how many (?:working |calendar )?(?:days|weeks|months|hours)|"
    r"how much time|timescales?|deadlines?|by when|what time ?frame|time ?limit|frequency|how frequently)\b", re.I)
# A number asked for ("what's the maximum?", "how many ... can"), beside a timescale.
ASKS_FOR_NUMBER = re.compile(r"\b(max|maximum|minimum|upper limit|limit on|cap on|how many|how much)\b", re.I)
STATES_NUMBER = re.compile(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty)\b", re.I)
STATES_TIME = re.compile(
    r"\b(\d+|one|two|three|four|five|six|eight|twelve)\s*(-\s*\d+\s*)?(working days?|days?|weeks?|months?)\b|"
    r"\bmonthly\b|\bas soon as\b", re.I)
NUMBER_ASKED = re.compile(r"\b(\d+)\s*(working days?|days?|weeks?|months?|hours?|hrs?)\b", re.I)


def _salient(question: str) -> list[str]:
    lex = lexicon()
    return [w for w in lex.normalise(question).split()
            if w.isalpha() and len(w) >= SALIENT_LENGTH and w not in STOPWORDS_EN_PLUS and w not in CHATTER]


def _unknown(words: list[str]) -> list[str]:
    known = lexicon().known
    return [w for w in words if w not in known and w not in EVERYDAY]


def _states_time(rule: Rule) -> bool:
    if rule.reading and "no timescale" in rule.reading.lower():
        return False
    return any(STATES_TIME.search(t) for t in [rule.answer or ""] + [c.quote for c in rule.citations])


def _number_not_held(question: str, rule: Rule) -> Optional[str]:
    """A number with its unit that the question puts forward and the rule does not hold."""
    texts = " ".join([rule.answer or ""] + [c.quote for c in rule.citations]).lower()
    for number, unit in NUMBER_ASKED.findall(plain(question)):
        if not re.search(rf"\b{number}\b", texts):
            return f"{number} {unit}"
    return None


def _number_not_given(question: str, rule: Rule) -> Optional[str]:
    """A number asked for ("the maximum number of points") that the rule gives none of."""
    if not ASKS_FOR_NUMBER.search(question or "") or ASKS_FOR_TIME.search(question or ""):
        return None
    texts = " ".join([rule.answer or ""] + [c.quote for c in rule.citations])
    return None if STATES_NUMBER.search(texts) else "a number"


def about_the_work(question: str) -> bool:
    """Whether a message uses any of the guidance's own words at all."""
    lex = lexicon()
    return any(w in lex.domain_words for w in lex.normalise(question).split() if len(w) > 3)


def answer(question: str) -> Reply:
    words = _salient(question)
    unknown = _unknown(words)
    if not about_the_work(question) or (len(words) >= 2 and len(unknown) / len(words) > MOSTLY_UNKNOWN):
        return Reply(wording.OUT_OF_SCOPE)
    found = index(registry()).search(question, k=5)
    if not found or found[0].score < MIN_SCORE:
        return Reply(wording.NOT_COVERED)
    best = found[0]
    second = _second(found, CLOSE_FOR_TWO_ASKS if TWO_ASKS.search(question or "") else CLOSE)
    unspecified = _number_not_held(question, best.rule) or _number_not_given(question, best.rule)
    no_timescale = bool(ASKS_FOR_TIME.search(question or "")) and not _states_time(best.rule)
    gaps = _beyond(question, best.rule) or (unknown if len(unknown) >= 2 and best.score < WEAK_MATCH else [])
    text = wording.guidance_answer(best.rule, no_timescale=no_timescale, gaps=tuple(gaps[:2]),
                                   also=second.rule if second else None, unspecified=unspecified)
    pack = registry().packs[best.rule.pack]
    if pack.review_by is not None and clock.today() > pack.review_by:
        text += "\n" + wording.past_its_review_date(pack.name, pack.review_by)
    buttons = []
    if second is not None and second.rule.pack != best.rule.pack:
        # Two documents answer alike: both are given, and either can be asked about alone.
        buttons = [wording.guidance_choice_button(f.rule) for f in (best, second)]
    return Reply(text, buttons=buttons, rule_id=best.rule.id)


def _beyond(question: str, rule: Rule) -> list[str]:
    """Topics beyond these documents that the question names and the rule does not."""
    lex = lexicon()
    said = lex.normalise(" ".join([rule.title, rule.answer or "", *(c.quote for c in rule.citations)]))
    return [t for t in lex.beyond_the_guidance(lex.normalise(question)) if lex.normalise(t) not in said]


def _second(found: list[Found], close: float = CLOSE) -> Optional[Found]:
    """The next rule nearly as close as the first that says something else (two documents
    can say the same: the same words are not answered twice)."""
    best = found[0].rule
    for other in found[1:]:
        if other.score < found[0].score * close:
            return None
        if not _says_nothing_more(other.rule, best):
            return other
    return None


def _says_nothing_more(other: Rule, best: Rule) -> bool:
    """Whether a rule's answer is all in another's already (the same sentence, from another document)."""
    mine = set(re.findall(r"[a-z0-9]+", (other.answer or other.title).lower()))
    theirs = set(re.findall(r"[a-z0-9]+", (best.answer or best.title).lower()))
    return len(mine - theirs) <= max(1, len(mine) // 10)
