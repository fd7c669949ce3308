"""Choosing the knowledge rule that answers a question: weighted retrieval (BM25), fused
with a character n-gram similarity that forgives typos and word forms, and with how close
the question is to the nearest single question the rule answers (a short rule's few words
otherwise outweigh a longer rule that answers the question better).

Each knowledge rule is indexed by its own text: its title and the questions it answers
(``asks``) weigh most, then its answer, then its quotes, section and topics. Questions and
rules are read through the practitioners' lexicon (bot/language/lexicon.py), so "tm",
"lead practitioner" and "recomendation" meet "team manager", "lead professional" and
"recommendation", then stemmed. A question that names a document ("after cads", "on a
step down") leans to that document's rules.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import bm25s
import numpy as np
import Stemmer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_union

from bot.guidance import Registry
from bot.guidance.model import Rule
from bot.language.lexicon import Lexicon, lexicon

# How much each part of a rule counts (its text is repeated this many times).
WEIGHTS = {"title": 3, "asks": 2, "answer": 2, "quotes": 1, "section": 1, "topics": 1}
# How much the character similarity counts beside BM25 (1: alike).
SIMILARITY_SHARE = 1.0
# How much the nearest of a rule's own questions (`asks`) counts, beside the other two.
ASK_SHARE = 0.5
# A question naming a document multiplies that document's rules' scores by this.
NAMED_DOCUMENT_BOOST = 1.6
# A question naming a distinct term (the lexicon's) multiplies the scores of rules naming it by this.
DISTINCT_TERM_BOOST = 1.6
# Words that carry no meaning for choosing a rule (besides bm25s's English stop words).
CHATTER = """
actually basically literally just really please thanks hi hey ok okay so like bit quick question
wondering know want wants mean means meant thing things stuff someone anyone anything
somebody what's whats tell explain guidance say says said rule rules supposed allowed
""".split()


@dataclass(frozen=True)
class Found:
    rule: Rule
    score: float


def _stemmer():
    return Stemmer.Stemmer("english")


class Index:
    """The knowledge rules of a registry, indexed for questions."""

    def __init__(self, reg: Registry, lex: Optional[Lexicon] = None):
        self.lexicon = lex or lexicon()
        self.rules = list(reg.knowledge())
        self.documents = {pack.id: pack for pack in reg.packs.values()}
        self._named = [(pack.id, _document_words(pack)) for pack in reg.packs.values()]
        self.stemmer = _stemmer()
        corpus = [self._text(rule) for rule in self.rules]
        self._plain = [f" {self.lexicon.normalise(text)} " for text in corpus]
        self.retriever = bm25s.BM25()
        self.retriever.index(self._tokens(corpus), show_progress=False)
        # Character 3-5 grams within words, and word pairs: a second view of the same text.
        self.vectoriser = make_union(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english"))
        self.vectors = self.vectoriser.fit_transform([self.words(text) for text in corpus])
        # Each question a rule answers (`asks`), on its own: a question close to one of them
        # is close to that rule, however long the rule's other text is.
        self.ask_owner = [i for i, rule in enumerate(self.rules) for _ in rule.asks]
        asked = [self.words(ask) for rule in self.rules for ask in rule.asks]
        self.ask_vectors = self.vectoriser.transform(asked) if asked else None

    def _text(self, rule: Rule) -> str:
        parts = {
            "title": rule.title,
            "asks": " . ".join(rule.asks),
            "answer": rule.answer or "",
            "quotes": " . ".join(c.quote for c in rule.citations),
            "section": rule.citation.section,
            "topics": " ".join(t.replace("-", " ") for t in rule.topics),
        }
        return " . ".join(" . ".join([text] * WEIGHTS[part]) for part, text in parts.items() if text)

    def _tokens(self, texts: list[str]):
        normal = [self.words(t) for t in texts]
        return bm25s.tokenize(normal, stopwords="en", stemmer=self.stemmer, show_progress=False)

    def words(self, text: str) -> str:
        words = self.lexicon.normalise(text)
        return " ".join(w for w in words.split() if w not in CHATTER)

    def search(self, question: str, k: int = 5) -> list[Found]:
        """The best rules for a question, best first. A rule's score is its BM25 score, plus
        its share of the best character similarity times the best BM25 score (so the two
        views count alike and the score keeps BM25's scale), times the named-document boost."""
        query = self._tokens([question])
        if not query.ids or not query.ids[0]:
            return []
        results, scores = self.retriever.retrieve(query, k=len(self.rules), show_progress=False)
        bm25 = np.zeros(len(self.rules))
        bm25[results[0].astype(int)] = scores[0]
        if bm25.max() <= 0:
            return []
        asked = self.vectoriser.transform([self.words(question)])
        similar = (self.vectors @ asked.T).toarray().ravel()
        fused = bm25 + (similar / similar.max() if similar.max() > 0 else 0) * bm25.max() * SIMILARITY_SHARE
        if self.ask_vectors is not None:
            nearest = np.zeros(len(self.rules))
            np.maximum.at(nearest, self.ask_owner, (self.ask_vectors @ asked.T).toarray().ravel())
            fused = fused + (nearest / nearest.max() if nearest.max() > 0 else 0) * bm25.max() * ASK_SHARE
        named = self.named_documents(question)
        boost = np.array([NAMED_DOCUMENT_BOOST if rule.pack in named else 1.0 for rule in self.rules])
        fused = fused * boost
        terms = self.lexicon.distinct_terms(self.lexicon.normalise(question))
        if terms:
            fused = fused * np.array([DISTINCT_TERM_BOOST if any(f" {t} " in text for t in terms) else 1.0
                                      for text in self._plain])
        order = np.argsort(-fused)[:min(k, len(self.rules))]
        return [Found(self.rules[i], float(fused[i])) for i in order if bm25[i] > 0 or similar[i] > 0]

    def named_documents(self, question: str) -> set[str]:
        words = " " + self.lexicon.normalise(question) + " "
        return {pack_id for pack_id, pattern in self._named if pattern and pattern.search(words)}


def best_step(titles: list[str], question: str, lex: Optional[Lexicon] = None) -> Optional[int]:
    """Which of these step texts a question means (its index), or None if none is near."""
    lex = lex or lexicon()
    stemmer = _stemmer()

    def tokens(texts):
        return bm25s.tokenize([" ".join(w for w in lex.normalise(t).split() if w not in CHATTER) for t in texts],
                              stopwords="en", stemmer=stemmer, show_progress=False)

    query = tokens([question])
    if not titles or not query.ids or not query.ids[0]:
        return None
    retriever = bm25s.BM25()
    retriever.index(tokens(titles), show_progress=False)
    results, scores = retriever.retrieve(query, k=1, show_progress=False)
    return int(results[0][0]) if scores[0][0] > 0 else None


def _document_words(pack) -> Optional[re.Pattern]:
    names = [n for n in pack.called if n]
    if not names:
        return None
    return re.compile(r"\b(?:%s)\b" % "|".join(re.escape(n.lower()) for n in names))


@lru_cache(maxsize=2)
def _index(reg_id: int, reg: Registry) -> Index:
    return Index(reg)


def index(reg: Registry) -> Index:
    """The index of this registry's knowledge rules, built once."""
    return _index(id(reg), reg)
