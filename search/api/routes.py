"""Routes. Those that compute are plain `def`, so FastAPI runs them off the event loop."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from search import __version__
from search.answer import Answerer
from search.api.deps import SearcherDep
from search.api.observability import record_query
from search.api.schemas import (
    AnswerRequest,
    AnswerResponse,
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
    ranking = searcher.search(
        req.q, req.k, req.section, req.kind, mode=req.mode, document=req.document
    )
    record_query(request, req.q, results=len(ranking.hits), answerable=ranking.answerable)
    return SearchResponse(
        query=req.q,
        answerable=ranking.answerable,
        results=[SearchResult.of_hit(h) for h in ranking.hits],
    )


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


class AnswerQuery(SearchRequest):
    """GET /answer takes `q` like /search (k is how many passages to consider)."""


def _answer(request: Request, searcher: SearcherDep, req: AnswerRequest) -> AnswerResponse:
    answer = Answerer(searcher).answer(
        req.question, req.section, req.kind, req.mode, document=req.document
    )
    found = len(answer.citations) if answer.answerable else 0
    record_query(request, req.question, results=found, answerable=answer.answerable)
    return AnswerResponse.of(answer)


@router.get("/answer", response_model=AnswerResponse, responses=ERRORS, tags=["answer"])
def answer_get(
    request: Request, searcher: SearcherDep, req: Annotated[AnswerQuery, Query()]
) -> AnswerResponse:
    """A direct answer quoted from the documents, with its citations."""
    body = AnswerRequest(
        question=req.q, section=req.section, kind=req.kind, mode=req.mode, document=req.document
    )
    return _answer(request, searcher, body)


@router.post("/answer", response_model=AnswerResponse, responses=ERRORS, tags=["answer"])
def answer_post(request: Request, searcher: SearcherDep, req: AnswerRequest) -> AnswerResponse:
    """As GET /answer, with `question` in a JSON body."""
    return _answer(request, searcher, req)


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
        documents=m.document_count,
        build_id=m.build_id,
    )
