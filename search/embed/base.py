"""Text to vectors. One method, so tests can swap in a deterministic fake."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from search.errors import IndexMismatch

if TYPE_CHECKING:
    from search.model import QueryModel


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class QueryModelExporter(Protocol):
    """An embedder that can leave a faster, torch-free copy of itself in an index folder."""

    def export_query_model(
        self,
        index_dir: Path,
        texts: Sequence[str],
        previous: tuple[Path, QueryModel] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> QueryModel | None: ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32 (a zero row stays zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def vector_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def embed_in_batches(
    embedder: Embedder,
    texts: Sequence[str],
    batch: int = 256,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Embed in slices so long builds can report how far they are."""
    parts = []
    for i in range(0, len(texts), batch):
        parts.append(np.asarray(embedder.embed(texts[i : i + batch]), dtype=np.float32))
        if progress:
            progress(min(i + batch, len(texts)), len(texts))
    if not parts:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)


def embed_cached(
    embedder: Embedder,
    texts: Sequence[str],
    cache: dict[str, np.ndarray],
    progress: Callable[[int, int], None] | None,
) -> tuple[np.ndarray, list[str], int]:
    """Vectors for texts, embedding only those not in the cache (each distinct text once)."""
    keys = [vector_key(t) for t in texts]
    missing = list(dict.fromkeys(k for k in keys if k not in cache))
    text_of = dict(zip(keys, texts, strict=True))
    fresh = embed_in_batches(embedder, [text_of[k] for k in missing], progress=progress)
    if fresh.shape != (len(missing), embedder.dimension):
        raise IndexMismatch(
            f"embedder returned shape {fresh.shape}, expected {(len(missing), embedder.dimension)}"
        )
    fresh_of = dict(zip(missing, fresh, strict=True))
    out = np.zeros((len(keys), embedder.dimension), dtype=np.float32)
    for i, k in enumerate(keys):
        out[i] = fresh_of[k] if k in fresh_of else cache[k]
    return out, keys, len(missing)


def count_missing(texts: Sequence[str], cache: dict[str, np.ndarray]) -> int:
    """How many distinct texts embed_cached would have to embed."""
    return len({k for k in map(vector_key, texts) if k not in cache})


def shifted(
    progress: Callable[[int, int], None] | None, offset: int, total: int
) -> Callable[[int, int], None] | None:
    """A progress callback for one part of a longer job: counts offset and total of the whole."""
    if progress is None:
        return None
    return lambda done, _total: progress(offset + done, total)
