"""Building the index: read and chunk the corpus, embed the passages and sentences, and
write the folder (see store.py for the files and how they are swapped in and read).

Builds are incremental: a passage whose text was embedded before (same hash, same model)
takes its vector from the previous index instead of the embedder.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from search import __version__
from search.embed.base import (
    Embedder,
    QueryModelExporter,
    count_missing,
    embed_cached,
    shifted,
)
from search.errors import IndexCorrupt, IndexMismatch, IndexNotFound
from search.index import sentences
from search.index.store import (
    DOCUMENTS,
    PASSAGES,
    SCHEMA_VERSION,
    VECTOR_KEYS,
    VECTORS,
    Manifest,
    index_lock,
    read_jsonl,
    read_manifest,
    readable_dir,
    write_index,
)
from search.ingest.corpus import read_corpus
from search.model import Document, ParsedDocument, Passage, QueryModel
from search.sources import corpus_hash


def embedding_text(p: Passage) -> str:
    """What the model sees: the passage alone. Prefixing the section was measured and lost
    (hit@1 0.826 -> 0.792 on the gold set): one heading word drowns a short bullet's meaning."""
    return p.text


@dataclass(frozen=True)
class _Previous:
    """What a build can reuse from the index it replaces."""

    documents: dict[str, Document]
    by_source: dict[str, list[ParsedDocument]]
    vectors: dict[str, np.ndarray]
    sentences: dict[str, np.ndarray] = field(default_factory=dict)


def _previous(index_dir: Path, embedder: Embedder) -> _Previous:
    # The caller holds the lock: no build swaps the folder while we read it. The FAISS file
    # is not needed; vectors.npy holds the same rows.
    try:
        manifest = read_manifest(index_dir)
        folder = readable_dir(index_dir)
        old_passages = read_jsonl(folder / PASSAGES, Passage)
        old_documents = read_jsonl(folder / DOCUMENTS, Document)
    except (IndexNotFound, IndexCorrupt, IndexMismatch):
        return _Previous({}, {}, {})  # nothing usable: everything is embedded afresh
    documents = {d.id: d for d in old_documents}
    by_doc: dict[str, list[Passage]] = {}
    for p in old_passages:
        by_doc.setdefault(p.document, []).append(p)
    by_source: dict[str, list[ParsedDocument]] = {}
    for d in old_documents:
        parsed = ParsedDocument(
            d.id, d.title, d.format, d.source, d.url, d.sha256,
            tuple(by_doc.get(d.id, ())), d.pages, d.metadata, d.audience,
        )  # fmt: skip
        by_source.setdefault(d.source, []).append(parsed)
    vectors: dict[str, np.ndarray] = {}
    same_model = (manifest.model, manifest.dimension) == (embedder.name, embedder.dimension)
    if same_model:
        try:
            keys = np.load(folder / VECTOR_KEYS, allow_pickle=False)
            rows = np.load(folder / VECTORS, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return _Previous(documents, by_source, {})
        if len(keys) == len(rows) and rows.ndim == 2 and rows.shape[1] == embedder.dimension:
            vectors = {k.decode(): rows[i] for i, k in enumerate(keys.tolist())}
        try:
            stored = sentences.load(folder, embedder.dimension)
        except IndexCorrupt:
            stored = None
        if stored is not None:
            return _Previous(documents, by_source, vectors, stored.as_cache())
    return _Previous(documents, by_source, vectors)


def _reuse_parsed(previous: _Previous) -> Callable[[str, str], list[ParsedDocument] | None]:
    def reuse(source: str, sha: str) -> list[ParsedDocument] | None:
        docs = previous.by_source.get(source)
        if docs and all(d.sha256 == sha for d in docs):
            return docs
        return None

    return reuse


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    log: Callable[[str], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    reuse_parsed: bool = False,
) -> Manifest:
    """Chunk, embed and write a complete index folder, replacing index_dir atomically.

    An embedder that can export a query model (sentence-transformers to ONNX) leaves it in
    the folder too, so serving needs no torch. Passages embedded before (same text, same
    model) reuse their vectors. With reuse_parsed, files unchanged since the last build are
    not even parsed again (add and remove use this; `build` parses everything, so a new
    version's chunking takes effect).
    """
    with index_lock(index_dir):
        return rebuild(corpus_dir, index_dir, embedder, log, progress, reuse_parsed)


def reuse_from(
    index_dir: Path, embedder: Embedder
) -> Callable[[str, str], list[ParsedDocument] | None]:
    """For read_corpus: the parsed documents of files unchanged since the last build."""
    return _reuse_parsed(_previous(index_dir, embedder))


def rebuild(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    log: Callable[[str], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    reuse_parsed: bool = False,
) -> Manifest:
    """build_index for a caller that already holds index_lock(index_dir)."""
    began = time.perf_counter()
    say = log or (lambda _msg: None)
    previous = _previous(index_dir, embedder)
    digest = corpus_hash(corpus_dir)
    parsed = read_corpus(corpus_dir, _reuse_parsed(previous) if reuse_parsed else None)
    passages = [p for d in parsed for p in d.passages]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    documents = [
        d.record(previous.documents[d.id].added if d.id in previous.documents else now)
        for d in parsed
    ]
    texts = [embedding_text(p) for p in passages]
    units = sentences.unit_texts(passages)
    say(
        f"{len(parsed)} document(s), {len(passages)} passages, {len(units)} sentences; "
        f"embedding with {embedder.name}"
    )
    # One progress count over both: the passages to embed, then the sentences.
    todo = count_missing(texts, previous.vectors)
    total = todo + count_missing(units, previous.sentences)
    vectors, keys, embedded = embed_cached(
        embedder, texts, previous.vectors, shifted(progress, 0, total)
    )
    unit_vectors, _ = sentences.embed_units(
        embedder, passages, previous.sentences, shifted(progress, todo, total)
    )
    manifest = Manifest(
        schema_version=SCHEMA_VERSION,
        package_version=__version__,
        model=embedder.name,
        dimension=embedder.dimension,
        normalised=True,
        passage_count=len(passages),
        document_count=len(documents),
        corpus_hash=digest,
        build_id=uuid.uuid4().hex,
        built_at=now,
        build_seconds=0.0,
        embedded_passages=embedded,
    )

    def finish(folder: Path, manifest: Manifest) -> Manifest:
        query_model = None
        if isinstance(embedder, QueryModelExporter):
            query_model = embedder.export_query_model(
                folder, texts, previous=_previous_query_model(index_dir), log=say
            )
        seconds = round(time.perf_counter() - began, 3)
        return replace(manifest, build_seconds=seconds, query_model=query_model)

    manifest = write_index(
        index_dir, manifest, passages, documents, vectors, keys, finish, unit_vectors
    )
    say(
        f"index written to {index_dir} in {manifest.build_seconds:.2f} s "
        f"({embedded} passage(s) embedded, {len(passages) - embedded} reused)"
    )
    return manifest


def _previous_query_model(index_dir: Path) -> tuple[Path, QueryModel] | None:
    """The index being replaced and its query model, whose export a rebuild may reuse."""
    try:
        old = read_manifest(index_dir)
    except (IndexNotFound, IndexCorrupt, IndexMismatch):
        return None
    return (readable_dir(index_dir), old.query_model) if old.query_model else None
