"""The index on disk: a folder of plain files (FAISS index, passages and documents as JSONL,
the embedding of each passage with a hash of the text embedded, and a manifest).

Writing puts a fresh folder beside the target and renames it into place, so readers only
ever see a whole index; a crash mid-write leaves the previous one untouched. Reading
checks the files against the manifest and refuses an index of another model or dimension.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import faiss
import numpy as np

from search.errors import IndexCorrupt, IndexMismatch, IndexNotFound
from search.index import sentences
from search.index.integrity import file_digests, verify_files
from search.index.sentences import SentenceVectors
from search.index.stream import save_npy
from search.index.vectors import kind_of, make_index
from search.model import Document, Passage, QueryModel

SCHEMA_VERSION = 2
MANIFEST = "manifest.json"
PASSAGES = "passages.jsonl"
DOCUMENTS = "documents.jsonl"
FAISS_FILE = "index.faiss"
VECTORS = "vectors.npy"  # row i: the vector of passage i, as FAISS holds it
VECTOR_KEYS = "vector_keys.npy"  # row i: sha256 of the text embedded for passage i
_Row = TypeVar("_Row", Passage, Document)


@dataclass(frozen=True)
class Manifest:
    schema_version: int
    package_version: str
    model: str
    dimension: int
    normalised: bool
    passage_count: int
    document_count: int
    corpus_hash: str
    build_id: str  # unique per build: how a running service notices a new index
    built_at: str
    build_seconds: float
    embedded_passages: int  # how many passages this build had to embed (the rest were reused)
    index_type: str = "flat"  # "flat" (exact), "hnsw" or "ivfpq" (approximate), by passage count
    query_model: QueryModel | None = None  # the torch-free query model in the folder, if any
    # sha256 of each data file, checked at load (empty for indexes built before it existed).
    files: dict[str, str] = field(default_factory=dict)
    # The reader and chunker that made the passages (index/reading.py); "" before it existed.
    reading: str = ""


@dataclass(frozen=True)
class LoadedIndex:
    manifest: Manifest
    passages: tuple[Passage, ...]
    documents: tuple[Document, ...]
    faiss_index: faiss.Index
    path: Path
    sentences: SentenceVectors | None = None  # None: built before sentences were stored


@contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time per index folder (two `add`s at once would lose one's files)."""
    index_dir = index_dir.resolve()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(index_dir.parent / f".{index_dir.name}.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        # The kernel drops the lock when its holder dies, even by SIGKILL: holding it, any
        # build folder left beside the index is a dead build's.
        for stale in index_dir.parent.glob(f".{index_dir.name}.build-*"):
            shutil.rmtree(stale, ignore_errors=True)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def new_folder(index_dir: Path) -> Path:
    """An empty folder beside index_dir for a build to write, cleared by index_lock if the
    build dies, renamed into place by write_index when it is done."""
    index_dir = index_dir.resolve()
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.build-", dir=index_dir.parent))


def _jsonl(path: Path, rows: Sequence[Passage] | Sequence[Document]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def stored_vectors(folder: Path, dimension: int) -> dict[str, np.ndarray]:
    """The passage vectors an index folder holds, by the sha256 of the text embedded (for a
    rebuild that need not embed them again); empty when they cannot be read."""
    try:
        keys = np.load(folder / VECTOR_KEYS, allow_pickle=False)
        rows = np.load(folder / VECTORS, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return {}
    if len(keys) != len(rows) or rows.ndim != 2 or rows.shape[1] != dimension:
        return {}
    return {k.decode(): rows[i] for i, k in enumerate(keys.tolist())}


def write_index(
    index_dir: Path,
    manifest: Manifest,
    passages: Sequence[Passage],
    documents: Sequence[Document],
    vectors: np.ndarray,
    keys: Sequence[str],
    finish: Callable[[Path, Manifest], Manifest] | None = None,
    unit_vectors: SentenceVectors | None = None,
    folder: Path | None = None,
) -> Manifest:
    """Write the folder beside index_dir and swap it in; `finish` may add files first.

    folder: one from new_folder(index_dir) that already holds some files (vectors
    written there as they were made are not written again)."""
    index_dir = index_dir.resolve()
    tmp = folder or new_folder(index_dir)
    try:
        vector_index = make_index(vectors)
        manifest = replace(manifest, index_type=kind_of(vector_index))
        faiss.write_index(vector_index, str(tmp / FAISS_FILE))
        del vector_index  # FAISS holds a copy of the vectors; the file has them now
        save_npy(tmp / VECTORS, vectors)
        np.save(tmp / VECTOR_KEYS, np.array(keys, dtype="S64"))
        _jsonl(tmp / PASSAGES, passages)
        _jsonl(tmp / DOCUMENTS, documents)
        data_files: tuple[str, ...] = (FAISS_FILE, VECTORS, VECTOR_KEYS, PASSAGES, DOCUMENTS)
        if unit_vectors is not None:
            data_files += sentences.save(tmp, unit_vectors)
        if finish is not None:
            manifest = finish(tmp, manifest)
        manifest = replace(manifest, files=file_digests(tmp, data_files))
        _seal(tmp, manifest, index_dir, sorted(p for p in tmp.rglob("*") if p.is_file()))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def rewrite_documents(
    index_dir: Path, documents: Sequence[Document], corpus_digest: str
) -> Manifest:
    """The index with new document records (e.g. audiences) and nothing else changed: the
    other files are hard-linked into a fresh folder swapped in like a build (callers hold
    index_lock), so a running service reloads it and nothing is embedded again."""
    index_dir = index_dir.resolve()
    manifest = read_manifest(index_dir)
    folder = readable_dir(index_dir)
    tmp = new_folder(index_dir)
    try:
        for path in sorted(folder.rglob("*")):
            target = tmp / path.relative_to(folder)
            if path.is_dir():
                target.mkdir(exist_ok=True)
            elif path.name not in (MANIFEST, DOCUMENTS) or path.parent != folder:
                try:
                    os.link(path, target)
                except OSError:
                    shutil.copy2(path, target)
        _jsonl(tmp / DOCUMENTS, documents)
        files = {**manifest.files}
        if DOCUMENTS in files:
            files.update(file_digests(tmp, [DOCUMENTS]))
        manifest = replace(
            manifest, corpus_hash=corpus_digest, build_id=uuid.uuid4().hex, files=files
        )
        _seal(tmp, manifest, index_dir, [tmp / DOCUMENTS])  # the rest are the old files
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _seal(tmp: Path, manifest: Manifest, index_dir: Path, written: Sequence[Path]) -> None:
    """Write the manifest, flush what was written to disk, and swap the folder in.

    The manifest is written last: a folder without one is never a finished index."""
    (tmp / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2) + "\n")
    for path in [*written, tmp / MANIFEST]:
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
    _swap_into_place(tmp, index_dir)


def _backup_of(index_dir: Path) -> Path:
    return index_dir.parent / f".{index_dir.name}.previous"


def _swap_into_place(tmp: Path, index_dir: Path) -> None:
    """Two renames (callers hold index_lock); between them readers fall back to the backup."""
    backup = _backup_of(index_dir)
    if index_dir.exists():
        shutil.rmtree(backup, ignore_errors=True)
        os.rename(index_dir, backup)
    # else: a build died between the renames; the backup is the last whole index, kept
    # until the new one is in place.
    os.rename(tmp, index_dir)
    shutil.rmtree(backup, ignore_errors=True)


def readable_dir(index_dir: Path) -> Path:
    """The index folder, or its backup while a build is between its two renames (or died
    there). Readers never rename anything: only a build, under the lock, moves folders."""
    backup = _backup_of(index_dir)
    if not (index_dir / MANIFEST).exists() and (backup / MANIFEST).exists():
        return backup
    return index_dir


def read_manifest(index_dir: Path) -> Manifest:
    path = readable_dir(index_dir) / MANIFEST
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise IndexNotFound(f"no index at {index_dir} (run: python -m search build)") from exc
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"{path}: unreadable manifest ({exc})") from exc
    if data.get("schema_version") != SCHEMA_VERSION:
        raise IndexMismatch(
            f"{path}: schema version {data.get('schema_version')!r}, this version reads "
            f"{SCHEMA_VERSION}; rebuild with: python -m search build"
        )
    try:
        if data.get("query_model") is not None:
            data["query_model"] = QueryModel(**data["query_model"])
        return Manifest(**data)
    except TypeError as exc:
        raise IndexCorrupt(f"{path}: manifest fields are wrong ({exc})") from exc


def load_index(
    index_dir: Path, model: str | None = None, dimension: int | None = None
) -> LoadedIndex:
    """Read an index folder, refusing one built for another model or dimension.

    A build may swap the folder while we read it; then the manifest read at the end is not
    the one read at the start, and we read again, so files of two builds never mix.
    """
    for attempt in range(5):
        started = _build_id(index_dir)
        try:
            loaded = _load_once(index_dir, model, dimension)
        except (IndexCorrupt, IndexNotFound):
            # Broken for good, unless a build swapped the folder while we read it (no
            # manifest at the start means we may have started between a swap's two renames;
            # the same build read from the backup, that we are between them now).
            settled = (index_dir / MANIFEST).is_file() and _build_id(index_dir) == started
            if attempt == 4 or (started is not None and settled):
                raise
        else:
            if _build_id(index_dir) == loaded.manifest.build_id:
                return loaded
        time.sleep(0.05)
    raise IndexCorrupt(f"{index_dir}: the index kept changing while it was read; try again")


def _build_id(index_dir: Path) -> str | None:
    try:
        return read_manifest(index_dir).build_id
    except (IndexNotFound, IndexCorrupt, IndexMismatch):
        return None


def _load_once(index_dir: Path, model: str | None, dimension: int | None) -> LoadedIndex:
    manifest = read_manifest(index_dir)
    folder = readable_dir(index_dir)
    if model is not None and manifest.model != model:
        raise IndexMismatch(
            f"index at {index_dir} was built with model {manifest.model!r}, but the service uses "
            f"{model!r}; rebuild with: python -m search build"
        )
    if dimension is not None and manifest.dimension != dimension:
        raise IndexMismatch(
            f"index at {index_dir} has dimension {manifest.dimension}, but the model gives "
            f"{dimension}; rebuild with: python -m search build"
        )
    verify_files(folder, manifest.files)
    passages = read_jsonl(folder / PASSAGES, Passage)
    documents = read_jsonl(folder / DOCUMENTS, Document)
    try:
        flat = faiss.read_index(str(folder / FAISS_FILE))
    except RuntimeError as exc:
        raise IndexCorrupt(f"{folder / FAISS_FILE}: unreadable FAISS index") from exc
    if not (flat.ntotal == len(passages) == manifest.passage_count) or flat.d != manifest.dimension:
        raise IndexCorrupt(
            f"{index_dir}: FAISS holds {flat.ntotal} vectors of dimension {flat.d}, passages.jsonl "
            f"{len(passages)}, manifest {manifest.passage_count} of dimension {manifest.dimension}"
        )
    units = sentences.load(folder, manifest.dimension)
    return LoadedIndex(manifest, tuple(passages), tuple(documents), flat, folder, units)


def indexed_documents(index_dir: Path) -> tuple[Document, ...]:
    """The documents of the index at index_dir; none when there is no readable index."""
    try:
        read_manifest(index_dir)
        return tuple(read_jsonl(readable_dir(index_dir) / DOCUMENTS, Document))
    except (IndexNotFound, IndexCorrupt, IndexMismatch):
        return ()


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    """A row as its dataclass takes it: JSON gives a passage's heading path as a list, and a
    frozen passage must hold a tuple to stay hashable. (Rows written before the field
    existed lack it and take the default.)"""
    if isinstance(row.get("headings"), list):
        row["headings"] = tuple(row["headings"])
    if isinstance(row.get("page_breaks"), list):
        row["page_breaks"] = tuple(tuple(b) for b in row["page_breaks"])
    return row


def read_jsonl(path: Path, cls: type[_Row]) -> list[_Row]:
    """The rows of a JSONL file of the index; IndexCorrupt when it is missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as fh:
            return [cls(**_fields(json.loads(line))) for line in fh if line.strip()]
    except FileNotFoundError as exc:
        raise IndexCorrupt(f"{path}: missing") from exc
    except (ValueError, TypeError) as exc:
        raise IndexCorrupt(f"{path}: unreadable line ({exc})") from exc
