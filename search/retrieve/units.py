"""Scoring a passage by its best sentence as well as by its whole text.

A long paragraph's one vector blurs the sentence that answers a question ("Stage One should
take no more than two months" inside eight lines on the stages of approval). The index
already holds a vector per sentence (search.index.sentences, made for the answers), so the
dense candidates are re-scored with the closest of their sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from search.chunk.text import answer_units
from search.embed.base import vector_key
from search.index.sentences import SentenceVectors
from search.model import Passage


@dataclass(frozen=True)
class UnitTable:
    """For each passage row, the rows of its sentences in the index's sentence vectors:
    rows[starts[i]:starts[i + 1]] belong to passage i."""

    starts: np.ndarray  # (passages + 1,) int64
    rows: np.ndarray  # int64, into vectors
    vectors: np.ndarray  # the index's sentence vectors (SentenceVectors.vectors), mapped

    @classmethod
    def of(cls, passages: Sequence[Passage], store: SentenceVectors) -> UnitTable:
        counts = np.zeros(len(passages), dtype=np.int64)
        rows: list[int] = []
        for i, p in enumerate(passages):
            # A statistic's unit is its label and figure alone: shorter than the passage,
            # not a part of it, so it says less than the passage's own vector.
            if p.kind == "statistic":
                continue
            found = [store.rows.get(vector_key(text)) for text, _, _ in answer_units(p)]
            mine = [r for r in found if r is not None]
            counts[i] = len(mine)
            rows += mine
        starts = np.zeros(len(passages) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        return cls(starts, np.array(rows, dtype=np.int64), store.vectors)


def best_sentence(
    found: list[tuple[int, float]],
    vector: np.ndarray,
    table: UnitTable,
    margin: float,
) -> list[tuple[int, float]]:
    """The candidates (row, cosine) re-scored as the larger of their own cosine and their
    best sentence's less margin, best first."""
    if not found:
        return found
    spans = [(int(table.starts[row]), int(table.starts[row + 1])) for row, _ in found]
    wanted = np.unique(np.concatenate([table.rows[a:b] for a, b in spans]))
    if not len(wanted):
        return found
    # Sorted rows: the vectors may be memory-mapped, and are read in file order.
    cosines = np.asarray(table.vectors[wanted] @ vector, dtype=np.float64)
    cosine_of = dict(zip(wanted.tolist(), cosines.tolist(), strict=True))
    out = []
    for (row, score), (a, b) in zip(found, spans, strict=True):
        mine = [cosine_of[r] for r in table.rows[a:b].tolist()]
        out.append((row, max(score, max(mine) - margin) if mine else score))
    out.sort(key=lambda x: -x[1])
    return out
