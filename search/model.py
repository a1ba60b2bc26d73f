"""The shared frozen types every stage speaks: passages and their documents, the structural
blocks a reader finds, search hits, and the record of an index's query model.

Nothing here does work; each stage (ingest, chunk, embed, index, retrieve, answer) imports
these types instead of importing another stage for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# How a question is matched: both sides fused, the model alone, or BM25 alone.
MODES = ("hybrid", "dense", "bm25")
# What a passage is, as the API filter and the widget name it.

# paragraph: prose; item: a list item; theme, learning, finding: a list item whose lead-in
# says the list gives themes, lessons or findings; statistic: one figure of a table;
# footnote: a note at the foot of a page; reference: a list item that is a link to another
# publication or site (a reading list's entry).
KINDS = ("paragraph", "item", "theme", "learning", "finding", "statistic", "footnote", "reference")
# Names the API accepted before, for the kinds they meant.
KIND_ALIASES = {"summary": "paragraph"}
# A group name as documents' audiences, keys files and single sign-on headers spell it.
_GROUP = re.compile(r"^[^\x00-\x1f\x7f,]{1,200}$")


def group_names(value: object) -> tuple[str, ...]:
    """Group names (a list, or one comma-separated string) folded to compare: sorted, unique.

    ValueError says what is wrong; no names (empty, or only commas) is an empty tuple.
    """
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple | set | frozenset):
        raise ValueError("must be a list of group names")
    names = set()
    for item in value:
        if not isinstance(item, str):
            raise ValueError("group names must be strings")
        name = item.strip().casefold()
        if name and not _GROUP.match(name):
            raise ValueError(f"{item!r} is not a group name (no commas or control characters)")
        if name:
            names.add(name)
    return tuple(sorted(names))


@dataclass(frozen=True)
class Passage:
    """One retrievable unit of text with where it came from."""

    id: str
    document: str
    title: str
    section: str
    kind: str
    text: str
    start: int
    end: int
    url: str | None = None  # where the document is published, when known
    page: int | None = None  # 1-based page of a PDF the passage starts on
    # The heading path below the document title (section, subsection, ...); `section` is
    # its last entry, or the title before the first heading.
    headings: tuple[str, ...] = ()
    # The list this passage is an item (or the lead-in) of: results show the list whole.
    list_id: str | None = None
    # The paragraph this passage is a piece of, when a long paragraph was cut at sentence
    # ends: results show the paragraph whole.
    paragraph_id: str | None = None
    # Where a reading list's entry (kind "reference") points: the publication's web address.
    points_to: str | None = None
    # Where the text runs on to a later PDF page: (offset in text, that page), in order.
    page_breaks: tuple[tuple[int, int], ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The PDF page the text at an offset of this passage's text stands on."""
        page = self.page
        for at, later in self.page_breaks:
            if at > offset:
                break
            page = later
        return page


@dataclass(frozen=True)
class Block:
    """A structural element of the source: heading, paragraph, bullet or table."""

    type: str  # "heading" | "paragraph" | "bullet" | "table" | "footnote"
    text: str
    start: int
    end: int
    level: int = 0  # heading depth; 0 for headings found by shape rather than by '#'
    rows: tuple[tuple[tuple[str, int, int], ...], ...] = field(default=())
    # A list item that is a link to another publication or site, all of it (a reading list).
    link: bool = False
    href: str | None = None  # where that link points, when it is a web address


@dataclass(frozen=True)
class Document:
    """The index's record of one document."""

    id: str
    title: str
    format: str
    source: str  # path inside the corpus folder
    url: str | None
    added: str  # when the document first entered the index (ISO 8601, UTC)
    passages: int
    sha256: str  # of the source file (and its sidecar): unchanged files are not parsed again
    pages: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # The groups that may see it (search.retrieve.views); empty: everyone may.
    audience: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Read back from JSON as a list; kept a tuple so records compare and hash alike.
        object.__setattr__(self, "audience", tuple(self.audience))


@dataclass(frozen=True)
class ParsedDocument:
    id: str
    title: str
    format: str
    source: str
    url: str | None
    sha256: str
    passages: tuple[Passage, ...]
    pages: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    audience: tuple[str, ...] = ()

    def record(self, added: str) -> Document:
        return Document(
            self.id,
            self.title,
            self.format,
            self.source,
            self.url,
            added,
            len(self.passages),
            self.sha256,
            self.pages,
            self.metadata,
            self.audience,
        )


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    # Spans of the passage's text that matched the question, when the passage is a whole
    # list shown for the items found in it (offsets into passage.text).
    matched: tuple[tuple[int, int], ...] = ()
    # A list shown whole: where its reading-list entries stand in its text and where each
    # points (Passage.points_to).
    links: tuple[tuple[int, int, str], ...] = ()


@dataclass(frozen=True)
class Ranking:
    """Hits best first, whether the corpus answers the question, and the evidence for it."""

    hits: tuple[Hit, ...]
    answerable: bool
    dense_top: float
    lexical_match: float
    searched: str = ""  # the question as searched: misspelt words put right
    unknown: str | None = None  # a name the question uses that no passage does (not covered)
    # The best passages one by one (a list's items apart), as the direct answer weighs them.
    items: tuple[Hit, ...] = ()


@dataclass(frozen=True)
class QueryModel:
    """How the index's query-time model was made; recorded in the manifest."""

    runtime: str  # "onnxruntime"
    model_file: str  # relative to the index folder
    tokenizer_file: str
    max_length: int  # tokens, special tokens included (the model's max_seq_length)
    pooling: str  # "mean" or "cls", inside the graph
    quantisation: str  # "uint8-per-channel+blockwise-ffn", "uint8-per-channel" or "none"
    cosine_min: float  # against the sentence-transformers vectors, over the probes
    cosine_mean: float
    probes: int
    source: str  # sha256 of the model folder the export was made from
    recipe: str  # the export recipe; another one means a fresh export
    # The float32 graph `build` embeds passages and sentences with (None: built with torch),
    # and its agreement with sentence-transformers over the same probes.
    build_file: str | None = None
    build_cosine_min: float | None = None
