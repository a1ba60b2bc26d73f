"""Build-time embedding without torch: the index's float32 ONNX graph on every core.

`build` exports the model first (search/embed/export.py), or links the previous index's
export, and then embeds passages and sentences with the float32 graph of that export,
the one that agrees with sentence-transformers to cosine 1.0000 (the 8-bit query graph
drifts to 0.982 on some passages, measured on the guidance collection, so it is kept for
queries only). Texts are tokenised once, sorted by token length and cut into batches, so
a batch pads to its own longest text, not the corpus's; the vectors come back in the
order the texts were given. Batches run on a pool of one worker per core, each on one
onnxruntime thread (docs/scaling.md has the measurements behind these choices).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from search.embed.base import normalise
from search.errors import IndexCorrupt

# Texts per onnxruntime run, measured on 400 guidance passages (2-core AVX2 EPYC, load
# 1.4, two runs): 1: 184/183, 4: 207/207, 8: 193/200, 16: 181/178 texts/s (torch: about
# 160). Batches of texts of about one length pad little; larger ones gain nothing more.
BATCH = 4


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class OnnxBatchEmbedder:
    """The Embedder interface over an ONNX graph, for many texts at once (building)."""

    def __init__(
        self,
        model_path: Path,
        tokenizer_path: Path,
        name: str,
        max_length: int,
        workers: int | None = None,
        batch: int = BATCH,
    ) -> None:
        from tokenizers import Tokenizer

        try:
            self._session: Any = _session(model_path)
            self._tokenizer: Any = Tokenizer.from_file(str(tokenizer_path))
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise IndexCorrupt(f"{model_path}: unusable ONNX export ({exc})") from exc
        self._tokenizer.enable_truncation(max_length)
        self._tokenizer.no_padding()  # each batch is padded to its own longest text
        pad = self._tokenizer.token_to_id("[PAD]")
        self._pad = 0 if pad is None else int(pad)
        self._output = self._session.get_outputs()[0].name
        self.workers = workers or cores()
        self.batch = max(1, batch)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="embed")
        self.name = name
        self.dimension = int(self._run([self._tokenizer.encode("dimension probe")]).shape[1])

    def _run(self, encodings: Sequence[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self._pad, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        out = self._session.run([self._output], {"input_ids": ids, "attention_mask": mask})
        return np.asarray(out[0], dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, getattr(self, "dimension", 0)), dtype=np.float32)
        encodings = self._tokenizer.encode_batch([t.strip() for t in texts])
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        batches = [order[i : i + self.batch] for i in range(0, len(order), self.batch)]
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        runs = self._pool.map(lambda rows: self._run([encodings[i] for i in rows]), batches)
        for rows, vectors in zip(batches, runs, strict=True):
            out[rows] = vectors
        return normalise(out)

    def close(self) -> None:
        """Stop the worker threads (the session goes with the object)."""
        self._pool.shutdown(wait=True)


def _session(model_path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # One thread per run, one run per core: the pool keeps every core busy without
    # onnxruntime's threads and the pool's contending for the same cores.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
