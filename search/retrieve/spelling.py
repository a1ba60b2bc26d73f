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

A word spelt the other side of the Atlantic ("behavior", "organization", "pediatric",
"counseling") is an English word, so no typo; but BM25 matches none of a British
collection's "behaviour" or "paediatric" (nor a British question an American corpus). A
word the corpus never uses whose spelling variant it does use becomes that variant.
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


# British and American spellings of one word, each pattern tried both ways: (-ize, -ise),
# (-yze, -yse), (-or, -our), (-er, -re), (-ense, -ence), (-og, -ogue), (-sor, -ser), (program,
# programme).
_SUFFIX = "(?=(e|es|ed|ing|er|ers|ation|ations|ational|ationally)$)"
_OUR = "(?=(s|ed|ing|ite|ites|able|ably|ful|al|ally|hood|less)?$)"
_VARIANTS = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (rf"iz{_SUFFIX}", "is"),
        (rf"is{_SUFFIX}", "iz"),
        (r"yz(?=(e|es|ed|ing)$)", "ys"),
        (r"ys(?=(e|es|ed|ing)$)", "yz"),
        (rf"(?<=[a-z]{{2}})or{_OUR}", "our"),
        (rf"our{_OUR}", "or"),
        (r"(?<=[bt])er(?=s?$)", "re"),
        (r"(?<=[bt])re(?=s?$)", "er"),
        (r"ense(?=s?$)", "ence"),
        (r"ence(?=s?$)", "ense"),
        (r"og(?=s?$)", "ogue"),
        (r"ogue(?=s?$)", "og"),
        (r"(?<=s)or(?=s?$)", "er"),  # advisor, adviser
        (r"(?<=s)er(?=s?$)", "or"),
        (r"gram(?=s?$)", "gramme"),
        (r"gramme(?=s?$)", "gram"),
        # paediatric, anaemia, haematoma, oestrogen, foetal; counselling, travelled.
        (r"(?<=[^aeiou])e", "ae"),
        (r"(?<=[^aeiou])e", "oe"),
        (r"(?<=[^aeiou])[ao]e", "e"),
        (r"(?<=[aeiou])l(?=(ed|ing|er|ers|or|ors)$)", "ll"),
        (r"ll(?=(ed|ing|er|ers|or|ors|ment|ments)$)", "l"),
        (r"(?<=[aeiou])l(?=(ment|ments)$)", "ll"),
    )
)


def spelling_variants(word: str) -> list[str]:
    """The word spelt as the other side of the Atlantic might spell it, one change each
    (several guesses; the corpus decides which is a word)."""
    out = []
    for pattern, replacement in _VARIANTS:
        for match in pattern.finditer(word):
            out.append(word[: match.start()] + replacement + word[match.end() :])
    return out


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

    def variant(self, word: str) -> str | None:
        """The corpus's spelling of a word it never uses spelt this way, if any."""
        low = word.lower()
        if not tuning.SPELLING_VARIANTS or len(low) < 4 or low in self._counts:
            return None
        known = [v for v in spelling_variants(low) if v in self._counts]
        return max(known, key=lambda v: (self._counts[v], v)) if known else None

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
            if (other := self.variant(word)) is not None:
                return other.capitalize() if word[0].isupper() else other
            if not self.unknown(word):
                return word
            lookups += 1
            right = self._closest(word.lower()) if lookups <= tuning.SPELL_MAX_LOOKUPS else None
            if right is None:
                return word
            return right.capitalize() if word[0].isupper() else right

        return _WORD.sub(fix, question)
