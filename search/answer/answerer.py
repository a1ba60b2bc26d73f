"""A direct answer: the one sentence (or table figure) of the corpus that answers the question
(with the sentence before it when it leans on that one), quoted verbatim with where it
stands, chosen by scoring the sentences of the top passages.

There is no generative model: nothing is paraphrased, so every answer can be checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from search import tuning
from search.answer import figures
from search.answer.asked import (
    answers_with_list,
    asks_advice,
    asks_top_list,
    fit,
    gives_advice,
    has_time,
    points_back,
    says_something,
)
from search.chunk import tables
from search.chunk.text import answer_units, statistic_parts
from search.model import Hit, Passage, Ranking
from search.retrieve.fusion import minmax
from search.retrieve.query import Intent, intent
from search.retrieve.searcher import Searcher


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
    searched: str = ""  # the question as searched: misspelt words put right


@dataclass(frozen=True)
class _Candidate:
    hit_rank: int
    text: str
    start: int  # offsets inside the passage's text
    end: int


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
        k: int | None = None,
        document: str | None = None,
        found: Ranking | None = None,
    ) -> Answer:
        """found: the searcher's ranking for this question, filters and mode already (its
        items are weighed rather than searched for again)."""
        asked = question
        k = tuning.CANDIDATE_PASSAGES if k is None else k
        if found is not None and len(found.items) >= k:
            ranking = replace(found, hits=found.items[: max(k, 1)])
        else:
            # Items one by one: the answer is one sentence (or a list asked for, below).
            ranking = self.searcher.search(
                question, max(k, 1), section, kind, mode, document, whole_lists=False
            )
        # The question as searched (misspelt words put right), for the figure rules too.
        question = ranking.searched or question
        hits = list(ranking.hits)
        if not ranking.answerable or not hits:
            topics = list(dict.fromkeys(h.passage.section for h in hits))[:3]
            message = "The documents do not cover this"
            if ranking.unknown is not None:  # say why: the name they never use
                message += f" (they never mention {ranking.unknown!r})"
            message += f"; closest topics: {', '.join(topics)}." if topics else "."
            cites = tuple(Citation(h.passage, None) for h in _dedupe(hits))
            return Answer(asked, False, None, 0.0, cites, message, question)

        if figures.asks_whole(question):
            # "At least one of ...": the figure is the table's lead-in, which may not have
            # been found beside the cells that repeat it.
            for hit in hits[:3]:
                lead = figures.lead_in_of(self.searcher, hit.passage)
                if lead is not None and all(h.passage != lead for h in hits):
                    hits.append(Hit(lead, hit.score))
        hits += self._neighbours(hits, section, kind, document)
        units = [
            _Candidate(rank, text, start, end)
            for rank, hit in enumerate(hits)
            for text, start, end in answer_units(hit.passage)
            if says_something(text)
        ]
        if not tuning.REFERENCE_ANSWERS:
            # A reading list's entry names a publication; it answers nothing itself.
            said = [u for u in units if hits[u.hit_rank].passage.kind != "reference"]
            units = said or units
        if not units:
            return Answer(asked, False, None, 0.0, (), "No sentence answers this.", question)
        scores = self._score(question, hits, units)
        best = _within_passage(question, units, scores, int(np.argmax(scores)))
        extreme = figures.superlative(question)
        cell = None
        if extreme is not None:
            expanded = self.searcher.glossary.expand(question)
            cell = figures.extreme_cell(self.searcher, expanded, extreme, [h.passage for h in hits])
        if cell is not None:
            # "Which was most common": the table's largest cell is the answer, whatever its
            # own similarity; it leads the citations.
            passage, text = cell
            rank = next((i for i, h in enumerate(hits) if h.passage == passage), None)
            if rank is None:
                rank = len(hits)
                hits.append(Hit(passage, hits[0].score))
            units.append(_Candidate(rank, text, 0, len(text)))
            scores = np.append(scores, float(scores.max()) + 1e-6)
            best = len(units) - 1
        chosen = _with_antecedent(units, best, hits) if cell is None else units[best]
        units[best] = chosen
        found_in = hits[chosen.hit_rank].passage
        listed = self.searcher.whole_list(found_in)
        shown = None
        if cell is None and asks_top_list(question):
            # Asked for a list, and the passage ranked first stands in one: that list
            # answers, though a sentence elsewhere scored higher on its own.
            top = self.searcher.whole_list(hits[0].passage)
            chosen_lists = listed is not None and answers_with_list(question, chosen.text, found_in)
            if top is not None and not chosen_lists:
                chosen, found_in, listed = replace(chosen, hit_rank=0), hits[0].passage, top
        if cell is None and listed is not None:
            if answers_with_list(question, chosen.text, found_in):
                # Asked for a list, or the best sentence (or its paragraph) introduces one:
                # the list is the answer.
                shown = listed
            elif _continues_lead_in(found_in, chosen):
                # "give advice and information to people affected by adoption" says nothing
                # without "All local authorities must appoint an Adoption Support Services
                # Adviser. The role of the ASSA is to:": the item is quoted after its lead-in.
                shown = self.searcher.whole_list(found_in, limit=0) or listed
        if shown is not None:
            hits[chosen.hit_rank] = shown
            text = shown.passage.text
            chosen = _Candidate(chosen.hit_rank, text, 0, len(text))
            units[best] = chosen
        elif cell is None:
            chosen = _with_follower(units, chosen, hits)
            units[best] = chosen
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
                score >= top_score - tuning.SUPPORT_MARGIN and len(cited) < tuning.MAX_CITATIONS
            ):
                seen_text.add(passage.text)
                # Cited at the page the quoted words stand on, which for a paragraph run
                # over a page break may be the page after the one it starts on.
                passage = replace(passage, page=passage.page_at(unit.start))
                cited.append(Citation(passage, (unit.start, unit.end)))
        confidence = _confidence(ranking.dense_top, top_score)
        source = hits[chosen.hit_rank].passage
        where = "" if source.section == source.title else f", section {source.section!r}"
        message = f"From {source.title!r}{where}."
        return Answer(asked, True, chosen.text, confidence, tuple(cited), message, question)

    def _neighbours(
        self, hits: list[Hit], section: str | None, kind: str | None, document: str | None
    ) -> list[Hit]:
        """The passages just before and after the best ones, in the same section: the
        sentence that answers is often beside the passage that matched the question."""
        if not tuning.NEIGHBOURS:
            return []
        section, kind = self.searcher.resolve_filters(section, kind, document)
        passages, row_of = self.searcher.passages, self.searcher.row_of
        have = {h.passage.id for h in hits}
        out: list[Hit] = []
        for hit in hits[: tuning.NEIGHBOURS]:
            row = row_of.get(hit.passage.id)
            if row is None:
                continue
            for near in (row - 1, row + 1):
                if not 0 <= near < len(passages):
                    continue
                p = passages[near]
                same = p.document == hit.passage.document and p.section == hit.passage.section
                fits = (section is None or p.section == section) and (
                    kind is None or p.kind == kind
                )
                if same and fits and p.id not in have and p.kind != "footnote":
                    have.add(p.id)
                    out.append(Hit(p, hit.score - tuning.NEIGHBOUR_DISCOUNT))
        return out

    def _score(self, question: str, hits: list[Hit], units: list[_Candidate]) -> np.ndarray:
        wants: Intent = intent(question)
        expanded = self.searcher.glossary.expand(question)
        dense = self._dense(expanded, [u.text for u in units])
        lexical = self.searcher.lexical
        terms = lexical.terms(expanded)
        # Words weighed by their rarity in the candidates' documents, as BM25 weighs them.
        near = (h.passage.document for h in hits) if tuning.LOCAL_ANSWER_WORDS else ()
        rarity = lexical.local_rarity(terms, near)
        word_share = np.array([lexical.share_held(terms, u.text, rarity) for u in units])
        passage = minmax(np.array([hits[u.hit_rank].score for u in units], dtype=np.float64))
        score = tuning.W_DENSE * dense + tuning.W_LEXICAL * word_share + tuning.W_PASSAGE * passage
        # A sentence of another document than the best passage's must beat it by a margin.
        top = hits[0].passage.document
        other = np.array([hits[u.hit_rank].passage.document != top for u in units])
        score -= tuning.OTHER_DOCUMENT_PENALTY * other
        if wants.figure:
            score += tuning.FIGURE_BONUS * np.array(
                [figures.figure_weight(question, u.text) for u in units]
            )
        score += self._lead_in(question, hits, units)
        score += fit(question, [u.text for u in units])
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

    def _lead_in(self, question: str, hits: list[Hit], units: list[_Candidate]) -> np.ndarray:
        """A list's lead-in loses to the list's items, unless the whole list's figure is asked."""
        lead = np.array([tables.is_lead_in(u.text) for u in units], dtype=np.float64)
        contexts = [
            parts[2] for h in hits if (parts := statistic_parts(h.passage.text)) is not None
        ]
        if figures.asks_whole(question):
            # Asked for the whole list, its lead-in answers and the list's cells do not.
            heads = [tables.lead_in_head(u.text) for u in units if tables.is_lead_in(u.text)]
            context = [statistic_parts(hits[u.hit_rank].passage.text) for u in units]
            cell = np.array(
                [c is not None and any(h in c[2] for h in heads) for c in context],
                dtype=np.float64,
            )
            # Of several lead-ins, the one whose table the found cells belong to.
            share = np.array(
                [
                    sum(tables.lead_in_head(u.text) in c for c in contexts) / len(contexts)
                    if contexts
                    else 1.0
                    for u in units
                ],
                dtype=np.float64,
            )
            return tuning.WHOLE_BONUS * (lead * share - cell)
        shown = np.array(
            [any(tables.lead_in_head(u.text) in c for c in contexts) for u in units],
            dtype=np.float64,
        )
        # A lead-in whose own figure is what is asked ("how many were analysed in detail")
        # is an answer, as long as the list it introduces is not there to answer instead.
        own_figure = np.array(
            [intent(question).figure and figures.fits_figure(question, u.text) for u in units],
            dtype=np.float64,
        )
        penalty = (
            tuning.LEAD_IN_PENALTY * (1 - own_figure * (1 - shown)) + tuning.LEAD_IN_SHOWN * shown
        )
        return -penalty * lead


