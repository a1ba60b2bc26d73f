"""Memory and latency of the service against the size of its index.

    python -m bench.serve_size CORPUS INDEX [--port 8161] [--queries 200]

Starts `python -m search serve` on an index (built from CORPUS, so it is current), waits
for /ready, sends distinct questions one at a time to /search and prints, as JSON, the
seconds until ready, the resident memory of the process and its children after the
questions, and the p50 and p95 latency. bench/build.py leaves indexes to point it at
(artifacts/bench/build/index/ and the corpora beside them).
"""

from __future__ import annotations

import argparse
import http.client
import json
import time
from urllib.parse import urlencode

from bench import synthetic
from bench.procs import Server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus")
    parser.add_argument("index")
    parser.add_argument("--port", type=int, default=8161)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    env = {"SEARCH_CORPUS_DIR": args.corpus, "SEARCH_INDEX_DIR": args.index}
    with Server(["-m", "search", "serve", "--port", str(args.port)], args.port, env=env) as s:
        ready = s.wait_until("/ready", timeout=600)
        latencies = []
        for q in synthetic.questions(args.queries):
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
            began = time.perf_counter()
            conn.request("GET", "/search?" + urlencode({"q": q}))
            conn.getresponse().read()
            latencies.append(time.perf_counter() - began)
            conn.close()
        latencies.sort()
        print(json.dumps({
            "index": args.index,
            "ready_s": round(ready, 1),
            "rss_mb": round(s.rss_mb()),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
            "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
        }))  # fmt: skip


if __name__ == "__main__":
    main()
