"""A small closed-loop HTTP/1.1 load generator on asyncio, for loopback benchmarks.

`concurrency` keep-alive connections each send one request, wait for the whole answer and
send the next, until the requests run out or the time is up: both bounds always hold.
It speaks just enough HTTP (Content-Length bodies) to stay cheap, because the client shares
the machine's cores with the server it measures.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

import numpy as np


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes = b""


@dataclass(frozen=True)
class Outcome:
    latencies: tuple[float, ...]  # seconds, successful requests only
    errors: int
    elapsed: float
    sample_errors: tuple[str, ...] = field(default=())

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        return float(np.percentile(np.array(self.latencies), q) * 1000)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed > 0 else 0.0

    def summary(self) -> dict[str, float | int]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "p50_ms": round(self.percentile_ms(50), 2),
            "p95_ms": round(self.percentile_ms(95), 2),
            "p99_ms": round(self.percentile_ms(99), 2),
            "rps": round(self.throughput, 1),
        }


def get(path: str, **params: str | int) -> Request:
    query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items())
    return Request("GET", f"{path}?{query}" if query else path)


def post_json(path: str, payload: object) -> Request:
    return Request("POST", path, json.dumps(payload).encode())


def _encode(req: Request, host: str) -> bytes:
    head = f"{req.method} {req.path} HTTP/1.1\r\nHost: {host}\r\n"
    if req.body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(req.body)}\r\n"
    return (head + "\r\n").encode() + req.body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length is None:
        raise ValueError("response without Content-Length")
    return status, await reader.readexactly(length)


async def _drive(
    host: str,
    port: int,
    requests: Sequence[Request],
    concurrency: int,
    seconds: float,
    check: Callable[[int, bytes], str | None],
) -> Outcome:
    queue = list(reversed(requests))
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while queue and time.perf_counter() < deadline:
                req = queue.pop()
                began = time.perf_counter()
                try:
                    writer.write(_encode(req, host))
                    status, body = await _read_response(reader)
                except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
                    errors.append(f"{req.path[:60]}: {exc!r}")
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                took = time.perf_counter() - began
                problem = check(status, body)
                if problem is None:
                    latencies.append(took)
                else:
                    errors.append(f"{req.path[:60]}: {problem}")
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return Outcome(tuple(latencies), len(errors), elapsed, tuple(errors[:5]))


def ok_json(key: str) -> Callable[[int, bytes], str | None]:
    """A check that wants status 200 and a JSON object holding `key`."""

    def check(status: int, body: bytes) -> str | None:
        if status != 200:
            return f"status {status}: {body[:120]!r}"
        try:
            data = json.loads(body)
        except ValueError:
            return "body is not JSON"
        return None if isinstance(data, dict) and key in data else f"no {key!r} in the answer"

    return check


def run(
    host: str,
    port: int,
    requests: Sequence[Request],
    concurrency: int,
    seconds: float,
    check: Callable[[int, bytes], str | None],
) -> Outcome:
    """Send `requests` over `concurrency` connections for at most `seconds`."""
    return asyncio.run(_drive(host, port, requests, concurrency, seconds, check))
