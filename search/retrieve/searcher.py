"""Find the passages that answer a question: dense (FAISS) and BM25 (bm25s), fused, filtered.

Also judges whether the corpus answers the question at all, so the service can say
"not covered" instead of returning its nearest junk with confidence.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Collection
from pathlib import Path

import numpy as np

from search import tuning
from search.chunk import tables
from search.chunk.tables import Table, TableKey
from search.config import Settings
from search.embed.base import Embedder
from search.errors import InvalidQuery
from search.index import vectors
from search.index.store import LoadedIndex
from search.model import MODES, Hit, Passage, Ranking
from search.retrieve import filters, names
from search.retrieve.coverage import Coverage, calibration_questions, calibration_vectors
from search.retrieve.fusion import fuse
from search.retrieve.hubs import hubness
from search.retrieve.lead_ins import ListsInContext
from search.retrieve.lexical import Lexical, lexical_text
from search.retrieve.lists import group_lists, list_rows, whole_list
from search.retrieve.query import Glossary, intent, load_glossary
from search.retrieve.rerank import Reranker
from search.retrieve.spelling import Speller
from search.retrieve.topics import Sections, Topic, blend
from search.retrieve.units import UnitTable, best_sentence


class Searcher:
    """Everything a query needs, loaded once: the index, its passages, BM25 and the embedder."""

    def __init__(
        self,
        index: LoadedIndex,
        embedder: Embedder,
        glossary: Path | None = None,
        documents: Collection[str] | None = None,
        units: UnitTable | None = None,
    ) -> None:
        """documents: the ids of the only documents to search (a view: see
        search.retrieve.views); their words alone make the BM25 statistics, the spelling
        vocabulary, the glossary's corpus check and the sections. None: all of them.
        units: the index's sentence table, when another searcher of it has made it."""
        self.index = index
        self._shared_units = units
        self.embedder = embedder
        self.glossary_path = glossary
        self.passages = index.passages  # all of them: rows are FAISS ids
        self.documents = {
            d.id: d for d in index.documents if documents is None or d.id in documents
        }
        # The rows this searcher may return; None: all. Nothing else is read.
        self.rows: np.ndarray | None = None
        seen = list(enumerate(self.passages))
        self._selector: vectors.RowSelector | None = None
        if documents is not None:
            seen = [(i, p) for i, p in seen if p.document in self.documents]
            self.rows = np.array([i for i, _ in seen], dtype=np.int64)
            self._selector = vectors.RowSelector(self.rows, len(self.passages))
        visible = [p for _, p in seen]
        chosen = load_glossary(glossary) if glossary else load_glossary()
        self.glossary: Glossary = chosen.for_corpus("\n".join(p.text for p in visible))
        self.sections = tuple(dict.fromkeys(p.section for p in visible))
        texts = [lexical_text(p) for p in visible]
        self.lexical = Lexical(texts, [p.document for p in visible])
        self.rerank = Reranker(self.passages, self.lexical)
        self.in_lists = ListsInContext(
            self.passages, self.rerank.lead_in, lambda: self.lists, self.embedder.embed
        )
        self.headings = Sections(seen, self.lexical.terms, self.lexical.weight)
        self.speller = Speller(texts)
        # The documents only some groups may see (by id), for views of this searcher.
        self.audiences = {d.id: d.audience for d in self.documents.values() if d.audience}

    @property
    def passage_count(self) -> int:
        """How many passages this searcher can return."""
        return len(self.passages) if self.rows is None else len(self.rows)

    @functools.cached_property
    def lists(self) -> dict[str, tuple[int, ...]]:
        """The rows of each list, lead-in first: results show a list whole."""
        return list_rows(self.passages)

    @functools.cached_property
    def row_of(self) -> dict[str, int]:
        """Each passage's row, by id."""
        return {p.id: row for row, p in enumerate(self.passages)}

    def whole_list(self, passage: Passage, limit: int | None = None) -> Hit | None:
        """The list a passage stands in, whole (or what fits in `limit` characters, the
        lead-in and the passage at least), with the passage marked; None if none."""
        rows = self.lists.get(passage.list_id or "", ())
        if len(rows) < 2:
            return None
        return whole_list(self.passages, rows, {self.row_of[passage.id]}, limit)

    @functools.cached_property
    def tables(self) -> dict[TableKey, Table]:
        """The index's tables of figures, read on first use."""
        return tables.group(enumerate(self.passages))

    @functools.cached_property
    def table_lead_ins(self) -> dict[TableKey, Passage]:
        """The passage that introduces each table, where the index holds one."""
        return tables.lead_ins(self.tables, self.passages)

    def resolve_filters(
        self, section: str | None, kind: str | None, document: str | None = None
    ) -> tuple[str | None, str | None]:
        """Canonical section and kind, or InvalidQuery naming the valid values (also for an
        unknown document id)."""
        return filters.resolve(self.documents, self.sections, section, kind, document)

    def allowed(
        self, section: str | None, kind: str | None, document: str | None = None
    ) -> np.ndarray | None:
        """Row numbers that pass the filters (among the searcher's rows), or None for all."""
        return filters.allowed(self.passages, self.rows, section, kind, document)

    def dense(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        """Rows and dense scores of the k nearest passages among the allowed ones (cosine,
        by the best sentence, less a share of hubness: _by_sentence)."""
        return self._by_sentence(self._nearest(vector, k, allowed), vector)[:k]

    def _nearest(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        """The nearest passages by their own vectors: k, or POOL when they are to be scored
        again by their best sentence (a passage that ranks only by its best sentence is
        among the first POOL by its own vector too: re-scoring every passage found the same
        top ten)."""
        if tuning.SENTENCES and self.units is not None:
            k = max(k, tuning.POOL)
        prepared = self._selector if allowed is self.rows else None
        return vectors.search(self.index.faiss_index, vector, k, allowed, prepared=prepared)

    def _by_sentence(
        self, found: list[tuple[int, float]], vector: np.ndarray
    ) -> list[tuple[int, float]]:
        """The dense scores of ranking: by the best sentence, less a share of hubness."""
        if tuning.SENTENCES and self.units is not None:
            found = best_sentence(found, vector, self.units, tuning.SENTENCE_MARGIN)
        if not tuning.HUB_PENALTY or not found:
            return found
        out = [(row, score - self._hub_share(row)) for row, score in found]
        out.sort(key=lambda x: -x[1])
        return out

    def _hub_share(self, row: int) -> float:
        """What the dense side takes from a passage's cosine for its hubness."""
        return tuning.HUB_PENALTY * float(self.hubs[row]) if tuning.HUB_PENALTY else 0.0

    @functools.cached_property
    def hubs(self) -> np.ndarray:
        """How close each passage this searcher sees sits to its nearest others
        (retrieve/hubs.py), among those it sees: a view ranks as if the documents it hides
        were not there. warm() makes it (about 5 s at 100k passages on two cores)."""
        return hubness(self.index.faiss_index, tuning.HUB_NEIGHBOURS, tuning.HUB_SAMPLE, self.rows)

    @functools.cached_property
    def units(self) -> UnitTable | None:
        """Each passage's sentence vectors; None for an index without them. Views of an
        index share one (warm() makes it before serving: a few seconds at 100k)."""
        if self._shared_units is not None:
            return self._shared_units
        store = self.index.sentences
        return None if store is None else UnitTable.of(self.passages, store)

    def warm(self) -> None:
        """Make what the first question would otherwise wait for: the "not covered" bars
        and the sentence table (cached properties, computed once)."""
        self.coverage  # noqa: B018
        self.units  # noqa: B018
        if tuning.HUB_PENALTY:
            self.hubs  # noqa: B018

    def bm25(
        self, scores: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        """Rows and BM25 scores of the k best lexical matches (zero scores left out).

        scores are the searcher's own (Lexical.scores): one per row of a view, which are
        ranked as they would be in a corpus of those rows alone, then named by index row.
        """
        if self.rows is not None and allowed is not None:
            # The filter's rows are the view's (allowed() picks among them): as positions.
            allowed = None if allowed is self.rows else np.searchsorted(self.rows, allowed)
        if allowed is not None:
            masked = np.full_like(scores, -1.0)
            masked[allowed] = scores[allowed]
            scores = masked
        k = min(k, len(scores))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        rows = top if self.rows is None else self.rows[top]
        return [(r, s) for r, s in zip(rows.tolist(), scores[top].tolist(), strict=True) if s > 0]

    def search(
        self,
        query: str,
        k: int = 5,
        section: str | None = None,
        kind: str | None = None,
        mode: str = "hybrid",
        document: str | None = None,
        whole_lists: bool = True,
    ) -> Ranking:
        """The k best passages for a question, and whether the corpus answers it.

        A list is one result, shown whole, unless whole_lists is False (the answerer weighs
        items one by one)."""
        if mode not in MODES:
            raise InvalidQuery(f"unknown mode {mode!r}; valid modes: {', '.join(MODES)}")
        section, kind = self.resolve_filters(section, kind, document)
        allowed = self.allowed(section, kind, document)
        pool = max(k, tuning.POOL)  # fusion needs candidates beyond the k it returns
        searched, query = self.understood(query)
        wants = intent(searched)
        topic = self.headings.named(searched) if mode != "bm25" and tuning.TOPICS else None
        vector = self.embedder.embed([query])[0]
        terms = self.lexical.terms(query)
        match = self.lexical.best_match(terms)
        nearest = self._nearest(vector, pool, allowed)
        dense = self._by_sentence(nearest, vector)[:pool]
        # Whether the corpus covers the question is judged over all of it (all the searcher
        # may see), not the filtered part, by the passages' own vectors.
        unfiltered = allowed is self.rows and nearest
        top_row, dense_top = nearest[0] if unfiltered else self._dense_top(vector)
        if topic is not None:
            dense = self._in_named_sections(dense, vector, topic, allowed)[:pool]
        if mode == "dense":
            ranked = dense
        else:
            near = dense[: tuning.LOCAL_DOCUMENTS] if mode == "hybrid" else []
            documents = dict.fromkeys(self.passages[row].document for row, _ in near)
            lexical = self.bm25(self.lexical.scores(terms, documents), pool, allowed)
            if tuning.DENSE_FOR_LEXICAL and mode == "hybrid":
                dense = self._dense_for_lexical(dense, lexical, vector)
            if wants.list and mode == "hybrid":
                dense = self._lists_in_context(dense, lexical, vector)
            weight = tuning.LEXICAL_WEIGHT * match
            ranked = lexical if mode == "bm25" else fuse(dict(dense), dict(lexical), weight)
        if mode == "hybrid":
            ranked = self.rerank(ranked, wants, terms)
        items = tuple(
            Hit(self.passages[row], score)
            for row, score in ranked[: max(k, tuning.CANDIDATE_PASSAGES)]
        )
        hits = group_lists(ranked, self.passages, self.lists, k) if whole_lists else items[:k]
        unknown = names.unknown(
            searched,
            self.lexical,
            self.glossary,
            self._lexical_text_at,
            (d.title for d in self.documents.values()),
        )
        where = self.passages[top_row].document if top_row >= 0 else ""
        covered = unknown is None and self.coverage.covers(dense_top, match, vector, where)
        return Ranking(hits, covered, dense_top, match, searched, unknown, items)

    def _dense_for_lexical(
        self, dense: list[tuple[int, float]], lexical: list[tuple[int, float]], vector: np.ndarray
    ) -> list[tuple[int, float]]:
        """The dense candidates, and the lexical ones the dense side missed with their own
        dense score (best sentence), never below the least of the dense candidates: a
        passage BM25 ranks first would otherwise count as the least similar of all, though
        one of its sentences may be the closest there is."""
        have = {row for row, _ in dense}
        missing = np.array(sorted({row for row, _ in lexical} - have), dtype=np.int64)
        if not len(missing) or not dense:
            return dense
        floor = min(score for _, score in dense)
        found = self._by_sentence(vectors.cosines(self.index.faiss_index, vector, missing), vector)
        return dense + [(row, max(score, floor)) for row, score in found]

    def _lists_in_context(
        self, dense: list[tuple[int, float]], lexical: list[tuple[int, float]], vector: np.ndarray
    ) -> list[tuple[int, float]]:
        """Lead-ins and items among the first few of either side, scored as read in their
        list (retrieve/lead_ins.py)."""
        n = tuning.LIST_CONTEXT_CANDIDATES
        near = {r for r, _ in sorted(dense, key=lambda x: -x[1])[:n]} | {r for r, _ in lexical[:n]}
        return self.in_lists.raised(dense, vector, self._hub_share, near)

    def _lexical_text_at(self, position: int) -> str:
        """The text BM25 read at a position of this searcher's lexical index."""
        row = position if self.rows is None else int(self.rows[position])
        return lexical_text(self.passages[row])

    def _in_named_sections(
        self,
        dense: list[tuple[int, float]],
        vector: np.ndarray,
        topic: Topic,
        allowed: np.ndarray | None,
    ) -> list[tuple[int, float]]:
        # The topic's rows are the view's already (its sections are made from them).
        if allowed is None or allowed is self.rows:
            rows = topic.rows
        else:
            rows = np.intersect1d(topic.rows, allowed)
        if not len(rows):
            return dense
        whole = dict(self.dense(vector, len(rows), rows))
        if not topic.rest:
            return blend(dense, whole, whole, tuning.SECTION_BONUS)
        rest = self.embedder.embed([self.glossary.expand(topic.rest)])[0]
        return blend(dense, whole, dict(self.dense(rest, len(rows), rows)), tuning.SECTION_BONUS)

    @functools.cached_property
    def coverage(self) -> Coverage:
        """The bars for "not covered", from how the calibration questions score here."""
        if not tuning.CALIBRATED:
            return Coverage.fixed()
        questions = calibration_questions()
        searched = [self.understood(q)[1] for q in questions]
        asked = calibration_vectors(self.embedder, tuple(searched))
        rows = range(len(self.passages)) if self.rows is None else self.rows.tolist()
        return Coverage.measured(
            searched,
            asked,
            lambda v, k: vectors.search(
                self.index.faiss_index, v, k, self.rows, prepared=self._selector
            ),
            lambda q: self.lexical.best_match(self.lexical.terms(q)),
            Counter(self.passages[row].document for row in rows),
            lambda row: self.passages[row].document,
        )

    def understood(self, query: str) -> tuple[str, str]:
        """(the question with misspelt words put right, that with acronyms spelled out):
        what is searched, as questions and the calibration questions alike are read."""
        searched = self.speller.correct(query)
        return searched, self.glossary.expand(searched)

    def _dense_top(self, vector: np.ndarray) -> tuple[int, float]:
        """The best passage's own cosine (not its best sentence's): a short sentence comes
        closer to anything, and on the summary alone that let office questions through
        (held-out off-topic declined 0.889 with it, 0.833 by the best sentence)."""
        found = vectors.search(
            self.index.faiss_index, vector, 1, self.rows, prepared=self._selector
        )
        return found[0] if found else (-1, 0.0)


def open_searcher(settings: Settings) -> Searcher:
    """The served index with the query path the service uses (the ONNX model when the index
    has one; sentence-transformers is loaded only when it has not)."""
    from search.index.open import LazyEmbedder, query_embedder
    from search.index.store import load_index

    embedder = query_embedder(settings, fallback=LazyEmbedder(settings))
    index = load_index(settings.index_dir, embedder.name, embedder.dimension)
    return Searcher(index, embedder, settings.glossary)
