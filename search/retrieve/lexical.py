"""The lexical side of retrieval: BM25 (bm25s) with an English stemmer and stop words, and
how much of a question's words (weighted by rarity) a passage holds."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import bm25s
import numpy as np
import Stemmer
from scipy import sparse

from search import tuning
from search.model import Passage
from search.retrieve.query import stopwords

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s.tokenize's default token pattern


class Lexical:
    """BM25 with an English stemmer and stop words, over the passages' text and section."""

    def __init__(self, texts: list[str], documents: Sequence[str] | None = None) -> None:
        """documents: the document each text belongs to, for scores() within documents."""
        self._stemmer = Stemmer.Stemmer("english")
        unsearched = stopwords()
        tokens = bm25s.tokenize(
            texts, stopwords=list(unsearched), stemmer=self._stemmer, show_progress=False
        )
        # None when there is nothing to index (a view that sees no passage): no word matches.
        self._bm25: bm25s.BM25 | None = None
        if any(len(ids) for ids in tokens.ids):
            self._bm25 = bm25s.BM25()
            self._bm25.index(tokens, show_progress=False)
        self._vocab: dict[str, int] = dict(tokens.vocab) if self._bm25 is not None else {}
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
        self._stopwords = frozenset(unsearched)
        grouped: dict[str, list[int]] = {}
        for position, document in enumerate(documents or ()):
            grouped.setdefault(document, []).append(position)
        self._positions = {d: np.array(rows, dtype=np.int64) for d, rows in grouped.items()}

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

    def share_held(
        self, terms: list[str], text: str, weights: Mapping[str, float] | None = None
    ) -> float:
        """Share of the question's words (weighted by rarity: weight(), or the given
        weights, as local_rarity() gives them) that a given text holds."""
        return self.sentence_share(terms, (frozenset(self.terms(text)),), weights)

    def sentence_share(
        self,
        terms: list[str],
        sentences: Sequence[frozenset[str]],
        weights: Mapping[str, float] | None = None,
    ) -> float:
        """The largest share of the question's words (by rarity) one sentence holds: the
        words of a question said together, not scattered over a long passage. (The question's
        words are unique, as terms() gives them.)"""
        if not terms or not sentences:
            return 0.0
        weights = {t: weights[t] if weights else self.weight(t) for t in terms}
        total = sum(weights.values())
        return max(sum(w for t, w in weights.items() if t in held) for held in sentences) / total

    def holding(self, terms: list[str]) -> np.ndarray:
        """The positions of the texts that hold every one of the terms."""
        rows: np.ndarray | None = None
        for term in dict.fromkeys(terms):
            row = self._vocab.get(term)
            if row is None:
                return np.zeros(0, dtype=np.int64)
            found = self._postings[row]
            rows = found if rows is None else np.intersect1d(rows, found, assume_unique=True)
        return np.zeros(0, dtype=np.int64) if rows is None else rows

    def knows(self, term: str) -> bool:
        """Whether any text holds the term (a stem, as terms() gives it)."""
        return term in self._vocab

    def weight(self, term: str) -> float:
        """How rare a word is in the corpus (IDF); a word it never uses weighs most."""
        row = self._vocab.get(term)
        return float(self._idf[row]) if row is not None else self._idf_unknown

    def local_rarity(self, terms: list[str], near: Iterable[str]) -> dict[str, float] | None:
        """Each word's rarity (the IDF of weight()) counted among the passages of the given
        documents alone: those a question lands in. In a long guidance document on adoption,
        "adoption" and "panel" stand in every other paragraph and "quorum" in one, though
        across the corpus all three are rare. None where those documents hold fewer than
        LOCAL_MIN_PASSAGES passages, too few to count in."""
        found = [self._positions[d] for d in dict.fromkeys(near) if d in self._positions]
        inside = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        if len(inside) < tuning.LOCAL_MIN_PASSAGES:
            return None
        out = {}
        for term in terms:
            row = self._vocab.get(term)
            held = 0 if row is None else int(np.isin(self._postings[row], inside).sum())
            out[term] = float(np.log1p(len(inside) / (held + 0.5)))
        return out

    def scores(self, terms: list[str], near: Iterable[str] = ()) -> np.ndarray:
        """BM25 scores of every text. near: the documents the question lands in; each word's
        part is then scaled by its rarity among their passages (local_rarity), the rarest
        there keeping all of it: the word that tells a long document's passages apart
        leads."""
        known = [t for t in terms if t in self._vocab]
        if not known or self._bm25 is None:
            return np.zeros(self._size, dtype=np.float32)
        rarity = self.local_rarity(known, near)
        if rarity is None:
            return np.asarray(self._bm25.get_scores(known), dtype=np.float32)
        top = max(rarity.values())
        out = np.zeros(self._size, dtype=np.float32)
        for term in known:
            out += rarity[term] / top * np.asarray(self._bm25.get_scores([term]), np.float32)
        return out


def lexical_text(p: Passage) -> str:
    """What BM25 indexes: the passage and its headings, so 'neglect' finds the Neglect bullets
    and 'pathway plan review' the paragraphs under "Reviewing the pathway plan"."""
    if tuning.HEADING_PATH_WORDS and p.headings:
        return f"{'. '.join(p.headings)}. {p.text}"
    return p.text if p.section == p.title else f"{p.section}. {p.text}"
