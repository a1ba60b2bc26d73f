"""Command line: thin wrappers over the library. Errors leave as one line and exit code 1."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from search import cli_access, cli_eval
from search.cli_common import friendly_errors, load_settings, progress_bars, say, served_searcher
from search.config import MAX_K, Settings
from search.logs import log_config
from search.model import KINDS, MODES

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    from search.index.update import Change


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
@click.option(
    "--shards",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Build in N processes, each a share of the files, merged into one index.",
)
@friendly_errors
def build(corpus_dir: Path | None, index_dir: Path | None, shards: int) -> None:
    """Chunk and embed the corpus into a fresh index (replaces the old one atomically).

    \b
    Examples:
      python -m search build --corpus corpus --index index/default
      python -m search build --shards 4     # 4 processes, each a quarter of the files
    """
    from search.embed.st import load_embedder

    settings = load_settings(corpus_dir=corpus_dir, index_dir=index_dir)
    model = (settings.model, settings.batch_size, settings.onnx, settings.build_embedder)
    if shards > 1:
        from functools import partial

        from search.index.shards import build_sharded

        # Each shard's process loads its own model: what it is given must pickle.
        make = partial(load_embedder, *model)
        manifest = build_sharded(settings.corpus_dir, settings.index_dir, make, shards, log=say)
    else:
        from search.index.build import build_index

        manifest = build_index(
            settings.corpus_dir,
            settings.index_dir,
            load_embedder(*model),
            log=say,
            progress=progress_bars("embedding"),
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
@friendly_errors
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

    from search.answer.first import served
    from search.api.links import passage_link

    if not question.strip():
        raise click.BadParameter("must not be empty", param_hint="QUESTION")
    settings = load_settings(index_dir=index_dir)
    searcher = served_searcher(settings)
    ranking, _ = served(searcher, question, k or settings.default_k, section, kind, mode, document)
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
@friendly_errors
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
    settings = load_settings(corpus_dir=corpus_dir, index_dir=index_dir)
    embedder = load_embedder(
        settings.model, settings.batch_size, settings.onnx, settings.build_embedder
    )
    change = add_files(
        list(files), settings.corpus_dir, settings.index_dir, embedder, url=url, title=title,
        log=say, progress=progress_bars("embedding"), audience=groups,
    )  # fmt: skip
    _report(change, settings)


@cli.command()
@click.argument("doc_id")
@_CORPUS
@_INDEX
@friendly_errors
def remove(doc_id: str, corpus_dir: Path | None, index_dir: Path | None) -> None:
    """Delete document DOC_ID from the corpus and the index.

    Its file is deleted from the corpus folder (for a .jsonl file, only its line).

    \b
    Example:
      python -m search remove escalation-procedure
    """
    from search.embed.st import load_embedder
    from search.index.update import remove_document

    settings = load_settings(corpus_dir=corpus_dir, index_dir=index_dir)
    embedder = load_embedder(
        settings.model, settings.batch_size, settings.onnx, settings.build_embedder
    )
    change = remove_document(doc_id, settings.corpus_dir, settings.index_dir, embedder, log=say)
    _report(change, settings)


@cli.command()
@_INDEX
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@friendly_errors
def documents(index_dir: Path | None, as_json: bool) -> None:
    """List the documents in the index.

    \b
    Example:
      python -m search documents --json
    """
    from dataclasses import asdict

    from search.index.store import load_index

    settings = load_settings(index_dir=index_dir)
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
@friendly_errors
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
    searcher = served_searcher(load_settings(index_dir=index_dir))
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


@cli.command()
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default 8000).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@friendly_errors
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Start the HTTP service, building the index first if it is missing or stale.

    \b
    Example:
      python -m search serve --host 0.0.0.0 --port 8000
    """
    import uvicorn

    from search.index.open import prepare
    from search.index.store import read_manifest

    settings = load_settings(host=host, port=port)
    # Build once here, so several workers do not race to build the same index. When the
    # index is current this loads no model: the workers load the ONNX export themselves.
    builder = prepare(settings, say=say, progress=progress_bars("embedding"))
    say(f"serving on http://{settings.host}:{settings.port} (docs at /docs)")
    keyless = settings.api_keys is None and settings.keys_file is None
    if (
        keyless
        and not settings.trust_proxy
        and settings.host not in ("127.0.0.1", "localhost", "::1")
    ):
        say("warning: no SEARCH_API_KEYS set: anyone who can reach this address can search")
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


# Commands kept in modules of their own: restricted documents, and evaluation.
cli.add_command(cli_access.audience)
cli.add_command(cli_access.hash_key)
cli.add_command(cli_eval.evaluate)
