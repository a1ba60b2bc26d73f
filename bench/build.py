"""Build speed and memory: the ONNX build path against the torch path, in the same run.

    python -m bench.build                                  # guidance collection, 10k synthetic
    python -m bench.build --sizes 10000,100000 --torch-max 10000
    python -m bench.build --old bf0e1af                    # also the build of that revision

For each collection, each path builds a fresh index from the files, back to back, in a
child process of its own: `onnx` (SEARCH_BUILD_EMBEDDER=onnx, the default) and `torch`
(SEARCH_BUILD_EMBEDDER=torch); `--old REV` adds `python -m search build` of a git revision
(exported with git archive) as the build was before. Every index folder first gets a tiny
seed index, so each build reuses the ONNX export as any rebuild does and measures reading,
chunking, embedding and writing, not the one-off export. Reported per build: wall seconds,
passages per second over the whole build, texts (passages and sentences) embedded and
their rate while embedding, and the child's peak RSS (wait4's ru_maxrss).

Then, unless --skip-eval, the guidance indexes of the paths are asked the guidance,
off-topic and summary questions with the query model the service uses (hybrid and dense),
and the largest metric difference is reported (target: at most 0.005).
Results: a Markdown table on stdout, JSON in artifacts/bench/build.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GUIDANCE = ROOT / "eval" / "guidance"
QUESTIONS = {
    "guidance": ["guidance.jsonl", "offtopic.jsonl"],
    "summary": ["summary.jsonl"],
}
METRICS = ("hit@1", "hit@3", "mrr@10", "ndcg@10", "offtopic_flagged")
SEED_TEXT = "# Seed\n\nA placeholder paragraph so that builds reuse the ONNX export.\n"


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _child_env(src: Path, path: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(src),
        "HF_HUB_OFFLINE": "1",
        "SEARCH_BUILD_EMBEDDER": "torch" if path == "old" else path,
    }


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and stdout of a child process."""
    began = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - began
        out.seek(0)
        text = out.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode})")
    return wall, usage.ru_maxrss / 1024, text


def _seed(index: Path, src: Path, path: str, work: Path) -> None:
    """A tiny index in the folder (built by the same code), whose export the build reuses."""
    corpus = work / f"seed-{path}"
    if not corpus.exists():
        corpus.mkdir(parents=True)
        (corpus / "seed.md").write_text(SEED_TEXT)
    cmd = [sys.executable, "-m", "search", "build", "--corpus", str(corpus), "--index", str(index)]
    _run(cmd, _child_env(src, path), src)


def measure(corpus: Path, index: Path, path: str, src: Path, work: Path) -> dict[str, Any]:
    """One build of corpus into a fresh index (after the seed) by one path."""
    shutil.rmtree(index, ignore_errors=True)
    _seed(index, src, path, work)
    if path == "old":
        cmd = [sys.executable, "-m", "search", "build", "--corpus", str(corpus)]
        cmd += ["--index", str(index)]
    else:
        cmd = [sys.executable, "-m", "bench.build", "--one", str(corpus), str(index)]
    wall, rss, out = _run(cmd, _child_env(src, path), src)
    manifest = json.loads((index / "manifest.json").read_text())
    row: dict[str, Any] = {
        "path": path,
        "passages": manifest["passage_count"],
        "wall_s": round(wall, 1),
        "passages_per_s": round(manifest["passage_count"] / wall, 1),
        "peak_rss_mb": round(rss),
        "index_type": manifest.get("index_type"),
    }
    if path != "old":
        row.update(json.loads(out.strip().splitlines()[-1]))
    return row


