"""The few tests that load the real all-MiniLM-L6-v2 weights from the installed package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from search.api import create_app
from search.config import Settings
from search.embed import SentenceTransformerEmbedder

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def model() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="module")
def real_client(
    model: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    root = Path(__file__).resolve().parent.parent
    settings = Settings(
        corpus_dir=root / "corpus", index_dir=tmp_path_factory.mktemp("real") / "index"
    )
    with TestClient(create_app(settings, embedder=model)) as c:
        yield c


def test_vectors_are_normalised_float32(model: SentenceTransformerEmbedder) -> None:
    vectors = model.embed(["neglect", "a quite different sentence about the weather"])
    assert vectors.dtype == np.float32 and vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert model.name == "all-MiniLM-L6-v2" and model.dimension == 384


@pytest.mark.parametrize(
    ("question", "starts"),
    [
        ("How common was domestic abuse?", "Domestic abuse: 164 (59%)"),
        ("Did dads feel left out?", "Fathers and partners sometimes felt alienated"),
        ("social media grooming", "social media provided a space"),
    ],
)
def test_real_ranking(real_client: TestClient, question: str, starts: str) -> None:
    results = real_client.get("/search", params={"q": question, "k": 3}).json()["results"]
    assert results[0]["text"].startswith(starts), [r["text"][:60] for r in results]


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("What percentage of reviews involved domestic abuse?", "164 (59%)"),
        ("Did dads feel left out?", "Fathers and partners sometimes felt alienated"),
    ],
)
def test_real_answers(real_client: TestClient, question: str, fact: str) -> None:
    body = real_client.get("/answer", params={"q": question}).json()
    assert body["answerable"] is True and fact in body["answer"]


def test_real_off_topic_declined(real_client: TestClient) -> None:
    body = real_client.get("/answer", params={"q": "how do I reset my password"}).json()
    assert body["answerable"] is False and body["answer"] is None
