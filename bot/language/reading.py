"""One reading of a message: everything the conversation needs from its words.

``read(text)`` returns a ``Reading``: the case reference, the steps named (each with
whether it is said not to have happened, or to have been refused), whether it asks
permission or asks why, a correction, the CADS outcome path, who disagrees, the scope
of "what's due", and the small talk. Meanings are data (``meanings.yaml``); the
message is read through the practitioners' lexicon first. The date is read by
``bot.dates`` when a workflow needs it (a booking and a report read it differently).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml

from bot.language.lexicon import normalise, plain
from bot.references import find_reference, without_reference

MEANINGS_FILE = Path(__file__).with_name("meanings.yaml")
# The part of a message a step is read in: negation never crosses these.
CLAUSE_END = re.compile(r"[.;!?\n]|\bbut\b|\bhowever\b|\balthough\b|\bthough\b|\bwhereas\b|\bso\b(?= (?:i|we|she|he|they)\b)")
# How far before a step's words a "not" still belongs to it.
NEGATION_REACH = 60


@dataclass(frozen=True)
class StepMention:
    """A step the message names: done, not done, or refused (consent, lead professional)."""

    concept: str
    not_done: bool = False
    refused: bool = False


@dataclass(frozen=True)
class Reading:
    text: str                       # as typed
    words: str                      # through the lexicon
    case_reference: Optional[str] = None
    steps: tuple[StepMention, ...] = ()
    asks_may_i: bool = False        # "can I tell the referrer yet?"
    asks_why: bool = False
    asks_question: bool = False     # a question of any kind (guidance or case)
    correction: bool = False        # "wrong date", "should have been the 3rd"
    whats_left: bool = False
    show_all: bool = False            # "show all on C-1042": every step, with its citation
    due: Optional[str] = None       # "mine" | "team" (what's due or overdue)
    step_down_start: bool = False
    checklist: bool = False
    path: Optional[str] = None      # a CADS outcome path named in the message
    party: Optional[str] = None     # "family" | "agency": who disagrees
    small_talk: Optional[str] = None  # greeting | thanks | goodbye | help | bot_challenge | out_of_scope
    command: Optional[str] = None   # restart | cancel
    answer: Optional[bool] = None   # a bare yes (True) or no (False)
    names_me: bool = False          # "my cases", "what have I got"
    reports_done: bool = False      # "sorted that today": something done, no step named
    episode: Optional[str] = None   # "close" | "reopen" | "move": the case's episode ends, or a new one starts
    only_this: bool = False         # "only C-1046", "just this one": not on the linked siblings' cases
    towards: Optional[str] = None   # a move's way: "early_help" | "social_care" (guidance.model.MOVE_DIRECTIONS)
    history: bool = False           # "history of C-1043": every episode, with what was recorded
    timeliness: bool = False        # "how is my team doing on timescales?": the timeliness view

    @property
    def step(self) -> Optional[StepMention]:
        return self.steps[0] if self.steps else None

    def names(self, concept: str) -> Optional[StepMention]:
        return next((s for s in self.steps if s.concept == concept), None)


@dataclass(frozen=True)
class _Meanings:
    steps: tuple[tuple[str, tuple[re.Pattern, ...]], ...]
    prefer: tuple[tuple[str, str], ...]
    patterns: dict = field(default_factory=dict)
    paths: tuple[tuple[str, tuple[re.Pattern, ...]], ...] = ()
    parties: tuple[tuple[str, re.Pattern], ...] = ()
    towards: tuple[tuple[str, tuple[re.Pattern, ...]], ...] = ()


def _compile(patterns) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in patterns or ())


@lru_cache(maxsize=1)
def meanings() -> _Meanings:
    raw = yaml.safe_load(MEANINGS_FILE.read_text(encoding="utf-8"))
    simple = ("not_done", "refused", "asks_may_i", "asks_why", "correction", "whats_left", "due_scope_mine",
              "due_scope_team", "due_words", "step_down_start", "checklist", "guidance_question", "greeting",
              "thanks", "goodbye", "help", "bot_challenge", "restart", "cancel", "affirm", "deny",
              "asks_for_a_service", "reports_done", "show_all", "close_case", "reopen_case", "step_down_words",
              "history", "move_case", "only_this", "timeliness")
    return _Meanings(
        steps=tuple((concept, _compile(p)) for concept, p in raw["steps"].items()),
        prefer=tuple((a, b) for a, b in raw.get("prefer") or ()),
        patterns={name: _compile(raw.get(name)) for name in simple},
        paths=tuple((path, _compile(p)) for path, p in raw["paths"].items()),
        parties=tuple((party, re.compile(p)) for party, p in raw["parties"].items()),
        towards=tuple((way, _compile(p)) for way, p in raw["move_towards"].items()),
    )


def _any(name: str, text: str) -> bool:
    return any(p.search(text) for p in meanings().patterns[name])


SENTENCE = re.compile(r"(?<=[.?!])\s+|\s+-\s+")


def _any_sentence(name: str, text: str) -> bool:
    """Whether the words, or one of their sentences on its own, say it: a question asked
    after some context ("12 months in. do i close it?") starts its own sentence."""
    return _any(name, text) or any(_any(name, part) for part in SENTENCE.split(text)[1:] if part)


def _clause_start(text: str, at: int) -> int:
    start = 0
    for end in CLAUSE_END.finditer(text, 0, at):
        start = end.end()
    return start


def _negated(text: str, at: int, name: str) -> bool:
    """A cue of ``name`` (not_done or refused) in the same clause, before or just after ``at``."""
    start = max(_clause_start(text, at), at - NEGATION_REACH)
    following = CLAUSE_END.search(text, at)
    end = following.start() if following else len(text)
    window = text[start:end]
    return any(p.search(window) for p in meanings().patterns[name])


def _steps(words: str) -> tuple[StepMention, ...]:
    found: list[tuple[int, StepMention]] = []
    for concept, patterns in meanings().steps:
        hits = [m for p in patterns for m in [p.search(words)] if m]
        if not hits:
            continue
        at = min(m.start() for m in hits)
        found.append((at, StepMention(concept, not_done=_negated(words, at, "not_done"),
                                      refused=_negated(words, at, "refused"))))
    found.sort(key=lambda f: f[0])
    concepts = [m.concept for _, m in found]
    for general, specific in meanings().prefer:
        if general in concepts and specific in concepts:
            found = [f for f in found if f[1].concept != general]
            concepts.remove(general)
    return tuple(m for _, m in found)


def _first(options, text: str) -> Optional[str]:
    for name, patterns in options:
        if any(p.search(text) for p in patterns):
            return name
    return None


def read(text: Optional[str]) -> Reading:
    """The one reading of a message (see the module's docstring)."""
    typed = text or ""
    reference = find_reference(typed)
    # The reference is read once, here; the words are read with it standing as "the case".
    spoken = without_reference(typed) if reference else typed
    bare = plain(spoken)
    words = normalise(spoken)
    small_talk = next((k for k in ("greeting", "thanks", "goodbye", "help", "bot_challenge") if _any(k, bare)), None)
    if small_talk is None and not reference and _any("asks_for_a_service", bare):
        small_talk = "out_of_scope"
    answer = True if _any("affirm", bare) else False if _any("deny", bare) else None
    due = None
    if _any("due_words", words) and not _asks_about_something_else(words):
        if _any("due_scope_team", words):
            due = "team"
        elif _any("due_scope_mine", words):
            due = "mine"
    party = None
    for name, pattern in meanings().parties:
        if pattern.search(words):
            party = party or name
    towards = _towards(words)
    return Reading(
        text=typed,
        words=words,
        case_reference=reference,
        steps=_steps(words),
        asks_may_i=_any_sentence("asks_may_i", words),
        asks_why=_any("asks_why", words),
        asks_question=_any_sentence("guidance_question", words),
        correction=_any("correction", words),
        whats_left=_any("whats_left", words),
        show_all=_any("show_all", words),
        due=due,
        step_down_start=_any("step_down_start", words),
        checklist=_any("checklist", words),
        path=_first(meanings().paths, words),
        party=party,
        small_talk=small_talk,
        command="restart" if _any("restart", bare) else "cancel" if _any("cancel", bare) else None,
        answer=answer,
        names_me=_any("due_scope_mine", words),
        reports_done=_any("reports_done", words),
        episode=_episode(words, towards),
        towards=towards,
        only_this=_any("only_this", words),
        history=_any("history", words),
        timeliness=_any("timeliness", words),
    )


def _asks_about_something_else(words: str) -> bool:
    """Whether the words end on a question with no word of what is due in it: "my caseload
    is heavy. what should supervision cover?" asks about supervision, not the caseload."""
    parts = [p for p in SENTENCE.split(words) if p.strip()]
    return len(parts) > 1 and _any("guidance_question", parts[-1]) and not _any("due_words", parts[-1]) \
        and not _any("due_scope_mine", parts[-1])


def _towards(words: str) -> Optional[str]:
    """Which way a move goes, if the words are a move's."""
    if not _any("move_case", words):
        return None
    way = _first(meanings().towards, words)
    if way == "early_help" and _any("step_down_start", words):
        return None
    return way


def _episode(words: str, towards: Optional[str]) -> Optional[str]:
    if towards:
        return "move"
    if _any("reopen_case", words):
        return "reopen"
    if _any("close_case", words) and not _any("step_down_words", words):
        return "close"
    return None
