"""How the service is doing: request ids, access lines, Prometheus metrics, readiness,
and the opt-in log of queries the corpus could not answer.

The middleware is pure ASGI and does little per request: read one header, two clock
readings, a counter and a histogram, one log call that is skipped when nobody listens.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search.api.access import caller_of, viewer_of
from search.api.schemas import ErrorResponse
from search.api.security import Access, route_path
from search.config import Settings
from search.errors import IndexNotFound, SearchError
from search.index.progress import BuildProgress, BuildStatus
from search.logs import request_id_var
from search.retrieve.views import view_of

access_log = logging.getLogger("search.access")
log = logging.getLogger("search.api")

# Accept a caller's id (from a proxy or a client) only if it is short and printable, so it
# cannot forge log lines or carry a payload; otherwise make one.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The service's Prometheus metrics, in a registry of its own (one per app).

    With a metrics folder (SEARCH_METRICS_DIR or PROMETHEUS_MULTIPROC_DIR, as `serve
    --workers N` sets), prometheus-client keeps each worker's counts in files there and
    /metrics adds them all up.
    """

    def __init__(
        self,
        searcher: Callable[[], Any],
        folder: Path | None = None,
        progress: BuildProgress | None = None,
    ) -> None:
        self.folder = folder  # where the workers' counts meet; None: this process alone
        self.multiprocess = folder is not None
        self.registry = CollectorRegistry()
        self.index = IndexCollector(searcher, progress)
        reg = self.registry
        self.requests = Counter(
            "search_http_requests",
            "HTTP requests by method, route template and status code.",
            ["method", "route", "status"],
            registry=reg,
        )
        self.latency = Histogram(
            "search_http_request_duration_seconds",
            "Time from request to the end of the response, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.queries = Counter(
            "search_queries", "Questions answered, by route.", ["route"], registry=reg
        )
        self.zero_results = Counter(
            "search_queries_zero_results",
            "Questions that found no passage.",
            ["route"],
            registry=reg,
        )
        self.not_covered = Counter(
            "search_queries_not_covered",
            "Questions the corpus does not cover (answerable=false).",
            ["route"],
            registry=reg,
        )
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        if not self.multiprocess:
            reg.register(self.index)
            ProcessCollector(registry=reg)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        # labels() validates and locks on every call; the few (method, route, status)
        # combinations a service sees are looked up once and kept.
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def exposition(self) -> bytes:
        if not self.multiprocess:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=str(self.folder))  # type: ignore[no-untyped-call]
        merged.register(self.index)
        return generate_latest(merged)


class IndexCollector:
    """Index gauges read at scrape time from whatever index is being served right now."""

    def __init__(self, searcher: Callable[[], Any], progress: BuildProgress | None = None) -> None:
        self.searcher = searcher
        self.progress = progress

    def collect(self) -> Iterator[Metric]:
        if self.progress is not None:
            yield from _build_gauges(self.progress.status())
        searcher = self.searcher()
        manifest = getattr(getattr(searcher, "index", None), "manifest", None)
        ready = GaugeMetricFamily("search_index_ready", "1 when an index is loaded and serving.")
        ready.add_metric([], 1.0 if manifest is not None else 0.0)
        yield ready
        if manifest is None:
            return
        yield GaugeMetricFamily(
            "search_index_passages", "Passages in the served index.", value=manifest.passage_count
        )
        yield GaugeMetricFamily(
            "search_index_build_seconds",
            "How long building the served index took.",
            value=manifest.build_seconds,
        )
        built = datetime.fromisoformat(manifest.built_at).timestamp()
        yield GaugeMetricFamily(
            "search_index_built_timestamp_seconds", "When the served index was built.", value=built
        )


def _build_gauges(status: BuildStatus) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "search_build_in_progress",
        "1 while this process builds the index (a document added or removed).",
        value=1.0 if status.building else 0.0,
    )
    share = status.done / status.total if status.total else 0.0
    yield GaugeMetricFamily(
        "search_build_progress",
        "Share of the build's texts embedded so far (0 to 1; 0 when no build runs).",
        value=share if status.building else 0.0,
    )
    if status.building and status.eta_seconds is not None:
        yield GaugeMetricFamily(
            "search_build_eta_seconds",
            "Estimated seconds of embedding left in the build in progress.",
            value=status.eta_seconds,
        )


