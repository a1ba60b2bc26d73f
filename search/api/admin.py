"""Administration routes, all under /admin so that one dependency can protect them."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

from fastapi import APIRouter, Query, Request

from search.api.reload import IndexReloader
from search.api.schemas import (
    AudienceRequest,
    AudienceResponse,
    ChangeResponse,
    ErrorResponse,
    ReloadResponse,
)
from search.config import Settings
from search.errors import CorpusError, InvalidQuery, PayloadTooLarge
from search.index.progress import BuildProgress
from search.model import group_names
from search.retrieve.searcher import Searcher
from search.sources import FORMATS, META_SUFFIX

if TYPE_CHECKING:
    from search.index.update import Change

router = APIRouter(prefix="/admin", tags=["admin"])
CHANGE_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorResponse, "description": "The file cannot be read; nothing changed"},
    413: {"model": ErrorResponse, "description": "The file is too large"},
}


def _reloader(request: Request) -> IndexReloader:
    return cast(IndexReloader, request.app.state.reloader)


@router.post(
    "/reload",
    response_model=ReloadResponse,
    responses={503: {"model": ErrorResponse, "description": "The index on disk cannot be served"}},
)
async def reload_index(request: Request) -> ReloadResponse:
    """Load the index on disk now (the service also notices a new one by itself).

    If it cannot be loaded, the error says why and the index being served stays.
    """
    changed = await _reloader(request).reload(force=True)
    m = cast(Searcher, request.app.state.searcher).index.manifest
    return ReloadResponse(
        changed=changed,
        build_id=m.build_id,
        built_at=m.built_at,
        passages=m.passage_count,
        documents=m.document_count,
    )


async def _tracked(
    request: Request, change: Callable[..., Change], *args: Any, **kw: Any
) -> Change:
    """Run a change off the event loop, its progress shown in /health and /metrics."""
    progress: BuildProgress = request.app.state.build_progress

    def run() -> Change:
        progress.start()
        try:
            return change(*args, progress=progress, **kw)
        finally:
            progress.finish()

    return await asyncio.to_thread(run)


async def _served(request: Request, change: Change) -> ChangeResponse:
    """Serve the new index before answering, so the change is searchable on return."""
    await _reloader(request).reload()
    m = change.manifest
    return ChangeResponse(
        added=list(change.added),
        updated=list(change.updated),
        removed=list(change.removed),
        documents=m.document_count,
        passages=m.passage_count,
        embedded=m.embedded_passages,
        build_id=m.build_id,
        seconds=m.build_seconds,
    )


@router.put("/documents/{filename}", response_model=ChangeResponse, responses=CHANGE_ERRORS)
async def put_document(
    filename: str,
    request: Request,
    url: Annotated[str | None, Query(description="Where the file is published.")] = None,
    title: Annotated[
        str | None, Query(description="Its title, if the file's own is wrong.")
    ] = None,
    audience: Annotated[
        str | None,
        Query(
            description="Comma-separated groups that may see it (e.g. board,dsl); empty: "
            "everyone. Left out: as its sidecar says (everyone, for a new file)."
        ),
    ] = None,
) -> ChangeResponse:
    """Add a file to the corpus (the request body is the file), or replace the file of
    that name, and serve the updated index. As `python -m search add FILE`."""
    settings = cast(Settings, request.app.state.settings)
    groups = _groups(audience) if audience is not None else None
    suffix = Path(filename).suffix.lower()
    if filename.startswith(".") or filename.endswith(META_SUFFIX) or suffix not in FORMATS:
        known = ", ".join(sorted(set(FORMATS)))
        raise CorpusError(f"{filename}: not a file name this service reads; use {known}")
    limit = int(settings.max_upload_mb * 1_000_000)
    if int(request.headers.get("content-length") or 0) > limit:
        raise PayloadTooLarge(f"{filename}: larger than {settings.max_upload_mb:g} MB")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise PayloadTooLarge(f"{filename}: larger than {settings.max_upload_mb:g} MB")
    reloader = _reloader(request)
    # The readers load with the first change, not with the service.
    from search.index.update import add_files

    with tempfile.TemporaryDirectory(prefix="upload-") as folder:
        path = Path(folder) / filename
        path.write_bytes(bytes(data))
        change = await _tracked(
            request, add_files, [path], settings.corpus_dir, settings.index_dir,
            reloader.embedder, url=url, title=title, audience=groups,
        )  # fmt: skip
    return await _served(request, change)


def _groups(value: str | list[str]) -> tuple[str, ...]:
    try:
        return group_names(value)
    except ValueError as exc:
        raise InvalidQuery(f"audience {exc}") from exc


@router.put(
    "/documents/{doc_id}/audience",
    response_model=AudienceResponse,
    responses={404: {"model": ErrorResponse, "description": "No such document"}},
)
async def put_audience(doc_id: str, body: AudienceRequest, request: Request) -> AudienceResponse:
    """Set who may see a document: the groups of its audience, or [] for everyone. Nothing
    is embedded again; the change is served on return. As `python -m search audience`."""
    settings = cast(Settings, request.app.state.settings)
    from search.index.update import set_audience

    doc = await asyncio.to_thread(
        set_audience, doc_id, tuple(body.audience), settings.corpus_dir, settings.index_dir
    )
    await _reloader(request).reload()
    m = cast(Searcher, request.app.state.searcher).index.manifest
    return AudienceResponse(id=doc.id, audience=list(doc.audience), build_id=m.build_id)


@router.delete(
    "/documents/{doc_id}",
    response_model=ChangeResponse,
    responses={404: {"model": ErrorResponse, "description": "No such document"}},
)
async def delete_document(doc_id: str, request: Request) -> ChangeResponse:
    """Remove a document from the corpus and serve the updated index. As `python -m search
    remove DOC_ID`."""
    settings = cast(Settings, request.app.state.settings)
    embedder = _reloader(request).embedder
    from search.index.update import remove_document

    change = await _tracked(
        request, remove_document, doc_id, settings.corpus_dir, settings.index_dir, embedder
    )
    return await _served(request, change)
