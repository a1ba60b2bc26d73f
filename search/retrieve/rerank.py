"""The re-rank after fusion: what kind of passage the question asks for, and what a
passage is (a footnote, a few words, a question of its own)."""

from __future__ import annotations

from collections.abc import Sequence

from search import tuning
from search.chunk.tables import is_lead_in
from search.chunk.text import PERCENT, answer_units
from search.model import Passage
from search.retrieve.lexical import Lexical
from search.retrieve.query import Intent
from search.retrieve.superlatives import extreme_first

# Passages whose sentence words are kept (about 2 kB each), at most.
_SENTENCE_TERMS_KEPT = 50_000


class Reranker:
    """Each passage's features, read once; called with fused candidates, best first."""

    def __init__(self, passages: Sequence[Passage], lexical: Lexical) -> None:
        self.passages = passages
        self.lexical = lexical
        # Tuples, not arrays: the re-rank reads them one row at a time.
        self._kinds = tuple(p.kind for p in passages)
        self._has_figure = tuple(bool(PERCENT.search(p.text)) for p in passages)
        self.lead_in = tuple(p.list_id is not None and is_lead_in(p.text) for p in passages)
        # A few words ("Housing", a heading read as a paragraph) say little; a table's
        # figure ("Poverty: 97 (35%)") is short and says it all.
        self._short = tuple(
            p.kind != "statistic" and len(p.text.split()) <= tuning.SHORT_WORDS for p in passages
        )
        # A passage that asks ("Does the designated teacher have ...?", an FAQ's question
        # read as a paragraph) is worded like the question and answers nothing.
        self._asks = tuple(p.text.rstrip().endswith("?") for p in passages)
        self._sentences_of: dict[int, tuple[frozenset[str], ...]] = {}

    def __call__(
        self, ranked: list[tuple[int, float]], wants: Intent, terms: list[str]
    ) -> list[tuple[int, float]]:
        """Favour the kind of passage the question asks for (figures, themes, lessons, the
        lead-in of a list); penalise those that say little or only point elsewhere."""
        boosted = []
        for row, score in ranked:
            kind = self._kinds[row]
            score += tuning.INTENT_BOOST * (
                (wants.figure and bool(self._has_figure[row]))
                + (wants.themes and kind == "theme")
                + (wants.lessons and kind == "learning")
            ) + tuning.LEAD_IN_BOOST * (wants.list and self.lead_in[row])
            if kind == "footnote":  # a reference at the foot of a page, not the text itself
                score -= tuning.FOOTNOTE_PENALTY
            elif kind == "reference":
                score -= tuning.REFERENCE_PENALTY
            if self._short[row]:
                score -= tuning.SHORT_PENALTY
            if self._asks[row]:
                score -= tuning.QUESTION_PENALTY
            if tuning.PROXIMITY_BONUS:
                near = self.lexical.sentence_share(terms, self.sentence_terms(row))
                score += tuning.PROXIMITY_BONUS * near
            boosted.append((row, score))
        boosted.sort(key=lambda x: -x[1])
        return extreme_first(
            boosted, self.passages, wants.extreme, lambda text: self.lexical.share_held(terms, text)
        )

    def sentence_terms(self, row: int) -> tuple[frozenset[str], ...]:
        """The words of each sentence of a passage, made when first needed and kept (a
        question looks at a hundred candidates; a collection may hold a million)."""
        found = self._sentences_of.get(row)
        if found is None:
            units = answer_units(self.passages[row])
            found = tuple(frozenset(self.lexical.terms(text)) for text, _, _ in units)
            if len(self._sentences_of) >= _SENTENCE_TERMS_KEPT:
                self._sentences_of.clear()  # bounded: made again when needed
            self._sentences_of[row] = found
        return found
