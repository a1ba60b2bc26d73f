"""A passage near everything (a hub) loses a share of that closeness from its dense score."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from search import tuning
from search.index import vectors
from search.retrieve.hubs import hubness
from tests.fakes import searcher_of


def _flat(vectors: np.ndarray) -> faiss.Index:
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def _spokes() -> np.ndarray:
    # Four passages each on their own axis, and one between them all.
    return np.vstack([np.eye(4), np.ones((1, 4))]).astype(np.float32)


def test_the_passage_between_the_others_is_the_hub() -> None:
    scores = hubness(_flat(_spokes()), neighbours=2, sample=100)
    assert int(np.argmax(scores)) == 4
    assert scores.mean() == pytest.approx(0.0, abs=1e-6)
    # Each spoke's nearest others: the hub (cosine 0.5) and another spoke (0).
    assert scores[0] == pytest.approx(scores[1])
    assert scores[4] - scores[0] == pytest.approx(0.5 - 0.25)


def test_a_passage_is_not_its_own_neighbour() -> None:
    # Two passages far apart: with itself counted, each would score a cosine of 1.
    index = _flat(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1]], dtype=np.float32))
    raw = hubness(index, neighbours=1, sample=100)
    # Rows 0 and 2 are each other's nearest; row 1's nearest is row 2, much further.
    assert raw[0] == pytest.approx(raw[2])
    assert raw[1] < raw[0] - 0.5


def test_a_large_index_looks_for_neighbours_in_a_sample() -> None:
    # 200 passages on one topic, close together, and 100 scattered over every other.
    rng = np.random.default_rng(0)
    topic = np.eye(16, dtype=np.float32)[0] + 0.1 * rng.normal(size=(200, 16))
    scattered = rng.normal(size=(100, 16))
    vectors = np.vstack([topic, scattered]).astype(np.float32)
    sampled = hubness(_flat(vectors), neighbours=5, sample=60)
    whole = hubness(_flat(vectors), neighbours=5, sample=1000)
    assert sampled.shape == whole.shape == (300,)
    assert not np.allclose(sampled, whole)  # the sample was used...
    # ... and tells the crowded passages from the scattered ones as all of them do.
    for scores in (sampled, whole):
        assert scores[:200].min() > scores[200:].max()


def test_tiny_indexes_have_no_hubs() -> None:
    assert hubness(_flat(np.ones((1, 3), dtype=np.float32)), 10, 100).tolist() == [0.0]
    assert hubness(_flat(np.eye(3, dtype=np.float32)), 0, 100).tolist() == [0.0] * 3


def test_the_dense_side_takes_the_share_from_a_hub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher = searcher_of(
        tmp_path,
        "care.md",
        "# Care\n\nCare leavers get a personal adviser.\n\n"
        "Care leavers may stay put with foster carers.\n\n"
        "Care leavers get a bursary at university.\n",
    )
    vector = searcher.embedder.embed(["care leavers"])[0]
    found = [(0, 0.5), (1, 0.5), (2, 0.5)]
    monkeypatch.setattr(tuning, "SENTENCES", False)
    monkeypatch.setattr(tuning, "HUB_PENALTY", 0.0)
    assert searcher._by_sentence(found, vector) == found
    monkeypatch.setattr(tuning, "HUB_PENALTY", 0.5)
    scored = dict(searcher._by_sentence(found, vector))
    for row in range(3):
        assert scored[row] == pytest.approx(0.5 - 0.5 * float(searcher.hubs[row]))
    assert searcher._by_sentence(found, vector)[0][0] == int(np.argmin(searcher.hubs))


@pytest.mark.parametrize("kind", ["hnsw", "ivfpq"])
def test_approximate_indexes_give_the_same_hubs(kind: str) -> None:
    # Hubness reads the stored vectors, which every kind of index keeps exactly.
    rng = np.random.default_rng(1)
    points = rng.normal(size=(3000, 32)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    ivf = 2000 if kind == "ivfpq" else 10**9
    approximate = vectors.make_index(points, hnsw_threshold=1000, ivf_threshold=ivf)
    assert vectors.kind_of(approximate) == kind
    exact = vectors.make_index(points, hnsw_threshold=10**9, ivf_threshold=10**9)
    assert np.allclose(hubness(approximate, 10, 4096), hubness(exact, 10, 4096), atol=1e-5)
