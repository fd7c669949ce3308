"""Reading a message for a disclosure, from the signals in ``signals.yaml``.

The message is read sentence by sentence. A sentence reports harm when a `strong`
signal matches, or when the `concern_terms` it holds weigh enough together. A question about the
guidance ("what counts as significant harm?") is set aside unless it also tells of a
real child; an injury a doctor has seen and explained, or harm said not to have
happened, is set aside where it is said; something known and already in hand is set
aside unless the message says something new. Everything else counts: when in doubt,
raise it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml

SIGNALS = Path(__file__).with_name("signals.yaml")
# Injuries are what a doctor explains; other harm is not explained away by one.
EXPLAINABLE = ("physical", "medical_neglect", "neglect", "several_signs")
SENTENCE_END = re.compile(r"(?<=[.!?;\n])\s+|\s+(?:-{1,2}|–|—)\s+|\s*\.{2,}\s*|\b(?:oh and|oh also|also|btw|by the way|anyway|ps)\b[,:]?\s*")


@dataclass(frozen=True)
class Concern:
    """What a message disclosed: its kind (physical, sexual, neglect, self_harm, ...)."""

    kind: str


@dataclass(frozen=True)
class _Signals:
    strong: tuple[tuple[str, re.Pattern], ...]
    terms: tuple[tuple[re.Pattern, int], ...]
    threshold: int
    with_the_nlu: int
    idioms: tuple[re.Pattern, ...]
    guidance_question: tuple[re.Pattern, ...]
    explained: tuple[re.Pattern, ...]
    child_behaviour: tuple[re.Pattern, ...]
    known: tuple[re.Pattern, ...]
    ruled_out: tuple[re.Pattern, ...]
    still_new: tuple[re.Pattern, ...]
    tells: tuple[re.Pattern, ...]


def _expand(pattern: str, words: dict[str, str]) -> str:
    for name, group in words.items():
        pattern = pattern.replace("{%s}" % name, group)
    return pattern


@lru_cache(maxsize=1)
def signals() -> _Signals:
    raw = yaml.safe_load(SIGNALS.read_text(encoding="utf-8"))
    # A group is folded over lines: its alternatives lose the folds' spaces, not their own.
    words = {name: "|".join(alt.strip() for alt in str(group).split("|")) for name, group in raw["words"].items()}

    def compiled(patterns) -> tuple[re.Pattern, ...]:
        return tuple(re.compile(_expand(str(p), words)) for p in patterns or ())

    strong = [(kind, p) for kind, body in raw["kinds"].items() for p in compiled(body.get("strong"))]
    aside, terms = raw["not_a_disclosure"], raw["concern_terms"]
    return _Signals(
        strong=tuple(strong),
        terms=tuple((re.compile(pattern), int(weight)) for pattern, weight in terms["terms"]),
        threshold=int(terms["threshold"]),
        with_the_nlu=int(terms["with_the_nlu"]),
        idioms=compiled(raw["idioms"]),
        guidance_question=compiled(aside["guidance_question"]),
        explained=compiled(aside["explained"]),
        child_behaviour=compiled(aside["child_behaviour"]),
        known=compiled(aside["known_and_dealt_with"]),
        ruled_out=compiled(aside["ruled_out"]),
        still_new=compiled(raw["still_new"]),
        tells=compiled(raw["tells_of_a_child"]),
    )


def plain(text: str) -> str:
    """Lower case, straight apostrophes and quotes, one space between words."""
    text = (text or "").lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"[ \t]+", " ", text).strip()


def _any(patterns, text: str) -> bool:
    return any(p.search(text) for p in patterns)


def _without_idioms(text: str, sig: _Signals) -> str:
    for idiom in sig.idioms:
        text = idiom.sub(" ", text)
    return text


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s and s.strip()]


def _terms(sentence: str, sig: _Signals) -> list[tuple[int, re.Match]]:
    """The concern terms a sentence holds, with their weights: each term counts once per
    different word it finds, and at most twice."""
    matched = []
    for pattern, weight in sig.terms:
        words = {}
        for m in pattern.finditer(sentence):
            words.setdefault(m.group(0), m)
        matched += [(weight, m) for m in list(words.values())[:2]]
    return matched


def _hits(sentence: str, sig: _Signals) -> list[tuple[str, re.Match]]:
    found = [(kind, m) for kind, p in sig.strong for m in [p.search(sentence)] if m]
    matched = _terms(sentence, sig)
    if sum(weight for weight, _ in matched) >= sig.threshold:
        found += [("several_signs", m) for _, m in matched]
    return found


def _ruled_out(sentence: str, match: re.Match, sig: _Signals) -> bool:
    """Harm said not to have happened, where it is said ("she hasn't been hit")."""
    for pattern in sig.ruled_out:
        for denial in pattern.finditer(sentence):
            if denial.start() <= match.end() and match.start() <= denial.end():
                return True
    return False


def worth_a_second_look(text: str) -> bool:
    """Whether a message the detector lets pass still holds enough worrying words for the
    NLU's reading of it as a disclosure to count (see `with_the_nlu` in signals.yaml).
    Questions about the guidance and what is known and in hand are set aside as usual."""
    sig = signals()
    cleaned = _without_idioms(plain(text), sig)
    if not cleaned or (_any(sig.known, cleaned) and not _any(sig.still_new, cleaned)):
        return False
    for sentence in _sentences(cleaned):
        if _any(sig.guidance_question, sentence) and not _any(sig.tells, sentence):
            continue
        if sum(weight for weight, m in _terms(sentence, sig) if not _ruled_out(sentence, m, sig)) >= sig.with_the_nlu:
            return True
    return False


def concern(text: str) -> Optional[Concern]:
    """The harm a message discloses, or None when it discloses none."""
    sig = signals()
    whole = plain(text)
    if not whole:
        return None
    cleaned = _without_idioms(whole, sig)
    new = _any(sig.still_new, cleaned)
    known = _any(sig.known, cleaned) and not new
    found: list[str] = []
    for sentence in _sentences(cleaned):
        hits = _hits(sentence, sig)
        if not hits:
            continue
        if _any(sig.guidance_question, sentence) and not _any(sig.tells, sentence):
            continue
        explained = _any(sig.explained, sentence) and not new
        # A child's tantrum sets aside worrying words; a strong sign (an adult's blow) still counts.
        ordinary = _any(sig.child_behaviour, sentence)
        for kind, match in hits:
            if _ruled_out(sentence, match, sig):
                continue
            if explained and kind in EXPLAINABLE:
                continue
            if ordinary and kind == "several_signs":
                continue
            found.append(kind)
    if not found or known:
        return None
    return Concern(found[0])
