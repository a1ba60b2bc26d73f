"""`python -m tests.fake_cli ARGS`: the real command line, with the fake embedder.

For tests that need a separate process (to SIGKILL a build, or to serve over a socket).
SEARCH_TEST_EMBED_DELAY slows each embedding call; SEARCH_TEST_PAUSE_BEFORE_SWAP pauses
a build after its files are written and before they replace the old index. Either way,
the file named by SEARCH_TEST_MARKER is created when the slow part starts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import search.embed.st
import search.index.store
from search.cli import cli
from tests.fakes import FakeEmbedder

DELAY = float(os.environ.get("SEARCH_TEST_EMBED_DELAY", "0"))
PAUSE = float(os.environ.get("SEARCH_TEST_PAUSE_BEFORE_SWAP", "0"))
MARKER = os.environ.get("SEARCH_TEST_MARKER")


def _mark() -> None:
    if MARKER:
        Path(MARKER).touch()


class SlowFake(FakeEmbedder):
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if DELAY:
            _mark()
            time.sleep(DELAY)
        return super().embed(texts)


def main() -> None:
    search.embed.st.load_embedder = lambda *_a, **_k: SlowFake()  # type: ignore[assignment]
    if PAUSE:
        swap = search.index.store._swap_into_place

        def slow_swap(tmp: Path, index_dir: Path) -> None:
            _mark()
            time.sleep(PAUSE)
            swap(tmp, index_dir)

        search.index.store._swap_into_place = slow_swap
    cli(prog_name="scr-search")


if __name__ == "__main__":
    main()
