"""What a serving process loads: the index, built first when stale, and its query embedder.

When the index folder holds an ONNX export of the model, queries are embedded with
onnxruntime and the process never imports torch or sentence-transformers: that is what
makes a cold start take about a second and the service weigh under 200 MB.
sentence-transformers is loaded only to build (at start, or later for a document added
through the admin API), or to embed queries for an index without an export.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from search.config import Settings
from search.embed import st
from search.embed.base import Embedder, QueryModelExporter
from search.embed.onnx import CachedEmbedder, OnnxEmbedder
from search.embed.st import model_name, resolve_model_path
from search.errors import CorpusError, IndexCorrupt, IndexMismatch, IndexNotFound, SearchError
from search.index.reading import reading_version
from search.index.store import LoadedIndex, load_index, read_manifest
from search.model import QueryModel
from search.sources import corpus_hash

log = logging.getLogger("search.serving")
Say = Callable[[str], None]


class LazyEmbedder:
    """The building model (sentence-transformers), loaded on first use only.

    Its name comes from the settings and its dimension from the index, so checking and
    loading an index, and reusing an ONNX export, never load it.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.name = model_name(settings.model)
        self.dimension = 0  # known once the index or the model is
        self.build_runtime = settings.build_embedder if settings.onnx else "torch"
        try:
            manifest = read_manifest(settings.index_dir)
            if manifest.model == self.name:
                self.dimension = manifest.dimension
        except SearchError:
            pass
        self._model: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def model(self) -> Embedder:
        with self._lock:
            if self._model is None:
                log.info("loading %s with sentence-transformers", self.name)
                self._model = st.load_embedder(
                    self.settings.model, self.settings.batch_size, export_onnx=self.settings.onnx
                )
                self.dimension = self._model.dimension
            return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.model().embed(texts)

    def export_query_model(
        self,
        index_dir: Path,
        texts: Sequence[str],
        previous: tuple[Path, QueryModel] | None = None,
        log: Say | None = None,
    ) -> QueryModel | None:
        if not self.settings.onnx:
            return None
        if previous is not None:
            from search.embed.export import reuse_export

            model_dir = resolve_model_path(self.settings.model)
            reused = reuse_export(previous, model_dir, index_dir, log)
            if reused is not None:
                return reused
        inner = self.model()
        if isinstance(inner, QueryModelExporter):
            return inner.export_query_model(index_dir, texts, None, log)
        return None


def index_is_current(index_dir: Path, corpus_dir: Path, model: str) -> bool:
    """True when the index exists, reads, and matches the corpus, the model and the code that
    reads documents into passages."""
    try:
        manifest = read_manifest(index_dir)
    except (IndexNotFound, IndexCorrupt, IndexMismatch):
        return False
    return (
        manifest.model == model
        and manifest.corpus_hash == corpus_hash(corpus_dir)
        and manifest.reading == reading_version()
    )


def build_if_stale(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    say: Say | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> bool:
    """Build the index when it is missing or its corpus, model or reader changed; True if it
    did.

    Checking needs no model (the manifest keeps the corpus hash and the model's name), and
    no reader: they are imported only to build. A corpus that fails to build leaves the
    index there is in service, if there is one, and says what is wrong.
    """
    if index_is_current(index_dir, corpus_dir, embedder.name):
        return False
    tell = say or (lambda _msg: None)
    tell(f"index at {index_dir} is missing or out of date; building from {corpus_dir}")
    from search.index.build import build_index

    try:
        build_index(corpus_dir, index_dir, embedder, log=say, progress=progress)
    except CorpusError as exc:
        # A broken file in the corpus must not keep the service down.
        try:
            built = read_manifest(index_dir).built_at
        except SearchError:
            raise exc from None
        tell(f"corpus not rebuilt ({exc.message}); serving the index built {built}")
        return False
    return True


def open_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    say: Say | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LoadedIndex:
    """The index, loaded; built first when it is missing or stale, rebuilt when damaged.

    The one way the CLI and the service get an index to serve.
    """
    build_if_stale(corpus_dir, index_dir, embedder, say, progress)
    try:
        return load_index(index_dir, embedder.name, embedder.dimension)
    except IndexCorrupt as exc:
        # The corpus is the source of truth and the index only derived from it: rebuild.
        from search.index.build import build_index

        if say:
            say(f"{exc.message}; rebuilding from {corpus_dir}")
        build_index(corpus_dir, index_dir, embedder, log=say, progress=progress)
        return load_index(index_dir, embedder.name, embedder.dimension)


def prepare(
    settings: Settings,
    say: Say | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Embedder | None:
    """Before serving: build the index if stale; the model, if building loaded one."""
    builder = LazyEmbedder(settings)
    build_if_stale(settings.corpus_dir, settings.index_dir, builder, say, progress)
    return builder.model() if builder.loaded else None


def query_embedder(settings: Settings, fallback: Embedder | None = None) -> Embedder:
    """The index's ONNX model when it has one (and settings allow), else sentence-transformers."""
    manifest = read_manifest(settings.index_dir)
    spec = manifest.query_model
    if settings.onnx and spec is not None:
        try:
            # Named after the configured model, so load_index refuses another model's index.
            return OnnxEmbedder(
                settings.index_dir, spec, model_name(settings.model), settings.idle_threads
            )
        except SearchError as exc:
            log.warning("%s; queries fall back to sentence-transformers", exc.message)
    elif settings.onnx:
        log.warning(
            "the index at %s has no ONNX export, so queries load torch (slower start, more "
            "memory); rebuild it to add one: python -m search build",
            settings.index_dir,
        )
    if isinstance(fallback, LazyEmbedder):
        return fallback.model()
    return fallback or st.load_embedder(settings.model, settings.batch_size)


def open_for_queries(
    settings: Settings, embedder: Embedder | None = None, say: Say | None = None
) -> tuple[LoadedIndex, Embedder, Embedder]:
    """(index, query embedder, building embedder), the index built first if it is stale.

    The query embedder sits behind the query-vector cache. An embedder passed in (tests)
    is used as it is, for building and for queries.
    """
    if embedder is not None:
        index = open_index(settings.corpus_dir, settings.index_dir, embedder, say)
        return index, embedder, embedder
    builder = LazyEmbedder(settings)
    index = open_index(settings.corpus_dir, settings.index_dir, builder, say)
    query = query_embedder(settings, fallback=builder)
    if settings.query_cache > 0:
        query = CachedEmbedder(query, settings.query_cache)
    return index, query, builder
