"""Command line: thin wrappers over the library. Errors leave as one line and exit code 1."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from search.config import MAX_K, Settings
from search.errors import SearchError
from search.logs import log_config
from search.model import KINDS, MODES

if TYPE_CHECKING:
    from search.retrieve.searcher import Searcher

if TYPE_CHECKING:
    from search.index.update import Change

F = TypeVar("F", bound=Callable[..., Any])


def _friendly_errors(fn: F) -> F:
    """Translate library errors once, here, into click's one-line error."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SearchError as exc:
            raise click.ClickException(exc.message) from exc

    return wrapper  # type: ignore[return-value]


def _settings(**overrides: Any) -> Settings:
    from pydantic import ValidationError

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        bad = "; ".join(
            f"SEARCH_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise click.ClickException(f"invalid setting {bad}") from exc


def _searcher(settings: Settings) -> Searcher:
    from search.retrieve.searcher import open_searcher

    return open_searcher(settings)


class _Bars:
    """Progress bars on stderr: the documents read, then the texts embedded, each with its
    rate and the time left (tqdm's)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._bars: dict[str, Any] = {}

    def _update(self, key: str, unit: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self._bars.get(key)
        if bar is None or bar.total != total:
            if bar is not None:
                bar.close()
            bar = self._bars[key] = tqdm(total=total, desc=key, unit=unit, file=sys.stderr)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    def documents(self, done: int, total: int) -> None:
        self._update("reading", "file", done, total)

    def __call__(self, done: int, total: int) -> None:
        self._update(self.label, "text", done, total)


def _progress(label: str) -> Callable[[int, int], None]:
    """Progress bars on stderr, drawn as files are read and embedding batches finish."""
    return _Bars(label)


def _say(msg: str) -> None:
    click.echo(msg, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Semantic search over serious case review research.

    \b
    Examples:
      python -m search build
      python -m search query "Did dads feel left out?" -k 3
      python -m search add briefing.pdf procedure.html
      python -m search remove briefing
      python -m search serve --port 8000
    """
    # Weights come from a local folder; never let a library reach for a model hub.
    os.environ["HF_HUB_OFFLINE"] = "1"


@cli.command()
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), help="Corpus folder.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@_friendly_errors
def build(corpus_dir: Path | None, index_dir: Path | None) -> None:
    """Chunk and embed the corpus into a fresh index (replaces the old one atomically).

    \b
    Example:
      python -m search build --corpus corpus --index index/default
    """
    from search.embed.st import load_embedder
    from search.index.build import build_index

    settings = _settings(corpus_dir=corpus_dir, index_dir=index_dir)
    embedder = load_embedder(
        settings.model, settings.batch_size, settings.onnx, settings.build_embedder
    )
    manifest = build_index(
        settings.corpus_dir, settings.index_dir, embedder, log=_say, progress=_progress("embedding")
    )
    click.echo(
        f"built {manifest.passage_count} passages in {manifest.build_seconds:.2f} s "
        f"-> {settings.index_dir}"
    )


@cli.command()
@click.argument("question")
@click.option(
    "-k", "k", default=None, type=click.IntRange(1, MAX_K), help="Passages to print (default 5)."
)
@click.option("--section", default=None, help="Only passages under this heading.")
@click.option("--kind", default=None, help=f"One of: {', '.join(KINDS)}.")
@click.option("--mode", default="hybrid", show_default=True, type=click.Choice(MODES))
@click.option("--document", default=None, help="Only passages of this document (its id).")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@_friendly_errors
def query(
    question: str,
    k: int | None,
    section: str | None,
    kind: str | None,
    mode: str,
    document: str | None,
    index_dir: Path | None,
    as_json: bool,
) -> None:
    """Print the passages that best answer QUESTION.

    \b
    Example:
      python -m search query "How common was domestic abuse?" -k 3
    """
    from dataclasses import asdict

    from search.api.links import passage_link

    if not question.strip():
        raise click.BadParameter("must not be empty", param_hint="QUESTION")
    settings = _settings(index_dir=index_dir)
    searcher = _searcher(settings)
    ranking = searcher.search(question, k or settings.default_k, section, kind, mode, document)
    if as_json:
        rows = [
            {**asdict(h.passage), "link": passage_link(h.passage), "score": h.score}
            for h in ranking.hits
        ]
        body = {"query": question, "answerable": ranking.answerable, "results": rows}
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    if not ranking.answerable:
        click.echo("The documents do not seem to cover this; the nearest passages are:\n")
    for rank, hit in enumerate(ranking.hits, 1):
        p = hit.passage
        page = f" · p. {p.page}" if p.page is not None else ""
        click.echo(f"{rank}. [{hit.score:.3f}] {p.title} · {p.section} · {p.kind}{page}")
        click.echo(f"   {p.text}\n")