def one(corpus: Path, index: Path) -> None:
    """In the child: build, and print what only the build itself knows, as JSON."""
    from search.config import Settings
    from search.embed.st import load_embedder
    from search.index.build import build_index

    settings = Settings(corpus_dir=corpus, index_dir=index)
    embedder = load_embedder(
        settings.model, settings.batch_size, settings.onnx, settings.build_embedder
    )
    if settings.build_embedder == "torch":
        embedder.embed(["warm up"])  # the load counts in the wall time, not the rate
    marks: dict[str, float] = {}

    def progress(done: int, total: int) -> None:
        marks.setdefault("first", time.perf_counter())
        marks["last"] = time.perf_counter()
        marks["texts"] = total

    manifest = build_index(corpus, index, embedder, progress=progress)
    seconds = marks.get("last", 0.0) - marks.get("first", 0.0)
    texts = int(marks.get("texts", 0))
    print(json.dumps({
        "texts": texts,
        "embed_s": round(seconds, 1),
        "texts_per_s": round(texts / seconds, 1) if seconds else None,
        "build_s": manifest.build_seconds,
        "self_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))  # fmt: skip


def evaluate(index: Path) -> dict[str, dict[str, float]]:
    """In the child: metrics of the index with the query model the service uses."""
    from search.config import Settings
    from search.evaluate import evaluate_gold, load_gold
    from search.retrieve.searcher import open_searcher

    searcher = open_searcher(Settings(index_dir=index))
    out = {}
    for name, files in QUESTIONS.items():
        gold = [q for f in files for q in load_gold(ROOT / "eval" / "questions" / f)]
        for mode in ("hybrid", "dense"):
            out[f"{name}/{mode}"] = evaluate_gold(searcher, gold, mode).metrics
    return out


def guidance_corpus(work: Path) -> Path:
    folder = work / "guidance-corpus"
    if not folder.exists():
        folder.mkdir(parents=True)
        for f in [*sorted((ROOT / "corpus").iterdir()), *sorted(GUIDANCE.glob("*.pdf"))]:
            if f.is_file():
                (folder / f.name).symlink_to(f)
    return folder


def synthetic_corpus(work: Path, size: int) -> Path:
    from bench import synthetic

    folder = work / f"synthetic-{size}"
    if not folder.exists():
        synthetic.write_corpus(folder, size)
    return folder


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| collection | path | passages | texts embedded | wall s | passages/s | texts/s "
        "(embedding) | peak RSS MB | x torch (passages/s) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        base = next(
            (b for b in rows if b["collection"] == r["collection"] and b["path"] == "torch"), None
        )
        ratio = round(r["passages_per_s"] / base["passages_per_s"], 2) if base else ""
        lines.append(
            f"| {r['collection']} | {r['path']} | {r['passages']:,} | {r.get('texts', '')} | "
            f"{r['wall_s']} | {r['passages_per_s']} | {r.get('texts_per_s', '')} | "
            f"{r['peak_rss_mb']} | {ratio} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000", help="synthetic corpora, in passages")
    parser.add_argument("--no-guidance", action="store_true")
    parser.add_argument(
        "--torch-max", type=int, default=10**9, help="no torch or old build above this size"
    )
    parser.add_argument("--old", default=None, help="also build with this git revision")
    parser.add_argument("--skip-eval", action="store_true")
    parser.add_argument("--work", type=Path, default=ROOT / "artifacts" / "bench" / "build")
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "bench" / "build.json")
    parser.add_argument("--one", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--eval", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(*args.one)
        return
    if args.eval:
        print(json.dumps(evaluate(args.eval)))
        return
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    sources = {"onnx": ROOT, "torch": ROOT}
    if args.old:
        old = work / f"src-{args.old}"
        if not old.exists():
            old.mkdir()
            archive = subprocess.run(["git", "archive", args.old], cwd=ROOT, check=True,
                                     capture_output=True).stdout  # fmt: skip
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        sources["old"] = old
    collections: list[tuple[str, Path, int]] = []
    if not args.no_guidance:
        collections.append(("guidance", guidance_corpus(work), 0))
    for size in (int(s) for s in args.sizes.split(",") if s):
        collections.append((f"synthetic {size:,}", synthetic_corpus(work, size), size))
    rows: list[dict[str, Any]] = []
    with open("/proc/loadavg") as fh:
        load_before = fh.read().split()[:3]
    for name, corpus, size in collections:
        for path, src in sources.items():
            if path != "onnx" and size > args.torch_max:
                say(f"{name}: {path} skipped (--torch-max {args.torch_max})")
                continue
            say(f"{name}: building with {path}")
            index = work / "index" / f"{name.replace(' ', '-').replace(',', '')}-{path}"
            row = {"collection": name, **measure(corpus, index, path, src, work)}
            say(json.dumps(row))
            rows.append(row)
    with open("/proc/loadavg") as fh:
        load_after = fh.read().split()[:3]
    results: dict[str, Any] = {"builds": rows, "loadavg": [load_before, load_after]}
    print(_table(rows))
    print(f"\nload average before / after: {' '.join(load_before)} / {' '.join(load_after)}")
    if not args.skip_eval and not args.no_guidance:
        metrics = {}
        for path in sources:
            index = work / "index" / f"guidance-{path}"
            cmd = [sys.executable, "-m", "bench.build", "--eval", str(index)]
            metrics[path] = json.loads(_run(cmd, _child_env(ROOT, path), ROOT)[2])
        results["metrics"] = metrics
        print("\n| questions/mode | metric | " + " | ".join(sources) + " | max diff |")
        print("| --- | --- | " + " | ".join("---:" for _ in sources) + " | ---: |")
        for key in metrics["onnx"]:
            for m in METRICS:
                values = [metrics[p][key].get(m) for p in sources]
                if any(v is None for v in values):
                    continue
                diff = max(values) - min(values)
                cells = " | ".join(f"{v:.3f}" for v in values)
                print(f"| {key} | {m} | {cells} | {diff:.3f} |")
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
