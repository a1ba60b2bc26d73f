"""Which reading of the documents an index holds: a fingerprint of the reader and chunker code.

An index is rebuilt when its corpus or model changes; it must be too when the code that turns
files into passages changes, or an upgrade with a better PDF reader would go on serving the
old passages until someone edits a document. The fingerprint is the hash of the source of
search/ingest and search/chunk, so no one has to remember to bump a number; a rebuild it
triggers parses the files again but reuses every vector whose text is unchanged.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from search import __version__

_PACKAGE = Path(__file__).resolve().parent.parent
_READERS = ("ingest", "chunk")


@functools.cache
def reading_version() -> str:
    """The fingerprint of this installation's reader and chunker (16 hex digits)."""
    digest = hashlib.sha256()
    files = sorted(p for folder in _READERS for p in (_PACKAGE / folder).glob("*.py"))
    if not files:  # installed without its sources: the package version is what we know
        return f"version-{__version__}"
    for path in files:
        digest.update(path.relative_to(_PACKAGE).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
