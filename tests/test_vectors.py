"""Exact and approximate (HNSW) vector search, with and without filters."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from search.embed.base import normalise
from search.index import vectors


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    """Clustered unit vectors (like real embeddings) and queries near them."""
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((40, 64))
    rows = centres[rng.integers(0, 40, 3000)] + 0.4 * rng.standard_normal((3000, 64))
    queries = centres[rng.integers(0, 40, 50)] + 0.4 * rng.standard_normal((50, 64))
    return normalise(rows), normalise(queries)


def brute(rows: np.ndarray, q: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[int]:
    ids = np.arange(len(rows)) if allowed is None else allowed
    scores = rows[ids] @ q
    return [int(ids[i]) for i in np.argsort(-scores, kind="stable")[:k]]


def test_index_type_follows_the_threshold(data: tuple[np.ndarray, np.ndarray]) -> None:
    rows, _ = data
    assert isinstance(vectors.make_index(rows, hnsw_threshold=len(rows) + 1), faiss.IndexFlatIP)
    hnsw = vectors.make_index(rows, hnsw_threshold=len(rows))
    assert vectors.kind_of(hnsw) == "hnsw" and hnsw.ntotal == len(rows)
    assert hnsw.metric_type == faiss.METRIC_INNER_PRODUCT


def test_vectors_from_a_file_are_added_a_chunk_at_a_time(
    data: tuple[np.ndarray, np.ndarray], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows, queries = data
    np.save(tmp_path / "v.npy", rows)
    mapped = np.load(tmp_path / "v.npy", mmap_mode="r")
    monkeypatch.setattr(vectors, "ADD_CHUNK", 700)  # 3000 rows: five chunks
    flat = vectors.make_index(mapped, hnsw_threshold=10**9)
    ivf = vectors.make_index(mapped, ivf_threshold=1)
    assert flat.ntotal == ivf.ntotal == len(rows)
    assert np.array_equal(flat.reconstruct_n(0, flat.ntotal), rows)
    for q in queries[:5]:
        assert [r for r, _ in vectors.search(flat, q, 10)] == brute(rows, q, 10)


def test_flat_is_exact(data: tuple[np.ndarray, np.ndarray]) -> None:
    rows, queries = data
    flat = vectors.make_index(rows, hnsw_threshold=10**9)
    for q in queries[:10]:
        found = vectors.search(flat, q, 10)
        assert [r for r, _ in found] == brute(rows, q, 10)
        assert np.allclose([s for _, s in found], rows[[r for r, _ in found]] @ q, atol=1e-5)


def test_hnsw_recall_against_exact(data: tuple[np.ndarray, np.ndarray]) -> None:
    rows, queries = data
    hnsw = vectors.make_index(rows, hnsw_threshold=1)
    hits = sum(
        len({r for r, _ in vectors.search(hnsw, q, 10)} & set(brute(rows, q, 10))) for q in queries
    )
    assert hits / (10 * len(queries)) >= 0.95


def test_hnsw_small_filter_is_answered_exactly(data: tuple[np.ndarray, np.ndarray]) -> None:
    rows, queries = data
    hnsw = vectors.make_index(rows, hnsw_threshold=1)
    allowed = np.arange(0, len(rows), 7, dtype=np.int64)
    for q in queries[:10]:
        found = vectors.search(hnsw, q, 5, allowed)
        assert [r for r, _ in found] == brute(rows, q, 5, allowed)


def even_rows_recall(index: faiss.Index, rows: np.ndarray, queries: np.ndarray) -> float:
    """Recall@10 of a search filtered to the even rows; each result list must be full and
    hold only even rows."""
    even = np.arange(0, len(rows), 2, dtype=np.int64)
    hits = 0
    for q in queries:
        found = [r for r, _ in vectors.search(index, q, 10, even)]
        assert len(found) == 10 and all(r % 2 == 0 for r in found)
        hits += len(set(found) & set(brute(rows, q, 10, even)))
    return hits / (10 * len(queries))


def test_hnsw_large_filter_keeps_to_the_allowed_rows(
    data: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows, queries = data
    monkeypatch.setattr(vectors, "EXACT_FILTER_LIMIT", 10)  # force the graph search
    hnsw = vectors.make_index(rows, hnsw_threshold=1)
    assert even_rows_recall(hnsw, rows, queries) >= 0.9


@pytest.mark.parametrize("threshold", [1, 10**9])
def test_short_and_empty_candidate_lists(
    data: tuple[np.ndarray, np.ndarray], threshold: int
) -> None:
    rows, queries = data
    index = vectors.make_index(rows[:50], hnsw_threshold=threshold)
    assert vectors.search(index, queries[0], 5, np.array([], dtype=np.int64)) == []
    found = vectors.search(index, queries[0], 10, np.array([3, 9], dtype=np.int64))
    assert sorted(r for r, _ in found) == [3, 9]
    assert len(vectors.search(index, queries[0], 500)) == 50


def test_ivfpq_above_its_threshold_and_its_recall(data: tuple[np.ndarray, np.ndarray]) -> None:
    rows, queries = data
    index = vectors.make_index(rows, hnsw_threshold=1, ivf_threshold=len(rows))
    assert vectors.kind_of(index) == "ivfpq" and index.ntotal == len(rows)
    assert isinstance(vectors.make_index(rows, 1, len(rows) + 1), faiss.IndexHNSW)
    hits = 0
    for q in queries:
        found = vectors.search(index, q, 10)
        # Scores are exact (re-ranked from the stored vectors), not the codes' estimates.
        assert np.allclose([s for _, s in found], rows[[r for r, _ in found]] @ q, atol=1e-5)
        hits += len({r for r, _ in found} & set(brute(rows, q, 10)))
    assert hits / (10 * len(queries)) >= 0.95


def test_ivfpq_filters(
    data: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows, queries = data
    index = vectors.make_index(rows, ivf_threshold=1)
    few = np.arange(0, len(rows), 7, dtype=np.int64)
    for q in queries[:10]:
        assert [r for r, _ in vectors.search(index, q, 5, few)] == brute(rows, q, 5, few)
    monkeypatch.setattr(vectors, "EXACT_FILTER_LIMIT", 10)  # force the selector in the scan
    assert even_rows_recall(index, rows, queries) >= 0.9


def test_ivfpq_round_trips_through_a_plain_file(
    data: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    rows, queries = data
    index = vectors.make_index(rows, ivf_threshold=1)
    faiss.write_index(index, str(tmp_path / "index.faiss"))
    again = faiss.read_index(str(tmp_path / "index.faiss"))
    assert vectors.kind_of(again) == "ivfpq"
    assert faiss.extract_index_ivf(again).nprobe == faiss.extract_index_ivf(index).nprobe
    for q in queries[:5]:
        assert vectors.search(again, q, 10) == vectors.search(index, q, 10)


def test_a_small_approximate_index_still_returns_k_rows() -> None:
    # Sparse vectors: most rows score exactly 0 against the query, which 4-bit codes (and
    # a single list) cannot rank; the search falls back to exact for a small index.
    rows = np.zeros((60, 32), dtype=np.float32)
    rows[np.arange(60), np.arange(60) % 32] = 1.0
    query = rows[3]
    for index in (vectors.make_index(rows, ivf_threshold=1), vectors.make_index(rows, 1)):
        found = vectors.search(index, query, 50)
        assert len(found) == 50 and found[0][1] == pytest.approx(1.0)
        assert {r for r, s in found if s > 0.5} == {3, 35}


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivfpq"])
def test_a_prepared_row_selector_finds_what_the_one_off_filter_finds(
    data: tuple[np.ndarray, np.ndarray], kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view keeps its rows as a bitmap; it must select exactly the rows it lists."""
    monkeypatch.setattr(vectors, "EXACT_FILTER_LIMIT", 0)  # the selector, not exact search
    rows, queries = data
    size = len(rows)
    index = vectors.make_index(
        rows,
        hnsw_threshold=size if kind == "hnsw" else size + 1,
        ivf_threshold=size if kind == "ivfpq" else size + 1,
    )
    allowed = np.flatnonzero(np.arange(size) % 3 != 1)  # two thirds of the rows
    prepared = vectors.RowSelector(allowed, size)
    for q in queries[:10]:
        got = vectors.search(index, q, 10, allowed, prepared=prepared)
        assert got == vectors.search(index, q, 10, allowed)
        assert {r for r, _ in got} <= set(allowed.tolist())
