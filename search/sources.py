"""The corpus folder: which files in it are documents, the sidecar beside each, and the hash
that tells whether an index is current.

File-system conventions only (no parsing), so a serving process can check its index
against the corpus without importing any reader.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from search.errors import CorpusError

FORMATS = {
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".jsonl": "jsonl",
}
FORMAT_NAMES = {
    "md": "Markdown",
    "txt": "text",
    "html": "HTML",
    "pdf": "PDF",
    "docx": "Word .docx",
    "jsonl": "JSON Lines",
}
# A sidecar beside a corpus file gives what the file itself cannot say, e.g. the URL a PDF
# is published at: procedure.pdf.meta.json = {"url": "https://...", "title": "..."}, and
# who may see it: {"audience": ["board", "dsl"]} (no audience: everyone may).
META_SUFFIX = ".meta.json"


def is_corpus_file(path: Path) -> bool:
    return (
        path.is_file()
        and path.suffix.lower() in FORMATS
        and not path.name.startswith(".")
        and not path.name.endswith(META_SUFFIX)
    )


def corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {str(corpus_dir)!r} does not exist")
    return sorted(p for p in corpus_dir.rglob("*") if is_corpus_file(p))


def sidecar_of(path: Path) -> Path:
    return path.with_name(path.name + META_SUFFIX)


def read_sidecar(path: Path) -> tuple[bytes, dict[str, Any]]:
    meta_path = sidecar_of(path)
    if not meta_path.is_file():
        return b"", {}
    raw = meta_path.read_bytes()
    try:
        meta = json.loads(raw)
    except ValueError as exc:
        raise CorpusError(f"{meta_path}: not valid JSON ({' '.join(str(exc).split())})") from exc
    if not isinstance(meta, dict):
        raise CorpusError(f"{meta_path}: must hold a JSON object")
    return raw, meta


def file_sha256(path: Path) -> str:
    """Hash of the file and its sidecar: when it is unchanged, so are its passages."""
    digest = hashlib.sha256(path.read_bytes())
    digest.update(read_sidecar(path)[0])
    return digest.hexdigest()


def corpus_hash(corpus_dir: Path) -> str:
    """sha256 over each corpus file's relative path and bytes (and its sidecar's)."""
    digest = hashlib.sha256()
    for path in corpus_files(corpus_dir):
        digest.update(path.relative_to(corpus_dir).as_posix().encode() + b"\0")
        digest.update(bytes.fromhex(file_sha256(path)))
    return digest.hexdigest()
