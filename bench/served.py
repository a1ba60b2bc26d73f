"""In-process latency of the served query path over an evaluation collection's questions.

    python -m bench.served                                   # guidance, rules as shipped
    python -m bench.served --set LEAD_IN_PATHS=false --set ITEMS_AFTER_LEAD_IN=false

Opens the collection's index (built by `python -m search eval` if missing) in a fresh
searcher, embeds every question once beforehand (so the model's time is left out), then
times `served` (k=5, hybrid: what /search does) once per question. Tuning constants
can be set for the run (`--set NAME=JSON`) to measure what one rule costs.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from search import suite, tuning
from search.answer.first import served
from search.config import Settings
from search.evaluate import load_gold

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collection", default="guidance")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=JSON")
    args = parser.parse_args()
    for item in args.set:
        name, _, value = item.partition("=")
        if not hasattr(tuning, name):
            parser.error(f"no tuning constant {name}")
        setattr(tuning, name, json.loads(value))
    collections = {c.name: c for c in suite.load_collections(ROOT / "eval" / "collections.toml")}
    chosen = collections[args.collection]
    owner = collections[chosen.index_of] if chosen.index_of else chosen
    searcher = suite.open_collection(owner, Settings(), None)
    questions = [q.question for path in chosen.questions for q in load_gold(path)]
    for q in questions:  # the model's time left out: each vector is cached
        searcher.embedder.embed([q])
    served(searcher, "warm up", 5)
    times = []
    for q in questions:
        began = time.perf_counter()
        served(searcher, q, 5)
        times.append((time.perf_counter() - began) * 1000)
    print(
        f"{args.collection}: {len(times)} questions, p50 {np.percentile(times, 50):.1f} ms, "
        f"p95 {np.percentile(times, 95):.1f} ms, slowest {max(times):.1f} ms"
    )


if __name__ == "__main__":
    main()
