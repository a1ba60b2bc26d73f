"""What every command of the command line shares: settings from options and environment,
one-line errors, progress bars and messages on stderr."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from search.config import Settings
from search.errors import SearchError

if TYPE_CHECKING:
    from search.retrieve.searcher import Searcher

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(fn: F) -> F:
    """Translate library errors once, here, into click's one-line error."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SearchError as exc:
            raise click.ClickException(exc.message) from exc

    return wrapper  # type: ignore[return-value]


def load_settings(**overrides: Any) -> Settings:
    from pydantic import ValidationError

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        bad = "; ".join(
            f"SEARCH_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise click.ClickException(f"invalid setting {bad}") from exc


def served_searcher(settings: Settings) -> Searcher:
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


def progress_bars(label: str) -> Callable[[int, int], None]:
    """Progress bars on stderr, drawn as files are read and embedding batches finish."""
    return _Bars(label)


def say(msg: str) -> None:
    click.echo(msg, err=True)
