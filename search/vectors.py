"""The vector index: exact (flat) for small corpora, HNSW from a measured size on.

Both score by inner product over L2-normalised vectors, i.e. cosine similarity. The
threshold and the HNSW parameters come from bench/ann.py (README, Performance): up to
HNSW_THRESHOLD passages exact search takes a millisecond or two, so exactness costs nothing;
beyond it, flat search grows linearly (about 20 ms at 100k, 220 ms at 1M on a loaded
2-core machine) while HNSW stays at a few milliseconds. Recall@10 on Gaussian vectors
shaped like real ones (a hard case for graphs): 0.995 at 10k and 0.946 at 100k with
efSearch 192, 0.93 at 1M with 512.
"""

from __future__ import annotations

import faiss
import numpy as np

HNSW_THRESHOLD = 20_000
HNSW_M = 32  # graph neighbours per node
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256  # candidates examined per query
# A filter that leaves this few passages is answered exactly over just those passages.
EXACT_FILTER_LIMIT = 20_000


def make_index(vectors: np.ndarray, hnsw_threshold: int | None = None) -> faiss.Index:
    """A FAISS index over the rows of `vectors`, HNSW from HNSW_THRESHOLD rows on."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dimension = vectors.shape
    if hnsw_threshold is None:
        hnsw_threshold = HNSW_THRESHOLD
    index: faiss.Index
    if n >= hnsw_threshold:
        index = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dimension)
    index.add(vectors)
    return index


def kind_of(index: faiss.Index) -> str:
    return "hnsw" if isinstance(index, faiss.IndexHNSW) else "flat"


def search(
    index: faiss.Index,
    query: np.ndarray,
    k: int,
    allowed: np.ndarray | None = None,
    ef_search: int = HNSW_EF_SEARCH,
) -> list[tuple[int, float]]:
    """Rows and scores of the k best rows among `allowed` (all when None), best first."""
    if allowed is not None and len(allowed) == 0:
        return []
    k = min(k, index.ntotal if allowed is None else len(allowed))
    if k <= 0:
        return []
    query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
    # Held here so the selector outlives the search (the parameters do not own it).
    selector = None if allowed is None else faiss.IDSelectorBatch(allowed)
    if isinstance(index, faiss.IndexHNSW):
        if allowed is not None and len(allowed) <= EXACT_FILTER_LIMIT:
            return _exact_subset(index, query, k, allowed)
        params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]  # missing in stubs
        # A filter leaves fewer good candidates per step: look at more, in proportion.
        share = 1.0 if allowed is None else len(allowed) / index.ntotal
        params.efSearch = max(k, int(ef_search / max(share, 1 / 16)))
        if selector is not None:
            params.sel = selector
    else:
        params = None
        if selector is not None:
            params = faiss.SearchParameters()
            params.sel = selector
    scores, rows = index.search(query, k, params=params)
    # FAISS pads short result lists with -1 rows.
    return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]


def _exact_subset(
    index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray
) -> list[tuple[int, float]]:
    rows = np.asarray(allowed, dtype=np.int64)
    scores = index.reconstruct_batch(rows) @ query[0]
    best = np.argsort(-scores, kind="stable")[:k]
    return [(int(rows[i]), float(scores[i])) for i in best]
