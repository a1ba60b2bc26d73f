"""Building with the ONNX float32 graph against building with torch, real model (`model`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from search.embed.batch import OnnxBatchEmbedder
from search.embed.export import MIN_COSINE, _with_build_model, probe_texts
from search.embed.st import SentenceTransformerEmbedder
from search.index.build import build_index, embedding_text
from search.index.sentences import unit_texts
from search.index.store import Manifest, load_index

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(
    model: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Manifest]:
    index_dir = tmp_path_factory.mktemp("build-onnx") / "index"
    return index_dir, build_index(ROOT / "corpus", index_dir, model)


def test_onnx_built_vectors_agree_with_torch(
    built: tuple[Path, Manifest], model: SentenceTransformerEmbedder
) -> None:
    index_dir, manifest = built
    spec = manifest.query_model
    assert spec is not None and spec.build_file is not None
    assert manifest.embedded_passages > 0 and manifest.model == "all-MiniLM-L6-v2"
    index = load_index(index_dir, manifest.model, manifest.dimension)
    texts = [embedding_text(p) for p in index.passages]
    stored = np.load(index_dir / "vectors.npy", allow_pickle=False)
    cosines = np.sum(stored * model.embed(texts), axis=1)
    assert cosines.min() >= MIN_COSINE, texts[int(cosines.argmin())]
    # The sentences too, and the probe texts the export is checked on.
    assert index.sentences is not None
    units = unit_texts(index.passages)
    found, missing = index.sentences.lookup(units)
    assert not missing
    assert np.sum(found * model.embed(units), axis=1).min() >= MIN_COSINE
    probes = probe_texts(texts)
    builder = OnnxBatchEmbedder(
        index_dir / spec.build_file, index_dir / spec.tokenizer_file, manifest.model, 256
    )
    try:
        assert np.sum(builder.embed(probes) * model.embed(probes), axis=1).min() >= MIN_COSINE
    finally:
        builder.close()


def test_batches_by_length_come_back_in_order(built: tuple[Path, Manifest]) -> None:
    index_dir, manifest = built
    spec = manifest.query_model
    assert spec is not None and spec.build_file is not None
    texts = ["a", "neglect", "word " * 400, "Ünïcödé café", "the child's voice was not heard"]
    one = OnnxBatchEmbedder(index_dir / spec.build_file, index_dir / spec.tokenizer_file, "m", 256)
    four = OnnxBatchEmbedder(
        index_dir / spec.build_file, index_dir / spec.tokenizer_file, "m", 256, batch=4
    )
    try:
        alone, batched = one.embed(texts), four.embed(texts)
    finally:
        one.close()
        four.close()
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    # Padding is masked out of the pooling: a text's vector does not depend on its batch.
    assert np.allclose(alone, batched, atol=1e-4)


def test_the_torch_setting_builds_with_torch(
    built: tuple[Path, Manifest], model: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    said: list[str] = []
    model.build_runtime = "torch"
    try:
        torch_built = build_index(ROOT / "corpus", tmp_path / "index", model, log=said.append)
    finally:
        model.build_runtime = "onnx"
    assert not any("ONNX float32" in s for s in said), said
    assert torch_built.query_model is not None  # queries still get the ONNX export
    index_dir, _ = built
    a = np.load(index_dir / "vectors.npy")
    b = np.load(tmp_path / "index" / "vectors.npy")
    assert np.sum(a * b, axis=1).min() >= MIN_COSINE


def test_a_graph_that_drifts_is_not_built_with(
    built: tuple[Path, Manifest], tmp_path: Path
) -> None:
    index_dir, manifest = built
    spec = manifest.query_model
    assert spec is not None and spec.build_file is not None
    shutil.copytree(index_dir / "onnx", tmp_path / "onnx")
    probes = ["one probe text", "another"]
    wrong = np.zeros((2, 384), dtype=np.float32)
    wrong[:, 0] = 1.0  # a reference no real graph agrees with
    said: list[str] = []
    record = _with_build_model(spec, tmp_path, probes, wrong, "m", said.append)
    assert record.build_file is None and not (tmp_path / spec.build_file).exists()
    assert any("builds embed with torch" in s for s in said)
