"""Vector search latency against index size: exact (flat) against HNSW and IVF-PQ, with recall@10.

Synthetic vectors, drawn from a Gaussian with the mean and covariance of real
all-MiniLM-L6-v2 passage vectors (synthetic passages made from the corpus, embedded by
the index's ONNX model), so they spread like real embeddings do; queries are real
question vectors. Recall@10 is against exact search over the same vectors. Searches run
one query at a time on one thread, as the service runs them.

    python -m bench.ann --index artifacts/bench/index --sizes 10000,100000,1000000
    python -m bench.ann --sizes 1000000 --kinds ivfpq --probes 0.125,0.25   # no HNSW build

HNSW is measured at efSearch values (--ef), IVF-PQ at shares of its lists probed (--probes),
each index built as search/index/vectors.py builds it for the service.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import faiss
import numpy as np

from bench import synthetic
from search.embed.onnx import OnnxEmbedder
from search.index.store import read_manifest
from search.index.vectors import HNSW_EF_SEARCH, IVF_PROBE_SHARE, make_index, search

REAL_PASSAGES = 4000
QUERIES = 300


def real_vectors(index_dir: Path, work: Path) -> tuple[np.ndarray, np.ndarray]:
    """(passage vectors, query vectors) from the index's own query model."""
    manifest = read_manifest(index_dir)
    if manifest.query_model is None:
        raise SystemExit(f"{index_dir} has no ONNX export; build it with the default settings")
    # Embedding the sample takes minutes on a busy machine: keep it per index build.
    cache = work / f"ann-real-{manifest.build_id}.npz"
    if cache.exists():
        with np.load(cache, allow_pickle=False) as saved:
            return saved["passages"], saved["queries"]
    embedder = OnnxEmbedder(index_dir, manifest.query_model, manifest.model)
    folder = synthetic.write_corpus(work / "ann-real", REAL_PASSAGES)
    texts = [
        line
        for path in sorted(folder.glob("*.md"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    passages = embedder.embed(texts)
    queries = embedder.embed(synthetic.questions(QUERIES, seed=99))
    np.savez(cache, passages=passages, queries=queries)
    return passages, queries


def gaussian_like(real: np.ndarray, n: int, seed: int = 5) -> Iterator[np.ndarray]:
    """n unit vectors in chunks, Gaussian with the real vectors' mean and covariance."""
    rng = np.random.default_rng(seed)
    mean = real.mean(axis=0)
    cov = np.cov(real, rowvar=False) + 1e-6 * np.eye(real.shape[1])
    factor = np.linalg.cholesky(cov).astype(np.float32)
    for start in range(0, n, 100_000):
        size = min(100_000, n - start)
        z = rng.standard_normal((size, real.shape[1]), dtype=np.float32)
        chunk = z @ factor.T + mean.astype(np.float32)
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        yield np.ascontiguousarray(chunk, dtype=np.float32)


def timed_searches(
    index: faiss.Index, queries: np.ndarray, k: int, ef: int = HNSW_EF_SEARCH, probes: float = 0
) -> tuple[np.ndarray, list[float]]:
    rows = np.full((len(queries), k), -1, dtype=np.int64)
    took = []
    for i, q in enumerate(queries):
        began = time.perf_counter()
        found = search(index, q, k, None, ef_search=ef, probe_share=probes or None)
        took.append(time.perf_counter() - began)
        rows[i, : len(found)] = [r for r, _ in found]
    return rows, took


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    hits = sum(len(set(f) & set(t)) for f, t in zip(found, truth, strict=True))
    return hits / truth.size


def measure(
    sizes: list[int],
    passages: np.ndarray,
    queries: np.ndarray,
    efs: list[int],
    probes: tuple[float, ...] = (IVF_PROBE_SHARE,),
    kinds: tuple[str, ...] = ("hnsw", "ivfpq"),
    k: int = 10,
    hnsw_limit: int | None = None,
) -> list[dict[str, object]]:
    """Flat, then each kind, per size; HNSW only up to hnsw_limit vectors (None: always)."""
    faiss.omp_set_num_threads(1)  # as served: one thread per request
    rows: list[dict[str, object]] = []

    def add(row: dict[str, object]) -> None:
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)

    for n in sizes:
        vectors = np.vstack(list(gaussian_like(passages, n)))
        flat = make_index(vectors, hnsw_threshold=n + 1, ivf_threshold=n + 1)
        truth, took = timed_searches(flat, queries, k)
        add(_row(n, "flat", None, took, 1.0, 0.0))
        del flat
        for kind in kinds:
            if kind == "hnsw" and hnsw_limit is not None and n > hnsw_limit:
                continue  # the service does not use it there; at 1M it builds for most of an hour
            faiss.omp_set_num_threads(2)  # building may use both cores
            began = time.perf_counter()
            if kind == "hnsw":
                index = make_index(vectors, hnsw_threshold=1, ivf_threshold=n + 1)
            else:
                index = make_index(vectors, ivf_threshold=1)
            built = time.perf_counter() - began
            faiss.omp_set_num_threads(1)
            for setting in efs if kind == "hnsw" else probes:
                if kind == "hnsw":
                    found, took = timed_searches(index, queries, k, ef=int(setting))
                else:
                    found, took = timed_searches(index, queries, k, probes=float(setting))
                add(_row(n, kind, setting, took, recall(found, truth), built))
            del index
        del vectors
    return rows


def _row(
    n: int, kind: str, setting: float | None, took: list[float], rec: float, built: float
) -> dict[str, object]:
    ms = np.array(took) * 1000
    return {
        "vectors": n,
        "index": kind,
        # efSearch for HNSW, share of the lists probed for IVF-PQ
        "setting": setting,
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
        "recall_at_10": round(rec, 4),
        "build_s": round(built, 1),
    }


def table(rows: list[dict[str, object]]) -> str:
    out = [
        "| vectors | index | efSearch / lists probed | p50 ms | p95 ms | recall@10 | build s |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        setting = r["setting"] if r["setting"] is not None else ""
        build = r["build_s"] if r["index"] != "flat" else ""
        out.append(
            f"| {r['vectors']:,} | {r['index']} | {setting} | {r['p50_ms']} | {r['p95_ms']} "
            f"| {r['recall_at_10']} | {build} |"
        )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, default=Path("artifacts/bench/index"))
    parser.add_argument("--sizes", default="10000,30000,100000,1000000")
    parser.add_argument("--ef", default=f"96,192,{HNSW_EF_SEARCH}")
    parser.add_argument("--probes", default=f"0.125,{IVF_PROBE_SHARE}")
    parser.add_argument("--kinds", default="hnsw,ivfpq", help="approximate indexes to build")
    parser.add_argument("--work", type=Path, default=Path("artifacts/bench"))
    args = parser.parse_args()
    passages, queries = real_vectors(args.index, args.work)
    rows = measure(
        [int(s) for s in args.sizes.split(",")],
        passages,
        queries,
        [int(e) for e in args.ef.split(",")],
        tuple(float(p) for p in args.probes.split(",")),
        tuple(args.kinds.split(",")),
    )
    print(table(rows))


if __name__ == "__main__":
    main()
