"""Questions that name a section: "money worries in *neglect* cases", "lessons about *adolescents*".

The heading word says where to look; the rest of the question says what to find there. Left
in, the heading word makes the passage that is most *about* the heading (the section's
introduction) win over the one that answers; taken out, the passages of that section are
compared with what is left of the question.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from search import tuning
from search.model import Passage
from search.retrieve.query import asks_meaning

Terms = Callable[[str], list[str]]
# The words that ask for a meaning, not about something ("former relevant child meaning").
_MEANING_WORDS = "mean means meaning define definition"


@dataclass(frozen=True)
class Topic:
    """Sections the question names and the question without their heading words."""

    rows: np.ndarray  # the passages of those sections
    rest: str


class Sections:
    """Each heading's words (stemmed, as BM25 sees them) and the passages under it."""

    def __init__(
        self,
        passages: Sequence[Passage] | Sequence[tuple[int, Passage]],
        terms: Terms,
        weight: Callable[[str], float],
    ) -> None:
        """passages: all of them, or (row, passage) pairs of those a view may see."""
        self._terms = terms
        self._weight = weight
        rows: dict[tuple[str, str], list[int]] = {}
        pairs = [x if isinstance(x, tuple) else (i, x) for i, x in enumerate(passages)]
        for i, p in pairs:
            # A document without headings has none to name; its title is not a section.
            if p.section != p.title:
                rows.setdefault((p.document, p.section), []).append(i)
        self._rows = {key: np.array(r, dtype=np.int64) for key, r in rows.items()}
        self._heading = {key: terms(key[1]) for key in self._rows}
        self._by_term: dict[str, list[tuple[str, str]]] = {}
        for key, words in self._heading.items():
            for word in words:
                self._by_term.setdefault(word, []).append(key)

    def named(self, question: str) -> Topic | None:
        """The sections a question names, if any, and what it asks about them."""
        asked = self._terms(question)
        candidates = {key for t in asked for key in self._by_term.get(t, ())}
        held: set[str] = set()
        rows = []
        for key in candidates:
            heading = self._heading[key]
            hits = [t for t in heading if t in asked]
            if len(set(hits)) < min(len(set(heading)), tuning.NAMED_WORDS):
                continue  # one word in common with a longer heading is no name
            total = sum(self._weight(t) for t in heading)
            if total > 0 and sum(self._weight(t) for t in hits) / total >= tuning.NAMED_SHARE:
                held.update(hits)
                rows.append(self._rows[key])
        if not rows:
            return None
        kept = [w for w in question.split() if not set(self._terms(w)) & held]
        rest = " ".join(kept)
        if len(self._terms(rest)) < tuning.MIN_REST_TERMS:
            asked_of = set(self._terms(rest)) - set(self._terms(_MEANING_WORDS))
            if not tuning.NAMED_ALONE or asked_of or not asks_meaning(question):
                return None
            rest = ""  # the question is the name: the section itself is asked for
        return Topic(np.unique(np.concatenate(rows)), rest)


def blend(
    dense: list[tuple[int, float]],
    whole: dict[int, float],
    rest: dict[int, float],
    bonus: float,
) -> list[tuple[int, float]]:
    """Scores of a named section's passages: the mean of their cosine to the whole question
    and to what it asks about the section, plus a bonus for being in the named section."""
    scores = dict(dense)
    floor = min(scores.values(), default=0.0)
    for row, score in whole.items():
        scores[row] = (score + rest.get(row, floor)) / 2 + bonus
    return sorted(scores.items(), key=lambda x: -x[1])