def _within_passage(question: str, units: list[_Candidate], scores: np.ndarray, best: int) -> int:
    """The answer's passage is the best unit's; inside it, the sentence of the kind asked for.

    A learning often states the problem, then what is needed: asked what to do, the second
    is the answer even when the first shares more words with the question. Likewise a
    sentence with a figure, asked for one.
    """
    kinds: list[Callable[[str], bool]] = []
    if asks_advice(question):
        kinds.append(gives_advice)
    elif intent(question).figure:
        kinds.append(lambda t: figures.fits_figure(question, t))
    if tuning.TIME_WITHIN and figures.asks_duration(question):
        kinds.append(figures.has_duration)
    elif tuning.TIME_WITHIN and figures.asks_when(question):
        kinds.append(has_time)
    # "How often is the approval reviewed" asks for a share or for a frequency: the first
    # kind the passage has a sentence of decides (without FIRST_KIND_FOUND, the first kind
    # asked for, found or not).
    for fits in kinds if tuning.FIRST_KIND_FOUND else kinds[:1]:
        chosen = _best_of(units, scores, best, fits)
        if chosen is not None:
            return chosen
    return best


def _with_antecedent(units: list[_Candidate], best: int, hits: list[Hit]) -> _Candidate:
    """The chosen sentence, with the sentence before it when it opens by pointing back."""
    chosen = units[best]
    if not tuning.ANTECEDENT or not points_back(chosen.text):
        return chosen
    before = [u for u in units if u.hit_rank == chosen.hit_rank and u.end <= chosen.start]
    if not before:
        return chosen
    prev = max(before, key=lambda u: u.end)
    text = hits[chosen.hit_rank].passage.text[prev.start : chosen.end]
    return _Candidate(chosen.hit_rank, text, prev.start, chosen.end)


