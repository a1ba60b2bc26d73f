"""Hot reload: a running service picks up an index written after it started.

A background task checks the manifest's file identity every `reload_interval` seconds (a
build renames a whole new folder into place, so the manifest's inode changes); POST
/admin/reload does the same check on demand. The new index is loaded off the event loop,
and the app's searcher is then replaced by one reference assignment: a request holds the
searcher it started with, so requests in flight finish on the old index and none fails.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from search.embed.base import Embedder
from search.errors import SearchError
from search.index.store import MANIFEST, LoadedIndex, load_index, read_manifest
from search.retrieve.searcher import Searcher

log = logging.getLogger("search.api")


class IndexReloader:
    def __init__(
        self,
        app: FastAPI,
        index_dir: Path,
        embedder: Embedder,
        make_searcher: Callable[[LoadedIndex], Searcher],
    ) -> None:
        self.app = app
        self.index_dir = index_dir
        self.embedder = embedder
        self.make_searcher = make_searcher
        self._lock = asyncio.Lock()
        self._seen = self._stamp()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.index_dir / MANIFEST)
        except OSError:
            return None  # no index, or a build between its two renames: look again later
        return st.st_ino, st.st_mtime_ns

    def _current_build(self) -> str | None:
        searcher: Searcher | None = getattr(self.app.state, "searcher", None)
        return searcher.index.manifest.build_id if searcher is not None else None

    async def reload(self, force: bool = False) -> bool:
        """Load the index on disk if it is another build than the one served; with force,
        also when the manifest looks unchanged. True when the searcher was replaced."""
        async with self._lock:
            stamp = self._stamp()
            if not force and (stamp is None or stamp == self._seen):
                return False
            try:
                manifest = await asyncio.to_thread(read_manifest, self.index_dir)
                if manifest.build_id == self._current_build():
                    self._seen = stamp
                    return False
                index = await asyncio.to_thread(
                    load_index, self.index_dir, self.embedder.name, self.embedder.dimension
                )
                searcher = await asyncio.to_thread(self.make_searcher, index)
            except SearchError:
                # A build we cannot serve is not retried until another one is written.
                self._seen = stamp
                raise
            self.app.state.searcher = searcher  # the swap: one reference assignment
            self._seen = stamp
            m = index.manifest
            log.info("serving index %s: %d passages, %d documents", m.build_id, m.passage_count,
                     m.document_count)  # fmt: skip
            return True

    async def watch(self, interval: float) -> None:
        """Poll until cancelled. Errors are logged; the index being served stays."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reload()
            except SearchError as exc:
                log.warning("new index at %s not loaded: %s", self.index_dir, exc.message)
            except Exception:
                log.exception("new index at %s not loaded", self.index_dir)
