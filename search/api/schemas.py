"""Pydantic models for the HTTP edge only; the library itself speaks frozen dataclasses."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from search.api.sanitize import HAS_TEXT, clean_text
from search.chunk import Passage
from search.retrieve import Hit

MAX_QUERY_CHARS = 1000
MAX_K = 50


class SearchRequest(BaseModel):
    """The same fields for GET (query string) and POST (JSON body)."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field(
        ...,
        description="The question or keywords, in the user's own words.",
        examples=["How common was domestic abuse?"],
        # Checked (with friendlier messages) by the validator below; stated for clients.
        json_schema_extra={"minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": HAS_TEXT},
    )
    k: int = Field(5, ge=1, le=MAX_K, description=f"How many passages to return (1..{MAX_K}).")
    section: str | None = Field(None, description="Only passages under this heading.")
    kind: str | None = Field(
        None,
        description="Only passages of this kind: summary, theme, learning, finding, statistic.",
    )

    @field_validator("q")
    @classmethod
    def _q_has_text(cls, value: str) -> str:
        value = clean_text(value, MAX_QUERY_CHARS)
        if not value:
            raise ValueError("must not be empty or only white space")
        return value

    @field_validator("section", "kind")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return clean_text(value, MAX_QUERY_CHARS) or None if value is not None else None


class PassageOut(BaseModel):
    id: str
    text: str
    section: str
    kind: str
    document: str
    title: str
    start: int
    end: int

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
        )


class SearchResult(PassageOut):
    score: float = Field(description="Relevance, higher is better.")

    @classmethod
    def of_hit(cls, hit: Hit) -> SearchResult:
        return cls(**PassageOut.of(hit.passage).model_dump(), score=round(hit.score, 6))


class SearchResponse(BaseModel):
    query: str
    results: list[SearchResult]


class HealthResponse(BaseModel):
    status: str
    passages: int
    model: str
    dimension: int
    built_at: str
    corpus_hash: str
    version: str


class ErrorResponse(BaseModel):
    detail: str = Field(description="What is wrong, in one sentence.")
    errors: list[dict[str, str]] = Field(default_factory=list)
