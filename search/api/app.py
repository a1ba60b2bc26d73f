"""The app factory. Nothing heavy happens at import; the lifespan loads model and index."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from search import __version__
from search.api.admin import router as admin_router
from search.api.documents import router as documents_router
from search.api.headers import ERROR_HEADERS
from search.api.observability import install_observability, request_id_of
from search.api.reload import IndexReloader
from search.api.routes import router
from search.api.security import error_response, install_security
from search.api.widget import install_cors
from search.api.widget import router as widget_router
from search.config import Settings
from search.embed.base import Embedder
from search.errors import SearchError
from search.index.open import open_for_queries
from search.index.progress import BuildProgress
from search.index.store import LoadedIndex
from search.retrieve.searcher import Searcher
from search.retrieve.views import warm

log = logging.getLogger("search.api")


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """Build the service. Tests pass their own settings and a fake embedder."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Queries use the index's ONNX model (no torch); the builder, for documents added
        # through the admin API, loads sentence-transformers only when first needed.
        index, model, builder = open_for_queries(settings, embedder, say=log.info)

        def make_searcher(loaded: LoadedIndex) -> Searcher:
            searcher = Searcher(loaded, model, settings.glossary)
            warm(searcher, getattr(app.state, "searcher", None))  # audience views
            return searcher

        app.state.searcher = make_searcher(index)
        app.state.reloader = IndexReloader(app, settings.index_dir, builder, make_searcher)
        watcher = None
        if settings.reload_interval > 0:
            watcher = asyncio.create_task(app.state.reloader.watch(settings.reload_interval))
        yield
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        app.state.searcher = None

    app = FastAPI(
        title="Serious case review search",
        version=__version__,
        description="Semantic search and cited answers over serious case review research.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.build_progress = BuildProgress()  # of documents added or removed through /admin
    app.include_router(router)
    app.include_router(documents_router)
    app.include_router(admin_router)
    app.include_router(widget_router)
    _install_error_handlers(app)
    install_security(app, settings)
    # Outside security, so a refusal (401, 429) reaches the widget readable, not as a
    # network error it would have to guess about.
    install_cors(app, settings)
    install_observability(app, settings)  # outermost: it also sees what security refuses
    return app


def _field(loc: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in loc if p not in ("query", "body")]
    return ".".join(parts) or "request"


def _install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as JSON with a one-line `detail`; never a traceback."""

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            if err.get("type") == "missing":
                msg = "is required"
            elif err.get("type") == "extra_forbidden":
                msg = "is not a known field"
            errors.append({"field": _field(err.get("loc", ())), "message": msg})
        detail = "; ".join(f"{e['field']} {e['message']}" for e in errors) or "invalid request"
        return JSONResponse({"detail": detail, "errors": errors}, status_code=422)

    @app.exception_handler(SearchError)
    async def known(_: Request, exc: SearchError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        # 404, 405, 413 from the framework, in the same shape as every other error.
        return JSONResponse(
            {"detail": str(exc.detail), "errors": []},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        # Sent outside the middleware, so it brings the headers they would have added.
        headers = {**ERROR_HEADERS, "X-Request-ID": request_id_of(request) or ""}
        return JSONResponse(
            {"detail": "internal error", "errors": []}, status_code=500, headers=headers
        )
