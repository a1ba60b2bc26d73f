"""Whether a collection covers a question at all, judged against the collection itself.

How close an unrelated question comes to a collection's passages grows with the collection:
a few dozen passages of one summary leave generic questions far away (best cosine 0.36 at
most), thousands of passages of guidance come much closer (0.54). So the thresholds are not
constants: every searcher asks a fixed, shipped set of questions no safeguarding library
answers (search/data/offtopic-calibration.txt) and takes its bars from how they score:
- a question is covered when its best passage is closer than any of them came (plus
  tuning.COVERAGE_MARGIN);
- or when it is closer than half of them came and one passage holds more of its words
  (rarity-weighted) than all but a few of them found (tuning.COVERAGE_WORDS_QUANTILE).
"Any of them came" is counted in the document the question's best passage stands in
(tuning.DOCUMENT_COVERAGE): office questions come closer to broad guidance than to a narrow
review, and one bar for all let the broad document decide for the narrow one.

"Closer" is relative (tuning.RELATIVE_COVERAGE): a question's best cosine to the passages
less its best cosine to the calibration questions themselves. "How do I book annual leave"
comes close to long guidance that mentions leave and bookings, but closer still to the
shipped "how many days of annual leave do I get"; a question the collection answers is
far nearer its passages than any office question. Each calibration question is measured
the same way against the others (leaving itself out).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from search import tuning
from search.embed.base import Embedder

CALIBRATION = Path(__file__).parent.parent / "data" / "offtopic-calibration.txt"


@dataclass(frozen=True)
class Coverage:
    sure: float  # best cosine (less the background's) at or above this: covered
    maybe: float  # ... at or above this, with enough of the words held: covered
    words: float
    # The calibration questions' vectors, when closeness is relative to them.
    background: np.ndarray | None = None
    # "sure" for a question whose best passage stands in this document.
    sure_in: Mapping[str, float] = field(default_factory=dict)

    def closeness(self, dense_top: float, vector: np.ndarray) -> float:
        """The best passage's cosine, less the closest calibration question's."""
        if self.background is None or not len(self.background):
            return dense_top
        return dense_top - float(np.max(self.background @ vector))

    def covers(
        self, dense_top: float, lexical_match: float, vector: np.ndarray, document: str = ""
    ) -> bool:
        close = self.closeness(dense_top, vector)
        sure = self.sure_in.get(document, self.sure) if tuning.DOCUMENT_COVERAGE else self.sure
        if close >= sure:
            return True
        return tuning.LEXICAL_COVERAGE and close >= self.maybe and lexical_match >= self.words

    @classmethod
    def fixed(cls) -> Coverage:
        """The former constants, measured on the bundled summary alone (for comparison)."""
        return cls(tuning.DENSE_SURE, tuning.DENSE_MAYBE, tuning.MATCH_MIN)

    @classmethod
    def measured(
        cls,
        questions: Sequence[str],
        vectors: Sequence[np.ndarray],
        nearest: Callable[[np.ndarray, int], Sequence[tuple[int, float]]],
        word_share: Callable[[str], float],
        sizes: Mapping[str, int],
        document_of: Callable[[int], str],
    ) -> Coverage:
        """The bars from asking the calibration questions (`vectors` their embeddings) of a
        collection: `nearest(vector, k)` its k best passages, `sizes` its documents'
        passage counts."""
        depth = min(tuning.COVERAGE_DEPTH, sum(sizes.values()))
        found = [nearest(v, depth) for v in vectors]
        complete = depth == sum(sizes.values())
        return cls.calibrated(
            [
                (near[0][1] if near else 0.0, word_share(q))
                for q, near in zip(questions, found, strict=True)
            ],
            np.stack(vectors) if tuning.RELATIVE_COVERAGE and len(vectors) else None,
            [best_in_documents(near, document_of, sizes, complete) for near in found],
            sizes,
        )

    @classmethod
    def calibrated(
        cls,
        scores: Sequence[tuple[float, float]],
        vectors: np.ndarray | None = None,
        in_documents: Sequence[Mapping[str, float]] = (),
        sizes: Mapping[str, int] | None = None,
    ) -> Coverage:
        """Bars from the (best cosine, word share) of the calibration questions; with their
        vectors, closeness is measured relative to them; with each one's best cosine in
        each document, every document has its own "sure" bar."""
        if not scores:
            return cls.fixed()
        dense = np.array([s[0] for s in scores])
        words = np.array([s[1] for s in scores])
        background = None
        offset = np.zeros(len(scores))
        if vectors is not None and len(vectors) > 1:
            background = np.asarray(vectors, dtype=np.float32)
            between = background @ background.T
            np.fill_diagonal(between, -np.inf)  # each is measured against the others
            offset = between.max(axis=1)
            dense = dense - offset
        sure_in: dict[str, float] = {}
        if in_documents:
            for tops, less in zip(in_documents, offset, strict=True):
                for document, top in tops.items():
                    sure_in[document] = max(sure_in.get(document, -np.inf), top - less)
        if sure_in and tuning.DOCUMENT_COVERAGE_FLOOR:
            floor = _median_passage(sure_in, sizes or {})
            sure_in = {d: max(bar, floor) for d, bar in sure_in.items()}
        return cls(
            float(dense.max()) + tuning.COVERAGE_MARGIN,
            float(np.percentile(dense, tuning.COVERAGE_MAYBE_QUANTILE)),
            float(np.percentile(words, tuning.COVERAGE_WORDS_QUANTILE)),
            background,
            {d: float(bar) + tuning.COVERAGE_MARGIN for d, bar in sure_in.items()},
        )


def _median_passage(bars: Mapping[str, float], sizes: Mapping[str, int]) -> float:
    """The bar of the document the median passage stands in (by passages, so that many
    small documents do not drag it down)."""
    ranked = sorted(bars, key=bars.__getitem__)
    weights = np.array([max(sizes.get(d, 1), 1) for d in ranked], dtype=float)
    middle = int(np.searchsorted(np.cumsum(weights), weights.sum() / 2))
    return bars[ranked[min(middle, len(ranked) - 1)]]


def best_in_documents(
    found: Sequence[tuple[int, float]],
    document_of: Callable[[int], str],
    documents: Iterable[str],
    complete: bool,
) -> dict[str, float]:
    """Each document's best score among the nearest passages found (best first). Unless
    they are all the passages there are, a document with none among them gets the least
    found: its own best is no higher, so its bar errs on the side of "not covered"."""
    best: dict[str, float] = {}
    for row, score in found:
        best.setdefault(document_of(row), score)
    if not complete and found:
        for document in documents:
            best.setdefault(document, found[-1][1])
    return best


@functools.cache
def calibration_questions(path: Path = CALIBRATION) -> tuple[str, ...]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


_CALIBRATION_VECTORS: weakref.WeakKeyDictionary[Any, dict[str, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)


def calibration_vectors(embedder: Embedder, texts: tuple[str, ...]) -> list[np.ndarray]:
    """Each text embedded once per model: views of one index, and reloads, share them."""
    known = _CALIBRATION_VECTORS.setdefault(embedder, {})
    missing = [t for t in dict.fromkeys(texts) if t not in known]
    if missing:
        known.update(zip(missing, embedder.embed(missing), strict=True))
    return [known[t] for t in texts]
