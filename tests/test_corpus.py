from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import search.index.build
import search.ingest.corpus
from search.chunk.passages import chunk_document
from search.errors import CorpusError, DocumentNotFound, IndexMismatch
from search.index.build import build_index, embedding_text
from search.index.sentences import unit_texts
from search.index.store import load_index, read_manifest
from search.index.update import add_files, remove_document
from search.model import ParsedDocument
from tests.conftest import SEED, SEED_PASSAGES
from tests.fakes import FakeEmbedder
from tests.samples import JSONL_ROWS, write_docx, write_html, write_jsonl, write_pdf

# Identical passages (the seed repeats one lead-in sentence) share one embedding.
SEED_TEXTS = len(
    {embedding_text(p) for p in chunk_document(SEED.read_text(encoding="utf-8"), "seed")}
)
# And each distinct sentence (the answerer's units) once, unless it is a whole passage's
# text: then it takes the passage's vector.
SEED_UNITS = len(
    set(unit_texts(chunk_document(SEED.read_text(encoding="utf-8"), "seed")))
    - {embedding_text(p) for p in chunk_document(SEED.read_text(encoding="utf-8"), "seed")}
)


@pytest.fixture
def index_dir(tmp_path: Path, corpus_dir: Path, fake: FakeEmbedder) -> Path:
    folder = tmp_path / "idx"
    build_index(corpus_dir, folder, fake)
    assert SEED_TEXTS < SEED_PASSAGES
    assert fake.texts_embedded == SEED_TEXTS + SEED_UNITS
    return folder


@pytest.fixture
def incoming(tmp_path: Path) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir()
    return folder


def _embedded(fake: FakeEmbedder, action: Callable[[], object]) -> int:
    before = fake.texts_embedded
    action()
    return fake.texts_embedded - before


def test_add_embeds_only_new_passages(
    corpus_dir: Path, index_dir: Path, incoming: Path, fake: FakeEmbedder
) -> None:
    page = write_html(incoming / "escalation.html")
    change = add_files([page], corpus_dir, index_dir, fake)
    assert (change.added, change.updated) == (("escalation",), ())
    assert (corpus_dir / "escalation.html").read_bytes() == page.read_bytes()
    loaded = load_index(index_dir)
    new_units = (
        set(unit_texts(loaded.passages))
        - set(unit_texts(chunk_document(SEED.read_text(encoding="utf-8"), "seed")))
        - {embedding_text(p) for p in loaded.passages}
    )
    assert change.manifest.embedded_passages == 8
    assert fake.texts_embedded == SEED_TEXTS + SEED_UNITS + 8 + len(new_units)
    assert len(loaded.passages) == SEED_PASSAGES + 8
    assert [d.id for d in loaded.documents] == ["escalation", "scr-triennial-analysis-2014-2017"]
    # A full rebuild of an unchanged corpus embeds nothing and keeps every vector.
    first = loaded.faiss_index.reconstruct_n(0, loaded.faiss_index.ntotal)
    assert _embedded(fake, lambda: build_index(corpus_dir, index_dir, fake)) == 0
    again = load_index(index_dir)
    assert np.array_equal(again.faiss_index.reconstruct_n(0, again.faiss_index.ntotal), first)
    # Editing one paragraph re-embeds that paragraph only.
    page.write_text(page.read_text().replace("Talk to the other", "Speak to the other"))
    change = add_files([page], corpus_dir, index_dir, fake)
    assert (change.added, change.updated, change.manifest.embedded_passages) == (
        (), ("escalation",), 1
    )  # fmt: skip
    texts = [p.text for p in load_index(index_dir).passages]
    assert "Speak to the other professional first." in texts
    assert "Talk to the other professional first." not in texts


