from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from search.answer.answerer import Answerer
from search.chunk.passages import chunk_document
from search.chunk.text import answer_units
from search.embed.base import vector_key
from search.errors import IndexCorrupt
from search.index.build import build_index
from search.index.sentences import unit_texts
from search.index.store import load_index, write_index
from search.retrieve.searcher import Searcher
from tests.fakes import FakeEmbedder


def test_units_are_sentences_or_the_figure() -> None:
    ps = chunk_document("T\n\nOne here. Two there.\n\nLead:\n\nA\tB\n1 (2%)\t3 (4%)\n", "d")
    assert [u[0] for u in answer_units(ps[0])] == ["One here.", "Two there."]
    stat = next(p for p in ps if p.kind == "statistic")
    assert answer_units(stat) == [("A: 1 (2%)", 0, 9)]
    # Each distinct text once, in order.
    assert unit_texts([ps[0], ps[0], stat]) == ["One here.", "Two there.", "A: 1 (2%)"]


def test_build_stores_a_vector_per_sentence(
    corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder
) -> None:
    manifest = build_index(corpus_dir, tmp_path / "idx", fake)
    assert {"sentences.npy", "sentence_keys.npy"} <= set(manifest.files)
    loaded = load_index(tmp_path / "idx", "fake-hash", 256)
    assert loaded.sentences is not None
    texts = unit_texts(loaded.passages)
    assert len(loaded.sentences.keys) == len(texts) > len(loaded.passages)
    vectors, missing = loaded.sentences.lookup(texts)
    assert missing == []
    assert np.allclose(vectors, fake.embed(texts), atol=1e-6)
    assert loaded.sentences.lookup(["Never seen before."])[1] == [0]


def test_rebuild_reuses_sentence_vectors(
    corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder
) -> None:
    build_index(corpus_dir, tmp_path / "idx", fake)
    (corpus_dir / "extra.md").write_text("# Extra\n\nA brand new sentence. And one more.\n")
    before = fake.texts_embedded
    build_index(corpus_dir, tmp_path / "idx", fake)
    # Only the new passage and its two sentences are embedded.
    assert fake.texts_embedded - before == 3
    loaded = load_index(tmp_path / "idx")
    assert loaded.sentences is not None
    assert loaded.sentences.lookup(["A brand new sentence."])[1] == []


def test_answers_use_stored_sentence_vectors(
    corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder
) -> None:
    build_index(corpus_dir, tmp_path / "idx", fake)
    searcher = Searcher(load_index(tmp_path / "idx"), fake)
    assert searcher.coverage.sure > 0  # the calibration questions, embedded once up front
    answerer = Answerer(searcher)
    before = fake.texts_embedded
    reply = answerer.answer("fathers partners alienated forgotten")
    assert reply.answer == "Fathers and partners sometimes felt alienated and forgotten."
    # The question, once for ranking and once for the sentences; no sentence is embedded.
    assert fake.texts_embedded - before == 2


def test_index_without_sentence_vectors_still_answers(
    corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder
) -> None:
    """An index built before sentences were stored: they are embedded per question."""
    build_index(corpus_dir, tmp_path / "idx", fake)
    loaded = load_index(tmp_path / "idx")
    vectors = np.load(tmp_path / "idx" / "vectors.npy")
    keys = [vector_key(p.text) for p in loaded.passages]
    write_index(tmp_path / "old", loaded.manifest, loaded.passages, loaded.documents, vectors, keys)
    old = load_index(tmp_path / "old")
    assert old.sentences is None and "sentences.npy" not in old.manifest.files
    before = fake.texts_embedded
    reply = Answerer(Searcher(old, fake)).answer("fathers partners alienated forgotten")
    assert reply.answer == "Fathers and partners sometimes felt alienated and forgotten."
    assert fake.texts_embedded - before > 2


def test_damaged_sentence_vectors_are_refused(
    corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder
) -> None:
    build_index(corpus_dir, tmp_path / "idx", fake)
    path = tmp_path / "idx" / "sentences.npy"
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match=r"sentences\.npy: damaged"):
        load_index(tmp_path / "idx")


def test_sentence_vectors_of_the_wrong_shape_are_refused(
    corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder
) -> None:
    build_index(corpus_dir, tmp_path / "idx", fake)
    folder = tmp_path / "idx"
    np.save(folder / "sentences.npy", np.zeros((3, 256), dtype=np.float32))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"].pop("sentences.npy")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorrupt, match="shape"):
        load_index(folder)
