"""Hubs: passages that sit close to almost everything.

In a space of sentence vectors some points are near most others (Radovanović et al. 2010,
"Hubs in space"): a general passage ("Local authorities should provide services that
consider the welfare of the care leaver ...", a document's introduction) comes close to
every question about its field, and outranks the passage that answers. How much of a hub a
passage is shows without any question: its mean cosine to its nearest neighbours in the
index. The dense side takes a share of that (less the index's mean) from each passage's
score, as CSLS does for word translation (Conneau et al. 2018, "Word translation without
parallel data").
"""

from __future__ import annotations

import faiss
import numpy as np

_CHUNK = 2048  # passages compared with the sample at a time (a chunk x sample matrix)


def hubness(
    index: faiss.Index, neighbours: int, sample: int, rows: np.ndarray | None = None
) -> np.ndarray:
    """Each passage's mean cosine to its `neighbours` nearest other passages, less the mean
    of that over the index (0 for a typical passage, above 0 for a hub); one score per row
    of the index.

    rows: the only passages that count (a view's), as if the index held no others; the rest
    score 0. Past `sample` of them the neighbours are looked for among an evenly spaced
    sample, so the cost stays linear in the index's size (tuning.HUB_SAMPLE: on SciFact's
    5,183 abstracts a sample of 4,096 gave nDCG@10 0.745 on the tune half, all of them
    0.743)."""
    n = int(index.ntotal)
    out = np.zeros(n, dtype=np.float32)
    seen = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    chosen = (
        seen if len(seen) <= sample else seen[np.linspace(0, len(seen) - 1, sample).astype(int)]
    )
    k = min(neighbours, len(chosen) - 1)
    if k <= 0:
        return out
    others = np.ascontiguousarray(index.reconstruct_batch(chosen), dtype=np.float32)
    for start in range(0, len(seen), _CHUNK):
        part = seen[start : start + _CHUNK]
        block = np.asarray(index.reconstruct_batch(part), dtype=np.float32) @ others.T
        # A passage is not its own neighbour.
        at = np.minimum(np.searchsorted(chosen, part), len(chosen) - 1)
        mine = np.flatnonzero(chosen[at] == part)
        block[mine, at[mine]] = -np.inf
        out[part] = -np.partition(-block, k - 1, axis=1)[:, :k].mean(axis=1)
    out[seen] -= float(out[seen].mean())
    return out
