"""What the index holds: its documents."""

from __future__ import annotations

from fastapi import APIRouter, Request

from search.api.access import viewer_of
from search.api.deps import SearcherDep
from search.api.schemas import DocumentDetail, DocumentOut, DocumentsResponse, ErrorResponse
from search.errors import DocumentNotFound

router = APIRouter(tags=["documents"])


@router.get("/documents", response_model=DocumentsResponse)
def list_documents(request: Request, searcher: SearcherDep) -> DocumentsResponse:
    """Every document in the index the caller may see, in corpus order (with their
    audiences, for admins)."""
    admin = viewer_of(request).everything
    docs = [DocumentOut.of(d, admin) for d in searcher.documents.values()]
    return DocumentsResponse(count=len(docs), documents=docs)


@router.get(
    "/documents/{doc_id}",
    response_model=DocumentDetail,
    responses={404: {"model": ErrorResponse, "description": "No such document"}},
)
def get_document(doc_id: str, request: Request, searcher: SearcherDep) -> DocumentDetail:
    """One document, with its sections (the values `section=` accepts for it)."""
    doc = searcher.documents.get(doc_id)
    if doc is None:
        # The same words whether it does not exist or the caller may not see it.
        raise DocumentNotFound(f"no document {doc_id!r} (GET /documents lists them)")
    sections = dict.fromkeys(p.section for p in searcher.passages if p.document == doc_id)
    out = DocumentOut.of(doc, viewer_of(request).everything)
    return DocumentDetail(**out.model_dump(), sections=list(sections))
