"""Sharded builds: the same index as a single build, and as safe to fail."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
import pytest

from search.embed.base import vector_key
from search.errors import CorpusError, IndexMismatch
from search.index.build import build_index
from search.index.open import index_is_current
from search.index.shards import build_sharded, merge_shards, split_corpus
from search.index.store import LoadedIndex, load_index
from search.model import Document, QueryModel
from search.retrieve.searcher import Searcher
from search.sources import corpus_hash
from tests.fakes import FakeEmbedder, InProcessExecutor

# A sentence in two files that land in different shards: stored once in the merged index.
SHARED = "Tell the designated safeguarding lead about any concern on the same day."
FILES = {
    "neglect.md": "# Neglect\n\n## Signs\n\nChildren who are often hungry, dirty or absent from "
    f"school may be neglected.\n\n## What to do\n\n{SHARED} Write down what you saw.\n",
    "domestic-abuse.md": "# Domestic abuse\n\nDomestic abuse was present in over half of the "
    "reviews.\n\n## Fathers\n\nFathers and male carers were rarely seen by practitioners.\n",
    "missing.md": "# Missing children\n\nA child who goes missing from home or care is at risk "
    "of exploitation.\n\nReturn interviews should be offered within 72 hours.\n",
    "guides/online-safety.md": "# Online safety\n\nFilters and monitoring protect pupils from "
    "harmful content online.\n\n- Review filtering yearly.\n- Teach pupils to report.\n",
    "police.md": f"# Police protection\n\nOfficers may remove a child to suitable "
    f"accommodation for up to 72 hours.\n\n{SHARED}\n",
    "health.md": "# Health visitors\n\nHealth visitors see babies at home and notice injuries "
    "that do not fit the account given.\n",
}
# guides/online-safety.md has a sidecar: a shard must see it beside its file.
SIDECAR = {"title": "Keeping children safe online", "url": "https://example.org/online"}
QUERIES = [
    "bruises on a baby",
    "fathers ignored",
    "web filters at school",
    "return interviews within 72 hours",
    "designated safeguarding lead",
    "domestic abuse in reviews",
]


def _corpus(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = _corpus(tmp_path / "corpus", FILES)
    (folder / "guides" / "online-safety.md.meta.json").write_text(json.dumps(SIDECAR))
    return folder


def _sharded(corpus: Path, index: Path, shards: int = 3) -> None:
    build_sharded(corpus, index, FakeEmbedder, shards, executor=InProcessExecutor())


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under folder and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _vectors(index: LoadedIndex) -> dict[str, np.ndarray]:
    rows = np.load(index.path / "vectors.npy")
    return {p.id: rows[i] for i, p in enumerate(index.passages)}


def _records(index: LoadedIndex) -> list[Document]:
    return sorted((replace(d, added="") for d in index.documents), key=lambda d: d.id)


def _hits(index: LoadedIndex) -> list[tuple[list[float], list[str]]]:
    """Each query's scores, and the passages above the floor (those at it, scored 0 as the
    least relevant of the candidates, tie in either order)."""
    searcher = Searcher(index, FakeEmbedder())
    out = []
    for query in QUERIES:
        hits = searcher.search(query, 4).hits
        out.append(([round(h.score, 5) for h in hits], [h.passage.id for h in hits if h.score]))
    return out


def test_split_corpus_is_stable_and_covers_every_file() -> None:
    files = [Path(f"folder-{i % 3}/file-{i}.md") for i in range(40)]
    shards = split_corpus(files, 4)
    assert sorted(f for shard in shards for f in shard) == sorted(files)  # each exactly once
    assert all(shards)  # 40 files fill 4 shards
    # A file's shard depends on its path alone: not on the order or the other files.
    place = {f: i for i, shard in enumerate(shards) for f in shard}
    again = split_corpus(list(reversed(files)) + [Path("new.md")], 4)
    assert {f: i for i, shard in enumerate(again) for f in shard if f in place} == place
    # Pinned, so a salted hash() (which changes per process) would fail here.
    assert split_corpus([Path("x/report.md"), Path("y/report.md")], 2) == [
        [Path("x/report.md")],
        [Path("y/report.md")],
    ]
    with pytest.raises(ValueError):
        split_corpus(files, 0)


def test_sharded_build_is_the_single_build(corpus: Path, tmp_path: Path) -> None:
    shards = split_corpus(sorted(Path(n) for n in FILES), 3)
    assert all(shards)  # the test means something only if every shard has files
    assert not any(Path("neglect.md") in s and Path("police.md") in s for s in shards)

    build_index(corpus, tmp_path / "single", FakeEmbedder())
    _sharded(corpus, tmp_path / "sharded")
    single = load_index(tmp_path / "single", "fake-hash", 256)
    sharded = load_index(tmp_path / "sharded", "fake-hash", 256)

    assert len(sharded.passages) == len(single.passages)
    assert {p.id for p in sharded.passages} == {p.id for p in single.passages}
    # Ids, sources, titles (one from a sidecar), passage counts: all but when each was added.
    assert _records(sharded) == _records(single)
    alone, merged = _vectors(single), _vectors(sharded)
    assert all(np.allclose(merged[pid], v, atol=1e-6) for pid, v in alone.items())
    # FAISS holds the merged rows in passage order.
    assert np.allclose(sharded.faiss_index.reconstruct_n(0, len(sharded.passages)),
                       np.stack([merged[p.id] for p in sharded.passages]), atol=1e-6)  # fmt: skip
    assert single.sentences is not None and sharded.sentences is not None
    assert len(sharded.sentences.keys) == len(set(sharded.sentences.keys))
    assert set(sharded.sentences.keys) == set(single.sentences.keys)
    assert vector_key(SHARED) in sharded.sentences.rows
    hits = _hits(single)
    assert sum(len(ids) for _, ids in hits) >= 12  # most hits are above the floor
    assert _hits(sharded) == hits

    m, s = sharded.manifest, single.manifest
    assert m.corpus_hash == s.corpus_hash == corpus_hash(corpus)
    assert index_is_current(tmp_path / "sharded", corpus, "fake-hash")  # serving won't rebuild
    assert (m.passage_count, m.document_count) == (s.passage_count, s.document_count)
    assert m.embedded_passages == s.embedded_passages and m.build_id != s.build_id
    # No staging or build folder is left beside the index.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".sharded.lock", ".single.lock", "corpus", "sharded", "single"
    ]  # fmt: skip


def test_sharded_rebuild_reuses_what_it_can(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "idx"
    _sharded(corpus, index)
    first = load_index(index)
    (corpus / "health.md").write_text(FILES["health.md"] + "\nA new paragraph on sleep.\n")
    _sharded(corpus, index)
    second = load_index(index)
    assert second.manifest.embedded_passages == 1  # only the new paragraph
    assert second.manifest.corpus_hash == corpus_hash(corpus)
    assert {d.id: d.added for d in second.documents} == {d.id: d.added for d in first.documents}


def test_spawned_processes(corpus: Path, tmp_path: Path) -> None:
    """The real pool: the embedder factory and the shard's job pickle into new processes."""
    build_sharded(corpus, tmp_path / "idx", FakeEmbedder, 2)
    build_index(corpus, tmp_path / "single", FakeEmbedder())
    ids = {p.id for p in load_index(tmp_path / "single").passages}
    assert {p.id for p in load_index(tmp_path / "idx").passages} == ids


