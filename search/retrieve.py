"""Find the passages that answer a question: dense search over the FAISS index, with filters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from search import vectors
from search.chunk import KINDS, Passage
from search.embed import Embedder
from search.errors import InvalidQuery
from search.index import LoadedIndex


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float


class Searcher:
    """Everything a query needs, loaded once: the index, its passages and the embedder."""

    def __init__(self, index: LoadedIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        self.passages = index.passages
        self.sections = tuple(dict.fromkeys(p.section for p in self.passages))
        self._section_key = {s.casefold(): s for s in self.sections}

    def resolve_filters(
        self, section: str | None, kind: str | None
    ) -> tuple[str | None, str | None]:
        """Canonical section and kind, or InvalidQuery naming the valid values."""
        if kind is not None:
            kind = kind.strip().lower()
            if kind not in KINDS:
                raise InvalidQuery(f"unknown kind {kind!r}; valid kinds: {', '.join(KINDS)}")
        if section is not None:
            found = self._section_key.get(section.strip().casefold())
            if found is None:
                raise InvalidQuery(
                    f"unknown section {section!r}; valid sections: {'; '.join(self.sections)}"
                )
            section = found
        return section, kind

    def allowed(self, section: str | None, kind: str | None) -> np.ndarray | None:
        """Row numbers that pass the filters, or None when nothing is filtered."""
        if section is None and kind is None:
            return None
        return np.array(
            [
                i
                for i, p in enumerate(self.passages)
                if (section is None or p.section == section) and (kind is None or p.kind == kind)
            ],
            dtype=np.int64,
        )

    def dense(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        """Rows and cosine scores of the k nearest passages among the allowed ones."""
        return vectors.search(self.index.faiss_index, vector, k, allowed)

    def search(
        self, query: str, k: int = 5, section: str | None = None, kind: str | None = None
    ) -> list[Hit]:
        section, kind = self.resolve_filters(section, kind)
        vector = self.embedder.embed([query])[0]
        ranked = self.dense(vector, k, self.allowed(section, kind))
        return [Hit(self.passages[row], score) for row, score in ranked]
