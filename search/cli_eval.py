"""`python -m search eval`: every collection measured in one run (see docs/evaluation.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from search.cli_common import friendly_errors, load_settings, progress_bars, say, served_searcher
from search.model import MODES

# What `eval` measures when given no question file: every collection listed there.
DEFAULT_COLLECTIONS = Path("eval/collections.toml")


def _metrics_table(rows: dict[str, dict[str, float]], names: list[str]) -> str:
    head = f"{'mode':<8}" + "".join(f"{n:>17}" for n in names)
    lines = [head, "-" * len(head)]
    for mode, metrics in rows.items():
        lines.append(
            f"{mode:<8}" + "".join(f"{metrics.get(n, float('nan')):>18.3f}" for n in names)
        )
    return "\n".join(lines)


@click.command("eval")
@click.option(
    "--collections",
    "collections_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_COLLECTIONS,
    show_default=True,
    help="The collections to measure (TOML); each gets an index of its own under index/eval/.",
)
@click.option("--only", multiple=True, help="Only this collection (repeat for more).")
@click.option(
    "--split",
    type=click.Choice(["heldout", "tune", "all"]),
    default="heldout",
    show_default=True,
    help="Which half of each question set to ask.",
)
@click.option(
    "--questions",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Instead: one question set (JSONL), asked of the served index.",
)
@click.option(
    "--beir",
    "beir_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Instead: a BEIR-format folder (corpus.jsonl, queries.jsonl, qrels/).",
)
@click.option("--mode", default="all", show_default=True, type=click.Choice([*MODES, "all"]))
@click.option("--ablate", is_flag=True, help="Also measure with each rule switched off (hybrid).")
@click.option("--misses", is_flag=True, help="List the questions each mode got wrong.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@click.option("--json", "as_json", is_flag=True, help="Print only the metrics, as JSON.")
@friendly_errors
def evaluate(
    collections_file: Path,
    only: tuple[str, ...],
    split: str,
    questions: Path | None,
    beir_dir: Path | None,
    mode: str,
    ablate: bool,
    misses: bool,
    index_dir: Path | None,
    as_json: bool,
) -> None:
    """Measure retrieval and answers on every collection: hit@1, hit@3, MRR@10, answers
    that state the fact, off-topic questions declined; nDCG@10, Recall@100, MRR@10 on BEIR.

    \b
    Examples:
      python -m search eval                      # every collection, held-out halves
      python -m search eval --only guidance --misses
      python -m search eval --ablate --mode hybrid
      python -m search eval --questions my-questions.jsonl --json
    """
    from search import evaluate as ev
    from search import suite

    settings = load_settings(index_dir=index_dir)
    modes = list(MODES) if mode == "all" else [mode]
    tell = None if as_json else say
    if beir_dir is not None:
        from search.embed.st import load_embedder

        embedder = load_embedder(settings.model, settings.batch_size)
        results = ev.run_beir(beir_dir, embedder, modes, progress=progress_bars("embedding"))
        if as_json:
            click.echo(json.dumps(results if mode == "all" else results[mode]))
        else:
            click.echo(_metrics_table(results, ["ndcg@10", "recall@100", "mrr@10"]))
        return
    if questions is not None:
        gold = ev.load_gold(questions)
        rows = [
            suite.Row("questions", m, r.metrics, r.misses)
            for m in modes
            for r in [ev.evaluate_gold(served_searcher(settings), gold, m)]
        ]
    else:
        collections = suite.load_collections(collections_file)
        rows = suite.run_suite(collections, settings, modes, split, tell, only)
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        out.setdefault(r.collection, {})[r.mode] = r.metrics
    ablation: list[suite.Row] = []
    if ablate and questions is None:
        from search import tuning

        for rule in tuning.ABLATIONS:
            with suite.switched_off([rule]):
                for r in suite.run_suite(collections, settings, ["hybrid"], split, None, only):
                    ablation.append(suite.Row(r.collection, f"-{rule}", r.metrics))
        off: dict[str, dict[str, dict[str, float]]] = {}
        for r in ablation:
            off.setdefault(r.mode[1:], {})[r.collection] = r.metrics
        out["ablation"] = dict(off)
    if as_json:
        click.echo(json.dumps(out))
        return
    click.echo(suite.table(rows))
    if ablation:
        click.echo("\nhybrid, with one rule switched off")
        click.echo(suite.table(ablation))
    if misses:
        for r in rows:
            if r.misses:
                click.echo(f"\nmisses ({r.collection}, {r.mode}):")
                for line in r.misses:
                    click.echo(f"  {line}")
