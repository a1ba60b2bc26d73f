"""What a serving process loads: the index, built first when stale, and its query embedder.

When the index folder holds an ONNX export of the model, queries are embedded with
onnxruntime and this process never imports torch or sentence-transformers: that is what
makes a cold start take about a second and a worker weigh about 100 MB. sentence-transformers
is loaded only to build, or for an index without an export.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from search import embed
from search.config import Settings
from search.embed import Embedder, model_name
from search.errors import SearchError
from search.index import LoadedIndex, build_index, index_is_current, load_index, read_manifest
from search.onnx_embed import CachedEmbedder, OnnxEmbedder

log = logging.getLogger("search.serving")
Say = Callable[[str], None]


def prepare_index(
    settings: Settings,
    say: Say | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Embedder | None:
    """Build the index when it is missing or its corpus changed; the builder, if one was loaded.

    Checking needs no model (the manifest keeps the corpus hash and the model's name).
    """
    if index_is_current(settings.index_dir, settings.corpus_dir, model_name(settings.model)):
        return None
    if say:
        say(
            f"index at {settings.index_dir} is missing or out of date; "
            f"building from {settings.corpus_dir}"
        )
    builder = embed.load_embedder(settings.model, settings.batch_size, export_onnx=settings.onnx)
    build_index(
        settings.corpus_dir,
        settings.index_dir,
        builder,
        log=say,
        progress=progress,
        hnsw_threshold=settings.hnsw_threshold,
    )
    return builder


def query_embedder(settings: Settings, fallback: Embedder | None = None) -> Embedder:
    """The index's ONNX model when it has one (and settings allow), else sentence-transformers."""
    manifest = read_manifest(settings.index_dir)
    spec = manifest.query_model
    if settings.onnx and spec is not None:
        try:
            # Named after the configured model, so load_index refuses another model's index.
            return OnnxEmbedder(settings.index_dir, spec, model_name(settings.model))
        except SearchError as exc:
            log.warning("%s; queries fall back to sentence-transformers", exc.message)
    elif settings.onnx:
        log.warning(
            "the index at %s has no ONNX export, so queries load torch (slower start, more "
            "memory); rebuild it to add one: python -m search build",
            settings.index_dir,
        )
    return fallback or embed.load_embedder(settings.model, settings.batch_size)


def open_for_queries(
    settings: Settings, embedder: Embedder | None = None, say: Say | None = None
) -> tuple[LoadedIndex, Embedder]:
    """The loaded index and the embedder for its queries, behind the query-vector cache.

    An embedder passed in (tests) is used as it is, for building and for queries.
    """
    if embedder is not None:
        from search.index import ensure_index

        index = ensure_index(
            settings.corpus_dir,
            settings.index_dir,
            embedder,
            log=say,
            hnsw_threshold=settings.hnsw_threshold,
        )
        return index, embedder
    query = query_embedder(settings, fallback=prepare_index(settings, say))
    index = load_index(settings.index_dir, query.name, query.dimension)
    if settings.query_cache > 0:
        query = CachedEmbedder(query, settings.query_cache)
    return index, query
