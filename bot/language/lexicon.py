"""Reading text through the practitioners' lexicon (``lexicon.yaml``).

``normalise`` turns "tm sined off the recomendation" into "team manager signed off the
recommendation": lower case, straight quotes, misspellings corrected (listed ones, and a
word one slip from a word of the guidance), newer terms mapped to the documents' own,
short forms written out. Messages and the guidance's own text are read
the same way, so both meet in the same words.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

import yaml
from bm25s.stopwords import STOPWORDS_EN
from rapidfuzz import fuzz, process
from spellchecker import SpellChecker

LEXICON_FILE = Path(__file__).with_name("lexicon.yaml")
TOKEN = re.compile(r"[a-z0-9]+(?:['/&][a-z0-9]+)*|[^\sa-z0-9]")
# A word is corrected only when it is this long, this close to one known word, and starts
# with the same letter (slips rarely hit the first letter; other words are left alone).
FUZZY_MIN_LENGTH = 5
FUZZY_SCORE = 86
# A word at least this common in English (pyspellchecker's word counts) is a word, not a
# slip: "reuse" is not corrected to "refuse", nor "redo" to anything.
ENGLISH_MIN_COUNT = 100

# Everyday words of chat that are not in the guidance but must not be "corrected" into it.
EVERYDAY = """
about above actually after again overdue outstanding deadline deadlines tasks caseload
involved letter letters agreed agrees ahead already also although always anyone anything anyway
around asked asking assume back because been before being believe below between booked both bring
brought busy called calling cancel cancelled cannot catch changed chase checked child's children's
clear closed coming confirm confirmed contact contacted correct could couldn't daughter days deadline
decided decline declined denied didn't different doesn't doing don't done during each earlier either
emailed enough every everyone everything explained family's finally finished first forgot friday
further getting given going gotten happen happened happening happy having he's hello help here hers
herself himself honestly hopefully however i'll i'm i've instead isn't itself just know known last
later least letting little looking lovely maybe meant meeting member members message monday morning
mother's nearly needed never next night nobody nothing noticed now okay once other others ourselves
phoned please pretty probably quick quickly quite rather ready really reckon remind reminded right
rung saturday saying second seems sending sent should shouldn't since someone something sometimes
soon sorry sorted sounds still stopped sunday sure talked talking tell telling thanks that's their
theirs themselves there's these they're thing things think this those though thought through
thursday today together told tomorrow tonight tuesday twice unless until updated upset usually
wanted wasn't wednesday week weekend weeks went we're what's whatever when's where's whether which
while who's whole whose why won't wondering would wouldn't yesterday you're yourself
""".split()


@lru_cache(maxsize=1)
def _lexicon() -> dict:
    raw = yaml.safe_load(LEXICON_FILE.read_text(encoding="utf-8"))
    phrases = {str(k).lower(): str(v).lower() for k, v in (raw.get("phrases") or {}).items()}
    return {
        "short": {str(k).lower(): str(v).lower() for k, v in (raw.get("short_forms") or {}).items()},
        # longest first, so "family help lead practitioner" wins over "family help"
        "phrases": sorted(phrases.items(), key=lambda kv: -len(kv[0])),
        "misspellings": {str(k).lower(): str(v).lower() for k, v in (raw.get("misspellings") or {}).items()},
        "beyond": tuple(str(t).lower() for t in raw.get("beyond_the_guidance") or ()),
        "distinct": tuple(str(t).lower() for t in raw.get("distinct_terms") or ()),
        # longest first, as the phrases
        "synonyms": sorted(((str(word).lower(), str(meaning).lower()) for meaning, words in (raw.get("synonyms") or {}).items()
                            for word in words), key=lambda kv: -len(kv[0])),
    }


@lru_cache(maxsize=1)
def _english() -> dict[str, int]:
    return SpellChecker(distance=1).word_frequency.dictionary


def plain(text: Optional[str]) -> str:
    """Lower case with straight apostrophes and one space between words."""
    text = (text or "").lower()
    for curly, straight in (("\u2019", "'"), ("\u2018", "'"), ("`", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(curly, straight)
    return re.sub(r"\s+", " ", text).strip()


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


class Lexicon:
    """The lexicon, with the words it may correct a slip to."""

    def __init__(self, known_words: Iterable[str] = ()):
        lex = _lexicon()
        self.short = lex["short"]
        self.phrases = lex["phrases"]
        self.misspellings = lex["misspellings"]
        self.synonyms = lex["synonyms"]
        self.beyond = lex["beyond"]
        self.distinct = lex["distinct"]
        known = {w for w in known_words if w.isalpha()} | set(EVERYDAY)
        for source in (self.short.values(), [p for p, _ in self.phrases], [v for _, v in self.phrases],
                       self.misspellings.values(), [w for w, _ in self.synonyms], [m for _, m in self.synonyms]):
            for words in source:
                known.update(w for w in tokens(words) if w.isalpha())
        known.update(k for k in self.short if k.isalpha())
        self.known = frozenset(known)
        # The guidance's own words: what makes a message about the work at all.
        self.domain_words = frozenset(w for w in known_words if w.isalpha() and len(w) > 3
                                      and w not in EVERYDAY and w not in STOPWORDS_EN)
        self._by_letter: dict[str, list[str]] = {}
        for word in self.known:
            if len(word) >= FUZZY_MIN_LENGTH - 1:
                self._by_letter.setdefault(word[0], []).append(word)

    def beyond_the_guidance(self, words: str) -> list[str]:
        """The topics these documents do not cover that normalised words name."""
        padded = f" {words} "
        found = [t for t in self.beyond if f" {self.normalise(t)} " in padded]
        return [t for t in found if not any(t != other and t in other for other in found)]

    def distinct_terms(self, words: str) -> list[str]:
        """The terms normalised words name that must not be taken for a near neighbour
        ("child and family assessment" is not the CAF), normalised."""
        padded = f" {words} "
        return [n for n in (self.normalise(t) for t in self.distinct) if f" {n} " in padded]

    @lru_cache(maxsize=20000)
    def correct(self, word: str) -> str:
        """The word meant by a slip, or the word itself."""
        listed = self.misspellings.get(word)
        if listed is not None:
            return listed
        if len(word) < FUZZY_MIN_LENGTH or word in self.known or not word.isalpha():
            return word
        if _english().get(word, 0) >= ENGLISH_MIN_COUNT:
            return word
        found = process.extractOne(word, self._by_letter.get(word[0], ()), scorer=fuzz.ratio, score_cutoff=FUZZY_SCORE)
        return found[0] if found else word

    def normalise(self, text: Optional[str]) -> str:
        """The text in the lexicon's words (see the module's docstring)."""
        words = [self.correct(t) for t in tokens(plain(text))]
        joined = " " + " ".join(words) + " "
        for phrase, meaning in self.phrases:
            if phrase in joined:
                joined = re.sub(rf"(?<![a-z0-9']){re.escape(phrase)}(?![a-z0-9'])", meaning, joined)
        for phrase, meaning in self.synonyms:
            if phrase in joined:
                joined = re.sub(rf"(?<![a-z0-9']){re.escape(phrase)}(?![a-z0-9'])", f"{phrase} {meaning}", joined)
        return " ".join(self._written_out(word) for word in joined.split())

    def _written_out(self, word: str) -> str:
        """A short form written out; its possessive too ("the clw's job": "the caf link worker job")."""
        if word in self.short:
            return self.short[word]
        if word.endswith("'s") and word[:-2] in self.short:
            return self.short[word[:-2]]
        return word


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The lexicon, knowing every word of the enabled guidance packs."""
    from bot.guidance import registry

    words: set[str] = set()
    for rule in registry().rules.values():
        texts = [rule.title, rule.answer or "", *rule.asks, *(c.quote for c in rule.citations), rule.citation.section]
        for text in texts:
            words.update(tokens(plain(text)))
    return Lexicon(words)


def normalise(text: Optional[str]) -> str:
    return lexicon().normalise(text)
