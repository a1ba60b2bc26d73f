"""What a serving process loads: index checks without a model, the query cache, fallbacks."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

import search.embed.st
from search.api import create_app
from search.config import Settings
from search.embed.onnx import CachedEmbedder
from search.index import vectors
from search.index.build import build_index
from search.index.open import open_for_queries, prepare
from search.index.store import load_index, read_manifest
from search.model import QueryModel
from tests.conftest import SEED_PASSAGES
from tests.fakes import FakeEmbedder


class Loads:
    """Stands in for search.embed.st.load_embedder and counts the models it 'loads'."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: object, **_kwargs: object) -> FakeEmbedder:
        self.count += 1
        return FakeEmbedder(name="all-MiniLM-L6-v2")


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Loads:
    counter = Loads()
    monkeypatch.setattr(search.embed.st, "load_embedder", counter)
    return counter


def test_cache_returns_the_same_vectors_and_evicts_oldest(fake: FakeEmbedder) -> None:
    cached = CachedEmbedder(fake, size=2)
    first = cached.embed(["neglect", "domestic abuse"])
    assert np.array_equal(first, fake.embed(["neglect", "domestic abuse"]))
    calls = fake.calls
    again = cached.embed(["domestic abuse"])
    assert fake.calls == calls and np.array_equal(again[0], first[1])
    assert (cached.hits, cached.misses) == (1, 2)
    cached.embed(["poverty"])  # evicts "neglect", the least recently used
    cached.embed(["domestic abuse", "neglect"])
    assert fake.texts_embedded == 2 + 2 + 1 + 1  # 2 direct, 2 first, then poverty, neglect
    assert cached.embed([]).shape == (0, fake.dimension)
    returned = cached.embed(["poverty"])
    returned[0][:] = 0.0  # a caller scribbling on its result does not touch the cache
    assert np.allclose(np.linalg.norm(cached.embed(["poverty"])[0]), 1.0)


def test_current_index_is_served_without_loading_a_model(
    settings: Settings, loads: Loads, fake: FakeEmbedder
) -> None:
    build_index(settings.corpus_dir, settings.index_dir, FakeEmbedder(name="all-MiniLM-L6-v2"))
    assert prepare(settings) is None and loads.count == 0
    # Without an ONNX export the queries need the model, loaded once.
    index, embedder, builder = open_for_queries(settings)
    assert loads.count == 1 and isinstance(embedder, CachedEmbedder)
    assert index.manifest.query_model is None and builder.name == "all-MiniLM-L6-v2"


def test_stale_index_is_rebuilt_once_and_the_builder_serves(
    settings: Settings, loads: Loads, corpus_dir: Path
) -> None:
    index, _, builder = open_for_queries(settings)
    assert loads.count == 1 and index.manifest.passage_count == SEED_PASSAGES
    builder.embed(["more"])  # the builder is the model already loaded
    assert loads.count == 1
    (corpus_dir / "extra.md").write_text("# Extra\n\nA new paragraph about neglect.\n")
    index, _, _ = open_for_queries(settings)
    assert loads.count == 2 and index.manifest.passage_count > SEED_PASSAGES


def test_broken_onnx_export_falls_back_with_a_warning(
    settings: Settings, loads: Loads, caplog: pytest.LogCaptureFixture
) -> None:
    build_index(settings.corpus_dir, settings.index_dir, FakeEmbedder(name="all-MiniLM-L6-v2"))
    path = settings.index_dir / "manifest.json"
    data = json.loads(path.read_text())
    data["query_model"] = {
        "runtime": "onnxruntime",
        "model_file": "onnx/model.onnx",
        "tokenizer_file": "onnx/tokenizer.json",
        "max_length": 256,
        "pooling": "mean",
        "quantisation": "uint8-per-channel",
        "cosine_min": 0.995,
        "cosine_mean": 0.997,
        "probes": 10,
        "source": "x",
        "recipe": "y",
    }
    path.write_text(json.dumps(data))
    assert isinstance(read_manifest(settings.index_dir).query_model, QueryModel)
    with caplog.at_level(logging.WARNING, logger="search.serving"):
        _, embedder, _ = open_for_queries(settings)
    assert loads.count == 1 and isinstance(embedder, CachedEmbedder)
    assert "unusable ONNX export" in caplog.text


def test_manifest_of_an_older_build_still_loads(settings: Settings, fake: FakeEmbedder) -> None:
    build_index(settings.corpus_dir, settings.index_dir, fake)
    path = settings.index_dir / "manifest.json"
    data = json.loads(path.read_text())
    del data["index_type"], data["query_model"]
    path.write_text(json.dumps(data))
    loaded = load_index(settings.index_dir, fake.name, fake.dimension)
    assert loaded.manifest.index_type == "flat" and loaded.manifest.query_model is None


def test_hnsw_index_serves_filtered_searches(
    settings: Settings, fake: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vectors, "HNSW_THRESHOLD", 1)
    with TestClient(create_app(settings, embedder=fake)) as client:
        assert read_manifest(settings.index_dir).index_type == "hnsw"
        body = client.get("/search", params={"q": "fathers felt alienated", "k": 3}).json()
        top = body["results"][0]  # the list of the item found, shown whole, the item marked
        [span] = top["matched"]
        assert top["text"][span["start"] : span["end"]].startswith("Fathers and partners")
        body = client.get("/search", params={"q": "neglect", "kind": "learning", "k": 50}).json()
        assert body["results"] and {r["kind"] for r in body["results"]} == {"learning"}


def test_ivfpq_index_serves_the_same_answers_as_flat(
    settings: Settings, fake: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = [
        {"q": "fathers felt alienated", "k": 5},
        {"q": "neglect", "kind": "learning", "k": 50},
        {"q": "schools", "section": "Vulnerable Adolescents", "k": 50},
    ]

    def answers(client: TestClient) -> list[tuple[bool, list[tuple[float, str]]]]:
        # Passages of equal score may come in either order.
        out = []
        for q in queries:
            body = client.get("/search", params=q).json()
            hits = sorted((-r["score"], r["id"]) for r in body["results"])
            out.append((body["answerable"], hits))
        return out

    with TestClient(create_app(settings, embedder=fake)) as client:
        flat = answers(client)
    monkeypatch.setattr(vectors, "IVF_THRESHOLD", 1)
    (settings.index_dir / "manifest.json").unlink()  # force a rebuild with the new type
    with TestClient(create_app(settings, embedder=fake)) as client:
        assert read_manifest(settings.index_dir).index_type == "ivfpq"
        # A corpus this small is searched exactly: the same passages with the same scores.
        assert answers(client) == flat