def test_unchanged_files_are_not_parsed_again_on_add(
    corpus_dir: Path,
    index_dir: Path,
    incoming: Path,
    fake: FakeEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: Counter[str] = Counter()
    real = search.ingest.corpus.read_file

    def counting(path: Path, corpus: Path | None = None) -> list[ParsedDocument]:
        parsed[path.name] += 1
        return real(path, corpus)

    monkeypatch.setattr(search.ingest.corpus, "read_file", counting)
    add_files([write_pdf(incoming / "strategy.pdf")], corpus_dir, index_dir, fake)
    parsed.clear()
    add_files([write_docx(incoming / "sharing.docx")], corpus_dir, index_dir, fake)
    # The seed document and the PDF came from the index; the new file from the parse that
    # checked it before it was copied (test_an_added_file_is_parsed_once).
    assert parsed == {}
    parsed.clear()
    build_index(corpus_dir, index_dir, fake)  # `build` parses everything
    assert set(parsed) == {"strategy.pdf", "sharing.docx", "scr-triennial-analysis-2014-2017.md"}


def test_unreadable_file_changes_nothing(
    corpus_dir: Path, index_dir: Path, incoming: Path, fake: FakeEmbedder
) -> None:
    before = read_manifest(index_dir)
    listing = sorted(p.name for p in corpus_dir.iterdir())
    good = write_html(incoming / "escalation.html")
    bad = incoming / "minutes.pdf"
    bad.write_bytes(b"%PDF-1.7\nthis is not a PDF body")
    with pytest.raises(CorpusError, match=r"minutes\.pdf: not a readable PDF file"):
        add_files([good, bad], corpus_dir, index_dir, fake)
    assert sorted(p.name for p in corpus_dir.iterdir()) == listing
    assert read_manifest(index_dir) == before
    # The half-written folder (vectors are written as they are made) is gone too.
    assert not list(index_dir.parent.glob(f".{index_dir.name}.build-*"))


def test_clashing_id_is_refused_and_rolled_back(
    corpus_dir: Path, index_dir: Path, incoming: Path, fake: FakeEmbedder
) -> None:
    before = read_manifest(index_dir)
    clash = write_html(incoming / "scr-triennial-analysis-2014-2017.html")
    with pytest.raises(CorpusError, match="is used by both"):
        add_files([clash], corpus_dir, index_dir, fake)
    assert not (corpus_dir / clash.name).exists()
    assert read_manifest(index_dir) == before
    assert [p.name for p in corpus_dir.iterdir()] == ["scr-triennial-analysis-2014-2017.md"]


def test_failed_write_restores_replaced_file(
    corpus_dir: Path,
    index_dir: Path,
    incoming: Path,
    fake: FakeEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_files([write_html(incoming / "escalation.html")], corpus_dir, index_dir, fake)
    before = read_manifest(index_dir)
    original = (corpus_dir / "escalation.html").read_bytes()
    newer = incoming / "escalation.html"
    newer.write_text(newer.read_text().replace("Steps", "Stages"))

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(search.index.build, "write_index", broken)
    with pytest.raises(OSError, match="disk full"):
        add_files([newer], corpus_dir, index_dir, fake, url="https://example.org/e")
    assert (corpus_dir / "escalation.html").read_bytes() == original
    assert not (corpus_dir / "escalation.html.meta.json").exists()
    assert sorted(p.name for p in corpus_dir.iterdir()) == [
        "escalation.html", "scr-triennial-analysis-2014-2017.md"
    ]  # fmt: skip
    assert read_manifest(index_dir) == before


def test_remove_file_and_jsonl_line(
    corpus_dir: Path, index_dir: Path, incoming: Path, fake: FakeEmbedder
) -> None:
    add_files(
        [write_html(incoming / "escalation.html"), write_jsonl(incoming / "bulk.jsonl")],
        corpus_dir, index_dir, fake,
    )  # fmt: skip
    change = remove_document("escalation", corpus_dir, index_dir, fake)
    assert change.removed == ("escalation",) and change.manifest.embedded_passages == 0
    assert not (corpus_dir / "escalation.html").exists()
    loaded = load_index(index_dir)
    assert {p.document for p in loaded.passages} == {
        "scr-triennial-analysis-2014-2017", "brief-001", "brief-002"
    }  # fmt: skip
    # One line of a bulk file goes; the other stays byte for byte.
    remove_document("brief-001", corpus_dir, index_dir, fake)
    assert (corpus_dir / "bulk.jsonl").read_text() == json.dumps(JSONL_ROWS[1]) + "\n"
    assert [d.id for d in load_index(index_dir).documents] == [
        "brief-002", "scr-triennial-analysis-2014-2017"
    ]  # fmt: skip
    remove_document("brief-002", corpus_dir, index_dir, fake)
    assert not (corpus_dir / "bulk.jsonl").exists()
    with pytest.raises(DocumentNotFound, match="no document 'brief-002'"):
        remove_document("brief-002", corpus_dir, index_dir, fake)


def test_build_forgets_deleted_files_and_keeps_added_time(
    corpus_dir: Path, index_dir: Path, incoming: Path, fake: FakeEmbedder
) -> None:
    add_files([write_pdf(incoming / "strategy.pdf")], corpus_dir, index_dir, fake)
    docs = index_dir / "documents.jsonl"
    # As if the PDF had been added long ago: a rebuild keeps when each document was added.
    rows = [json.loads(line) for line in docs.read_text().splitlines()]
    for row in rows:
        row["added"] = "2020-01-01T00:00:00+00:00"
    docs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    write_docx(corpus_dir / "sharing.docx")  # dropped into the folder by hand
    build_index(corpus_dir, index_dir, fake)
    added = {d.id: d.added for d in load_index(index_dir).documents}
    assert added["strategy"] == "2020-01-01T00:00:00+00:00"
    assert added["sharing"] > "2020-01-01T00:00:00+00:00"
    (corpus_dir / "strategy.pdf").unlink()
    build_index(corpus_dir, index_dir, fake)
    loaded = load_index(index_dir)
    assert "strategy" not in {d.id for d in loaded.documents}
    assert "strategy" not in {p.document for p in loaded.passages}


def test_add_with_url_writes_sidecar(
    corpus_dir: Path, index_dir: Path, incoming: Path, fake: FakeEmbedder
) -> None:
    pdf = write_pdf(incoming / "strategy.pdf")
    add_files([pdf], corpus_dir, index_dir, fake, url="https://example.org/strategy.pdf")
    meta = json.loads((corpus_dir / "strategy.pdf.meta.json").read_text())
    assert meta == {"url": "https://example.org/strategy.pdf"}
    [doc] = [d for d in load_index(index_dir).documents if d.id == "strategy"]
    assert (doc.url, doc.format, doc.pages, doc.source) == (
        "https://example.org/strategy.pdf", "pdf", 3, "strategy.pdf"
    )  # fmt: skip
    with pytest.raises(CorpusError, match="url must start with"):
        add_files([pdf], corpus_dir, index_dir, fake, url="javascript:alert(1)")
    with pytest.raises(CorpusError, match="one file"):
        add_files([pdf, pdf], corpus_dir, index_dir, fake, title="Two")


def test_schema_1_index_is_rebuilt_not_misread(
    corpus_dir: Path, index_dir: Path, fake: FakeEmbedder
) -> None:
    manifest = index_dir / "manifest.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "schema_version": 1}))
    with pytest.raises(IndexMismatch, match="rebuild with: python -m search build"):
        load_index(index_dir)
    before = fake.texts_embedded
    assert build_index(corpus_dir, index_dir, fake).schema_version == 2
    # Nothing reused from an old schema.
    assert fake.texts_embedded - before == SEED_TEXTS + SEED_UNITS


def test_an_added_file_is_parsed_once(
    corpus_dir: Path,
    index_dir: Path,
    incoming: Path,
    fake: FakeEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[str] = []
    real = search.ingest.corpus._reader

    def counting(fmt: str) -> Callable[..., object]:
        reader = real(fmt)

        def read(data: bytes, path: Path) -> object:
            reads.append(path.name)
            return reader(data, path)

        return read

    monkeypatch.setattr(search.ingest.corpus, "_reader", counting)
    page = write_html(incoming / "escalation.html")
    add_files([page], corpus_dir, index_dir, fake)
    assert reads == ["escalation.html"]
    # With a sidecar written by the add (here a URL), the file is read again with it.
    page.write_text(page.read_text().replace("Steps", "Stages"))
    add_files([page], corpus_dir, index_dir, fake, url="https://example.org/e")
    assert reads == ["escalation.html"] * 3
    assert load_index(index_dir).documents[0].url == "https://example.org/e"
