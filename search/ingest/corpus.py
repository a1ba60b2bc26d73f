"""Read source files of every supported format into documents and their passages.

Each reader turns its format into the chunker's blocks (HTML, Word: the markup says what is
a heading, a list item or a table) or into text the chunker parses (Markdown, plain text,
PDF, JSONL), so all formats share one chunking path, search.chunk.passages.chunk_blocks. A file that
cannot be used raises CorpusError with the file's name and the reason, on one line.
"""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from search.chunk.blocks import document_title, text_blocks
from search.chunk.inline import plain
from search.chunk.passages import chunk_blocks, slugify
from search.errors import CorpusError
from search.ingest.base import Extracted, check_url, clean, one_line
from search.model import ParsedDocument, Passage, group_names
from search.sources import (
    FORMAT_NAMES,
    FORMATS,
    META_SUFFIX,
    corpus_files,
    file_sha256,
    read_sidecar,
)

_JSONL_ID = re.compile(r"^\w[\w.-]{0,199}$")


def _reader(fmt: str) -> Callable[[bytes, Path], Extracted]:
    # Imported on first use: the HTML, PDF and Word libraries are not needed to serve queries.
    if fmt == "html":
        from search.ingest.html import read_html

        return read_html
    if fmt == "pdf":
        from search.ingest.pdf import read_pdf

        return read_pdf
    if fmt == "docx":
        from search.ingest.docx import read_docx

        return read_docx
    return read_text


