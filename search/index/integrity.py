"""Checksums of the files of an index, so a damaged file is refused rather than served.

A truncated file fails to parse, but a flipped byte in the middle of the vectors parses
fine and silently returns wrong passages; a sha256 per file, kept in the manifest, catches
both. Hashing reads each file once at load (about 1 s per GB).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from search.errors import IndexCorrupt

_CHUNK = 1 << 20


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_digests(folder: Path, names: Iterable[str]) -> dict[str, str]:
    return {name: file_digest(folder / name) for name in names}


def verify_files(folder: Path, expected: Mapping[str, str]) -> None:
    """Raise IndexCorrupt naming the first file whose bytes are not those recorded."""
    for name, want in expected.items():
        path = folder / name
        try:
            got = file_digest(path)
        except FileNotFoundError as exc:
            raise IndexCorrupt(f"{path}: missing") from exc
        except OSError as exc:
            raise IndexCorrupt(f"{path}: cannot be read ({exc.strerror})") from exc
        if got != want:
            raise IndexCorrupt(
                f"{path}: damaged (its checksum differs from the manifest's); "
                "rebuild with: python -m search build"
            )
