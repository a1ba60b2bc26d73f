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
from collections.abc import Sequence
from dataclasses import dataclass
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

    def closeness(self, dense_top: float, vector: np.ndarray) -> float:
        """The best passage's cosine, less the closest calibration question's."""
        if self.background is None or not len(self.background):
            return dense_top
        return dense_top - float(np.max(self.background @ vector))

    def covers(self, dense_top: float, lexical_match: float, vector: np.ndarray) -> bool:
        close = self.closeness(dense_top, vector)
        if close >= self.sure:
            return True
        return tuning.LEXICAL_COVERAGE and close >= self.maybe and lexical_match >= self.words

    @classmethod
    def fixed(cls) -> Coverage:
        """The former constants, measured on the bundled summary alone (for comparison)."""
        return cls(tuning.DENSE_SURE, tuning.DENSE_MAYBE, tuning.MATCH_MIN)

    @classmethod
    def calibrated(
        cls, scores: Sequence[tuple[float, float]], vectors: np.ndarray | None = None
    ) -> Coverage:
        """Bars from the (best cosine, word share) of the calibration questions; with their
        vectors, closeness is measured relative to them."""
        if not scores:
            return cls.fixed()
        dense = np.array([s[0] for s in scores])
        words = np.array([s[1] for s in scores])
        background = None
        if vectors is not None and len(vectors) > 1:
            background = np.asarray(vectors, dtype=np.float32)
            between = background @ background.T
            np.fill_diagonal(between, -np.inf)  # each is measured against the others
            dense = dense - between.max(axis=1)
        return cls(
            float(dense.max()) + tuning.COVERAGE_MARGIN,
            float(np.percentile(dense, tuning.COVERAGE_MAYBE_QUANTILE)),
            float(np.percentile(words, tuning.COVERAGE_WORDS_QUANTILE)),
            background,
        )


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
