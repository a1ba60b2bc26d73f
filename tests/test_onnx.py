"""The ONNX query path against sentence-transformers, with the real model (marker `model`)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from search.embed.onnx import OnnxEmbedder
from search.embed.st import SentenceTransformerEmbedder
from search.evaluate import evaluate_gold, load_gold
from search.index.build import build_index
from search.index.store import Manifest, load_index
from search.retrieve.searcher import Searcher

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parent.parent


def gold() -> list[dict[str, object]]:
    with open(ROOT / "eval" / "questions" / "summary.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def built(
    model: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Manifest]:
    index_dir = tmp_path_factory.mktemp("onnx") / "index"
    return index_dir, build_index(ROOT / "corpus", index_dir, model)


@pytest.fixture(scope="module")
def onnx(built: tuple[Path, Manifest]) -> OnnxEmbedder:
    index_dir, manifest = built
    assert manifest.query_model is not None
    return OnnxEmbedder(index_dir, manifest.query_model, manifest.model)


def test_export_is_recorded_in_the_manifest(built: tuple[Path, Manifest]) -> None:
    index_dir, manifest = built
    spec = manifest.query_model
    assert spec is not None and spec.runtime == "onnxruntime"
    assert spec.quantisation == "uint8-per-channel+blockwise-ffn" and spec.cosine_min >= 0.99
    assert (index_dir / spec.model_file).is_file() and (index_dir / spec.tokenizer_file).is_file()
    # 8-bit weights: far smaller than the 90 MB float32 model, which is kept for builds.
    assert (index_dir / spec.model_file).stat().st_size < 40_000_000
    assert sorted(p.name for p in (index_dir / "onnx").iterdir()) == [
        "build.onnx",
        "model.onnx",
        "tokenizer.json",
    ]
    assert spec.build_file == "onnx/build.onnx" and (spec.build_cosine_min or 0) >= 0.99


def test_vectors_agree_with_sentence_transformers(
    model: SentenceTransformerEmbedder, onnx: OnnxEmbedder
) -> None:
    questions = [str(g["question"]) for g in gold()]
    extra = ["a", "  neglect  ", "Ünïcödé café 👍", "word " * 400]  # tiny, padded, truncated
    texts = questions + extra
    reference = model.embed(texts)
    one_by_one = np.vstack([onnx.embed([t]) for t in texts])
    batched = onnx.embed(texts)
    assert onnx.dimension == 384 and batched.dtype == np.float32
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(one_by_one * reference, axis=1)
    assert cosines.min() >= 0.99, texts[int(cosines.argmin())]
    # Each text is embedded on its own, so its neighbours in a call change nothing.
    assert np.allclose(batched, one_by_one, atol=1e-6)


class _Counting:
    """An onnxruntime session that counts its runs."""

    def __init__(self, session: object) -> None:
        self.session = session
        self.runs = 0

    def run(self, *args: object) -> object:
        self.runs += 1
        return self.session.run(*args)  # type: ignore[attr-defined]


def test_a_query_alone_gets_more_threads_and_the_same_vector(
    built: tuple[Path, Manifest], onnx: OnnxEmbedder
) -> None:
    index_dir, manifest = built
    assert manifest.query_model is not None
    two = OnnxEmbedder(index_dir, manifest.query_model, manifest.model, idle_threads=2)
    for _ in range(200):  # the two-thread session is made in the background
        if two._alone is not None:
            break
        time.sleep(0.05)
    alone, shared = _Counting(two._alone), _Counting(two._session)
    two._alone, two._session = alone, shared
    texts = [str(g["question"]) for g in gold()][:40]
    one_by_one = two.embed(texts)
    assert (alone.runs, shared.runs) == (len(texts), 0)
    # Run together, queries take the one-thread session; the vectors do not change.
    with ThreadPoolExecutor(8) as pool:
        together = np.vstack(list(pool.map(lambda t: two.embed([t]), texts * 3)))
    assert shared.runs > 0
    assert np.allclose(together, np.vstack([one_by_one] * 3), atol=1e-5)
    assert np.allclose(one_by_one, onnx.embed(texts), atol=1e-5)


def test_retrieval_quality_is_unchanged(
    built: tuple[Path, Manifest], model: SentenceTransformerEmbedder, onnx: OnnxEmbedder
) -> None:
    """The eval figures with the 8-bit ONNX queries lose at most 0.01 (one question of 144)
    to sentence-transformers queries; a list ranked whole can tip either way."""
    index_dir, manifest = built
    index = load_index(index_dir, manifest.model, manifest.dimension)
    questions = load_gold(ROOT / "eval" / "questions" / "summary.jsonl")
    for mode in ("hybrid", "dense"):
        reference = evaluate_gold(Searcher(index, model), questions, mode).metrics
        fast = evaluate_gold(Searcher(index, onnx), questions, mode).metrics
        for name in ("hit@1", "hit@3", "mrr@10", "ndcg@10", "offtopic_flagged"):
            assert fast[name] >= reference[name] - 0.01, (mode, name, reference, fast)


def test_rebuild_reuses_the_export(
    built: tuple[Path, Manifest], model: SentenceTransformerEmbedder
) -> None:
    index_dir, manifest = built
    assert manifest.query_model is not None
    inode = (index_dir / manifest.query_model.model_file).stat().st_ino
    said: list[str] = []
    again = build_index(ROOT / "corpus", index_dir, model, log=said.append)
    assert again.query_model is not None and any("reused" in s for s in said), said
    assert again.query_model.source == manifest.query_model.source
    assert (index_dir / again.query_model.model_file).stat().st_ino == inode  # hard link
    assert again.query_model.build_file == manifest.query_model.build_file
    assert (index_dir / str(again.query_model.build_file)).is_file()


def test_served_process_never_imports_torch(built: tuple[Path, Manifest]) -> None:
    index_dir, _ = built
    code = (
        "import sys\n"
        "from fastapi.testclient import TestClient\n"
        "from search.api import create_app\n"
        "from search.config import Settings\n"
        f"s = Settings(index_dir={str(index_dir)!r}, corpus_dir={str(ROOT / 'corpus')!r})\n"
        "with TestClient(create_app(s)) as c:\n"
        "    r = c.get('/search', params={'q': 'How common was domestic abuse?', 'k': 1})\n"
        "    assert r.json()['results'][0]['text'].startswith('Domestic abuse: 164'), r.text\n"
        "bad = sorted(m for m in ('torch', 'sentence_transformers', 'transformers') "
        "if m in sys.modules)\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
