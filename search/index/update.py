"""Change the corpus folder and its index together: add files, remove documents.

Each change copies or deletes files in the corpus folder, then rebuilds the index
incrementally (unchanged files are not parsed again, unchanged passages not embedded
again) and swaps it into place; a running service picks the new index up by itself. If
anything fails, the corpus folder is put back as it was and the index is untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from search.embed.base import Embedder
from search.errors import CorpusError, DocumentNotFound
from search.index.build import rebuild, reuse_from
from search.index.store import (
    DOCUMENTS,
    Manifest,
    index_lock,
    indexed_documents,
    read_jsonl,
    read_manifest,
    readable_dir,
    rewrite_documents,
)
from search.ingest.base import check_url
from search.ingest.corpus import read_corpus, read_file
from search.model import Document, ParsedDocument
from search.sources import corpus_hash, file_sha256, read_sidecar, sidecar_of


@dataclass(frozen=True)
class Change:
    """What one add or remove did to the index."""

    added: tuple[str, ...]  # ids of documents new to the index
    updated: tuple[str, ...]  # ids of documents whose file was replaced
    removed: tuple[str, ...]
    manifest: Manifest


class _Undo:
    """Corpus files changed so far, so a failed change can put them back."""

    def __init__(self, corpus_dir: Path) -> None:
        self.corpus_dir = corpus_dir
        self.saved: list[tuple[Path, Path | None]] = []  # (path, its old content or None)

    def _stash(self, path: Path) -> None:
        backup = None
        if path.exists():
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            os.close(fd)
            os.replace(path, name)  # a hidden name: corpus scans skip it
            backup = Path(name)
        self.saved.append((path, backup))

    def write(self, path: Path, data: bytes) -> None:
        self._stash(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)

    def copy(self, source: Path, path: Path) -> None:
        self._stash(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(fd)
        shutil.copyfile(source, tmp)
        os.replace(tmp, path)

    def delete(self, path: Path) -> None:
        self._stash(path)

    def rollback(self) -> None:
        for path, backup in reversed(self.saved):
            path.unlink(missing_ok=True)
            if backup is not None:
                os.replace(backup, path)

    def commit(self) -> None:
        for _, backup in self.saved:
            if backup is not None:
                backup.unlink(missing_ok=True)


@contextmanager
def _changing(corpus_dir: Path, index_dir: Path) -> Iterator[_Undo]:
    """Hold the index lock; undo the corpus changes if the block fails."""
    with index_lock(index_dir):
        undo = _Undo(corpus_dir)
        try:
            yield undo
        except BaseException:
            undo.rollback()
            raise
        undo.commit()


def add_files(
    paths: Sequence[Path],
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    url: str | None = None,
    title: str | None = None,
    log: Callable[[str], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    audience: tuple[str, ...] | None = None,
) -> Change:
    """Copy files into the corpus folder (replacing files of the same name) and update the
    index. url and title, for a single file, and the audience (the groups that may see
    the files; () for everyone) go into each file's sidecar FILE.meta.json."""
    if not paths:
        raise CorpusError("no files to add")
    if (url or title) and len(paths) > 1:
        raise CorpusError("--url and --title describe one file; add the files one at a time")
    url = check_url(url, "--url")
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {str(corpus_dir)!r} does not exist")
    targets: dict[str, Path] = {}
    new_ids: set[str] = set()
    parsed: list[ParsedDocument] = []
    for path in paths:
        if not path.is_file():
            raise CorpusError(f"{path}: no such file")
        # Parse before copying anything: a file that cannot be read never enters the corpus.
        # The build takes these documents as they are if the file gets no other sidecar.
        parsed += read_file(path)
        new_ids |= {d.id for d in parsed}
        if path.name in targets:
            raise CorpusError(f"{path}: two files named {path.name!r}; rename one")
        targets[path.name] = path
    with _changing(corpus_dir, index_dir) as undo:
        before = {d.id for d in indexed_documents(index_dir)}
        for name, source in targets.items():
            target = corpus_dir / name
            if source.resolve() != target.resolve():
                undo.copy(source, target)
            if url or title or audience is not None:
                given = {k: v for k, v in (("url", url), ("title", title)) if v}
                _write_sidecar(undo, target, given, audience)
        manifest = rebuild(
            corpus_dir, index_dir, embedder, log, progress, reuse_parsed=True, parsed_now=parsed
        )
    return Change(tuple(sorted(new_ids - before)), tuple(sorted(new_ids & before)), (), manifest)


