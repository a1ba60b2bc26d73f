"""Building a large corpus as shards in parallel processes, merged into one index folder.

Each shard is an ordinary build (build_index) of a folder of links to some of the corpus's
files, so the shards share every step of a single build; only the merge is new. The merge
writes the folder write_index writes and swaps it in the same way: the index being served
is never damaged, and a failure leaves it as it was.

A file's shard comes from a hash of its path, so it stays in its shard from build to build.
Each shard starts from hard links of the index it replaces, so, like a single build, it
reuses the vectors of texts embedded before, the documents' dates and the ONNX export.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Executor, ProcessPoolExecutor, wait
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from search import __version__
from search.embed.base import Embedder
from search.embed.batch import cores
from search.embed.onnx import ONNX_DIR
from search.errors import CorpusError, IndexCorrupt, IndexMismatch, SearchError
from search.index import sentences
from search.index.build import build_index
from search.index.integrity import verify_files
from search.index.store import (
    DOCUMENTS,
    PASSAGES,
    VECTOR_KEYS,
    VECTORS,
    Manifest,
    index_lock,
    new_folder,
    read_jsonl,
    read_manifest,
    readable_dir,
    write_index,
)
from search.index.stream import CHUNK, NpyAppender
from search.model import Document, Passage
from search.sources import corpus_files, corpus_hash, sidecar_of

Say = Callable[[str], None]


def split_corpus(files: Sequence[Path], n: int) -> list[list[Path]]:
    """The files (paths relative to the corpus folder) in n lists, by a hash of each path.

    sha256 rather than hash(): Python salts str hashes per process, and a file must land in
    the same shard in every process and every build."""
    if n < 1:
        raise ValueError(f"shards must be at least 1, not {n}")
    out: list[list[Path]] = [[] for _ in range(n)]
    for path in files:
        digest = hashlib.sha256(Path(path).as_posix().encode()).digest()
        out[int.from_bytes(digest[:8], "big") % n].append(path)
    return out


def build_sharded(
    corpus_dir: Path,
    index_dir: Path,
    make_embedder: Callable[[], Embedder],
    shards: int,
    log: Say | None = None,
    executor: Executor | None = None,
) -> Manifest:
    """Build index_dir from corpus_dir as `shards` builds in parallel, merged into one folder.

    make_embedder is called once in each shard's process, so it must pickle (a module-level
    function or class, or a functools.partial of one). Shards run in spawned processes (a
    fork would copy the parent's threads and locks) unless an executor is given; tests give
    one that runs them in turn in this process. Each shard's ONNX build embedder gets
    cores / shards threads, so the processes together use each core once.
    """
    began = time.perf_counter()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir).resolve()
    # Held throughout, like build_index: the index seeded from must not be swapped meanwhile.
    with index_lock(index_dir):  # ...which also clears a dead build's staging folder
        digest = corpus_hash(corpus_dir)  # before reading, as a single build takes it
        files = [p.relative_to(corpus_dir) for p in corpus_files(corpus_dir)]
        groups = [g for g in split_corpus(files, shards) if g]
        if not groups:
            raise CorpusError(f"corpus folder {str(corpus_dir)!r} holds no documents")
        try:
            read_manifest(index_dir)
            seed: Path | None = readable_dir(index_dir)
        except SearchError:
            seed = None  # no usable index: the shards embed everything
        staging = tempfile.mkdtemp(prefix=f".{index_dir.name}.build-shards-", dir=index_dir.parent)
        try:
            jobs = [
                (Path(staging, f"corpus-{i}"), Path(staging, f"index-{i}"))
                for i in range(len(groups))
            ]
            for group, (shard_corpus, shard_index) in zip(groups, jobs, strict=True):
                _link_files(corpus_dir, group, shard_corpus)
                if seed is not None:
                    _link_tree(seed, shard_index)
            if log:
                log(f"{len(files)} file(s) in {len(jobs)} shard(s)")
            _run(jobs, corpus_dir, make_embedder, max(1, cores() // len(jobs)), log, executor)
            return _merge([index for _, index in jobs], index_dir, digest, began, log)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def merge_shards(
    shard_dirs: Sequence[Path], index_dir: Path, corpus_digest: str, log: Say | None = None
) -> Manifest:
    """Merge shard index folders (each written by build_index) into index_dir, swapped in
    atomically. corpus_digest: corpus_hash of the whole corpus, which no shard knows."""
    began = time.perf_counter()
    with index_lock(index_dir):
        return _merge(shard_dirs, Path(index_dir).resolve(), corpus_digest, began, log)


def _link_files(corpus_dir: Path, files: Sequence[Path], folder: Path) -> None:
    """Symbolic links to the files (and their sidecars) at their paths in the corpus, so a
    shard's documents have the ids and sources a single build gives them."""
    for rel in files:
        for source in (corpus_dir / rel, sidecar_of(corpus_dir / rel)):
            if source == corpus_dir / rel or source.is_file():
                target = folder / source.relative_to(corpus_dir)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(source.absolute(), target)


def _link_tree(source: Path, target: Path) -> None:
    """Hard links of a folder's files. A build never writes into the folder it replaces,
    so linking the served index into a shard's leaves the served files only ever read."""
    for path in sorted(source.rglob("*")):
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            dest.mkdir(exist_ok=True)
            continue
        try:
            os.link(path, dest)
        except OSError:  # another file system: copy
            shutil.copy2(path, dest)


def _limit_threads(workers: int) -> None:
    """In each shard's process: OpenMP (torch, FAISS) to its share of the cores, not all."""
    os.environ.setdefault("OMP_NUM_THREADS", str(workers))


def _build_shard(
    corpus: Path, index: Path, make_embedder: Callable[[], Embedder], workers: int,
    log: Say | None, label: str,
) -> Manifest:  # fmt: skip
    """One shard's build, in its own process (module level, so a spawned process finds it)."""

    def say(msg: str) -> None:
        if log:
            log(f"{label}: {msg}")

    return build_index(corpus, index, make_embedder(), log=say, workers=workers)


def _run(
    jobs: Sequence[tuple[Path, Path]],
    corpus_dir: Path,
    make_embedder: Callable[[], Embedder],
    workers: int,
    log: Say | None,
    executor: Executor | None,
) -> None:
    """Every shard's build; the first failure is raised once no shard is running."""
    pool = executor or ProcessPoolExecutor(
        len(jobs),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_limit_threads,
        initargs=(workers,),
    )
    try:
        futures = [
            pool.submit(_build_shard, corpus, index, make_embedder, workers, log,
                        f"shard {i + 1}/{len(jobs)}")
            for i, (corpus, index) in enumerate(jobs)
        ]  # fmt: skip
        wait(futures, return_when=FIRST_EXCEPTION)
        for future in futures:
            future.cancel()  # shards not started yet; running ones finish
        wait([f for f in futures if not f.cancelled()])
    finally:
        if executor is None:
            pool.shutdown(wait=True, cancel_futures=True)
    for (corpus, _), future in zip(jobs, futures, strict=True):
        exc = None if future.cancelled() else future.exception()
        if isinstance(exc, SearchError) and type(exc).__init__ is SearchError.__init__:
            # Name the corpus's file, not its link in the staging folder.
            raise type(exc)(exc.message.replace(str(corpus), str(corpus_dir))) from exc
        if exc is not None:
            raise exc


def _merge(
    shard_dirs: Sequence[Path], index_dir: Path, digest: str, began: float, log: Say | None
) -> Manifest:
    """One index folder from the shards' (the caller holds index_lock(index_dir))."""
    folders = [readable_dir(d) for d in shard_dirs]
    manifests = [read_manifest(d) for d in shard_dirs]
    first = manifests[0]
    passages: list[Passage] = []
    documents: list[Document] = []
    owners: dict[str, str] = {}
    for folder, m in zip(folders, manifests, strict=True):
        if (m.model, m.dimension) != (first.model, first.dimension):
            raise IndexMismatch(
                f"{folder} was built with {m.model} ({m.dimension} dimensions), {folders[0]} "
                f"with {first.model} ({first.dimension}); build every shard with one model"
            )
        verify_files(folder, m.files)  # shards may have been built elsewhere and copied
        for d in read_jsonl(folder / DOCUMENTS, Document):
            if d.id in owners:  # check_unique sees one shard's documents only
                raise CorpusError(
                    f"document id {d.id!r} is used by both {owners[d.id]} and {d.source}; "
                    "rename one of the files"
                )
            owners[d.id] = d.source
            documents.append(d)
        rows = read_jsonl(folder / PASSAGES, Passage)
        if len(rows) != m.passage_count:
            raise IndexCorrupt(f"{folder}: {len(rows)} passages, its manifest {m.passage_count}")
        passages += rows
    tmp = new_folder(index_dir)
    try:
        keys = _merge_vectors(folders, manifests, tmp)
        units = _merge_sentences(folders, tmp, first.dimension)
        owner = next((i for i, m in enumerate(manifests) if m.query_model), None)
        if owner is not None:  # the same export in every shard: any one will do
            _link_tree(folders[owner] / ONNX_DIR, tmp / ONNX_DIR)
        manifest = replace(
            first,  # schema, model, dimension; the rest is the whole corpus's
            package_version=__version__,
            passage_count=len(passages),
            document_count=len(documents),
            corpus_hash=digest,
            build_id=uuid.uuid4().hex,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            embedded_passages=sum(m.embedded_passages for m in manifests),
            query_model=None if owner is None else manifests[owner].query_model,
            files={},
        )

        def finish(_folder: Path, manifest: Manifest) -> Manifest:
            return replace(manifest, build_seconds=round(time.perf_counter() - began, 3))

        vectors = np.load(tmp / VECTORS, mmap_mode="r", allow_pickle=False)
        manifest = write_index(
            index_dir, manifest, passages, documents, vectors, keys, finish, units, folder=tmp
        )
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if log:
        log(
            f"{len(folders)} shard(s) merged: {len(documents)} document(s), {len(passages)} "
            f"passages -> {index_dir} in {manifest.build_seconds:.2f} s"
        )
    return manifest


def _merge_vectors(folders: Sequence[Path], manifests: Sequence[Manifest], tmp: Path) -> list[str]:
    """The shards' vectors.npy one after another in tmp (row order = passage order); keys."""
    keys: list[str] = []
    parts = []
    for folder, m in zip(folders, manifests, strict=True):
        own = [k.decode() for k in np.load(folder / VECTOR_KEYS, allow_pickle=False).tolist()]
        rows = np.load(folder / VECTORS, mmap_mode="r", allow_pickle=False)
        if len(own) != m.passage_count or rows.shape != (m.passage_count, m.dimension):
            raise IndexCorrupt(f"{folder}: vectors or their keys are not one per passage")
        keys += own
        parts.append(rows)
    chunks = (rows[i : i + CHUNK] for rows in parts for i in range(0, len(rows), CHUNK))
    _write_rows(tmp / VECTORS, len(keys), manifests[0].dimension, chunks)
    return keys


def _merge_sentences(
    folders: Sequence[Path], tmp: Path, dimension: int
) -> sentences.SentenceVectors | None:
    """The shards' sentence vectors, a text two shards share once (None if a shard has none:
    an index without them still answers, embedding sentences per request)."""
    stores = [sentences.load(folder, dimension) for folder in folders]
    present = [s for s in stores if s is not None]
    if len(present) != len(stores):
        return None
    picks: dict[str, tuple[int, int]] = {}
    for i, store in enumerate(present):
        for row, key in enumerate(store.keys):
            picks.setdefault(key, (i, row))
    keys = list(picks)
    chunks = (
        np.stack([present[i].vectors[row] for i, row in (picks[k] for k in keys[at : at + CHUNK])])
        for at in range(0, len(keys), CHUNK)
    )
    _write_rows(tmp / sentences.SENTENCES, len(keys), dimension, chunks)
    vectors = np.load(tmp / sentences.SENTENCES, mmap_mode="r", allow_pickle=False)
    return sentences.SentenceVectors.of(keys, vectors)


def _write_rows(path: Path, total: int, dimension: int, chunks: Iterable[np.ndarray]) -> None:
    """A float32 .npy file of total rows from chunks, one chunk in memory at a time."""
    with NpyAppender(path, total, dimension) as out:
        for rows in chunks:
            out.append(rows)
