"""What the index holds: its documents."""

from __future__ import annotations

from fastapi import APIRouter

from search.api.deps import SearcherDep
from search.api.schemas import DocumentDetail, DocumentOut, DocumentsResponse, ErrorResponse
from search.errors import DocumentNotFound

router = APIRouter(tags=["documents"])


@router.get("/documents", response_model=DocumentsResponse)
def list_documents(searcher: SearcherDep) -> DocumentsResponse:
    """Every document in the index, in corpus order."""
    docs = [DocumentOut.of(d) for d in searcher.documents.values()]
    return DocumentsResponse(count=len(docs), documents=docs)


@router.get(
    "/documents/{doc_id}",
    response_model=DocumentDetail,
    responses={404: {"model": ErrorResponse, "description": "No such document"}},
)
def get_document(doc_id: str, searcher: SearcherDep) -> DocumentDetail:
    """One document, with its sections (the values `section=` accepts for it)."""
    doc = searcher.documents.get(doc_id)
    if doc is None:
        raise DocumentNotFound(f"no document {doc_id!r} (GET /documents lists them)")
    sections = dict.fromkeys(p.section for p in searcher.passages if p.document == doc_id)
    return DocumentDetail(**DocumentOut.of(doc).model_dump(), sections=list(sections))
