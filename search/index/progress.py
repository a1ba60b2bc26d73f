"""How far a build is: documents read, texts embedded, the rate and the time left.

A build reports to any `progress(done, total)` callable (texts embedded so far, of how
many); one that also has `documents(done, total)` hears about the files read before. A
BuildProgress keeps the figures for whoever asks, from another thread: the CLI draws them
as bars, the service shows them in /health and /metrics while it adds a document.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@runtime_checkable
class ReadsDocuments(Protocol):
    """A progress callback that also wants to hear about the documents read."""

    def __call__(self, done: int, total: int) -> None: ...

    def documents(self, done: int, total: int) -> None: ...


@dataclass(frozen=True)
class BuildStatus:
    building: bool
    phase: str  # "reading", "embedding" or "" when no build runs
    documents_done: int
    documents_total: int
    done: int  # texts embedded (passages, then sentences)
    total: int
    per_second: float  # texts embedded per second, this build
    eta_seconds: float | None  # None until the rate is known


class BuildProgress:
    """The latest figures of the build in progress, safe to read from any thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._status = BuildStatus(False, "", 0, 0, 0, 0, 0.0, None)
        self._began = 0.0

    def start(self) -> None:
        with self._lock:
            self._status = BuildStatus(True, "reading", 0, 0, 0, 0, 0.0, None)

    def documents(self, done: int, total: int) -> None:
        with self._lock:
            self._status = BuildStatus(True, "reading", done, total, 0, 0, 0.0, None)

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        with self._lock:
            s = self._status
            if s.phase != "embedding":
                self._began = now
            elapsed = now - self._began
            rate = done / elapsed if elapsed > 0 and done else 0.0
            eta = (total - done) / rate if rate else (0.0 if done >= total else None)
            self._status = BuildStatus(
                True, "embedding", s.documents_done, s.documents_total, done, total,
                round(rate, 2), None if eta is None else round(eta, 1),
            )  # fmt: skip

    def finish(self) -> None:
        with self._lock:
            self._status = BuildStatus(False, "", 0, 0, 0, 0, 0.0, None)

    def status(self) -> BuildStatus:
        with self._lock:
            return self._status
