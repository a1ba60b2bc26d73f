"""A direct answer: the one sentence (or table figure) of the corpus that answers the question,
quoted verbatim with where it stands, chosen by scoring the sentences of the top passages.

There is no generative model: nothing is paraphrased, so every answer can be checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from search.chunk import Passage
from search.query import Intent, intent
from search.retrieve import Hit, Searcher
from search.sentences import answer_units

CANDIDATE_PASSAGES = 5
# How a sentence's score is made (weights sum to 1; measured on the gold set, see the note).
W_DENSE = 0.55  # the sentence's own cosine to the question
W_LEXICAL = 0.20  # share of the question's words (by rarity) the sentence holds
W_PASSAGE = 0.25  # how well its passage ranked
FIGURE_BONUS = 0.30  # a question after a number, a sentence that has one
ADVICE_BONUS = 0.10  # "what should we do", a sentence that says what is needed
LEAD_IN_PENALTY = 0.10  # a sentence ending in ':' introduces the answer rather than giving it
SUPPORT_MARGIN = 0.12  # other passages cited when their best sentence scores this close
MAX_CITATIONS = 4

_PERCENT = re.compile(r"\d+(?:\.\d+)?\s?%")
_COUNT = re.compile(r"\b\d+(?:,\d{3})*(?:\.\d+)?\b")
_ADVICE_ASKED = re.compile(
    r"\b(what|how)\s+(should|can|could|must|do|does|might|would)\b|\bneed(s|ed)?\b|"
    r"\bshould\b|\bwhy\b.*\bmatters?\b|"
    r"\b(advice|recommend\w*|lessons?|learning|improve|prevent|help)\b",
    re.IGNORECASE,
)
_ADVICE_GIVEN = re.compile(
    r"\b(need(s|ed)?|should|must|important|required|requires|essential|ensure|"
    r"can be used|can prevent|well placed)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Citation:
    passage: Passage
    highlight: tuple[int, int] | None  # the answer's span inside passage.text


@dataclass(frozen=True)
class Answer:
    question: str
    answerable: bool
    answer: str | None
    confidence: float
    citations: tuple[Citation, ...]
    message: str


@dataclass(frozen=True)
class _Candidate:
    hit_rank: int
    text: str
    start: int  # offsets inside the passage's text
    end: int


def _minmax(values: np.ndarray) -> np.ndarray:
    span = float(values.max() - values.min()) if len(values) else 0.0
    return (values - values.min()) / span if span > 1e-9 else np.ones_like(values)


class Answerer:
    """Picks and cites the answer, reusing the searcher's model, BM25 vocabulary and filters."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher

    def answer(
        self,
        question: str,
        section: str | None = None,
        kind: str | None = None,
        mode: str = "hybrid",
        k: int = CANDIDATE_PASSAGES,
        document: str | None = None,
    ) -> Answer:
        ranking = self.searcher.search(question, max(k, 1), section, kind, mode, document)
        hits = list(ranking.hits)
        if not ranking.answerable or not hits:
            topics = list(dict.fromkeys(h.passage.section for h in hits))[:3]
            message = "The documents do not cover this"
            message += f"; closest topics: {', '.join(topics)}." if topics else "."
            cites = tuple(Citation(h.passage, None) for h in _dedupe(hits))
            return Answer(question, False, None, 0.0, cites, message)

        units = [
            _Candidate(rank, text, start, end)
            for rank, hit in enumerate(hits)
            for text, start, end in answer_units(hit.passage)
        ]
        scores = self._score(question, hits, units)
        best = _within_passage(question, units, scores, int(np.argmax(scores)))
        chosen = units[best]
        # Each passage's best unit decides whether it is cited as support, best first.
        per_passage: dict[int, tuple[float, _Candidate]] = {}
        for unit, score in zip(units, scores, strict=True):
            if unit.hit_rank not in per_passage or score > per_passage[unit.hit_rank][0]:
                per_passage[unit.hit_rank] = (float(score), unit)
        top_score = float(scores[best])
        ordered = sorted(per_passage.values(), key=lambda x: -x[0])
        cited: list[Citation] = []
        seen_text: set[str] = set()
        for score, unit in ordered:
            passage = hits[unit.hit_rank].passage
            if passage.text in seen_text:
                continue
            if unit is chosen or (
                score >= top_score - SUPPORT_MARGIN and len(cited) < MAX_CITATIONS
            ):
                seen_text.add(passage.text)
                cited.append(Citation(passage, (unit.start, unit.end)))
        confidence = _confidence(ranking.dense_top, top_score)
        source = hits[chosen.hit_rank].passage
        where = "" if source.section == source.title else f", section {source.section!r}"
        message = f"From {source.title!r}{where}."
        return Answer(question, True, chosen.text, confidence, tuple(cited), message)

    def _score(self, question: str, hits: list[Hit], units: list[_Candidate]) -> np.ndarray:
        wants: Intent = intent(question)
        expanded = self.searcher.glossary.expand(question)
        dense = self._dense(expanded, [u.text for u in units])
        lexical = self.searcher.lexical
        terms = lexical.terms(expanded)
        word_share = np.array([lexical.share_held(terms, u.text) for u in units])
        passage = _minmax(np.array([hits[u.hit_rank].score for u in units], dtype=np.float64))
        score = W_DENSE * dense + W_LEXICAL * word_share + W_PASSAGE * passage
        if wants.figure:
            # A share answers "how common" best; a bare count (a year, a sample size) less so.
            score += FIGURE_BONUS * np.array([_figure_weight(u.text) for u in units])
        score -= LEAD_IN_PENALTY * np.array([u.text.rstrip().endswith(":") for u in units])
        if _ADVICE_ASKED.search(question):
            score += ADVICE_BONUS * np.array([bool(_ADVICE_GIVEN.search(u.text)) for u in units])
        return np.asarray(score, dtype=np.float64)

    def _dense(self, question: str, texts: list[str]) -> np.ndarray:
        """Cosine of each text to the question, from the vectors stored at build time.

        Sentences the index has no vector for (an index built before they were stored) are
        embedded here, with the query model, in one call with the question.
        """
        store = self.searcher.index.sentences
        if store is None:
            stored, missing = np.zeros((len(texts), 0), dtype=np.float32), list(range(len(texts)))
        else:
            stored, missing = store.lookup(texts)
        fresh = self.searcher.embedder.embed([question, *[texts[i] for i in missing]])
        if store is None:
            stored = np.zeros((len(texts), fresh.shape[1]), dtype=np.float32)
        for row, i in enumerate(missing, 1):
            stored[i] = fresh[row]
        return np.asarray(stored @ fresh[0], dtype=np.float64)


