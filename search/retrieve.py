"""Find the passages that answer a question: dense (FAISS) and BM25 (bm25s), fused, filtered.

Also judges whether the corpus answers the question at all, so the service can say
"not covered" instead of returning its nearest junk with confidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from scipy import sparse

from search import tables, vectors
from search.chunk import KINDS, Passage
from search.embed import Embedder
from search.errors import InvalidQuery
from search.index import LoadedIndex
from search.query import STOPWORDS, Glossary, Intent, intent, load_glossary
from search.spelling import Speller
from search.topics import Sections, Topic, blend

MODES = ("hybrid", "dense", "bm25")
RRF_K = 60  # the constant from Cormack et al.; ranks past ~60 barely count
# The lexical side's share of the convex fusion, at most; it is scaled by how much of the
# question one passage holds, so BM25 only steers when its words really match (see the note).
LEXICAL_WEIGHT = 0.5
# Added to a fused score in [0, 1] when a passage is of the kind the question asks for.
INTENT_BOOST = 0.2
_NUMBER = re.compile(r"\d+(?:\.\d+)?%|\(\d+(?:\.\d+)?%\)")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s.tokenize's default token pattern
FUSION = "convex"  # "convex" (min-max normalised scores) or "rrf", chosen by measurement
# Answerable when the best dense cosine clears the first bar, or clears the lower one while
# one passage holds most of the question's (rarity-weighted) words. Calibrated on the gold set.
DENSE_SURE = 0.38
DENSE_MAYBE = 0.25
MATCH_MIN = 0.55
# Added to the dense score of the passages of a section the question names (see topics.py).
SECTION_BONUS = 0.2


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float


@dataclass(frozen=True)
class Ranking:
    """Hits best first, whether the corpus answers the question, and the evidence for it."""

    hits: tuple[Hit, ...]
    answerable: bool
    dense_top: float
    lexical_match: float
    searched: str = ""  # the question as searched: misspelt words put right


class Lexical:
    """BM25 with an English stemmer and stop words, over the passages' text and section."""

    def __init__(self, texts: list[str]) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        tokens = bm25s.tokenize(
            texts, stopwords=list(STOPWORDS), stemmer=self._stemmer, show_progress=False
        )
        self._bm25 = bm25s.BM25()
        self._bm25.index(tokens, show_progress=False)
        self._vocab: dict[str, int] = dict(tokens.vocab)
        self._size = len(texts)
        # Which passage holds which term (0/1), for "does one passage hold the question's words".
        rows = np.repeat(np.arange(len(tokens.ids)), [len(ids) for ids in tokens.ids])
        cols = np.fromiter((t for ids in tokens.ids for t in ids), dtype=np.int64)
        self._holds = sparse.csc_matrix(
            (np.ones(len(cols), dtype=np.float32), (rows, cols)),
            shape=(len(texts), max(len(self._vocab), 1)),
        )
        self._holds.data[:] = 1.0  # a term twice in one passage still counts once
        df = np.asarray(self._holds.sum(axis=0)).ravel()
        self._idf = np.log1p(len(texts) / (df + 0.5))
        self._idf_unknown = float(np.log1p(len(texts) / 0.5))
        # The rows holding each term, for best_match: slicing the sparse matrix per query
        # costs more than the rest of the lexical side.
        ptr, rows_of = self._holds.indptr, self._holds.indices
        self._postings = [rows_of[ptr[t] : ptr[t + 1]] for t in range(self._holds.shape[1])]
        self._stopwords = frozenset(STOPWORDS)

    def terms(self, query: str) -> list[str]:
        # bm25s.tokenize's steps for one text (lower-case, split, drop stop words, stem),
        # without the progress bars it sets up on every call even when they are off.
        words = [w for w in _TOKEN.findall(query.lower()) if w not in self._stopwords]
        return list(dict.fromkeys(t for t in self._stemmer.stemWords(words) if t))

    def best_match(self, terms: list[str]) -> float:
        """The largest share of the question's words (weighted by rarity) held by one passage.

        A word the corpus never uses weighs more than its rarest word: asking about it is
        strong evidence that the question is about something else.
        """
        if not terms:
            return 0.0
        known = [self._vocab[t] for t in terms if t in self._vocab]
        total = float(self._idf[known].sum()) + self._idf_unknown * (len(terms) - len(known))
        if not known or total <= 0:
            return 0.0
        held = np.zeros(self._size, dtype=self._idf.dtype)
        for term in known:
            held[self._postings[term]] += self._idf[term]
        return float(np.max(held)) / total

    def share_held(self, terms: list[str], text: str) -> float:
        """Share of the question's words (weighted by rarity) that a given text holds."""
        if not terms:
            return 0.0
        held = set(self.terms(text))
        weights = [self.weight(t) for t in terms]
        return sum(w for t, w in zip(terms, weights, strict=True) if t in held) / sum(weights)

    def weight(self, term: str) -> float:
        """How rare a word is in the corpus (IDF); a word it never uses weighs most."""
        row = self._vocab.get(term)
        return float(self._idf[row]) if row is not None else self._idf_unknown

    def scores(self, terms: list[str]) -> np.ndarray:
        known = [t for t in terms if t in self._vocab]
        if not known:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)


