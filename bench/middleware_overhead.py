"""What the security and observability middleware cost per request, measured in-process.

Calls the ASGI app directly (no sockets, no client library) N times for GET /health and
GET /search, once with the middleware and once without, and prints microseconds per
request. A hash embedder stands in for the model so the numbers are the HTTP layer's.

    python -m bench.middleware_overhead [-n 1000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from search.api import create_app
from search.api.observability import ObservabilityMiddleware
from search.api.security import SecurityMiddleware
from search.config import Settings
from search.embed.base import normalise

ROOT = Path(__file__).resolve().parent.parent


class HashEmbedder:
    name = "bench-hash"
    dimension = 64

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = [np.frombuffer(hashlib.sha512(t.encode()).digest(), dtype=np.uint8) for t in texts]
        return normalise(np.array(rows, dtype=np.float32).reshape(len(texts), -1))


async def _call(app: Any, path: str, query: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _measure(n: int, rounds: int, settings: Settings) -> dict[str, dict[str, float]]:
    """Best time per request over interleaved rounds, so a noisy neighbour hurts both alike."""
    full = create_app(settings, embedder=HashEmbedder())
    bare = create_app(settings, embedder=HashEmbedder())
    drop = (SecurityMiddleware, ObservabilityMiddleware)
    bare.user_middleware = [m for m in bare.user_middleware if m.cls not in drop]
    headers = [(b"host", b"bench"), (b"x-api-key", b"bench-key")]
    best: dict[str, dict[str, float]] = {"without": {}, "with": {}}
    async with full.router.lifespan_context(full), bare.router.lifespan_context(bare):
        for _ in range(rounds):
            for label, app in (("without", bare), ("with", full)):
                for path, query in (("/health", b""), ("/search", b"q=neglect&k=5")):
                    for _ in range(50):  # warm up
                        await _call(app, path, query, headers)
                    began = time.perf_counter()
                    for _ in range(n):
                        assert await _call(app, path, query, headers) == 200
                    took = (time.perf_counter() - began) / n * 1e6
                    best[label][path] = min(took, best[label].get(path, took))
    return best


async def _alone(n: int, rounds: int, settings: Settings) -> tuple[float, float]:
    """The two middleware around an app that answers at once: their cost and nothing else."""

    async def instant(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    fastapi_app = create_app(settings, embedder=HashEmbedder())
    wrapped = ObservabilityMiddleware(
        SecurityMiddleware(instant, fastapi_app=fastapi_app, settings=settings),
        fastapi_app=fastapi_app,
    )
    headers = [(b"host", b"bench"), (b"x-api-key", b"bench-key")]
    best = {"bare": float("inf"), "wrapped": float("inf")}
    for _ in range(rounds):
        for label, app in (("bare", instant), ("wrapped", wrapped)):
            began = time.perf_counter()
            for _ in range(n):
                await _call(app, "/search", b"q=neglect", headers)
            best[label] = min(best[label], (time.perf_counter() - began) / n * 1e6)
    return best["bare"], best["wrapped"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1000, help="requests per round")
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            corpus_dir=ROOT / "corpus",
            index_dir=Path(tmp) / "index",
            api_keys="bench-key",
            rate_limit="1000000/second",
        )
        best = asyncio.run(_measure(args.n, args.rounds, settings))
        bare_us, wrapped_us = asyncio.run(_alone(args.n * 5, args.rounds, settings))
    print(f"middleware alone: {wrapped_us - bare_us:.1f} us per request")
    for path, bare in best["without"].items():
        full = best["with"][path]
        print(f"GET {path}: {bare:.0f} us without, {full:.0f} us with (+{full - bare:.0f} us)")


if __name__ == "__main__":
    main()
