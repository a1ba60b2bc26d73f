"""Load on a served process while the index is rebuilt on disk: failures and latency.

Starts `python -m search serve` (the real model) on 127.0.0.1, waits for /ready, then
runs CLIENTS threads against /search until `python -m search build` has rebuilt the same
index folder REBUILDS times, alternating between two corpora. Bounded in count (at most
--requests per client) and time; loopback only.

    python -m bench.load_during_rebuild [--port 8301] [--clients 8] [--rebuilds 2]
        [--requests 2000] [--workers 1] [--keys] [--rate-limit 100000/minute]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "How common was domestic abuse?",
    "Did dads feel left out?",
    "kids going missing from home",
    "what helped with neglect",
    "school exclusion and vulnerable adolescents",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8301)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=2000, help="at most, per client")
    ap.add_argument("--rebuilds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--keys", action="store_true", help="serve with an API key and send it")
    ap.add_argument("--rate-limit", default=None)
    ap.add_argument("--max-seconds", type=float, default=300)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="scr-bench-"))
    corpus_a = work / "a"
    shutil.copytree(ROOT / "corpus", corpus_a)
    corpus_b = work / "b"
    corpus_b.mkdir()
    text = (ROOT / "corpus" / "scr-triennial-analysis-2014-2017.md").read_text()
    (corpus_b / "half.md").write_text(text[: len(text) // 2])
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "SEARCH_CORPUS_DIR": str(corpus_a),
        "SEARCH_INDEX_DIR": str(work / "index"),
        "SEARCH_LOG_LEVEL": "warning",
    }
    headers = {}
    if args.keys:
        env["SEARCH_API_KEYS"] = "bench-key"
        headers["X-API-Key"] = "bench-key"
    if args.rate_limit:
        env["SEARCH_RATE_LIMIT"] = args.rate_limit
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "search", "serve", "--port", str(args.port)]
        + ["--workers", str(args.workers)],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_ready(base, server, args.max_seconds)
        _run(args, base, headers, env, corpus_a, corpus_b, work)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def _wait_ready(base: str, server: subprocess.Popen[bytes], limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("the service exited before it was ready")
        try:
            if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    sys.exit("the service was not ready in time")


def _run(
    args: argparse.Namespace,
    base: str,
    headers: dict[str, str],
    env: dict[str, str],
    corpus_a: Path,
    corpus_b: Path,
    work: Path,
) -> None:
    latencies: list[float] = []
    failures: list[str] = []
    builds_done = threading.Event()
    builds: list[float] = []

    def client(n: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as h:
            for i in range(args.requests):
                if builds_done.is_set():
                    return
                q = QUESTIONS[(n + i) % len(QUESTIONS)]
                began = time.perf_counter()
                try:
                    r = h.get("/search", params={"q": q, "k": 5})
                    if r.status_code != 200:
                        failures.append(f"{r.status_code}")
                except httpx.HTTPError as exc:
                    failures.append(type(exc).__name__)
                latencies.append(time.perf_counter() - began)

    def rebuild() -> None:
        n = 0
        while n < args.rebuilds:
            corpus = corpus_b if n % 2 == 0 else corpus_a
            began = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "search", "build", "--corpus", str(corpus)]
                + ["--index", str(work / "index")],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                timeout=args.max_seconds,
            )
            builds.append(time.perf_counter() - began)
            n += 1
        builds_done.set()

    builder = threading.Thread(target=rebuild)
    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    began = time.perf_counter()
    builder.start()
    for t in threads:
        t.start()
    builder.join(timeout=args.max_seconds)
    builds_done.set()
    for t in threads:
        t.join(timeout=args.max_seconds)
    elapsed = time.perf_counter() - began

    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    print(f"workers={args.workers} clients={args.clients} keys={args.keys}")
    print(f"requests: {len(latencies)} in {elapsed:.1f} s = {len(latencies) / elapsed:.1f}/s")
    print(f"failed: {len(failures)} {sorted(set(failures))}")
    print(
        f"latency ms: p50 {pct(0.5):.1f}  p95 {pct(0.95):.1f}  p99 {pct(0.99):.1f}  "
        f"max {latencies[-1] * 1000:.1f}  mean {statistics.fmean(latencies) * 1000:.1f}"
    )
    print(f"index rebuilds meanwhile: {len(builds)} (each {statistics.fmean(builds):.1f} s)")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
