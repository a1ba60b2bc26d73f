"""The benchmark: this service against a naive peer, side by side, on loopback.

    python -m bench.run                     # everything (about 30 minutes on 2 cores)
    python -m bench.run --quick             # HTTP, cold start and memory only (~5 minutes)

1. builds the bundled corpus's index (timed) the way the README does;
2. cold start: process start to the first successful /search, for both servers;
3. starts the service as the README does (`python -m search serve`) and the naive peer
   (bench/naive_peer.py), then drives /search (and /answer, and /search with answer=true as
   the widget asks, when the service has them) at concurrency 1, 4 and 16 with distinct
   queries (no cache hits) and with repeated ones,
   alternating between the two servers scenario by scenario so both see the same noise;
4. memory: resident set of all processes of each server, after the load;
5. build time for synthetic corpora of 10k and 100k passages (`python -m search build`);
6. vector search latency and recall@10 against index size (bench/ann.py).

Every load loop is bounded by a request count and by --seconds. Results: a Markdown
report on stdout and JSON in artifacts/bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import ann, loadgen, synthetic
from bench.procs import ROOT, Server, answers
from search.index.vectors import IVF_THRESHOLD

HOST = "127.0.0.1"
CONCURRENCY = (1, 4, 16)
MAX_REQUESTS = {1: 1500, 4: 3000, 16: 4000}
REPEATED_POOL = 25
WARM_UP = 150


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def build(corpus: Path, index: Path) -> dict[str, float]:
    """A fresh build through the CLI: wall time and the manifest's own build time."""
    shutil.rmtree(index, ignore_errors=True)
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "search", "build", "--corpus", str(corpus), "--index", str(index)],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - began
    manifest = json.loads((index / "manifest.json").read_text())
    return {
        "passages": manifest["passage_count"],
        "wall_s": round(wall, 1),
        "build_s": manifest["build_seconds"],
        "index_type": manifest.get("index_type", "flat"),
    }


class Servers:
    """The service and the peer, each started the way its users start it."""

    def __init__(self, index: Path, port: int, logs: Path) -> None:
        self.index = index
        self.port = port
        self.logs = logs

    def service(self) -> Server:
        env = {"SEARCH_INDEX_DIR": str(self.index), "SEARCH_CORPUS_DIR": str(ROOT / "corpus")}
        return Server(
            ["-m", "search", "serve", "--port", str(self.port)],
            self.port,
            env=env,
            log=self.logs / "service.log",
        )

    def peer(self) -> Server:
        return Server(
            ["-m", "bench.naive_peer", "--index", str(self.index), "--port", str(self.port + 1)],
            self.port + 1,
            log=self.logs / "peer.log",
        )


def cold_starts(servers: Servers, runs: int) -> dict[str, float]:
    out = {}
    for name, start in (("service", servers.service), ("peer", servers.peer)):
        times = []
        for _ in range(runs):
            with start() as server:
                times.append(server.wait_until("/search?q=cold+start"))
        out[name] = round(statistics.median(times), 2)
        say(f"cold start {name}: {out[name]} s (median of {runs})")
    return out


# The widget's one request in answer mode: the results and the direct answer together.
WIDGET = "/search+answer"


def _requests(endpoint: str, queries: list[str]) -> list[loadgen.Request]:
    if endpoint == "/search":
        return [loadgen.get(endpoint, q=q, k=5) for q in queries]
    if endpoint == WIDGET:
        return [loadgen.get("/search", q=q, k=5, answer="true") for q in queries]
    return [loadgen.get(endpoint, q=q) for q in queries]


def http_load(
    servers: Servers, seconds: float, quick: bool
) -> tuple[list[dict[str, Any]], dict[str, float], list[str]]:
    notes: list[str] = []
    # Distinct questions for each endpoint measured: /search, /answer and the widget's.
    budget = sum(MAX_REQUESTS[c] for c in CONCURRENCY) * 3 + REPEATED_POOL + WARM_UP
    distinct = synthetic.questions(budget)
    repeated = distinct[:REPEATED_POOL]
    fresh = iter(distinct[REPEATED_POOL:])
    rows: list[dict[str, Any]] = []
    with servers.service() as service, servers.peer() as peer:
        service.wait_until("/health")
        peer.wait_until("/search?q=warm+up")
        targets = {"service": service, "peer": peer}
        endpoints = ["/search"]
        if answers(HOST, service.port, "/answer?q=warm+up"):
            endpoints.append("/answer")
        else:
            notes.append("/answer: the service has no /answer route yet (404), so not measured")
        if answers(HOST, service.port, "/search?q=warm+up&answer=true"):
            endpoints.append(WIDGET)
        # First-request costs out of the way: lazy imports, and torch's per-shape kernel
        # set-up in the peer (each new query length is slow once).
        warm = [next(fresh) for _ in range(WARM_UP)]
        for server in targets.values():
            loadgen.run(HOST, server.port, _requests("/search", warm), 1, 30, _ok("/search"))
        for endpoint in endpoints:
            for kind in ("distinct", "repeated"):
                for c in CONCURRENCY:
                    count = MAX_REQUESTS[c] // (4 if quick else 1)
                    if kind == "distinct":
                        queries = [next(fresh) for _ in range(count)]
                    else:
                        queries = [repeated[i % len(repeated)] for i in range(count)]
                    for name, server in targets.items():
                        if name == "peer" and endpoint != "/search":
                            continue
                        outcome = loadgen.run(
                            HOST,
                            server.port,
                            _requests(endpoint, queries),
                            c,
                            seconds,
                            _ok(endpoint),
                        )
                        row = {
                            "server": name,
                            "endpoint": endpoint,
                            "queries": kind,
                            "concurrency": c,
                            **outcome.summary(),
                        }
                        if outcome.sample_errors:
                            row["sample_errors"] = list(outcome.sample_errors)
                        rows.append(row)
                        say(json.dumps(row))
        memory = {name: round(s.rss_mb(), 1) for name, s in targets.items()}
        say(f"memory after load (MB RSS, all processes): {memory}")
    return rows, memory, notes


