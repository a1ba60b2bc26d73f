"""Fusing the dense and lexical candidate lists into one ranking."""

from __future__ import annotations

import numpy as np

from search import tuning


def minmax(values: np.ndarray) -> np.ndarray:
    """Scaled to [0, 1]; all equal: 1 where they are positive, else 0 (nothing stands out)."""
    span = float(values.max() - values.min()) if len(values) else 0.0
    if span <= 1e-9:
        flat = np.ones_like(values) if len(values) and values.max() > 0 else np.zeros_like(values)
        return np.asarray(flat)
    return np.asarray((values - values.min()) / span)


def fuse(
    dense: dict[int, float],
    lexical: dict[int, float],
    lexical_weight: float | None = None,
    method: str | None = None,
) -> list[tuple[int, float]]:
    """Combine two candidate lists (row -> score) into one ranking, best first."""
    lexical_weight = tuning.LEXICAL_WEIGHT if lexical_weight is None else lexical_weight
    method = method or tuning.FUSION
    rows = list(dict.fromkeys([*dense, *lexical]))
    if method == "rrf":
        d_rank = {r: i for i, r in enumerate(sorted(dense, key=lambda r: -dense[r]))}
        l_rank = {r: i for i, r in enumerate(sorted(lexical, key=lambda r: -lexical[r]))}
        fused = [
            sum(1.0 / (tuning.RRF_K + 1 + rank[r]) for rank in (d_rank, l_rank) if r in rank)
            for r in rows
        ]
    else:
        floor = min(dense.values(), default=0.0)
        d = minmax(np.array([dense.get(r, floor) for r in rows], dtype=np.float64))
        lx = minmax(np.array([lexical.get(r, 0.0) for r in rows], dtype=np.float64))
        fused = list((1 - lexical_weight) * d + lexical_weight * lx)
    return sorted(zip(rows, map(float, fused), strict=True), key=lambda x: -x[1])