def _continues_lead_in(passage: Passage, unit: _Candidate) -> bool:
    """Whether the unit opens a list item that goes on from its lead-in's words (it starts in
    lower case: "give advice ...", "consenting to ...") rather than standing on its own."""
    return (
        tuning.ITEM_LEAD_IN
        and passage.kind == "item"
        and unit.start == 0
        and unit.text[:1].islower()
    )


def _with_follower(units: list[_Candidate], chosen: _Candidate, hits: list[Hit]) -> _Candidate:
    """The chosen sentence, with the sentence after it when that one points back to it
    ("... needed to chair a panel. This individual must be independent of the agency"):
    what it says is said of the chosen sentence's subject, and often is the answer."""
    if not tuning.FOLLOWER:
        return chosen
    after = [u for u in units if u.hit_rank == chosen.hit_rank and u.start >= chosen.end]
    if not after:
        return chosen
    following = min(after, key=lambda u: u.start)
    if not points_back(following.text):
        return chosen
    text = hits[chosen.hit_rank].passage.text[chosen.start : following.end]
    return _Candidate(chosen.hit_rank, text, chosen.start, following.end)


def _best_of(
    units: list[_Candidate], scores: np.ndarray, best: int, fits: Callable[[str], bool]
) -> int | None:
    """The best-scoring unit of the best unit's passage that fits, if one does."""
    same = [i for i, u in enumerate(units) if u.hit_rank == units[best].hit_rank]
    matching = [i for i in same if fits(units[i].text)]
    return max(matching, key=lambda i: scores[i]) if matching else None


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
