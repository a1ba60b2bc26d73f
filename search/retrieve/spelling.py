"""Typo tolerance: a question's misspelt words put right against the corpus's own words.

People type fast into a search box ("neglect prevalance", "parental seperation"). A word
the corpus never uses is matched by no passage in BM25, misleads the model, and hides what
the question asks for ("prevalance" is not read as a question about a figure). So a word
that neither the corpus nor an English dictionary knows is replaced by the corpus word
within one edit (two for long words) that starts with the same letter, the most frequent
if several are equally close. The dictionary matters: against a small corpus alone,
"police" became "policy" and "scared" became "shared". Words under tuning.SPELL_MIN_LENGTH
letters are
left alone: too many short words are one edit from an unrelated one, and a wrong correction
can make an off-topic question look covered.
"""

from __future__ import annotations

import importlib.util
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from search import tuning

_WORD = re.compile(r"[^\W\d_]+")
ENGLISH = "frequency_dictionary_en_82_765.txt"


def edits_allowed(word: str) -> int:
    if len(word) < tuning.SPELL_MIN_LENGTH:
        return 0
    return 2 if len(word) >= tuning.SPELL_LONG else 1


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """82,765 English words (SymSpell's frequency dictionary, from Google Books n-grams):
    a word among them is a word, not a typo, even where the corpus never uses it."""
    # Found without importing the package: only its word list is used.
    spec = importlib.util.find_spec("symspellpy")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("symspellpy (its English word list) is not installed")
    text = (Path(spec.origin).parent / ENGLISH).read_text(encoding="utf-8")
    return frozenset(text.split()[::2])  # lines of "word count"


class Speller:
    """The corpus's words and how often each is used, to correct a question against."""

    def __init__(self, texts: Iterable[str]) -> None:
        self._counts = Counter(w for t in texts for w in _WORD.findall(t.lower()))
        self._by_letter: dict[str, list[str]] = {}
        for word in self._counts:
            if len(word) >= tuning.SPELL_MIN_LENGTH - 2:
                self._by_letter.setdefault(word[0], []).append(word)
        self._english = english_words()

    def unknown(self, word: str) -> bool:
        """Long enough to correct, and neither the corpus nor the dictionary knows it."""
        low = word.lower()
        return bool(edits_allowed(low)) and low not in self._counts and low not in self._english

    def _closest(self, low: str) -> str | None:
        limit = edits_allowed(low)
        found = process.extract(
            low,
            self._by_letter.get(low[0], []),
            scorer=DamerauLevenshtein.distance,
            score_cutoff=limit,
            limit=None,
        )
        if not found:
            return None
        closest = min(distance for _, distance, _ in found)
        ties = [w for w, distance, _ in found if distance == closest]
        return max(ties, key=lambda w: (self._counts[w], w))

    def correct(self, question: str) -> str:
        """The question with each misspelt word replaced, keeping an initial capital."""
        if not tuning.SPELLING:
            return question

        lookups = 0

        def fix(match: re.Match[str]) -> str:
            nonlocal lookups
            word = match.group()
            if word.isupper():  # an acronym: the glossary's business, not a typo
                return word
            if not self.unknown(word):
                return word
            lookups += 1
            right = self._closest(word.lower()) if lookups <= tuning.SPELL_MAX_LOOKUPS else None
            if right is None:
                return word
            return right.capitalize() if word[0].isupper() else right

        return _WORD.sub(fix, question)
