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
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search import tuning

CALIBRATION = Path(__file__).parent.parent / "data" / "offtopic-calibration.txt"


@dataclass(frozen=True)
class Coverage:
    sure: float  # best cosine at or above this: covered
    maybe: float  # ... at or above this, with enough of the words held: covered
    words: float

    def covers(self, dense_top: float, lexical_match: float) -> bool:
        if dense_top >= self.sure:
            return True
        return tuning.LEXICAL_COVERAGE and dense_top >= self.maybe and lexical_match >= self.words

    @classmethod
    def fixed(cls) -> Coverage:
        """The former constants, measured on the bundled summary alone (for comparison)."""
        return cls(tuning.DENSE_SURE, tuning.DENSE_MAYBE, tuning.MATCH_MIN)

    @classmethod
    def calibrated(cls, scores: Sequence[tuple[float, float]]) -> Coverage:
        """Bars from the (best cosine, word share) of the calibration questions."""
        if not scores:
            return cls.fixed()
        dense = np.array([s[0] for s in scores])
        words = np.array([s[1] for s in scores])
        return cls(
            float(dense.max()) + tuning.COVERAGE_MARGIN,
            float(np.percentile(dense, tuning.COVERAGE_MAYBE_QUANTILE)),
            float(np.percentile(words, tuning.COVERAGE_WORDS_QUANTILE)),
        )


@functools.cache
def calibration_questions(path: Path = CALIBRATION) -> tuple[str, ...]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))
