"""The answerable units of passages (sentences, or a statistic's 'label: figure') and their
vectors, embedded at build time by the model that embeds the passages.

Stored in the index folder as two plain files, one row per distinct unit text: the vectors
(float32, L2-normalised) and the sha256 of each text. At query time the answerer compares
the question to these rows instead of embedding a few dozen sentences per request with the
(8-bit) query model: faster, and as faithful as the build model. An index without them
(built before they existed) still answers; its sentences are embedded per request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search.chunk.text import answer_units
from search.embed.base import Embedder, embed_cached, vector_key
from search.errors import IndexCorrupt
from search.index.stream import save_npy
from search.model import Passage

SENTENCES = "sentences.npy"  # row i: the vector of the unit whose sha256 is keys[i]
SENTENCE_KEYS = "sentence_keys.npy"


@dataclass(frozen=True)
class SentenceVectors:
    """Unit vectors by the sha256 of the unit's text."""

    keys: tuple[str, ...]
    vectors: np.ndarray  # (len(keys), dimension) float32
    rows: Mapping[str, int]

    @classmethod
    def of(cls, keys: Sequence[str], vectors: np.ndarray) -> SentenceVectors:
        return cls(tuple(keys), vectors, {k: i for i, k in enumerate(keys)})

    def lookup(self, texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """Vectors of the texts that are stored (zeros elsewhere), and the missing positions."""
        out = np.zeros((len(texts), self.vectors.shape[1]), dtype=np.float32)
        missing = []
        for i, text in enumerate(texts):
            row = self.rows.get(vector_key(text))
            if row is None:
                missing.append(i)
            else:
                out[i] = self.vectors[row]
        return out, missing

    def as_cache(self) -> dict[str, np.ndarray]:
        """For a rebuild: vectors it need not embed again."""
        return {k: self.vectors[i] for i, k in enumerate(self.keys)}


def unit_texts(passages: Iterable[Passage]) -> list[str]:
    """Each distinct unit text of the passages, in order of first appearance."""
    return list(dict.fromkeys(text for p in passages for text, _, _ in answer_units(p)))


def embed_units(
    embedder: Embedder,
    passages: Sequence[Passage],
    previous: Mapping[str, np.ndarray],
    progress: Callable[[int, int], None] | None = None,
) -> tuple[SentenceVectors, int]:
    """Vectors for every unit of the passages, reusing previous ones by content hash."""
    texts = unit_texts(passages)
    vectors, keys, embedded = embed_cached(embedder, texts, dict(previous), progress)
    return SentenceVectors.of(keys, vectors), embedded


def save(folder: Path, store: SentenceVectors) -> tuple[str, str]:
    save_npy(folder / SENTENCES, store.vectors)
    np.save(folder / SENTENCE_KEYS, np.array(store.keys, dtype="S64"))
    return SENTENCES, SENTENCE_KEYS


def load(folder: Path, dimension: int) -> SentenceVectors | None:
    """The stored unit vectors, or None for an index built before they were stored."""
    if not (folder / SENTENCES).exists() and not (folder / SENTENCE_KEYS).exists():
        return None
    try:
        keys = np.load(folder / SENTENCE_KEYS, allow_pickle=False)
        vectors = np.load(folder / SENTENCES, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"{folder / SENTENCES}: unreadable ({exc})") from exc
    if vectors.ndim != 2 or vectors.shape != (len(keys), dimension):
        raise IndexCorrupt(
            f"{folder / SENTENCES}: shape {vectors.shape}, expected ({len(keys)}, {dimension})"
        )
    return SentenceVectors.of([k.decode() for k in keys.tolist()], vectors)
