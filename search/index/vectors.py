"""The vector index: exact (flat) for small corpora, approximate from measured sizes on.

All score by inner product over L2-normalised vectors, i.e. cosine similarity. The
thresholds and parameters come from bench/ann.py (README, Performance), on Gaussian vectors
with the mean and covariance of real passage vectors (no cluster structure: a hard case):

- up to HNSW_THRESHOLD passages, exact search takes a millisecond or two: exactness is free;
- then HNSW (M 32, efSearch 256): about a millisecond and recall@10 0.97 at 30k;
- from IVF_THRESHOLD on, an inverted file of 4-bit product-quantised codes scanned with
  SIMD ("fast scan"), whose best RERANKED candidates (100 per result for k 10) are re-ranked with
  exact scores from the stored vectors. At 100k it beat HNSW in the same run on all three
  counts (recall@10 0.972 against 0.963, 1.2 ms against 10.7 ms, built in 284 s against
  435 s); at 1M HNSW took 46 minutes to build and reached only 0.93 at efSearch 512.
"""

from __future__ import annotations

import math
import mmap
from typing import Any

import faiss
import numpy as np

HNSW_THRESHOLD = 20_000
HNSW_M = 32  # graph neighbours per node
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256  # candidates examined per query
IVF_THRESHOLD = 100_000
IVF_PROBE_SHARE = 0.25  # of the lists, searched per query
PQ_DIMS_PER_CODE = 2  # 4-bit codes over pairs of dimensions: 192 bytes a 384-d vector
CANDIDATES_PER_RESULT = 100  # k_factor: approximate candidates re-ranked exactly...
RERANKED = 1_000  # ...but no more than needed for this many in all (k 10: 100 per result)
TRAIN_PER_LIST = 40  # training vectors per inverted list (FAISS warns below 39)
# A filter that leaves this few passages is answered exactly over just those passages.
EXACT_FILTER_LIMIT = 20_000
ADD_CHUNK = 16_384  # rows handed to FAISS at a time


def make_index(
    vectors: np.ndarray, hnsw_threshold: int | None = None, ivf_threshold: int | None = None
) -> faiss.Index:
    """A FAISS index over the rows of `vectors`: flat, then HNSW, then IVF-PQ re-ranked."""
    if not isinstance(vectors, np.memmap):  # a mapped file is read a chunk at a time
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dimension = vectors.shape
    if hnsw_threshold is None:
        hnsw_threshold = HNSW_THRESHOLD
    if ivf_threshold is None:
        ivf_threshold = IVF_THRESHOLD
    index: faiss.Index
    if n >= ivf_threshold and dimension % PQ_DIMS_PER_CODE == 0:
        return _ivf_pq(vectors)
    if n >= hnsw_threshold:
        index = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dimension)
    _add(index, vectors)
    return index


def _add(index: faiss.Index, vectors: np.ndarray) -> None:
    """Add rows a chunk at a time; rows read from a file (a build's vectors.npy) are let go
    of after each chunk, so a build holds FAISS's copy of the vectors, not two."""
    for start in range(0, len(vectors), ADD_CHUNK):
        index.add(np.ascontiguousarray(vectors[start : start + ADD_CHUNK], dtype=np.float32))
        _release(vectors)


