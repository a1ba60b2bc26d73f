"""Cut a document's blocks into passages: summary paragraphs, bullets by list kind, one
statistic sentence per table cell.

Pure functions only: text in, frozen dataclasses out. The rules follow the layout of the
text (headings, paragraphs, bullet lists, tables), never the wording of one document.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace

from search.chunk.blocks import document_title, join_introduced, text_blocks
from search.chunk.inline import plain
from search.chunk.text import last_sentence, pieces, table_statistics
from search.model import Block, Passage

_THEME = re.compile(r"\bthemes?\b", re.IGNORECASE)
_FINDING = re.compile(r"\b(findings?|found)\b", re.IGNORECASE)
_LEARNING = re.compile(
    r"\b(learnings?|lessons?|implications? for|recommendations?|key messages)\b", re.IGNORECASE
)
# A reading list's heading, as guidance names it ("Further information", "Useful resources
# and external organisations", "Other relevant departmental advice and statutory guidance",
# "Associated resources (external links)", "Further reading", "What legislation does this
# guidance refer to?"): its entries name publications or Acts, linked or not. Not
# "References", which in adoption guidance are an adopter's referees. Every metric of every
# collection unchanged by it (python -m search eval); it keeps titles from answering.
_READING_LIST = re.compile(
    r"\b(further (information|reading|sources|resources)|useful (resources|links|contacts|"
    r"organisations|organizations|websites)|external (links|organisations|organizations|"
    r"resources)|(associated|other|related) (\w+ ){0,2}(resources|publications|guidance|"
    r"advice)|bibliography|reading list|what legislation)\b",
    re.IGNORECASE,
)


def reading_list(headings: Sequence[str]) -> bool:
    """Whether a heading path is that of a reading list (its list items are references)."""
    return any(_READING_LIST.search(heading) for heading in headings)


# The last words of a lead-in that name what its list holds.
KIND_WORDS = 6


def list_kind(lead_in: str | None) -> str:
    """What a bullet list holds, judged by the sentence that introduces it: themes, lessons
    or findings when it says so ("Findings included:"), else plain items."""
    if not lead_in:
        return "item"
    # What a list gives is said at the end of its lead-in ("... the following themes
    # emerged:"); earlier the same words are about something else ("given the serious
    # implications for a young person's future, ... a review should take place:").
    last = " ".join(last_sentence(lead_in).split()[-KIND_WORDS:])
    themes = [m.start() for m in _THEME.finditer(last)]
    learnings = [m.start() for m in _LEARNING.finditer(last)]
    if themes or learnings:
        # "themes and learnings": the later word is what the list goes on to give.
        return "theme" if max(themes, default=-1) > max(learnings, default=-1) else "learning"
    return "finding" if _FINDING.search(last) else "item"


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "document"


def _passage_id(document: str, kind: str, section: str, text: str, seen: dict[str, int]) -> str:
    # Paragraphs were "summary" passages: their ids stay what they were.
    named = {"paragraph": "summary"}.get(kind, kind)
    digest = hashlib.sha1(f"{named}\x1f{section}\x1f{text}".encode()).hexdigest()[:12]
    base = f"{document}:{digest}"
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}-{seen[base]}"


def chunk_document(source: str, document: str, fallback_title: str | None = None) -> list[Passage]:
    """Cut one plain-text or Markdown document into passages."""
    blocks = text_blocks(source)
    title = plain(document_title(blocks, fallback_title or document))
    return chunk_blocks(blocks, document, title, inline_markdown=True)


def _heading_path(path: list[tuple[int, str]], heading: Block, title: str) -> list[tuple[int, str]]:
    """The heading path once a heading is reached: deeper or equal levels closed, the heading
    added (a heading found by shape, level 0, counts as level 1). The document's own title
    heading (the title, or of three words or more its start, as when a PDF's metadata title
    adds "- update note") starts the path afresh without entering it."""
    level = max(heading.level, 1)
    kept = [(lv, h) for lv, h in path if lv < level]
    text = " ".join(heading.text.split()).casefold()
    whole = " ".join(title.split()).casefold()
    if not kept and (text == whole or (len(text.split()) >= 3 and whole.startswith(text))):
        return []
    return [*kept, (level, heading.text)]


def chunk_blocks(
    blocks: Sequence[Block], document: str, title: str, inline_markdown: bool = False
) -> list[Passage]:
    """Passages of parsed blocks: paragraphs, list items by list kind, statistics.

    Every format ends here: Markdown and text through parse_blocks, HTML and Word files
    through blocks their readers build from the markup. The items of a list, and the
    paragraph ending in ':' that introduces it, share a list_id. With inline_markdown (text
    a person wrote in Markdown), passages and headings read without their inline marks;
    a passage's start and end are still its span in the source.
    """
    shown = plain if inline_markdown else str
    section = title
    path: list[tuple[int, str]] = []  # (level, heading) from the outermost in
    lead_in: str | None = None  # the paragraph that introduces the next list or table
    lead_in_rows: list[int] = []  # its passages, which join the list it introduces
    list_kind_now = "item"
    list_id: str | None = None
    listed = False  # the list stands under a reading list's heading
    previous = ""
    seen: dict[str, int] = {}
    passages: list[Passage] = []

    def add(kind: str, text: str, start: int, end: int, points_to: str | None = None) -> str:
        text = shown(text)
        pid = _passage_id(document, kind, section, text, seen)
        heads = tuple(h for _, h in path)
        passages.append(
            Passage(
                pid, document, title, section, kind, text, start, end, headings=heads,
                list_id=list_id if kind not in ("paragraph", "statistic", "footnote") else None,
                points_to=points_to,
            )
        )  # fmt: skip
        return pid

    for block in join_introduced(blocks):
        if block.type == "heading":
            block = replace(block, text=shown(block.text))
            section = block.text
            lead_in, lead_in_rows = None, []
            path = _heading_path(path, block, title)
        elif block.type == "paragraph":
            start_row = len(passages)
            for text, start, end in pieces(block.text, block.start):
                add("paragraph", text, start, end)
            if len(passages) - start_row > 1:
                whole = f"{passages[start_row].id}~paragraph"
                for row in range(start_row, len(passages)):
                    passages[row] = replace(passages[row], paragraph_id=whole)
            lead_in = block.text
            ends_colon = block.text.rstrip().endswith(":")
            lead_in_rows = list(range(start_row, len(passages)))[-1:] if ends_colon else []
        elif block.type == "bullet":
            if previous != "bullet":
                list_kind_now = list_kind(lead_in)
                list_id = None
                listed = reading_list([h for _, h in path])
            for text, start, end in pieces(block.text, block.start):
                if block.link:
                    kind, to = "reference", block.href
                else:
                    kind, to = "reference" if listed else list_kind_now, None
                pid = add(kind, text, start, end, to)
                if list_id is None:
                    list_id = f"{pid}~list"
                    passages[-1] = replace(passages[-1], list_id=list_id)
                    for row in lead_in_rows:
                        passages[row] = replace(passages[row], list_id=list_id)
                    lead_in_rows = []
        elif block.type == "footnote":
            for text, start, end in pieces(block.text, block.start):
                add("footnote", text, start, end)
            continue  # a note at the foot of a page neither introduces nor interrupts a list
        elif block.type == "table":
            context = (lead_in or section).strip().rstrip(":").rstrip() + "."
            for text, start, end in table_statistics(block.rows, context):
                add("statistic", text, start, end)
        if block.type != "bullet":
            list_id = None
        previous = block.type
    return passages