def _ok(endpoint: str) -> Any:
    return loadgen.ok_json({"/search": "results", WIDGET: "answer"}.get(endpoint, "answerable"))


def http_table(rows: list[dict[str, Any]]) -> str:
    peer = {
        (r["endpoint"], r["queries"], r["concurrency"]): r for r in rows if r["server"] == "peer"
    }
    out = [
        "| endpoint | queries | conc. | p50 ms | p95 ms | p99 ms | req/s | errors "
        "| peer p50 ms | peer p99 ms | peer req/s | peer errors | throughput x | p50 x |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: |",
    ]
    for r in rows:
        if r["server"] != "service":
            continue
        p = peer.get((r["endpoint"], r["queries"], r["concurrency"]))
        cells = [
            r["endpoint"],
            r["queries"],
            r["concurrency"],
            r["p50_ms"],
            r["p95_ms"],
            r["p99_ms"],
            r["rps"],
            r["errors"],
        ]
        if p:
            cells += [
                p["p50_ms"],
                p["p99_ms"],
                p["rps"],
                p["errors"],
                f"{r['rps'] / p['rps']:.1f}" if p["rps"] else "",
                f"{p['p50_ms'] / r['p50_ms']:.1f}" if r["p50_ms"] else "",
            ]
        else:
            cells += ["", "", "", "", "", ""]
        out.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(out)


def report(results: dict[str, Any]) -> str:
    lines = ["## Benchmark", "", f"Machine: {results['machine']}", ""]
    if "http" in results:
        lines += [
            "### HTTP, service against the naive peer (same run)",
            "",
            http_table(results["http"]),
            "",
        ]
        lines += [f"- {n}" for n in results.get("notes", [])]
    if "cold_start_s" in results:
        cs, mem = results["cold_start_s"], results.get("memory_mb", {})
        lines += [
            "",
            "| | service | naive peer | ratio |",
            "| --- | ---: | ---: | ---: |",
            f"| cold start, s | {cs['service']} | {cs['peer']} "
            f"| {cs['peer'] / cs['service']:.1f} |",
        ]
        if mem:
            lines.append(
                f"| memory, MB RSS (all processes) | {mem['service']} | {mem['peer']} "
                f"| {mem['peer'] / mem['service']:.1f} |"
            )
    if "builds" in results:
        lines += [
            "",
            "| corpus | passages | index | build, s (CLI wall) | build, s (manifest) |",
            "| --- | ---: | --- | ---: | ---: |",
        ]
        for name, b in results["builds"].items():
            lines.append(
                f"| {name} | {b['passages']:,} | {b['index_type']} | {b['wall_s']} "
                f"| {b['build_s']} |"
            )
    if "ann" in results:
        lines += ["", "### Vector search against index size", "", ann.table(results["ann"])]
    return "\n".join(lines)


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, load average at start "
        f"{load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer requests; skip the synthetic builds and the vector sweep",
    )
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="time bound of each load scenario (default 10)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8210,
        help="service port; the peer uses the next one (default 8210)",
    )
    parser.add_argument("--work", type=Path, default=ROOT / "artifacts" / "bench")
    parser.add_argument("--build-sizes", default="10000,100000")
    parser.add_argument("--ann-sizes", default="10000,30000,100000,1000000")
    parser.add_argument("--skip", default="", help="comma list of: build, cold, http, synth, ann")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if args.quick:
        skip |= {"synth", "ann"}
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    index = work / "index"
    results: dict[str, Any] = {"machine": machine(), "command": " ".join(sys.argv)}
    builds: dict[str, Any] = {}
    if "build" not in skip or not (index / "manifest.json").exists():
        say("building the bundled corpus's index")
        builds["bundled"] = build(ROOT / "corpus", index)
    servers = Servers(index, args.port, work)
    if "cold" not in skip:
        results["cold_start_s"] = cold_starts(servers, 1 if args.quick else 3)
    if "http" not in skip:
        rows, memory, notes = http_load(servers, args.seconds, args.quick)
        results.update(http=rows, memory_mb=memory, notes=notes)
    if "synth" not in skip:
        for size in (int(s) for s in args.build_sizes.split(",")):
            corpus = synthetic.write_corpus(work / f"synthetic-{size}", size)
            say(f"building a synthetic corpus of {size} passages")
            builds[f"synthetic {size:,}"] = build(corpus, work / f"index-{size}")
            shutil.rmtree(work / f"index-{size}", ignore_errors=True)
    if builds:
        results["builds"] = builds
    if "ann" not in skip:
        passages, queries = ann.real_vectors(index, work)
        sizes = [int(s) for s in args.ann_sizes.split(",")]
        results["ann"] = ann.measure(
            sizes, passages, queries, [96, 192, 256], (0.125, 0.25), hnsw_limit=IVF_THRESHOLD
        )
    (work / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))


if __name__ == "__main__":
    main()