def _minmax(values: np.ndarray) -> np.ndarray:
    span = float(values.max() - values.min()) if len(values) else 0.0
    if span <= 1e-9:
        flat = np.ones_like(values) if len(values) and values.max() > 0 else np.zeros_like(values)
        return np.asarray(flat)
    return np.asarray((values - values.min()) / span)


def fuse(
    dense: dict[int, float],
    lexical: dict[int, float],
    lexical_weight: float = LEXICAL_WEIGHT,
    method: str = FUSION,
) -> list[tuple[int, float]]:
    """Combine two candidate lists (row -> score) into one ranking, best first."""
    rows = list(dict.fromkeys([*dense, *lexical]))
    if method == "rrf":
        d_rank = {r: i for i, r in enumerate(sorted(dense, key=lambda r: -dense[r]))}
        l_rank = {r: i for i, r in enumerate(sorted(lexical, key=lambda r: -lexical[r]))}
        fused = [
            sum(1.0 / (RRF_K + 1 + rank[r]) for rank in (d_rank, l_rank) if r in rank) for r in rows
        ]
    else:
        floor = min(dense.values(), default=0.0)
        d = _minmax(np.array([dense.get(r, floor) for r in rows], dtype=np.float64))
        lx = _minmax(np.array([lexical.get(r, 0.0) for r in rows], dtype=np.float64))
        fused = list((1 - lexical_weight) * d + lexical_weight * lx)
    return sorted(zip(rows, map(float, fused), strict=True), key=lambda x: -x[1])


