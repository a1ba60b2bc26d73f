"""Embedding straight to disk: vectors are written to a .npy file chunk by chunk as they are
made, so a build holds one chunk of fresh vectors at a time, not the whole collection's.

The file is an ordinary .npy (its header written first, for the final shape), read back
with np.load like any other. Vectors of texts embedded before come from a cache (the
previous index's rows, by the sha256 of the text), so only new texts reach the model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from search.embed.base import Embedder, vector_key
from search.errors import IndexMismatch

# Texts per call of the embedder: a chunk's vectors are what a build holds in memory.
CHUNK = 1024


class NpyAppender:
    """A float32 .npy file of a known shape, written row by row in order. As a context
    manager it is closed (and checked complete) on success, and only closed on an error."""

    def __init__(self, path: Path, rows: int, dimension: int) -> None:
        self.path = path
        self.shape = (rows, dimension)
        self.written = 0
        self._fh = open(path, "wb")  # noqa: SIM115 - closed by close(), also on error
        header = {"descr": "<f4", "fortran_order": False, "shape": self.shape}
        np.lib.format.write_array_header_1_0(self._fh, header)

    def append(self, rows: np.ndarray) -> None:
        rows = np.ascontiguousarray(rows, dtype="<f4")
        if rows.ndim != 2 or rows.shape[1] != self.shape[1]:
            raise IndexMismatch(f"rows of shape {rows.shape}, expected (*, {self.shape[1]})")
        if self.written + len(rows) > self.shape[0]:
            raise IndexMismatch(f"{self.path}: more than {self.shape[0]} rows")
        self._fh.write(rows.tobytes())
        self.written += len(rows)

    def __enter__(self) -> NpyAppender:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def abort(self) -> None:
        self._fh.close()

    def close(self) -> None:
        self._fh.close()
        if self.written != self.shape[0]:
            raise IndexMismatch(f"{self.path}: {self.written} rows of {self.shape[0]} written")


def save_npy(path: Path, array: np.ndarray) -> None:
    """np.save as float32, unless the array is that very file already (written in place)."""
    source = getattr(array, "filename", None)
    if source is not None and path.exists() and Path(source).resolve() == path.resolve():
        return
    np.save(path, np.ascontiguousarray(array, dtype=np.float32))


def embed_to_npy(
    embedder: Embedder,
    texts: Sequence[str],
    cache: Mapping[str, np.ndarray],
    path: Path,
    progress: Callable[[int], None] | None = None,
    chunk: int = CHUNK,
) -> tuple[list[str], int]:
    """Write the vector of each text, in order, to a .npy file at path.

    Texts whose sha256 is in the cache take their vector from it; each other distinct text
    is embedded once. progress(n) is told how many texts each chunk embedded. Returns the
    texts' keys and how many texts were embedded.
    """
    keys = [vector_key(t) for t in texts]
    # Fresh vectors are kept past their chunk only for texts that come again later.
    repeats = {k for k, n in Counter(keys).items() if n > 1}
    fresh: dict[str, np.ndarray] = {}
    embedded = 0
    with NpyAppender(path, len(texts), embedder.dimension) as out:
        for start in range(0, len(texts), chunk):
            part = keys[start : start + chunk]
            first: dict[str, int] = {}
            for i, k in enumerate(part, start):
                if k not in cache and k not in fresh and k not in first:
                    first[k] = i
            missing = list(first)
            if missing:
                vectors = np.asarray(
                    embedder.embed([texts[first[k]] for k in missing]), dtype=np.float32
                )
                if vectors.shape != (len(missing), embedder.dimension):
                    raise IndexMismatch(
                        f"embedder returned shape {vectors.shape}, expected "
                        f"{(len(missing), embedder.dimension)}"
                    )
                now = dict(zip(missing, vectors, strict=True))
                embedded += len(missing)
                if progress:
                    progress(len(missing))
            else:
                now = {}
            rows = np.stack([now[k] if k in now else fresh[k] if k in fresh else cache[k]
                             for k in part])  # fmt: skip
            out.append(rows)
            fresh.update((k, v) for k, v in now.items() if k in repeats)
    return keys, embedded
