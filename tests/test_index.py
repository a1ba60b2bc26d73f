from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np
import pytest

from search.errors import CorpusError, IndexCorrupt, IndexMismatch, IndexNotFound
from search.index.build import build_index
from search.index.open import index_is_current, open_index
from search.index.reading import reading_version
from search.index.store import load_index
from search.index.update import add_files
from search.ingest.corpus import read_corpus
from search.sources import corpus_hash
from tests.conftest import SEED_PASSAGES
from tests.fakes import FakeEmbedder


def test_round_trip(corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder) -> None:
    index_dir = tmp_path / "idx"
    manifest = build_index(corpus_dir, index_dir, fake)
    assert sorted(p.name for p in index_dir.iterdir()) == [
        "documents.jsonl",
        "index.faiss",
        "manifest.json",
        "passages.jsonl",
        "sentence_keys.npy",
        "sentences.npy",
        "vector_keys.npy",
        "vectors.npy",
    ]
    data = json.loads((index_dir / "manifest.json").read_text())
    assert data["model"] == "fake-hash" and data["dimension"] == 256
    assert data["passage_count"] == manifest.passage_count == SEED_PASSAGES
    assert data["corpus_hash"] == corpus_hash(corpus_dir)
    loaded = load_index(index_dir, "fake-hash", 256)
    assert loaded.manifest == manifest
    assert loaded.faiss_index.ntotal == len(loaded.passages) == SEED_PASSAGES
    # Stored vectors are the embedder's, normalised: exact search finds each passage itself.
    vec = loaded.faiss_index.reconstruct(0)
    assert np.isclose(np.linalg.norm(vec), 1.0, atol=1e-5)
    lines = (index_dir / "passages.jsonl").read_text().splitlines()
    assert set(json.loads(lines[0])) == {
        "id",
        "document",
        "title",
        "section",
        "kind",
        "text",
        "start",
        "end",
        "url",
        "page",
        "headings",
        "list_id",
        "paragraph_id",
        "points_to",
        "page_breaks",
    }


def test_load_refuses_mismatch(corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder) -> None:
    build_index(corpus_dir, tmp_path / "idx", fake)
    with pytest.raises(IndexMismatch, match="built with model 'fake-hash'.*'other'"):
        load_index(tmp_path / "idx", "other", 256)
    with pytest.raises(IndexMismatch, match="dimension 256.*gives 384"):
        load_index(tmp_path / "idx", "fake-hash", 384)


def test_missing_and_corrupt(corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder) -> None:
    with pytest.raises(IndexNotFound, match="no index"):
        load_index(tmp_path / "nothing")
    build_index(corpus_dir, tmp_path / "idx", fake)
    faiss_file = tmp_path / "idx" / "index.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])
    with pytest.raises(IndexCorrupt, match="index.faiss"):
        load_index(tmp_path / "idx")
    (tmp_path / "idx" / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorrupt, match="manifest"):
        load_index(tmp_path / "idx")