class Searcher:
    """Everything a query needs, loaded once: the index, its passages, BM25 and the embedder."""

    def __init__(
        self, index: LoadedIndex, embedder: Embedder, glossary: Path | None = None
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.passages = index.passages
        chosen = load_glossary(glossary) if glossary else load_glossary()
        self.glossary: Glossary = chosen.for_corpus("\n".join(p.text for p in self.passages))
        self.sections = tuple(dict.fromkeys(p.section for p in self.passages))
        self._section_key = {s.casefold(): s for s in self.sections}
        self.documents = {d.id: d for d in index.documents}
        texts = [lexical_text(p) for p in self.passages]
        self.lexical = Lexical(texts)
        # Tuples, not arrays: the re-rank reads them one row at a time.
        self._kinds = tuple(p.kind for p in self.passages)
        self._has_figure = tuple(bool(_NUMBER.search(p.text)) for p in self.passages)
        self.headings = Sections(self.passages, self.lexical.terms, self.lexical.weight)
        self.speller = Speller(texts)

    def resolve_filters(
        self, section: str | None, kind: str | None, document: str | None = None
    ) -> tuple[str | None, str | None]:
        """Canonical section and kind, or InvalidQuery naming the valid values (also for an
        unknown document id)."""
        if document is not None and document not in self.documents:
            ids = list(self.documents)
            more = f" ... ({len(ids)} in all; GET /documents lists them)" if len(ids) > 30 else ""
            raise InvalidQuery(
                f"unknown document {document!r}; valid documents: {', '.join(ids[:30])}{more}"
            )
        if kind is not None:
            kind = kind.strip().lower()
            if kind not in KINDS:
                raise InvalidQuery(f"unknown kind {kind!r}; valid kinds: {', '.join(KINDS)}")
        if section is not None:
            found = self._section_key.get(section.strip().casefold())
            if found is None:
                raise InvalidQuery(
                    f"unknown section {section!r}; valid sections: {'; '.join(self.sections)}"
                )
            section = found
        return section, kind

    def allowed(
        self, section: str | None, kind: str | None, document: str | None = None
    ) -> np.ndarray | None:
        """Row numbers that pass the filters, or None when nothing is filtered."""
        if section is None and kind is None and document is None:
            return None
        return np.array(
            [
                i
                for i, p in enumerate(self.passages)
                if (section is None or p.section == section)
                and (kind is None or p.kind == kind)
                and (document is None or p.document == document)
            ],
            dtype=np.int64,
        )

    def dense(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        """Rows and cosine scores of the k nearest passages among the allowed ones."""
        return vectors.search(self.index.faiss_index, vector, k, allowed)

    def bm25(
        self, scores: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        """Rows and BM25 scores of the k best lexical matches (zero scores left out)."""
        if allowed is not None:
            masked = np.full_like(scores, -1.0)
            masked[allowed] = scores[allowed]
            scores = masked
        k = min(k, len(scores))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(r, s) for r, s in zip(top.tolist(), scores[top].tolist(), strict=True) if s > 0]

    def search(
        self,
        query: str,
        k: int = 5,
        section: str | None = None,
        kind: str | None = None,
        mode: str = "hybrid",
        document: str | None = None,
    ) -> Ranking:
        """The k best passages for a question, and whether the corpus answers it."""
        if mode not in MODES:
            raise InvalidQuery(f"unknown mode {mode!r}; valid modes: {', '.join(MODES)}")
        section, kind = self.resolve_filters(section, kind, document)
        allowed = self.allowed(section, kind, document)
        pool = max(k, 50)  # fusion needs candidates beyond the k it returns
        query = searched = self.speller.correct(query)
        wants = intent(query)
        topic = self.headings.named(query) if mode != "bm25" else None
        query = self.glossary.expand(query)
        vector = self.embedder.embed([query])[0]
        terms = self.lexical.terms(query)
        match = self.lexical.best_match(terms)
        dense = self.dense(vector, pool, allowed)
        # Whether the corpus covers the question is judged over all of it, not the filtered part.
        dense_top = dense[0][1] if allowed is None and dense else self._dense_top(vector)
        if topic is not None:
            dense = self._in_named_sections(dense, vector, topic, allowed)[:pool]
        if mode == "dense":
            ranked = dense
        else:
            lexical = self.bm25(self.lexical.scores(terms), pool, allowed)
            weight = LEXICAL_WEIGHT * match
            ranked = lexical if mode == "bm25" else fuse(dict(dense), dict(lexical), weight)
        if mode == "hybrid":
            ranked = self._rerank(ranked, wants, terms)
        hits = tuple(Hit(self.passages[row], score) for row, score in ranked[:k])
        return Ranking(hits, is_answerable(dense_top, match), dense_top, match, searched)

    def _rerank(
        self, ranked: list[tuple[int, float]], wants: Intent, terms: list[str]
    ) -> list[tuple[int, float]]:
        """Favour the kind of passage the question asks for: figures, themes or lessons."""
        boosted = []
        for row, score in ranked:
            kind = self._kinds[row]
            score += INTENT_BOOST * (
                (wants.figure and bool(self._has_figure[row]))
                + (wants.themes and kind == "theme")
                + (wants.lessons and kind == "learning")
            )
            boosted.append((row, score))
        boosted.sort(key=lambda x: -x[1])
        return extreme_first(
            boosted, self.passages, wants.extreme, lambda text: self.lexical.share_held(terms, text)
        )

    def _in_named_sections(
        self,
        dense: list[tuple[int, float]],
        vector: np.ndarray,
        topic: Topic,
        allowed: np.ndarray | None,
    ) -> list[tuple[int, float]]:
        rows = topic.rows if allowed is None else np.intersect1d(topic.rows, allowed)
        if not len(rows):
            return dense
        rest = self.embedder.embed([self.glossary.expand(topic.rest)])[0]
        whole = dict(self.dense(vector, len(rows), rows))
        return blend(dense, whole, dict(self.dense(rest, len(rows), rows)), SECTION_BONUS)

    def _dense_top(self, vector: np.ndarray) -> float:
        best = self.dense(vector, 1, None)
        return best[0][1] if best else 0.0


def lexical_text(p: Passage) -> str:
    """What BM25 indexes: the passage and its heading, so 'neglect' finds the Neglect bullets."""
    return p.text if p.section == p.title else f"{p.section}. {p.text}"


def extreme_first(
    ranked: list[tuple[int, float]],
    passages: Sequence[Passage],
    extreme: str | None,
    relevance: Callable[[str], float] | None = None,
) -> list[tuple[int, float]]:
    """For "which was most/least common", put the largest/smallest figure of a table first.

    Applies when a statistic, or the paragraph that introduces a table, is among the top
    three. When those point to several tables, the one whose lead-in holds most of the
    question (`relevance` of the lead-in) is meant ("the most frequent parental factor");
    its cells are compared by their figure and the winner moves to the top.
    """
    if extreme is None:
        return ranked
    found = tables.group((row, passages[row]) for row, _ in ranked)
    pointed: list[tables.TableKey] = []
    for row, _ in ranked[:3]:
        pointed += [k for k in tables.tables_of(passages[row], found) if k not in pointed]
    if not pointed:
        return ranked
    score = relevance or (lambda _: 0.0)
    table = max(pointed, key=lambda t: (score(t.lead_in), -pointed.index(t)))
    pick = tables.extreme(found[table].cells, extreme)
    if pick is None:
        return ranked
    top_score = ranked[0][1]
    return [(pick.row, top_score + 1e-6)] + [r for r in ranked if r[0] != pick.row]


def is_answerable(dense_top: float, lexical_match: float) -> bool:
    """Does anything in the corpus answer the question? From meaning first, words second."""
    return dense_top >= DENSE_SURE or (dense_top >= DENSE_MAYBE and lexical_match >= MATCH_MIN)
