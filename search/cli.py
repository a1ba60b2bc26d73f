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
from typing import Any, TypeVar

import click

from search.config import Settings
from search.errors import SearchError
from search.logs import log_config

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


def _progress(label: str) -> Callable[[int, int], None]:
    """A progress bar on stderr, drawn as embedding batches finish."""
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc=label, unit="passage", file=sys.stderr)
        bar["bar"].update(done - bar["bar"].n)
        if done >= total:
            bar["bar"].close()

    return update


def _say(msg: str) -> None:
    click.echo(msg, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Semantic search over serious case review research.

    \b
    Examples:
      python -m search build
      python -m search query "Did dads feel left out?" -k 3
      python -m search serve --port 8000
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


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
    from search.embed import load_embedder
    from search.index import build_index

    settings = _settings(corpus_dir=corpus_dir, index_dir=index_dir)
    embedder = load_embedder(settings.model, settings.batch_size)
    manifest = build_index(
        settings.corpus_dir, settings.index_dir, embedder, log=_say, progress=_progress("embedding")
    )
    click.echo(
        f"built {manifest.passage_count} passages in {manifest.build_seconds:.2f} s "
        f"-> {settings.index_dir}"
    )


@cli.command()
@click.argument("question")
@click.option("-k", "k", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option("--section", default=None, help="Only passages under this heading.")
@click.option("--kind", default=None, help="summary, theme, learning, finding or statistic.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@_friendly_errors
def query(
    question: str,
    k: int,
    section: str | None,
    kind: str | None,
    index_dir: Path | None,
    as_json: bool,
) -> None:
    """Print the passages that best answer QUESTION.

    \b
    Example:
      python -m search query "How common was domestic abuse?" -k 3
    """
    from dataclasses import asdict

    from search.embed import load_embedder
    from search.index import load_index
    from search.retrieve import Searcher

    if not question.strip():
        raise click.BadParameter("must not be empty", param_hint="QUESTION")
    settings = _settings(index_dir=index_dir)
    embedder = load_embedder(settings.model, settings.batch_size)
    index = load_index(settings.index_dir, embedder.name, embedder.dimension)
    hits = Searcher(index, embedder).search(question, k=k, section=section, kind=kind)
    if as_json:
        rows = [{**asdict(h.passage), "score": h.score} for h in hits]
        click.echo(json.dumps({"query": question, "results": rows}, ensure_ascii=False, indent=2))
        return
    for rank, hit in enumerate(hits, 1):
        p = hit.passage
        click.echo(f"{rank}. [{hit.score:.3f}] {p.section} · {p.kind}")
        click.echo(f"   {p.text}\n")


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

    from search.embed import load_embedder
    from search.index import ensure_index

    settings = _settings(host=host, port=port)
    # Build once here, so several workers do not race to build the same index.
    embedder = load_embedder(settings.model, settings.batch_size)
    ensure_index(
        settings.corpus_dir, settings.index_dir, embedder, log=_say, progress=_progress("embedding")
    )
    _say(f"serving on http://{settings.host}:{settings.port} (docs at /docs)")
    if settings.api_keys is None and settings.host not in ("127.0.0.1", "localhost", "::1"):
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

        uvicorn.run(create_app(settings, embedder), **options)
        return
    # Each worker process loads its own model; settings reach them through SEARCH_*.
    del embedder
    with _metrics_dir():
        uvicorn.run("search.api:create_app", factory=True, workers=workers, **options)


@contextlib.contextmanager
def _metrics_dir() -> Iterator[None]:
    """A fresh folder where the workers' Prometheus counts meet, unless one is given."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
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