def test_failed_build_keeps_previous_index(
    corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "idx"
    first = build_index(corpus_dir, index_dir, fake)
    (corpus_dir / "extra.md").write_text("Extra Title\n\nA new paragraph about apples.\n")

    def broken(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", broken)
    with pytest.raises(OSError, match="disk full"):
        build_index(corpus_dir, index_dir, fake)
    assert load_index(index_dir).manifest == first
    # No half-built folder is left behind (the lock file stays: writers share it).
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [".idx.lock"]


def test_crash_between_renames_recovers(
    corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder
) -> None:
    index_dir = tmp_path / "idx"
    first = build_index(corpus_dir, index_dir, fake)
    index_dir.rename(tmp_path / ".idx.previous")  # as if killed right after the first rename
    assert load_index(index_dir).manifest == first


def test_ensure_index_rebuilds_when_corpus_changes(
    corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder
) -> None:
    index_dir = tmp_path / "idx"
    first = open_index(corpus_dir, index_dir, fake)
    calls = fake.calls
    again = open_index(corpus_dir, index_dir, fake)
    assert fake.calls == calls and again.manifest == first.manifest  # nothing rebuilt
    (corpus_dir / "extra.md").write_text("Extra Title\n\nA new paragraph about apples.\n")
    assert not index_is_current(index_dir, corpus_dir, fake.name)
    third = open_index(corpus_dir, index_dir, fake)
    assert third.manifest.passage_count == first.manifest.passage_count + 1
    assert index_is_current(index_dir, corpus_dir, fake.name)


def _as_if_read_by_an_older_reader(index_dir: Path) -> str:
    """Mark the index as made by other reading code, with one passage read differently;
    the text that reader gave it."""
    manifest = json.loads((index_dir / "manifest.json").read_text())
    (index_dir / "manifest.json").write_text(json.dumps({**manifest, "reading": "older"}))
    lines = (index_dir / "passages.jsonl").read_text().splitlines()
    row = json.loads(lines[0])
    row["text"] = "text as an older reader cut it"
    lines[0] = json.dumps(row)
    (index_dir / "passages.jsonl").write_text("\n".join(lines) + "\n")
    return str(row["text"])


def test_an_index_read_by_other_code_is_read_again_reusing_its_vectors(
    corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder
) -> None:
    index_dir = tmp_path / "idx"
    first = open_index(corpus_dir, index_dir, fake)
    assert first.manifest.reading == reading_version()
    old_text = _as_if_read_by_an_older_reader(index_dir)
    assert not index_is_current(index_dir, corpus_dir, fake.name)  # same corpus and model
    again = open_index(corpus_dir, index_dir, fake)
    assert again.manifest.build_id != first.manifest.build_id
    assert again.manifest.reading == reading_version()
    assert again.manifest.embedded_passages == 0  # every text is as before: vectors reused
    assert old_text not in {p.text for p in again.passages}
    assert [p.text for p in again.passages] == [p.text for p in first.passages]


def test_adding_a_file_reads_the_others_again_after_the_reader_changed(
    corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder
) -> None:
    index_dir = tmp_path / "idx"
    build_index(corpus_dir, index_dir, fake)
    old_text = _as_if_read_by_an_older_reader(index_dir)
    new_file = tmp_path / "extra.md"
    new_file.write_text("Extra Title\n\nA new paragraph about apples.\n")
    add_files([new_file], corpus_dir, index_dir, fake)
    texts = {p.text for p in load_index(index_dir).passages}
    assert old_text not in texts and "A new paragraph about apples." in texts
    # The same reader: an unchanged file's passages are taken as they were, not read again.
    kept = _as_if_read_by_an_older_reader(index_dir)
    manifest = json.loads((index_dir / "manifest.json").read_text())
    (index_dir / "manifest.json").write_text(json.dumps({**manifest, "reading": reading_version()}))
    other = tmp_path / "other.md"
    other.write_text("Other Title\n\nA paragraph about pears.\n")
    add_files([other], corpus_dir, index_dir, fake)
    assert kept in {p.text for p in load_index(index_dir).passages}


def test_bad_corpus_is_refused_with_file_name(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    with pytest.raises(CorpusError, match="holds no"):
        read_corpus(folder)
    (folder / "empty.md").write_text("  \n")
    with pytest.raises(CorpusError, match=r"empty\.md: the file is empty"):
        read_corpus(folder)
    (folder / "empty.md").write_bytes(b"Title\n\n\xff\xfe bad bytes")
    with pytest.raises(CorpusError, match=r"empty\.md: not UTF-8"):
        read_corpus(folder)
    with pytest.raises(CorpusError, match="does not exist"):
        read_corpus(tmp_path / "missing")


def test_build_after_crash_between_renames(
    corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder
) -> None:
    index_dir = tmp_path / "idx"
    build_index(corpus_dir, index_dir, fake)
    index_dir.rename(tmp_path / ".idx.previous")
    second = build_index(corpus_dir, index_dir, fake)
    assert load_index(index_dir).manifest == second
    assert not (tmp_path / ".idx.previous").exists()


def test_readers_never_mix_two_builds(tmp_path: Path, fake: FakeEmbedder) -> None:
    """A reader loading while builds swap the folder gets one whole build every time."""
    import threading

    corpora = []
    for name, words in (("alpha", "apples and pears"), ("beta", "bricks and mortar")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / f"{name}.md").write_text(
            f"{name.title()}\n\n" + "\n\n".join(f"Paragraph {i} about {words}." for i in range(9))
        )
        corpora.append(folder)
    index_dir = tmp_path / "idx"
    build_index(corpora[0], index_dir, fake)
    done = threading.Event()
    failures: list[BaseException] = []

    def swap() -> None:
        try:
            for i in range(30):
                build_index(corpora[i % 2], index_dir, fake)
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
        finally:
            done.set()

    writer = threading.Thread(target=swap)
    writer.start()
    loads = 0
    while not done.is_set() or loads == 0:
        loaded = load_index(index_dir)
        ids = {d.id for d in loaded.documents}
        assert len(ids) == 1 and {p.document for p in loaded.passages} == ids
        assert loaded.faiss_index.ntotal == len(loaded.passages) == 9
        loads += 1
    writer.join()
    assert not failures and loads > 0


def test_broken_file_does_not_keep_the_service_down(
    corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder
) -> None:
    import shutil

    index_dir = tmp_path / "idx"
    first = build_index(corpus_dir, index_dir, fake)
    (corpus_dir / "broken.pdf").write_bytes(b"%PDF-1.4 not a PDF")
    logs: list[str] = []
    assert open_index(corpus_dir, index_dir, fake, logs.append).manifest == first
    assert "broken.pdf: not a readable PDF file" in logs[-1]
    assert "serving the index built" in logs[-1]
    shutil.rmtree(index_dir)  # with no index to fall back on, the error stands
    with pytest.raises(CorpusError, match=r"broken\.pdf: not a readable PDF file"):
        open_index(corpus_dir, index_dir, fake)
