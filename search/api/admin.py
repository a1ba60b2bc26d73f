"""Administration routes, all under /admin so that one dependency can protect them."""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, Request

from search.api.reload import IndexReloader
from search.api.schemas import ErrorResponse, ReloadResponse
from search.retrieve import Searcher

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post(
    "/reload",
    response_model=ReloadResponse,
    responses={503: {"model": ErrorResponse, "description": "The index on disk cannot be served"}},
)
async def reload_index(request: Request) -> ReloadResponse:
    """Load the index on disk now (the service also notices a new one by itself).

    If it cannot be loaded, the error says why and the index being served stays.
    """
    reloader = cast(IndexReloader, request.app.state.reloader)
    changed = await reloader.reload(force=True)
    searcher = cast(Searcher, request.app.state.searcher)
    m = searcher.index.manifest
    return ReloadResponse(
        changed=changed,
        build_id=m.build_id,
        built_at=m.built_at,
        passages=m.passage_count,
        documents=m.document_count,
    )