def _within_passage(question: str, units: list[_Candidate], scores: np.ndarray, best: int) -> int:
    """The answer's passage is the best unit's; inside it, the sentence of the kind asked for.

    A learning often states the problem, then what is needed: asked what to do, the second
    is the answer even when the first shares more words with the question. Likewise a
    sentence with a figure, asked for one.
    """
    if _ADVICE_ASKED.search(question):
        fits = _ADVICE_GIVEN
    elif intent(question).figure:
        fits = _PERCENT
    else:
        return best
    same = [i for i, u in enumerate(units) if u.hit_rank == units[best].hit_rank]
    matching = [i for i in same if fits.search(units[i].text)]
    return max(matching, key=lambda i: scores[i]) if matching else best


def _figure_weight(text: str) -> float:
    return 1.0 if _PERCENT.search(text) else 0.4 if _COUNT.search(text) else 0.0


def _confidence(dense_top: float, sentence_score: float) -> float:
    """0..1, rising with how close the best passage and the best sentence are to the question.

    A cosine of 0.25 (the floor for answerable) maps to about 0.2 and 0.7 to about 0.95.
    """
    raw = 0.5 * dense_top + 0.5 * sentence_score
    return round(float(1.0 / (1.0 + np.exp(-8.0 * (raw - 0.35)))), 3)


def _dedupe(hits: list[Hit]) -> list[Hit]:
    seen: set[str] = set()
    out = []
    for h in hits:
        if h.passage.text not in seen:
            seen.add(h.passage.text)
            out.append(h)
    return out