def read_text(data: bytes, path: Path) -> Extracted:
    try:
        return Extracted(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 text (byte {exc.start})") from exc


def read_file(path: Path, corpus_dir: Path | None = None) -> list[ParsedDocument]:
    """The documents of one file (one, or one per line of a .jsonl file)."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(set(FORMATS)))
        raise CorpusError(f"{path}: unsupported format {path.suffix or '(none)'!r}; use {known}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot be read ({exc.strerror})") from exc
    if not data.strip():
        raise CorpusError(f"{path}: the file is empty")
    meta_raw, meta = read_sidecar(path)
    sha = hashlib.sha256(data + meta_raw).hexdigest()
    source = path.relative_to(corpus_dir).as_posix() if corpus_dir else path.name
    audience = audience_of(meta.pop("audience", None), f"{path}{META_SUFFIX}")
    if fmt == "jsonl":
        return list(_jsonl_documents(data, path, source, sha, audience))
    reader = _reader(fmt)
    try:
        found = reader(data, path)
    except CorpusError:
        raise
    except Exception as exc:  # parsers of binary formats raise many kinds of error on bad input
        raise CorpusError(
            f"{path}: not a readable {FORMAT_NAMES[fmt]} file ({type(exc).__name__}: "
            f"{one_line(exc)})"
        ) from exc
    url = check_url(meta.pop("url", None), f"{path}{META_SUFFIX}") or found.url
    title = meta.pop("title", None)
    if title is not None and not isinstance(title, str):
        raise CorpusError(f"{path}{META_SUFFIX}: 'title' must be a string")
    if title is None and found.title_final:
        title = found.title
    doc = make_document(
        found, slugify(path.stem), fmt, source, sha, found.title or path.stem, url, title
    )
    if not doc.passages:
        raise CorpusError(f"{path}: no text found to index")
    return [replace(doc, metadata=meta, audience=audience)]


def audience_of(value: object, where: str) -> tuple[str, ...]:
    """The groups a document is for, from its sidecar or JSONL line; () when open to all."""
    if value is None:
        return ()
    try:
        return group_names(value)
    except ValueError as exc:
        raise CorpusError(f"{where}: 'audience' {exc}") from exc


def make_document(
    found: Extracted,
    doc_id: str,
    fmt: str,
    source: str,
    sha: str,
    fallback_title: str,
    url: str | None,
    title: str | None = None,
) -> ParsedDocument:
    """Chunk what a reader found; passages learn the document's URL and their PDF page."""
    blocks = found.blocks
    written = blocks is None  # Markdown or plain text, as a person typed it
    if blocks is None:
        blocks = tuple(text_blocks(found.text))
    found_title = document_title(blocks, fallback_title)
    title = clean(title or "") or (plain(found_title) if written else found_title)
    passages = chunk_blocks(blocks, doc_id, title, inline_markdown=written)
    offsets = [at for at, _ in found.page_marks]

    def page(start: int) -> int | None:
        i = bisect_right(offsets, start) - 1
        return found.page_marks[max(i, 0)][1] if offsets else None

    def breaks(p: Passage) -> tuple[tuple[int, int], ...]:
        marks = found.page_marks[bisect_right(offsets, p.start) : bisect_left(offsets, p.end)]
        return tuple((at - p.start, number) for at, number in marks)

    passages = [replace(p, url=url, page=page(p.start), page_breaks=breaks(p)) for p in passages]
    return ParsedDocument(doc_id, title, fmt, source, url, sha, tuple(passages), found.pages)


def _jsonl_documents(
    data: bytes, path: Path, source: str, sha: str, audience: tuple[str, ...] = ()
) -> Iterator[ParsedDocument]:
    """One document per line: {"id", "text", optional "title", "url", "audience", anything
    else kept}. A line without an audience has the sidecar's (the file's), if any."""
    try:
        lines = data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise CorpusError(f"{where}: not valid JSON ({one_line(exc)})") from exc
        if not isinstance(row, dict):
            raise CorpusError(f"{where}: must be a JSON object")
        doc_id, text = row.pop("id", None), row.pop("text", None)
        if isinstance(doc_id, int) and not isinstance(doc_id, bool):
            doc_id = str(doc_id)
        if not isinstance(doc_id, str) or not _JSONL_ID.match(doc_id):
            raise CorpusError(f"{where}: 'id' must be letters, digits, '.', '_' or '-' (not first)")
        if doc_id in seen:
            raise CorpusError(f"{where}: id {doc_id!r} appears twice")
        seen.add(doc_id)
        if not isinstance(text, str) or not text.strip():
            raise CorpusError(f"{where}: 'text' must be a non-empty string")
        title = row.pop("title", None)
        if title is not None and not isinstance(title, str):
            raise CorpusError(f"{where}: 'title' must be a string")
        url = check_url(row.pop("url", None), where)
        own = row.pop("audience", None)
        doc = make_document(Extracted(text), doc_id, "jsonl", source, sha, doc_id, url, title)
        yield replace(
            doc, metadata=row, audience=audience_of(own, where) if own is not None else audience
        )
    if not seen:
        raise CorpusError(f"{path}: the file holds no documents")


def read_corpus(
    corpus_dir: Path,
    reuse: Callable[[str, str], list[ParsedDocument] | None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ParsedDocument]:
    """Every document in the corpus folder; reuse(source, sha256) may return a file's
    documents from the previous build so that unchanged files are not parsed again.
    progress(done, total) hears of each file read."""
    docs: list[ParsedDocument] = []
    files = corpus_files(corpus_dir)
    for done, path in enumerate(files, 1):
        source = path.relative_to(corpus_dir).as_posix()
        cached = reuse(source, file_sha256(path)) if reuse else None
        docs.extend(cached if cached is not None else read_file(path, corpus_dir))
        if progress:
            progress(done, len(files))
    if not docs:
        known = "/".join(sorted(set(FORMATS)))
        raise CorpusError(f"corpus folder {str(corpus_dir)!r} holds no {known} documents")
    check_unique(docs)
    return docs


def check_unique(docs: Sequence[ParsedDocument]) -> None:
    owners: dict[str, str] = {}
    for d in docs:
        if d.id in owners and owners[d.id] != d.source:
            raise CorpusError(
                f"document id {d.id!r} is used by both {owners[d.id]} and {d.source}; "
                "rename one of the files"
            )
        owners[d.id] = d.source
