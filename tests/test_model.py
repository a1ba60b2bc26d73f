"""The few tests that load the real all-MiniLM-L6-v2 weights from the installed package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from search.api import create_app
from search.config import Settings
from search.embed.st import SentenceTransformerEmbedder

pytestmark = pytest.mark.model


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
    top = results[0]  # a passage, or the list of the item found, with the item marked
    found = [top["text"][m["start"] : m["end"]] for m in top["matched"]] or [top["text"]]
    assert any(f.startswith(starts) for f in found), [r["text"][:60] for r in results]


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


def test_real_model_finds_added_documents(
    model: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    import shutil

    from search.index.build import build_index
    from search.index.store import load_index
    from search.index.update import add_files
    from search.retrieve.searcher import Searcher
    from tests.samples import write_docx, write_html, write_pdf

    corpus = tmp_path / "corpus"
    shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", corpus)
    build_index(corpus, tmp_path / "index", model)
    new = [
        write_html(tmp_path / "escalation.html"),
        write_pdf(tmp_path / "strategy.pdf"),
        write_docx(tmp_path / "sharing.docx"),
    ]
    add_files(new, corpus, tmp_path / "index", model)
    searcher = Searcher(load_index(tmp_path / "index"), model)
    for question, document, page in [
        ("How soon after a referral is the strategy meeting held?", "strategy", 3),
        ("What should I do if I disagree with another agency about a child?", "escalation", None),
        ("Do I need consent before passing on information about a child?", "sharing", None),
    ]:
        top = searcher.search(question, k=1).hits[0].passage
        assert (top.document, top.page) == (document, page), (question, top.text)
