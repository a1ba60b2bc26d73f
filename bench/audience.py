"""What restricted documents cost a search: /search throughput with no audiences against
callers who see a filtered view of the same index.

Uses a built index with its ONNX query model: by default the evaluation index of the
bundled corpus and the guidance PDFs in /work/main (index/eval/guidance) when this
version can read it, else one built here once (index/bench-audience, from corpus/ and the
PDFs of /work/main/eval/guidance if present; a few minutes, reused after). It is copied
to a temporary folder with its corpus. The copy is served as it is (no
audiences); then two documents are given audiences with `set_audience` (nothing is
embedded: the largest for "board", the smallest for a group nobody asking is in) and the
same questions are asked by a board member (a view of nearly the whole index: the cost of
filtering itself) and by a caller in no group (the open documents only).

Queries go through the whole app in process (TestClient: security, routing, JSON), one
after another, in interleaved rounds so a noisy neighbour hurts every variant alike; the
best round counts. The gold set's questions are asked once first, so the query-vector
cache holds them and each view is built: the rounds then measure the search path, where
filtering costs what it costs.

    python -m bench.audience [--index DIR --corpus DIR] [--rounds 5] [-n 181]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from search.api import create_app
from search.api.access import hash_key
from search.config import Settings
from search.errors import SearchError
from search.index.open import prepare
from search.index.store import load_index
from search.index.update import set_audience

ROOT = Path(__file__).resolve().parent.parent
LEAD = Path("/work/main/index/eval")
PDFS = Path("/work/main/eval/guidance")
GOLD = ROOT / "tests" / "data" / "gold.jsonl"
PLAIN, BOARD = "bench-plain-key-0123456789", "bench-board-key-0123456789"


def _questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in GOLD.read_text().splitlines() if line.strip()]
    return [r["question"] for r in rows][:n]


def _default_index() -> tuple[Path, Path]:
    """The lead's evaluation index if this version reads it, else one built here."""
    try:
        load_index(LEAD / "guidance")
        return LEAD / "guidance", LEAD / "guidance-corpus"
    except SearchError as exc:
        print(f"not using {LEAD / 'guidance'}: {exc.message}", file=sys.stderr)
    corpus, index = ROOT / "index" / "bench-audience-corpus", ROOT / "index" / "bench-audience"
    corpus.mkdir(parents=True, exist_ok=True)
    for source in [*sorted((ROOT / "corpus").glob("*.md")), *sorted(PDFS.glob("*.pdf"))]:
        if source.name != "README.md" and not (corpus / source.name).exists():
            shutil.copy(source, corpus / source.name)
    prepare(Settings(corpus_dir=corpus, index_dir=index), say=print)
    return index, corpus


@contextmanager
def _serve(index: Path, corpus: Path, keys: Path) -> Iterator[TestClient]:
    settings = Settings(
        index_dir=index, corpus_dir=corpus, keys_file=keys, api_keys=PLAIN, reload_interval=0
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _round(client: TestClient, key: str, questions: list[str]) -> float:
    """Requests per second over the questions, one after another."""
    began = time.perf_counter()
    for q in questions:
        r = client.get("/search", params={"q": q}, headers={"X-API-Key": key})
        assert r.status_code == 200, r.text
    return len(questions) / (time.perf_counter() - began)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, help="a built index (with --corpus, its corpus)")
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("-n", type=int, default=181, help="questions per round (gold set)")
    args = ap.parse_args()
    questions = _questions(args.n)
    if args.index is None or args.corpus is None:
        args.index, args.corpus = _default_index()
    with tempfile.TemporaryDirectory(prefix="bench-audience-") as tmp:
        root = Path(tmp)
        keys = root / "keys.toml"
        keys.write_text(f'[keys.board]\nhash = "{hash_key(BOARD, "sha256")}"\ngroups = ["board"]\n')
        plain = (root / "a-index", root / "a-corpus")
        shutil.copytree(args.index, plain[0])
        shutil.copytree(args.corpus, plain[1])
        docs = sorted(load_index(plain[0]).documents, key=lambda d: -d.passages)
        restricted = (root / "b-index", root / "b-corpus")
        shutil.copytree(plain[0], restricted[0])
        shutil.copytree(plain[1], restricted[1])
        # The largest document for the board; the smallest for a group nobody here is in,
        # so the board's view is nearly the whole index: what filtering itself costs.
        set_audience(docs[0].id, ("board",), restricted[1], restricted[0])
        hidden = docs[-1].passages if len(docs) > 2 else 0
        if hidden:
            set_audience(docs[-1].id, ("dsl",), restricted[1], restricted[0])
        total = sum(d.passages for d in docs)
        board_sees = total - hidden
        open_sees = board_sees - docs[0].passages
        variants = {
            f"no audiences ({total} passages)": ("a", PLAIN),
            f"board view ({board_sees} passages)": ("b", BOARD),
            f"open view ({open_sees} passages)": ("b", PLAIN),
        }
        best = dict.fromkeys(variants, 0.0)
        with ExitStack() as stack:
            clients = {
                "a": stack.enter_context(_serve(*plain, keys)),
                "b": stack.enter_context(_serve(*restricted, keys)),
            }
            for name, (app, key) in variants.items():
                began = time.perf_counter()
                _round(clients[app], key, questions)  # warm: query vectors, views
                print(f"warm-up {name}: {time.perf_counter() - began:.2f} s", flush=True)
            for _ in range(args.rounds):
                for name, (app, key) in variants.items():
                    best[name] = max(best[name], _round(clients[app], key, questions))
    print(f"\n/search throughput, {len(questions)} gold questions, best of {args.rounds} rounds")
    base = best[next(iter(variants))]
    for name, rate in best.items():
        print(f"  {name:<34} {rate:7.1f} requests/s  ({(rate / base - 1) * 100:+.1f}%)")


if __name__ == "__main__":
    main()