class QueryLog:
    """Opt-in JSONL of the questions nobody got an answer to, for admins to fill the gaps.

    Holds the query text, route, result count and the hour only: no client address, no
    key, no request id. Each line is one O_APPEND write, so several workers can share the file,
    and the file is reopened per line, so log rotation needs no signal.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            os.close(self._open())
        except OSError as exc:
            raise SearchError(f"query log {path}: cannot be opened ({exc.strerror})") from exc

    def _open(self) -> int:
        # Queries about cases may name people: only the service's own user may read them.
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def write(self, route: str, query: str, results: int, answerable: bool | None) -> None:
        entry = {
            # To the hour only: a time to the second could be matched against a proxy's
            # access log, which has client addresses, and so name who asked.
            "ts": datetime.now(UTC).replace(minute=0, second=0).isoformat(timespec="minutes"),
            "route": route,
            "reason": "not_covered" if answerable is False else "zero_results",
            "query": query,
            "results": results,
            "answerable": answerable,
        }
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode()
        try:
            fd = self._open()
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError as exc:
            log.warning("query log %s not written: %s", self.path, exc.strerror)


class Observability:
    def __init__(self, app: FastAPI, settings: Settings) -> None:
        self.metrics = Metrics(
            lambda: getattr(app.state, "searcher", None),
            settings.metrics_dir,
            getattr(app.state, "build_progress", None),
        )
        self.query_log = QueryLog(settings.query_log) if settings.query_log else None


def record_query(
    request: Request, query: str, results: int, answerable: bool | None = None
) -> None:
    """Count an answered question; write it to the query log if nothing answered it.

    Routes that answer questions call this once; `answerable` is None where the route
    does not judge coverage.
    """
    obs: Observability | None = getattr(request.app.state, "observability", None)
    if obs is None:
        return
    route = _template(request.scope) or "unmatched"
    m = obs.metrics
    m.queries.labels(route).inc()
    if results == 0:
        m.zero_results.labels(route).inc()
    if answerable is False:
        m.not_covered.labels(route).inc()
    if obs.query_log is not None and (results == 0 or answerable is False):
        obs.query_log.write(route, query, results, answerable)


def request_id_of(request: Request) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


def _template(scope: Scope) -> str | None:
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) else None


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.metrics: Metrics = fastapi_app.state.observability.metrics
        self._templates: list[tuple[re.Pattern[str], str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k.lower() == b"x-request-id"), b"")
        text = incoming.decode("latin-1")
        request_id = text if _REQUEST_ID.match(text) else os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        header = (b"x-request-id", request_id.encode())
        status = 500  # what the client gets if the app raises before answering
        began = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message["headers"], header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - began
            route = _template(scope) or self._match(scope)
            # Any token is a valid method to HTTP; unknown ones share a label, so a caller
            # cannot grow the metrics without bound.
            method = scope["method"] if scope["method"] in _METHODS else "other"
            self.metrics.observe(method, route, status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                ms = round(elapsed * 1000, 1)
                access_log.info(
                    "%s %s %d %.1f ms",
                    method,
                    route,
                    status,
                    ms,
                    extra={"method": method, "route": route, "status": status, "ms": ms},
                )
            request_id_var.reset(token)

    def _match(self, scope: Scope) -> str:
        """The route template for requests answered before routing (401, 429), or 'unmatched'.

        Never the raw path: it could hold anything a caller typed.
        """
        if self._templates is None:
            self._templates = [
                (re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(t)) + "$"), t)
                for t in self.fastapi_app.openapi().get("paths", {})
            ]
        path = route_path(scope)
        return next((t for pattern, t in self._templates if pattern.match(path)), "unmatched")


# --- /ready and /metrics --------------------------------------------------------------------

router = APIRouter(tags=["service"])


class ReadyResponse(BaseModel):
    status: str
    passages: int


@router.get(
    "/ready",
    response_model=ReadyResponse,
    responses={503: {"model": ErrorResponse, "description": "The index is not loaded"}},
)
def ready(request: Request) -> ReadyResponse:
    """200 once the index is loaded and serving, 503 before (for load balancers)."""
    searcher = getattr(request.app.state, "searcher", None)
    if searcher is None:
        raise IndexNotFound("the index is not loaded")
    # Counting only what the caller may see, like /health.
    return ReadyResponse(
        status="ready", passages=view_of(searcher, viewer_of(request)).passage_count
    )


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}, "description": "Metrics"}},
)
def metrics(request: Request) -> Response:
    """Prometheus metrics: requests, latency, questions not covered, the index served.

    When some documents are only for some groups, the index's counts include theirs, so
    only an admin key may read them (as when no key is configured, anyone).
    """
    searcher = getattr(request.app.state, "searcher", None)
    if getattr(searcher, "audiences", None):
        access: Access = request.app.state.access
        refused = access.check_admin(caller_of(request))
        if refused is not None:
            raise refused
    obs: Observability = request.app.state.observability
    return Response(obs.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


class _ScrubQueryString(logging.Filter):
    """If uvicorn's access log is on anyway (`uvicorn ... --factory`), drop query strings."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


_SCRUB = _ScrubQueryString()


def install_observability(app: FastAPI, settings: Settings) -> None:
    """Request ids, metrics, access lines and the /ready and /metrics routes."""
    app.state.observability = Observability(app, settings)
    app.add_middleware(ObservabilityMiddleware, fastapi_app=app)
    app.include_router(router)
    logging.getLogger("uvicorn.access").addFilter(_SCRUB)  # the same filter object: added once
