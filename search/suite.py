"""The evaluation suite: every collection in eval/collections.toml measured in one run.

A collection is a set of documents (built into its own index under index/eval/, once, and
again only when a document changes) with its question sets, or a BEIR folder. Questions
carry a split ("tune" or "heldout"): rules are tuned on one half and reported on the other.
Queries go through the path the service uses (the ONNX query model when the index has one).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from search import tuning
from search.config import Settings
from search.errors import EvalDataError
from search.evaluate import GoldQuestion, evaluate_gold, load_gold, run_beir
from search.retrieve.searcher import Searcher

Say = Callable[[str], None]
GOLD_COLUMNS = (
    "hit@1", "hit@3", "mrr@10", "answer_fact", "offtopic_flagged", "inscope_flagged",
)  # fmt: skip
BEIR_COLUMNS = ("ndcg@10", "recall@100", "mrr@10")
# Column headings: the direct answer states the fact; off-topic questions declined; in-scope
# questions wrongly declined.
HEADINGS = {"answer_fact": "fact", "offtopic_flagged": "offtopic", "inscope_flagged": "inscope!"}


@dataclass(frozen=True)
class Collection:
    name: str
    about: str = ""
    corpus: tuple[Path, ...] = ()  # folders (or files) whose documents make its index
    questions: tuple[Path, ...] = ()
    index_of: str | None = None  # ask these questions of another collection's index
    beir: Path | None = None


@dataclass
class Row:
    collection: str
    mode: str
    metrics: dict[str, float]
    misses: list[str] = field(default_factory=list)


def load_collections(path: Path) -> list[Collection]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise EvalDataError(f"{path}: cannot be read ({exc})") from exc
    base = path.parent
    out = []
    for n, entry in enumerate(raw.get("collection", []), 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise EvalDataError(f"{path}: collection {n} needs a name")
        beir = entry.get("beir")
        out.append(
            Collection(
                name=entry["name"],
                about=str(entry.get("about", "")),
                corpus=tuple(base.resolve() / p for p in entry.get("corpus", [])),
                questions=tuple((base / p).resolve() for p in entry.get("questions", [])),
                index_of=entry.get("index_of"),
                beir=(base / beir).resolve() if isinstance(beir, str) else None,
            )
        )
    names = {c.name for c in out}
    for c in out:
        if c.index_of is not None and c.index_of not in names:
            raise EvalDataError(f"{path}: {c.name} asks of unknown collection {c.index_of!r}")
    return out


def _staged_corpus(collection: Collection, folder: Path) -> Path:
    """One corpus folder holding links to the collection's documents, for the builder."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, Path] = {}
    for source in collection.corpus:
        if source.is_file():
            files = [source]
        elif source.is_dir():
            files = sorted(source.iterdir())
        else:  # a pattern such as guidance/*.pdf
            files = sorted(source.parent.glob(source.name))
            if not files:
                raise EvalDataError(f"{collection.name}: nothing matches {source}")
        for f in files:
            if f.is_file() and not f.name.startswith("."):
                wanted[f.name] = f.resolve()
    for old in folder.iterdir():
        if old.name not in wanted or old.resolve() != wanted[old.name]:
            old.unlink()
    for name, target in wanted.items():
        link = folder / name
        if not link.exists():
            link.symlink_to(target)
    return folder


def open_collection(collection: Collection, settings: Settings, say: Say | None) -> Searcher:
    """The collection's index (built if missing or stale) with the served query path."""
    from search.index.open import prepare
    from search.retrieve.searcher import open_searcher

    root = settings.index_dir.parent / "eval"
    corpus = _staged_corpus(collection, root / f"{collection.name}-corpus")
    own = settings.model_copy(update={"corpus_dir": corpus, "index_dir": root / collection.name})
    prepare(own, say=say)
    return open_searcher(own)


def _split(gold: Sequence[GoldQuestion], split: str) -> list[GoldQuestion]:
    return [q for q in gold if split == "all" or q.split in (split, "")]


def run_suite(
    collections: Sequence[Collection],
    settings: Settings,
    modes: Sequence[str],
    split: str = "heldout",
    say: Say | None = None,
    only: Sequence[str] = (),
) -> list[Row]:
    """One row per collection and mode."""
    searchers: dict[str, Searcher] = {}
    rows = []
    for c in collections:
        if only and c.name not in only:
            continue
        if c.beir is not None:
            if not c.beir.is_dir():
                if say:
                    say(f"{c.name}: {c.beir} not found; skipped")
                continue
            from search.embed.st import load_embedder

            embedder = load_embedder(settings.model, settings.batch_size, export_onnx=False)
            cache = settings.index_dir.parent / "eval" / c.name
            results = run_beir(c.beir, embedder, modes, cache=cache, split=split)
            rows += [Row(c.name, m, results[m]) for m in modes]
            continue
        owner = next(x for x in collections if x.name == (c.index_of or c.name))
        if owner.name not in searchers:
            searchers[owner.name] = open_collection(owner, settings, say)
            if say:
                # Which graph the build kept moves the numbers a little (docs/evaluation.md).
                model = searchers[owner.name].index.manifest.query_model
                kept = model.quantisation if model is not None else "sentence-transformers"
                kept = "float32" if kept == "none" else kept
                say(f"{owner.name}: query model {kept}")
        gold = _split([q for path in c.questions for q in load_gold(path)], split)
        for m in modes:
            report = evaluate_gold(searchers[owner.name], gold, m)
            rows.append(Row(c.name, m, report.metrics, report.misses))
    return rows


@contextmanager
def switched_off(names: Sequence[str]) -> Iterator[None]:
    """The tuning values of the named rules set to their 'off' values, for an ablation."""
    saved: dict[str, Any] = {}
    try:
        for rule in names:
            for const, off in tuning.ABLATIONS[rule].items():
                saved.setdefault(const, getattr(tuning, const))
                setattr(tuning, const, off)
        yield
    finally:
        for const, value in saved.items():
            setattr(tuning, const, value)


def table(rows: Sequence[Row]) -> str:
    """One table for every collection: gold columns, then BEIR's."""
    columns = [*GOLD_COLUMNS, "ndcg@10", "recall@100"]
    w1 = max([len("collection"), *(len(r.collection) for r in rows)]) + 2
    w2 = max([len("mode"), *(len(r.mode) for r in rows)]) + 2
    head = f"{'collection':<{w1}}{'mode':<{w2}}" + "".join(
        f"{HEADINGS.get(c, c):>11}" for c in columns
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        cells = [f"{r.metrics[c]:>11.3f}" if c in r.metrics else f"{'':>11}" for c in columns]
        lines.append(f"{r.collection:<{w1}}{r.mode:<{w2}}" + "".join(cells))
    return "\n".join(lines)
