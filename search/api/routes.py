"""Routes. Those that compute await it in the threadpool, so the event loop never blocks;
one hop per request (a plain `def` route with a `def` dependency costs three).

The question routes are the hot path, so they skip the framework's per-request machinery
where it costs and changes nothing: GET parameters are validated by the same Pydantic
model in one call (FastAPI's query-parameter models re-inspect every field's annotation on
each request, half its cost of a search), and the response is serialised to JSON bytes by
pydantic-core in the worker thread instead of being validated again on the event loop.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, TypeVar, cast

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from search import __version__
from search.answer.answerer import Answerer
from search.answer.first import served
from search.api.deps import SearcherDep, get_searcher
from search.api.observability import record_query
from search.api.schemas import (
    AnswerQuery,
    AnswerRequest,
    AnswerResponse,
    BuildOut,
    ErrorResponse,
    HealthResponse,
    SearchRequest,
    SearchResponse,
    SearchResult,
    corrected,
)
from search.config import Settings
from search.index.progress import BuildProgress
from search.retrieve.searcher import Searcher

router = APIRouter()
ERRORS: dict[int | str, dict[str, object]] = {
    422: {"model": ErrorResponse, "description": "Invalid request"},
    503: {"model": ErrorResponse, "description": "Index not available"},
}
M = TypeVar("M", bound=BaseModel)


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The OpenAPI query parameters of a model's fields, as FastAPI describes a query model."""
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    params = []
    for name, field in schema["properties"].items():
        param = {"name": name, "in": "query", "required": name in required, "schema": field}
        if "description" in field:
            param["description"] = field["description"]
        params.append(param)
    return params


def from_query(model: type[M], request: Request) -> M:
    """The model from the query string (the last value of a repeated key, as FastAPI takes)."""
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        errors = [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def _json(model: BaseModel) -> Response:
    return Response(model.model_dump_json().encode(), media_type="application/json")


def _search(request: Request, searcher: Searcher, req: SearchRequest) -> Response:
    k = req.k or cast(Settings, request.app.state.settings).default_k
    ranking, answer = served(
        searcher, req.q, k, req.section, req.kind, req.mode, req.document, req.answer
    )
    record_query(request, req.q, results=len(ranking.hits), answerable=ranking.answerable)
    return _json(
        SearchResponse(
            query=req.q,
            corrected=corrected(req.q, ranking.searched),
            answerable=ranking.answerable,
            results=[SearchResult.of_hit(h) for h in ranking.hits],
            answer=AnswerResponse.of(answer) if req.answer and answer is not None else None,
        )
    )


@router.get(
    "/search",
    response_model=SearchResponse,
    responses=ERRORS,
    tags=["search"],
    openapi_extra={"parameters": query_parameters(SearchRequest)},
)
async def search_get(request: Request) -> Response:
    """The passages that best answer a question, best first."""
    searcher = await get_searcher(request)
    req = from_query(SearchRequest, request)
    return await run_in_threadpool(_search, request, searcher, req)


@router.post("/search", response_model=SearchResponse, responses=ERRORS, tags=["search"])
async def search_post(request: Request, searcher: SearcherDep, req: SearchRequest) -> Response:
    """As GET /search, with the fields in a JSON body."""
    return await run_in_threadpool(_search, request, searcher, req)


def _answer(request: Request, searcher: Searcher, req: AnswerRequest) -> Response:
    answer = Answerer(searcher).answer(
        req.question, req.section, req.kind, req.mode, k=req.k, document=req.document
    )
    found = len(answer.citations) if answer.answerable else 0
    record_query(request, req.question, results=found, answerable=answer.answerable)
    return _json(AnswerResponse.of(answer))


@router.get(
    "/answer",
    response_model=AnswerResponse,
    responses=ERRORS,
    tags=["answer"],
    openapi_extra={"parameters": query_parameters(AnswerQuery)},
)
async def answer_get(request: Request) -> Response:
    """A direct answer quoted from the documents, with its citations."""
    searcher = await get_searcher(request)
    req = from_query(AnswerQuery, request)
    body = AnswerRequest(
        question=req.q,
        section=req.section,
        kind=req.kind,
        mode=req.mode,
        document=req.document,
        k=req.k,
    )
    return await run_in_threadpool(_answer, request, searcher, body)


@router.post("/answer", response_model=AnswerResponse, responses=ERRORS, tags=["answer"])
async def answer_post(request: Request, searcher: SearcherDep, req: AnswerRequest) -> Response:
    """As GET /answer, with `question` in a JSON body."""
    return await run_in_threadpool(_answer, request, searcher, req)


@router.get("/health", response_model=HealthResponse, tags=["service"])
async def health(request: Request, searcher: SearcherDep) -> HealthResponse:
    """Whether the index is loaded, and which one (counting what the caller may see); while
    a document is being added or removed, how far that build is."""
    m = searcher.index.manifest
    progress: BuildProgress | None = getattr(request.app.state, "build_progress", None)
    status = progress.status() if progress is not None else None
    return HealthResponse(
        status="ok",
        passages=searcher.passage_count,
        model=m.model,
        dimension=m.dimension,
        built_at=m.built_at,
        corpus_hash=m.corpus_hash,
        version=__version__,
        documents=len(searcher.documents),
        build_id=m.build_id,
        build=BuildOut(**asdict(status)) if status is not None and status.building else None,
    )