_CORPUS = click.option(
    "--corpus", "corpus_dir", type=click.Path(path_type=Path), help="Corpus folder."
)
_INDEX = click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")


def _report(change: Change, settings: Settings) -> None:
    m = change.manifest
    parts = [
        f"{label} {', '.join(ids)}"
        for label, ids in (
            ("added", change.added),
            ("updated", change.updated),
            ("removed", change.removed),
        )
        if ids
    ]
    click.echo(
        f"{'; '.join(parts) or 'no change'}: {m.document_count} documents, {m.passage_count} "
        f"passages ({m.embedded_passages} embedded) in {m.build_seconds:.2f} s "
        f"-> {settings.index_dir}"
    )


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--url", default=None, help="Where the file is published (one file only).")
@click.option("--title", default=None, help="Its title, if the file's own is wrong.")
@click.option(
    "--audience",
    default=None,
    help="Comma-separated groups that may see the files (e.g. board,dsl); '' for everyone.",
)
@_CORPUS
@_INDEX
@_friendly_errors
def add(
    files: tuple[Path, ...],
    url: str | None,
    title: str | None,
    audience: str | None,
    corpus_dir: Path | None,
    index_dir: Path | None,
) -> None:
    """Copy FILES into the corpus and update the index (.md .txt .html .pdf .docx .jsonl).

    A file with the name of one already in the corpus replaces it. A file that cannot be
    read is refused and nothing changes. A running service picks up the new index by itself.

    \b
    Examples:
      python -m search add minutes.docx briefing.pdf
      python -m search add escalation.pdf --url https://example.org/escalation.pdf
      python -m search add board-minutes.docx --audience board,dsl
    """
    from search.cli_access import parse_groups
    from search.embed.st import load_embedder
    from search.index.update import add_files

    groups = parse_groups(audience) if audience is not None else None
    settings = _settings(corpus_dir=corpus_dir, index_dir=index_dir)
    embedder = load_embedder(
        settings.model, settings.batch_size, settings.onnx, settings.build_embedder
    )
    change = add_files(
        list(files), settings.corpus_dir, settings.index_dir, embedder, url=url, title=title,
        log=_say, progress=_progress("embedding"), audience=groups,
    )  # fmt: skip
    _report(change, settings)


@cli.command()
@click.argument("doc_id")
@_CORPUS
@_INDEX
@_friendly_errors
def remove(doc_id: str, corpus_dir: Path | None, index_dir: Path | None) -> None:
    """Delete document DOC_ID from the corpus and the index.

    Its file is deleted from the corpus folder (for a .jsonl file, only its line).

    \b
    Example:
      python -m search remove escalation-procedure
    """
    from search.embed.st import load_embedder
    from search.index.update import remove_document

    settings = _settings(corpus_dir=corpus_dir, index_dir=index_dir)
    embedder = load_embedder(
        settings.model, settings.batch_size, settings.onnx, settings.build_embedder
    )
    change = remove_document(doc_id, settings.corpus_dir, settings.index_dir, embedder, log=_say)
    _report(change, settings)


@cli.command()
@_INDEX
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_friendly_errors
def documents(index_dir: Path | None, as_json: bool) -> None:
    """List the documents in the index.

    \b
    Example:
      python -m search documents --json
    """
    from dataclasses import asdict

    from search.index.store import load_index

    settings = _settings(index_dir=index_dir)
    docs = load_index(settings.index_dir).documents
    if as_json:
        click.echo(json.dumps([asdict(d) for d in docs], ensure_ascii=False, indent=2))
        return
    for d in docs:
        click.echo(f"{d.id}\t{d.format}\t{d.passages} passages\t{d.added}\t{d.title}")


