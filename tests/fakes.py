"""A deterministic stand-in for the sentence-transformers model.

Words are hashed into a fixed number of dimensions, so texts that share words are close:
enough for ranking tests to mean something, with no model to load. And an executor that
runs a sharded build's shards in this process, and a searcher over one document.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from search.embed.base import normalise

if TYPE_CHECKING:
    from search.retrieve.searcher import Searcher

T = TypeVar("T")
_WORD = re.compile(r"[a-z0-9]+")
# Function words would swamp the few content words a short query has.
_SKIP = frozenset(
    "the and that this with from were was have had has which their there they for "
    "are but not all any can may one our out who what when how".split()
)


class FakeEmbedder:
    def __init__(self, dimension: int = 256, name: str = "fake-hash") -> None:
        self.dimension = dimension
        self.name = name
        self.calls = 0
        self.texts_embedded = 0

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dimension, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            if len(word) < 3 or word in _SKIP:
                continue
            digest = hashlib.md5(word[:6].encode()).digest()
            slot = int.from_bytes(digest[:4], "little") % self.dimension
            vec[slot] += 1.0
        if not vec.any():
            vec[0] = 1.0
        return vec

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return normalise(np.stack([self._vector(t) for t in texts]))


class InProcessExecutor(Executor):
    """Runs each job at once, in this process: sharded builds in turn, with fakes that
    need not pickle (search.index.shards otherwise spawns a process per shard)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def searcher_of(folder: Path, name: str, text: str) -> Searcher:
    """A searcher, with the fake embedder, over one document: folder/corpus/name holding
    text, built into folder/idx."""
    from search.index.build import build_index
    from search.index.store import load_index
    from search.retrieve.searcher import Searcher

    corpus = folder / "corpus"
    corpus.mkdir()
    (corpus / name).write_text(text, encoding="utf-8")
    fake = FakeEmbedder()
    build_index(corpus, folder / "idx", fake)
    return Searcher(load_index(folder / "idx"), fake)
