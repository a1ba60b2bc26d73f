"""Pydantic models for the HTTP edge only; the library itself speaks frozen dataclasses."""

from __future__ import annotations

import functools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from search.answer.answerer import Answer, Citation
from search.api.links import passage_link
from search.api.sanitize import HAS_TEXT, clean_text
from search.config import MAX_K
from search.model import KINDS, Document, Hit, Passage, group_names

MAX_QUERY_CHARS = 1000


def clean_query(value: str) -> str:
    """The question, normalised (search.api.sanitize); refused when empty or too long."""
    value = clean_text(value, MAX_QUERY_CHARS)
    if not value:
        raise ValueError("must not be empty or only white space")
    return value


def blank_is_none(value: str | None) -> str | None:
    return clean_text(value, MAX_QUERY_CHARS) or None if value is not None else None


SEARCH_K = (
    f"How many passages to return (1..{MAX_K}); the service's default (SEARCH_DEFAULT_K, "
    "5 unless set) when omitted."
)
ANSWER_K = f"How many of the best passages the answer is chosen from (1..{MAX_K}; 5 if omitted)."


class _Asked(BaseModel):
    """The fields /search and GET /answer share, from a query string or a JSON body."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field(
        ...,
        description="The question or keywords, in the user's own words.",
        examples=["How common was domestic abuse?"],
        # Checked (with friendlier messages) by the validator below; stated for clients.
        json_schema_extra={"minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": HAS_TEXT},
    )
    section: str | None = Field(None, description="Only passages under this heading.")
    kind: str | None = Field(
        None,
        description=f"Only passages of this kind: {', '.join(KINDS)}.",
    )
    document: str | None = Field(None, description="Only passages of this document (its id).")

    mode: Literal["hybrid", "dense", "bm25"] = Field(
        "hybrid", description="Ranking: BM25 and dense fused (default), dense only, or BM25 only."
    )

    _q = field_validator("q")(clean_query)
    _filters = field_validator("section", "kind", "document")(blank_is_none)


class SearchRequest(_Asked):
    """The same fields for GET (query string) and POST (JSON body)."""

    k: int | None = Field(None, ge=1, le=MAX_K, description=SEARCH_K)
    # One request for what a search box shows: the ranking is made once, and in hybrid mode
    # the answer is weighed for the results' order anyway (search/answer/first.py).
    answer: bool = Field(
        False,
        description="Also give the direct answer, as /answer gives it (chosen from the best 5 "
        "passages), from the same ranking.",
    )


class AnswerQuery(_Asked):
    """GET /answer takes `q` like /search; k is how many passages the answer is chosen from."""

    k: int | None = Field(None, ge=1, le=MAX_K, description=ANSWER_K)


class AnswerRequest(BaseModel):
    """POST /answer body; GET /answer takes the same fields with `q` for the question."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        ...,
        examples=["What percentage of reviews involved domestic abuse?"],
        json_schema_extra={"minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": HAS_TEXT},
    )
    section: str | None = Field(None, description="Only answer from passages under this heading.")
    kind: str | None = Field(None, description="Only answer from passages of this kind.")
    document: str | None = Field(None, description="Only answer from this document (its id).")
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    k: int | None = Field(None, ge=1, le=MAX_K, description=ANSWER_K)

    _question = field_validator("question")(clean_query)
    _filters = field_validator("section", "kind", "document")(blank_is_none)


class PassageOut(BaseModel):
    id: str
    text: str
    section: str
    kind: str
    document: str
    title: str
    start: int
    end: int
    url: str | None = Field(None, description="Where the document is published, if known.")
    page: int | None = Field(
        None,
        description="PDF page the passage starts on (from 1); in an answer's citation, the "
        "page its highlighted words stand on.",
    )
    headings: list[str] = Field(
        default_factory=list,
        description="The headings the passage stands under, outermost first (below the title).",
    )
    link: str | None = Field(
        None,
        description="The URL pointing at the passage: a #:~:text= fragment for web pages, "
        "#page=N for PDFs.",
    )
    points_to: str | None = Field(
        None,
        description="For a reading list's entry (kind reference): the web address of the "
        "publication it names.",
    )

    @classmethod
    def of(cls, p: Passage) -> PassageOut:
        return cls(
            id=p.id,
            text=p.text,
            section=p.section,
            kind=p.kind,
            document=p.document,
            title=p.title,
            start=p.start,
            end=p.end,
            url=p.url,
            page=p.page,
            headings=list(p.headings),
            link=passage_link(p),
            points_to=p.points_to,
        )


class Highlight(BaseModel):
    start: int = Field(description="Offset of the answer's first character in the citation text.")
    end: int


class EntryLink(BaseModel):
    start: int = Field(description="Offset of the entry's first character in the result text.")
    end: int
    url: str = Field(description="Where the entry points.")


class SearchResult(PassageOut):
    score: float = Field(description="Relevance, higher is better.")
    matched: list[Highlight] = Field(
        default_factory=list,
        description="For a list shown whole: where the items that matched stand in its text.",
    )
    links: list[EntryLink] = Field(
        default_factory=list,
        description="For a list shown whole: its reading-list entries and where each points.",
    )

    @classmethod
    def of_hit(cls, hit: Hit) -> SearchResult:
        # A passage's fields are worked out once (its link takes URL parsing); validating
        # them from a plain dict is pydantic-core's fast path.
        spans = [{"start": s, "end": e} for s, e in hit.matched]
        links = [{"start": s, "end": e, "url": u} for s, e, u in hit.links]
        return cls(
            **_passage_fields(hit.passage), score=round(hit.score, 6), matched=spans, links=links
        )