@cli.command()
@click.argument("question")
@click.option("--section", default=None, help="Only answer from passages under this heading.")
@click.option("--kind", default=None, help=f"One of: {', '.join(KINDS)}.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@_friendly_errors
def ask(
    question: str, section: str | None, kind: str | None, index_dir: Path | None, as_json: bool
) -> None:
    """Print the sentence of the documents that answers QUESTION, with its citation.

    \b
    Example:
      python -m search ask "What percentage of reviews involved domestic abuse?"
    """
    from dataclasses import asdict

    from search.answer.answerer import Answerer

    if not question.strip():
        raise click.BadParameter("must not be empty", param_hint="QUESTION")
    searcher = _searcher(_settings(index_dir=index_dir))
    reply = Answerer(searcher).answer(question, section=section, kind=kind)
    if as_json:
        click.echo(json.dumps(asdict(reply), ensure_ascii=False, indent=2))
        return
    if reply.answer is None:
        click.echo(reply.message)
    else:
        click.echo(f"{reply.answer}\n")
        first = reply.citations[0].passage
        click.echo(f"  source: {first.title} - {first.section} ({first.kind})")
        click.echo(f"  confidence: {reply.confidence:.2f}")
    others = reply.citations[1:] if reply.answer else reply.citations
    if others:
        click.echo("\nsee also:" if reply.answer else "\nclosest passages:")
        for c in others:
            click.echo(f"  - [{c.passage.section}] {c.passage.text[:100]}")


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


@cli.command("eval")
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
@_friendly_errors
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

    settings = _settings(index_dir=index_dir)
    modes = list(MODES) if mode == "all" else [mode]
    say = None if as_json else _say
    if beir_dir is not None:
        from search.embed.st import load_embedder

        embedder = load_embedder(settings.model, settings.batch_size)
        results = ev.run_beir(beir_dir, embedder, modes, progress=_progress("embedding"))
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
            for r in [ev.evaluate_gold(_searcher(settings), gold, m)]
        ]
    else:
        collections = suite.load_collections(collections_file)
        rows = suite.run_suite(collections, settings, modes, split, say, only)
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


@cli.command()
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default 8000).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@_friendly_errors
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Start the HTTP service, building the index first if it is missing or stale.

    \b
    Example:
      python -m search serve --host 0.0.0.0 --port 8000
    """
    import uvicorn

    from search.index.open import prepare
    from search.index.store import read_manifest

    settings = _settings(host=host, port=port)
    # Build once here, so several workers do not race to build the same index. When the
    # index is current this loads no model: the workers load the ONNX export themselves.
    builder = prepare(settings, say=_say, progress=_progress("embedding"))
    _say(f"serving on http://{settings.host}:{settings.port} (docs at /docs)")
    keyless = settings.api_keys is None and settings.keys_file is None
    if (
        keyless
        and not settings.trust_proxy
        and settings.host not in ("127.0.0.1", "localhost", "::1")
    ):
        _say("warning: no SEARCH_API_KEYS set: anyone who can reach this address can search")
    # JSON lines without query strings; uvicorn's own access log would print them.
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": log_config(settings.log_format, settings.log_level),
        "access_log": False,
    }
    if workers == 1:
        from search.api import create_app

        # The builder serves queries only for an index without an ONNX export.
        reuse = builder if read_manifest(settings.index_dir).query_model is None else None
        uvicorn.run(create_app(settings, reuse), **options)
        return
    # Each worker process loads its own model; settings reach them through SEARCH_*.
    del builder
    with _metrics_dir(settings):
        uvicorn.run("search.api:create_app", factory=True, workers=workers, **options)


@contextlib.contextmanager
def _metrics_dir(settings: Settings) -> Iterator[None]:
    """The folder where the workers' Prometheus counts meet: the one set, or a fresh one.

    prometheus-client and the workers' own Settings find it in the environment.
    """
    if settings.metrics_dir is not None:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(settings.metrics_dir)
        yield
        return
    with tempfile.TemporaryDirectory(prefix="scr-search-metrics-") as folder:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        try:
            yield
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


def main() -> None:
    cli(prog_name="scr-search")


# Commands for restricted documents (audience, hash-key) live beside this module.
from search import cli_access  # noqa: E402

cli_access.register(cli)