def remove_document(
    doc_id: str,
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    log: Callable[[str], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Change:
    """Delete a document's file from the corpus (or its line from a .jsonl file) and update
    the index."""
    with _changing(corpus_dir, index_dir) as undo:
        docs = read_corpus(corpus_dir, reuse_from(index_dir, embedder))
        found = next((d for d in docs if d.id == doc_id), None)
        if found is None:
            raise DocumentNotFound(
                f"no document {doc_id!r} in {corpus_dir} (python -m search documents lists them)"
            )
        path = corpus_dir / found.source
        if found.format == "jsonl" and sum(d.source == found.source for d in docs) > 1:
            undo.write(path, _edit_line(path, doc_id, lambda _row: None))
        else:
            undo.delete(path)
            if sidecar_of(path).exists():
                undo.delete(sidecar_of(path))
        manifest = rebuild(corpus_dir, index_dir, embedder, log, progress, reuse_parsed=True)
    return Change((), (), (doc_id,), manifest)


def _edit_line(
    path: Path, doc_id: str, edit: Callable[[dict[str, Any]], dict[str, Any] | None]
) -> bytes:
    """The .jsonl file's bytes with doc_id's line edited (None: dropped); other lines stay
    byte for byte."""
    out = []
    for line in path.read_bytes().splitlines(keepends=True):
        try:
            row = json.loads(line) if line.strip() else None
        except ValueError:
            row = None
        if isinstance(row, dict) and str(row.get("id")) == doc_id:
            edited = edit(row)
            if edited is None:
                continue
            end = line[len(line.rstrip(b"\r\n")) :]
            line = json.dumps(edited, ensure_ascii=False).encode() + (end or b"\n")
        out.append(line)
    return b"".join(out)


def _write_sidecar(
    undo: _Undo, path: Path, given: dict[str, str], audience: tuple[str, ...] | None
) -> None:
    """Merge fields into the file's sidecar (an audience of () removes it: open to all)."""
    meta = {**read_sidecar(path)[1], **given}
    if audience is not None:
        meta.pop("audience", None)
        if audience:
            meta["audience"] = list(audience)
    if meta or sidecar_of(path).exists():
        undo.write(sidecar_of(path), json.dumps(meta, indent=2).encode() + b"\n")


def set_audience(
    doc_id: str, audience: tuple[str, ...], corpus_dir: Path, index_dir: Path
) -> Document:
    """Change who may see a document, in its sidecar (or its line of a .jsonl file) and in
    the index's documents file, without parsing or embedding anything; a running service
    reloads the index by itself. The document's new record is returned."""
    with _changing(corpus_dir, index_dir) as undo:
        manifest = read_manifest(index_dir)
        documents = read_jsonl(readable_dir(index_dir) / DOCUMENTS, Document)
        found = next((d for d in documents if d.id == doc_id), None)
        if found is None:
            raise DocumentNotFound(
                f"no document {doc_id!r} in the index (python -m search documents lists them)"
            )
        path = corpus_dir / found.source
        if not path.is_file():
            raise CorpusError(f"{path}: the file of {doc_id!r} is not in the corpus folder")
        # Whether the index matched the corpus before: then it still does after.
        current = manifest.corpus_hash == corpus_hash(corpus_dir)
        if found.format == "jsonl":
            # Explicit even when empty: a line without one has the file's sidecar audience.
            undo.write(
                path, _edit_line(path, doc_id, lambda row: {**row, "audience": list(audience)})
            )
        else:
            _write_sidecar(undo, path, {}, audience)
        sha = file_sha256(path)
        changed = [
            replace(d, sha256=sha, audience=audience if d.id == doc_id else d.audience)
            if d.source == found.source
            else d
            for d in documents
        ]
        digest = corpus_hash(corpus_dir) if current else manifest.corpus_hash
        rewrite_documents(index_dir, changed, digest)
    return next(d for d in changed if d.id == doc_id)
