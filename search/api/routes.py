"""Routes. Those that compute are plain `def`, so FastAPI runs them off the event loop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from search import __version__
from search.api.deps import SearcherDep
from search.api.observability import record_query
from search.api.schemas import (
    ErrorResponse,
    HealthResponse,
    SearchRequest,
    SearchResponse,
    SearchResult,
)

router = APIRouter()
ERRORS: dict[int | str, dict[str, object]] = {
    422: {"model": ErrorResponse, "description": "Invalid request"},
    503: {"model": ErrorResponse, "description": "Index not available"},
}


def _search(request: Request, searcher: SearcherDep, req: SearchRequest) -> SearchResponse:
    hits = searcher.search(req.q, k=req.k, section=req.section, kind=req.kind)
    record_query(request, req.q, results=len(hits))
    return SearchResponse(query=req.q, results=[SearchResult.of_hit(h) for h in hits])


@router.get("/search", response_model=SearchResponse, responses=ERRORS, tags=["search"])
def search_get(
    request: Request, searcher: SearcherDep, req: Annotated[SearchRequest, Query()]
) -> SearchResponse:
    """The passages that best answer a question, best first."""
    return _search(request, searcher, req)


@router.post("/search", response_model=SearchResponse, responses=ERRORS, tags=["search"])
def search_post(request: Request, searcher: SearcherDep, req: SearchRequest) -> SearchResponse:
    """As GET /search, with the fields in a JSON body."""
    return _search(request, searcher, req)


@router.get("/health", response_model=HealthResponse, tags=["service"])
def health(searcher: SearcherDep) -> HealthResponse:
    """Whether the index is loaded, and which one."""
    m = searcher.index.manifest
    return HealthResponse(
        status="ok",
        passages=m.passage_count,
        model=m.model,
        dimension=m.dimension,
        built_at=m.built_at,
        corpus_hash=m.corpus_hash,
        version=__version__,
    )