def _release(vectors: np.ndarray) -> None:
    """Drop a memory-mapped file's pages from this process (they stay in the page cache)."""
    mapped = getattr(vectors, "_mmap", None)  # numpy's own handle on the mapping
    if isinstance(mapped, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        mapped.madvise(mmap.MADV_DONTNEED)


def ivf_lists(n: int) -> int:
    """About sqrt(n) lists, so a list and the list of centroids cost about the same to scan."""
    return max(1, min(n // TRAIN_PER_LIST, round(math.sqrt(n))))


def _ivf_pq(vectors: np.ndarray) -> faiss.Index:
    n, dimension = vectors.shape
    lists = ivf_lists(n)
    codes = dimension // PQ_DIMS_PER_CODE
    index = faiss.index_factory(
        dimension, f"IVF{lists},PQ{codes}x4fs,RFlat", faiss.METRIC_INNER_PRODUCT
    )
    # A seeded sample: the same vectors always give the same index.
    rng = np.random.default_rng(0)
    sample = min(n, lists * TRAIN_PER_LIST * 4)
    index.train(vectors[np.sort(rng.choice(n, sample, replace=False))])
    _release(vectors)
    _add(index, vectors)
    ivf = faiss.extract_index_ivf(index)
    ivf.nprobe = max(1, round(lists * IVF_PROBE_SHARE))
    refined: Any = index
    refined.k_factor = CANDIDATES_PER_RESULT  # IndexRefine's own; the stubs type it as Index
    return index


def kind_of(index: faiss.Index) -> str:
    if isinstance(index, faiss.IndexRefine):
        return "ivfpq"
    return "hnsw" if isinstance(index, faiss.IndexHNSW) else "flat"


class RowSelector:
    """A set of rows searched again and again (a view's), as a bitmap FAISS tests in one
    step: cheaper than the hash set made for a one-off filter, and made once."""

    def __init__(self, rows: np.ndarray, total: int) -> None:
        mask = np.zeros(total, dtype=bool)
        mask[rows] = True
        self.rows = rows
        self._bits = np.packbits(mask, bitorder="little")  # FAISS reads bit i of byte i//8
        self.selector = faiss.IDSelectorBitmap(total, faiss.swig_ptr(self._bits))


def search(
    index: faiss.Index,
    query: np.ndarray,
    k: int,
    allowed: np.ndarray | None = None,
    ef_search: int = HNSW_EF_SEARCH,
    probe_share: float | None = None,
    prepared: RowSelector | None = None,
) -> list[tuple[int, float]]:
    """Rows and scores of the k best rows among `allowed` (all when None), best first.

    ef_search (HNSW) and probe_share (IVF) override the index's own setting; prepared is
    a RowSelector of exactly the allowed rows, when the caller keeps one.
    """
    if allowed is not None and len(allowed) == 0:
        return []
    k = min(k, index.ntotal if allowed is None else len(allowed))
    if k <= 0:
        return []
    query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    approximate = isinstance(index, faiss.IndexHNSW | faiss.IndexRefine)
    if approximate and allowed is not None and len(allowed) <= EXACT_FILTER_LIMIT:
        return _exact_subset(index, query, k, allowed)
    # Held here so the selector outlives the search (the parameters do not own it).
    selector = None
    if allowed is not None:
        selector = prepared.selector if prepared is not None else faiss.IDSelectorBatch(allowed)
    params: Any = None
    if isinstance(index, faiss.IndexHNSW):
        params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]  # missing in stubs
        # A filter leaves fewer good candidates per step: look at more, in proportion.
        share = 1.0 if allowed is None else len(allowed) / index.ntotal
        params.efSearch = max(k, int(ef_search / max(share, 1 / 16)))
        if selector is not None:
            params.sel = selector
    elif isinstance(index, faiss.IndexRefine):
        params = _refine_params(index, k, selector, probe_share)
    elif selector is not None:
        params = faiss.SearchParameters()
        params.sel = selector
    scores, rows = index.search(query, k, params=params)
    # FAISS pads short result lists with -1 rows.
    found = [(r, s) for r, s in zip(rows[0].tolist(), scores[0].tolist(), strict=True) if r >= 0]
    if approximate and len(found) < k and allowed is None and index.ntotal <= EXACT_FILTER_LIMIT:
        # Too few candidates: a small index whose probed lists hold fewer than k rows, or
        # rows the 4-bit codes cannot tell from "no match". Exact search is cheap there.
        return _exact_subset(index, query, k, np.arange(index.ntotal))
    return found


def _refine_params(index: Any, k: int, selector: Any, probe_share: float | None) -> Any:
    ivf = faiss.extract_index_ivf(index)
    inner = faiss.SearchParametersIVF()
    inner.nprobe = ivf.nprobe if probe_share is None else max(1, round(ivf.nlist * probe_share))
    if selector is not None:
        # Filtered rows drop out while the lists are scanned; the re-rank sees only allowed ones.
        inner.sel = selector
    params = faiss.IndexRefineSearchParameters()
    # At least RERANKED candidates: a large k (fusion asks for 50) needs fewer per result.
    params.k_factor = max(2.0, min(float(index.k_factor), RERANKED / k))
    params.base_index_params = inner
    return params


def cosines(index: faiss.Index, query: np.ndarray, rows: np.ndarray) -> list[tuple[int, float]]:
    """The exact score of each given row, best first."""
    query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    return _exact_subset(index, query, len(rows), rows)


def _exact_subset(
    index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray
) -> list[tuple[int, float]]:
    rows = np.asarray(allowed, dtype=np.int64)
    scores = index.reconstruct_batch(rows) @ query[0]
    best = np.argsort(-scores, kind="stable")[:k]
    return [(int(rows[i]), float(scores[i])) for i in best]
