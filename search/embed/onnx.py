"""Query-time embedding without torch: the index's ONNX export run by onnxruntime.

The export (search/embed/export.py, at build time) is one graph: transformer, pooling and
L2 normalisation, so this module only tokenises (the `tokenizers` package) and runs it.
Importing this module is cheap; onnxruntime and tokenizers load when an embedder is made.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from search.embed.base import Embedder, normalise
from search.errors import IndexCorrupt
from search.model import QueryModel

log = logging.getLogger("search.onnx")
ONNX_DIR = "onnx"
# One thread per inference while other queries run: then the other cores are better spent
# on those. A query that runs alone gets `idle_threads` (SEARCH_IDLE_THREADS): splitting a
# 10-token query over two cores takes about a third off its time (README, Performance).
INTRA_OP_THREADS = 1


class OnnxEmbedder:
    """The Embedder interface over an index's ONNX export."""

    def __init__(self, index_dir: Path, spec: QueryModel, name: str, idle_threads: int = 1) -> None:
        from tokenizers import Tokenizer

        model_path = index_dir / spec.model_file
        tokenizer_path = index_dir / spec.tokenizer_file
        try:
            self._session: Any = _session(model_path, INTRA_OP_THREADS)
            self._tokenizer: Any = Tokenizer.from_file(str(tokenizer_path))
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise IndexCorrupt(f"{model_path}: unusable ONNX export ({exc})") from exc
        self._running = 0
        self._lock = threading.Lock()
        # A second session of the same model, for a query that has the process to itself.
        # Made beside the start-up rather than in it; until it is there, the first serves.
        # Not a daemon: a process that exits while onnxruntime is still making the session
        # would abort ("terminate called without an active exception"), so exit waits for it.
        self._alone: Any = None
        if idle_threads > 1:
            threading.Thread(target=self._open_alone, args=(model_path, idle_threads)).start()
        self._tokenizer.enable_truncation(spec.max_length)
        if self._tokenizer.padding is None:  # the export saves it; older files may lack it
            self._tokenizer.enable_padding()
        self._output = self._session.get_outputs()[0].name
        self.spec = spec
        self.name = name
        self.dimension = int(self.embed(["dimension probe"]).shape[1])

    def _open_alone(self, model_path: Path, threads: int) -> None:
        try:
            self._alone = _session(model_path, threads)
        except Exception as exc:  # onnxruntime raises its own untyped errors
            log.warning("no %d-thread session (%s); every query runs on one thread", threads, exc)

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        with self._lock:
            alone = self._running == 0 and self._alone is not None
            self._running += 1
        try:
            session = self._alone if alone else self._session
            out = session.run([self._output], {"input_ids": ids, "attention_mask": mask})
        finally:
            with self._lock:
                self._running -= 1
        return np.asarray(out[0], dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, getattr(self, "dimension", 0)), dtype=np.float32)
        # One text per run, never a padded batch: 8-bit activations are scaled by the range
        # of the whole input, so batch neighbours would shift each other's vectors (by up to
        # 0.015 cosine, measured). Queries come one at a time anyway.
        return normalise(np.vstack([self._run([t.strip()]) for t in texts]))


def _session(model_path: Path, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    # Idle worker threads spinning would steal the core another request needs.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])


class CachedEmbedder:
    """Remembers the vectors of recent texts, so a repeated query skips the model.

    Least recently used entries go first; safe to share between request threads.
    """

    def __init__(self, inner: Embedder, size: int) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.size = size
        self.hits = 0
        self.misses = 0
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        found: dict[int, np.ndarray] = {}
        with self._lock:
            for i, text in enumerate(texts):
                vector = self._cache.get(text)
                if vector is not None:
                    self._cache.move_to_end(text)
                    found[i] = vector
            self.hits += len(found)
            self.misses += len(texts) - len(found)
        missing = [i for i in range(len(texts)) if i not in found]
        if missing:
            fresh = self.inner.embed([texts[i] for i in missing])
            with self._lock:
                for i, vector in zip(missing, fresh, strict=True):
                    vector = vector.copy()
                    vector.flags.writeable = False  # shared between requests
                    found[i] = vector
                    self._cache[texts[i]] = vector
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[i] for i in range(len(texts))])
