"""Find the passages that answer a question: dense search over the FAISS index, with filters."""

from __future__ import annotations

from dataclasses import dataclass

import faiss
import numpy as np

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
        self.documents = {d.id: d for d in index.documents}

    def resolve_filters(
        self, section: str | None, kind: str | None, document: str | None = None
    ) -> tuple[str | None, str | None]:
        """Canonical section and kind, or InvalidQuery naming the valid values (also for an
        unknown document id)."""
        if document is not None and document not in self.documents:
            ids = list(self.documents)
            more = f" ... ({len(ids)} in all; GET /documents lists them)" if len(ids) > 30 else ""
            raise InvalidQuery(
                f"unknown document {document!r}; valid documents: {', '.join(ids[:30])}{more}"
            )
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

    def allowed(
        self, section: str | None, kind: str | None, document: str | None = None
    ) -> np.ndarray | None:
        """Row numbers that pass the filters, or None when nothing is filtered."""
        if section is None and kind is None and document is None:
            return None
        return np.array(
            [
                i
                for i, p in enumerate(self.passages)
                if (section is None or p.section == section)
                and (kind is None or p.kind == kind)
                and (document is None or p.document == document)
            ],
            dtype=np.int64,
        )

    def dense(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        """Rows and cosine scores of the k nearest passages among the allowed ones."""
        flat = self.index.faiss_index
        if allowed is not None and len(allowed) == 0:
            return []
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))  # type: ignore[call-arg]
        k = min(k, flat.ntotal if allowed is None else len(allowed))
        if k <= 0:
            return []
        query = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        scores, rows = flat.search(query, k, params=params)
        # FAISS pads short result lists with -1 rows.
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def search(
        self,
        query: str,
        k: int = 5,
        section: str | None = None,
        kind: str | None = None,
        document: str | None = None,
    ) -> list[Hit]:
        section, kind = self.resolve_filters(section, kind, document)
        vector = self.embedder.embed([query])[0]
        ranked = self.dense(vector, k, self.allowed(section, kind, document))
        return [Hit(self.passages[row], score) for row, score in ranked]