@functools.lru_cache(maxsize=4096)
def _passage_fields(p: Passage) -> dict[str, Any]:
    return PassageOut.of(p).model_dump()


class CitationOut(PassageOut):
    highlight: Highlight | None = Field(
        description="Where the answer stands inside this citation's text; null for a passage "
        "cited as support or suggestion only."
    )

    @classmethod
    def of_citation(cls, c: Citation) -> CitationOut:
        span = Highlight(start=c.highlight[0], end=c.highlight[1]) if c.highlight else None
        return cls(**PassageOut.of(c.passage).model_dump(), highlight=span)


def corrected(asked: str, searched: str) -> str | None:
    return searched if searched and searched != asked else None


class AnswerResponse(BaseModel):
    question: str
    corrected: str | None = Field(
        None,
        description="The question as searched when misspelt words were put right (to show "
        "'Showing results for ...'); null when it was searched as typed.",
    )
    answerable: bool = Field(description="False when the documents do not cover the question.")
    answer: str | None = Field(description="The answering sentence or figure, verbatim.")
    confidence: float = Field(ge=0, le=1)
    message: str = Field(description="Where the answer comes from, or why there is none.")
    citations: list[CitationOut] = Field(
        description="The answer's passage first, then other supporting passages; when "
        "unanswerable, the nearest passages as suggestions."
    )

    @classmethod
    def of(cls, a: Answer) -> AnswerResponse:
        return cls(
            question=a.question, corrected=corrected(a.question, a.searched),
            answerable=a.answerable, answer=a.answer,
            confidence=a.confidence, message=a.message,
            citations=[CitationOut.of_citation(c) for c in a.citations],
        )  # fmt: skip


class SearchResponse(BaseModel):
    query: str
    corrected: str | None = Field(
        None,
        description="The question as searched when misspelt words were put right (to show "
        "'Showing results for ...'); null when it was searched as typed.",
    )
    answerable: bool = Field(
        description="False when nothing in the documents answers the question; the results "
        "are then only the nearest passages."
    )
    results: list[SearchResult]
    answer: AnswerResponse | None = Field(
        None, description="With answer=true, the direct answer as /answer gives it; else null."
    )


class BuildOut(BaseModel):
    """The build this process is running (a document added or removed through /admin)."""

    building: bool
    phase: str = Field(description="reading, embedding, or empty when no build runs.")
    documents_done: int
    documents_total: int
    done: int = Field(description="Texts (passages, then sentences) embedded so far.")
    total: int = Field(description="Texts this build has to embed.")
    per_second: float = Field(description="Texts embedded per second in this build.")
    eta_seconds: float | None = Field(description="Time left embedding, once it is known.")


class HealthResponse(BaseModel):
    status: str
    passages: int
    model: str
    dimension: int
    built_at: str
    corpus_hash: str
    version: str
    documents: int
    build_id: str
    build: BuildOut | None = Field(None, description="The build in progress in this process.")


class DocumentOut(BaseModel):
    id: str
    title: str
    format: str = Field(description="md, txt, html, pdf, docx or jsonl.")
    source: str = Field(description="The file in the corpus folder it was read from.")
    url: str | None
    passages: int
    added: str = Field(description="When it first entered the index (ISO 8601, UTC).")
    pages: int | None = Field(None, description="Page count, for PDFs.")
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="Other fields of its JSONL line or sidecar file."
    )
    audience: list[str] | None = Field(
        None,
        description="Shown to admins only: the groups that may see it; [] when everyone may.",
    )

    @classmethod
    def of(cls, d: Document, admin: bool = False) -> DocumentOut:
        return cls(
            id=d.id,
            title=d.title,
            format=d.format,
            source=d.source,
            url=d.url,
            passages=d.passages,
            added=d.added,
            pages=d.pages,
            metadata=d.metadata,
            audience=list(d.audience) if admin else None,
        )


class DocumentDetail(DocumentOut):
    sections: list[str] = Field(description="Its headings, in order: values for `section=`.")


class DocumentsResponse(BaseModel):
    count: int
    documents: list[DocumentOut]


class ChangeResponse(BaseModel):
    added: list[str] = Field(description="Ids of documents new to the index.")
    updated: list[str] = Field(description="Ids of documents whose file was replaced.")
    removed: list[str]
    documents: int
    passages: int
    embedded: int = Field(description="Passages embedded by this change (the rest reused).")
    build_id: str
    seconds: float = Field(description="How long the index update took.")


class AudienceRequest(BaseModel):
    """PUT /admin/documents/{id}/audience body."""

    model_config = ConfigDict(extra="forbid")

    audience: list[str] = Field(
        description="The groups that may see the document; [] opens it to everyone.",
        examples=[["board", "dsl"]],
    )

    @field_validator("audience")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        return list(group_names(value))


class AudienceResponse(BaseModel):
    id: str
    audience: list[str] = Field(description="[] when everyone may see it.")
    build_id: str = Field(description="The index now served, with the new audience.")


class ReloadResponse(BaseModel):
    changed: bool = Field(description="Whether a different index is now being served.")
    build_id: str
    built_at: str
    passages: int
    documents: int


class ErrorResponse(BaseModel):
    detail: str = Field(description="What is wrong, in one sentence.")
    errors: list[dict[str, str]] = Field(default_factory=list)