class Exporting(FakeEmbedder):
    """Leaves a stand-in query model in the index folder, as the real model leaves its ONNX
    export, and links the previous one when it is given (no torch, no onnxruntime)."""

    exports = 0
    spec = QueryModel("onnxruntime", "onnx/model.onnx", "onnx/tokenizer.json", 256, "mean",
                      "none", 1.0, 1.0, 3, "weights", "recipe")  # fmt: skip

    def export_query_model(
        self,
        index_dir: Path,
        texts: Sequence[str],
        previous: tuple[Path, QueryModel] | None = None,
        log: object = None,
    ) -> QueryModel:
        (index_dir / "onnx").mkdir()
        if previous is not None:
            for name in ("model.onnx", "tokenizer.json"):
                (index_dir / "onnx" / name).hardlink_to(previous[0] / "onnx" / name)
            return previous[1]
        Exporting.exports += 1
        (index_dir / "onnx" / "model.onnx").write_bytes(b"graph")
        (index_dir / "onnx" / "tokenizer.json").write_text("{}")
        return self.spec


def test_merged_index_has_one_shards_query_model(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "idx"
    Exporting.exports = 0
    build_sharded(corpus, index, Exporting, 3, executor=InProcessExecutor())
    assert Exporting.exports == 3  # no index to reuse one from: each shard exports
    assert load_index(index).manifest.query_model == Exporting.spec
    assert (index / "onnx" / "model.onnx").read_bytes() == b"graph"
    build_sharded(corpus, index, Exporting, 3, executor=InProcessExecutor())
    assert Exporting.exports == 3  # the next build's shards reuse the served index's
    assert load_index(index).manifest.query_model == Exporting.spec
    assert sorted(p.name for p in (index / "onnx").iterdir()) == ["model.onnx", "tokenizer.json"]


class Failing(FakeEmbedder):
    """Fails on the text of one file, so one shard's build raises half-way."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if any("exploitation" in t for t in texts):
            raise RuntimeError("embedder failed")
        return super().embed(texts)


@pytest.mark.parametrize("failure", ["embedder", "unreadable file"])
def test_failed_shard_leaves_the_index_untouched(
    corpus: Path, tmp_path: Path, failure: str
) -> None:
    index = tmp_path / "idx"
    build_index(corpus, index, FakeEmbedder())
    before = _files(index)
    # New text, so it is embedded (the rest comes from the index it replaces).
    (corpus / "health.md").write_text("# Health\n\nA new paragraph on exploitation.\n")
    if failure == "embedder":
        with pytest.raises(RuntimeError, match="embedder failed"):
            build_sharded(corpus, index, Failing, 3, executor=InProcessExecutor())
    else:
        (corpus / "empty.md").write_text("")
        with pytest.raises(CorpusError) as caught:
            _sharded(corpus, index)
        # The error names the corpus's file, not its link in the staging folder.
        assert caught.value.message == f"{corpus / 'empty.md'}: the file is empty"
    assert _files(index) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".idx.lock", "corpus", "idx"]


def test_duplicate_document_ids_across_shards_are_refused(tmp_path: Path) -> None:
    files = {"x/report.md": "# Report\n\nOne review.\n", "y/report.md": "# Report\n\nAnother.\n"}
    assert all(split_corpus([Path(n) for n in files], 2))  # each shard alone is fine
    corpus = _corpus(tmp_path / "corpus", {**files, "other.md": "# Other\n\nText.\n"})
    index = tmp_path / "idx"
    build_index(
        _corpus(tmp_path / "first", {"other.md": "# Other\n\nText.\n"}), index, FakeEmbedder()
    )
    before = _files(index)
    with pytest.raises(CorpusError, match=r"'report' is used by both (x|y)/report\.md and"):
        _sharded(corpus, index, 2)
    assert _files(index) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".idx.lock", "corpus", "first", "idx"]


def test_merge_refuses_shards_of_two_models(tmp_path: Path) -> None:
    a = _corpus(tmp_path / "a", {"a.md": "# A\n\nApples.\n"})
    b = _corpus(tmp_path / "b", {"b.md": "# B\n\nBananas.\n"})
    build_index(a, tmp_path / "ia", FakeEmbedder(name="one"))
    build_index(b, tmp_path / "ib", FakeEmbedder(name="two"))
    with pytest.raises(IndexMismatch, match="one model"):
        merge_shards([tmp_path / "ia", tmp_path / "ib"], tmp_path / "idx", "digest")
    assert not (tmp_path / "idx").exists()
    build_index(b, tmp_path / "ib", FakeEmbedder(name="one"))
    manifest = merge_shards([tmp_path / "ia", tmp_path / "ib"], tmp_path / "idx", "digest")
    assert manifest.corpus_hash == "digest" and manifest.document_count == 2
    assert faiss.read_index(str(tmp_path / "idx" / "index.faiss")).ntotal == 2
