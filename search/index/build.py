"""Building the index: read and chunk the corpus, embed the passages and sentences, and
write the folder (see store.py for the files and how they are swapped in and read).

Builds are incremental: a passage whose text was embedded before (same hash, same model)
takes its vector from the previous index instead of the embedder.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections import ChainMap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from search import __version__
from search.embed.base import Embedder, QueryModelExporter, count_missing, vector_key
from search.embed.batch import OnnxBatchEmbedder
from search.errors import IndexCorrupt, IndexMismatch, IndexNotFound
from search.index import sentences
from search.index.progress import ReadsDocuments
from search.index.reading import reading_version
from search.index.store import (
    DOCUMENTS,
    PASSAGES,
    SCHEMA_VERSION,
    VECTORS,
    Manifest,
    index_lock,
    new_folder,
    read_jsonl,
    read_manifest,
    readable_dir,
    stored_vectors,
    write_index,
)
from search.index.stream import embed_to_npy
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
    # Passages another reader made are read again: only their vectors are worth keeping.
    for d in old_documents if manifest.reading == reading_version() else ():
        parsed = ParsedDocument(
            d.id, d.title, d.format, d.source, d.url, d.sha256,
            tuple(by_doc.get(d.id, ())), d.pages, d.metadata, d.audience,
        )  # fmt: skip
        by_source.setdefault(d.source, []).append(parsed)
    vectors: dict[str, np.ndarray] = {}
    same_model = (manifest.model, manifest.dimension) == (embedder.name, embedder.dimension)
    if same_model:
        vectors = stored_vectors(folder, embedder.dimension)
        try:
            stored = sentences.load(folder, embedder.dimension)
        except IndexCorrupt:
            stored = None
        if stored is not None:
            return _Previous(documents, by_source, vectors, stored.as_cache())
    return _Previous(documents, by_source, vectors)


def _reuse_parsed(
    previous: _Previous, parsed: Sequence[ParsedDocument] = ()
) -> Callable[[str, str], list[ParsedDocument] | None]:
    fresh: dict[tuple[str, str], list[ParsedDocument]] = {}
    for d in parsed:
        fresh.setdefault((d.source, d.sha256), []).append(d)

    def reuse(source: str, sha: str) -> list[ParsedDocument] | None:
        if (source, sha) in fresh:  # parsed by the caller already (a file being added)
            return fresh[(source, sha)]
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
    workers: int | None = None,
) -> Manifest:
    """Chunk, embed and write a complete index folder, replacing index_dir atomically.

    An embedder that can export a query model (sentence-transformers to ONNX) leaves it in
    the folder too, so serving needs no torch. Passages embedded before (same text, same
    model) reuse their vectors. With reuse_parsed, files unchanged since the last build are
    not even parsed again (add and remove use this; `build` parses everything, so a new
    version's chunking takes effect). workers: threads of the ONNX build embedder (None: one
    per core; a shard of a sharded build gets its share of the cores).
    """
    with index_lock(index_dir):
        return rebuild(
            corpus_dir, index_dir, embedder, log, progress, reuse_parsed, workers=workers
        )


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
    parsed_now: Sequence[ParsedDocument] = (),
    workers: int | None = None,
) -> Manifest:
    """build_index for a caller that already holds index_lock(index_dir). parsed_now: files
    the caller has just parsed (with reuse_parsed, not parsed again if unchanged since)."""
    began = time.perf_counter()
    say = log or (lambda _msg: None)
    previous = _previous(index_dir, embedder)
    digest = corpus_hash(corpus_dir)
    reading = progress.documents if isinstance(progress, ReadsDocuments) else None
    reuse = _reuse_parsed(previous, parsed_now) if reuse_parsed else None
    parsed = read_corpus(corpus_dir, reuse, reading)
    passages = [p for d in parsed for p in d.passages]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    documents = [
        d.record(previous.documents[d.id].added if d.id in previous.documents else now)
        for d in parsed
    ]
    texts = [embedding_text(p) for p in passages]
    units = sentences.unit_texts(passages)
    folder = new_folder(index_dir)
    try:
        # The query model first (exported, or linked from the index being replaced): its
        # float32 graph is what the passages and sentences are embedded with.
        query_model, builder = _build_model(embedder, folder, index_dir, texts, say, workers)
        try:
            say(
                f"{len(parsed)} document(s), {len(passages)} passages, {len(units)} "
                f"sentences; embedding with {_described(builder)}"
            )
            keys, embedded, unit_vectors = _embed(builder, folder, texts, units, previous, progress)
        finally:
            if isinstance(builder, OnnxBatchEmbedder):
                builder.close()
        manifest = Manifest(
            schema_version=SCHEMA_VERSION,
            package_version=__version__,
            model=embedder.name,
            dimension=builder.dimension,
            normalised=True,
            passage_count=len(passages),
            document_count=len(documents),
            corpus_hash=digest,
            build_id=uuid.uuid4().hex,
            built_at=now,
            build_seconds=0.0,
            embedded_passages=embedded,
            reading=reading_version(),
        )

        def finish(_folder: Path, manifest: Manifest) -> Manifest:
            seconds = round(time.perf_counter() - began, 3)
            return replace(manifest, build_seconds=seconds, query_model=query_model)

        vectors = np.load(folder / VECTORS, mmap_mode="r", allow_pickle=False)
        manifest = write_index(
            index_dir, manifest, passages, documents, vectors, keys, finish, unit_vectors,
            folder=folder,
        )  # fmt: skip
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    say(
        f"index written to {index_dir} in {manifest.build_seconds:.2f} s "
        f"({embedded} passage(s) embedded, {len(passages) - embedded} reused)"
    )
    return manifest


def _embed(
    builder: Embedder,
    folder: Path,
    texts: list[str],
    units: list[str],
    previous: _Previous,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[str], int, sentences.SentenceVectors]:
    """Passages, then sentences, embedded into the new folder's files as they go.

    A sentence that is a whole passage's text takes the passage's vector. One progress
    count runs over both: the texts the model has to see.
    """
    passage_keys = {vector_key(t) for t in texts}
    todo = count_missing(texts, previous.vectors)
    unit_cache: ChainMap[str, np.ndarray] = ChainMap(previous.sentences)
    fresh_units = {k for k in map(vector_key, units) if k not in previous.sentences}
    total = todo + len(fresh_units - passage_keys)
    done = [0]

    def step(count: int) -> None:
        done[0] += count
        if progress:
            progress(done[0], total)

    if progress:
        progress(0, total)
    keys, embedded = embed_to_npy(builder, texts, previous.vectors, folder / VECTORS, step)
    rows = np.load(folder / VECTORS, mmap_mode="r", allow_pickle=False)
    unit_cache.maps.append({k: rows[i] for i, k in enumerate(keys)})
    unit_keys, _ = embed_to_npy(builder, units, unit_cache, folder / sentences.SENTENCES, step)
    unit_rows = np.load(folder / sentences.SENTENCES, mmap_mode="r", allow_pickle=False)
    return keys, embedded, sentences.SentenceVectors.of(unit_keys, unit_rows)


def _build_model(
    embedder: Embedder,
    folder: Path,
    index_dir: Path,
    texts: list[str],
    say: Callable[[str], None],
    workers: int | None = None,
) -> tuple[QueryModel | None, Embedder]:
    """The query model written into folder (None: there is none), and what to embed with:
    its float32 ONNX graph when the embedder builds with ONNX and the graph passed its
    check against sentence-transformers, else the embedder itself (torch)."""
    if not isinstance(embedder, QueryModelExporter):
        return None, embedder
    fast = getattr(embedder, "build_runtime", "torch") == "onnx"
    previous = _previous_query_model(index_dir)
    if fast and previous is not None and previous[1].build_file is None:
        previous = None  # exported before builds used ONNX: export again, with the graph
    query_model = embedder.export_query_model(folder, texts, previous=previous, log=say)
    if not fast or query_model is None or query_model.build_file is None:
        if not embedder.dimension:  # a lazily loaded model knows it once loaded
            embedder.embed(["dimension probe"])
        return query_model, embedder
    builder = OnnxBatchEmbedder(
        folder / query_model.build_file,
        folder / query_model.tokenizer_file,
        embedder.name,
        query_model.max_length,
        workers,
    )
    return query_model, builder


def _described(embedder: Embedder) -> str:
    if isinstance(embedder, OnnxBatchEmbedder):
        return f"{embedder.name} (ONNX float32, {embedder.workers} worker(s))"
    return embedder.name


def _previous_query_model(index_dir: Path) -> tuple[Path, QueryModel] | None:
    """The index being replaced and its query model, whose export a rebuild may reuse."""
    try:
        old = read_manifest(index_dir)
    except (IndexNotFound, IndexCorrupt, IndexMismatch):
        return None
    return (readable_dir(index_dir), old.query_model) if old.query_model else None
