"""Headings in a PDF: the outline's bookmarks, and lines set larger than the body or in bold
at the page's own body size; each heading's level from the outline where it names the
heading, else from the level the outline gives headings of the same type style.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from pypdf import PdfReader

from search.ingest.base import clean
from search.ingest.pdf_layout import Line, body_size

HEADING_SCALE = 1.2  # a line this much larger than body text is a heading
HEADING_CHARS = 150  # longer than this, larger or bold type is emphasis, not a heading


def read_outline(reader: PdfReader) -> dict[tuple[int, str], int]:
    """(page index, folded title) -> heading level, from the PDF's bookmarks."""
    found: dict[tuple[int, str], int] = {}

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
            except Exception:  # a bookmark to nowhere is common and harmless
                continue
            if page is not None:
                found[(page, _fold(str(item.title)))] = min(level, 6)

    try:
        walk(list(reader.outline), 1)
    except Exception:  # a broken outline still leaves the text readable
        return {}
    return found


def _fold(text: str) -> str:
    return clean(text).casefold().rstrip(" .:")


def heading_styles(pages: Sequence[Sequence[Line]], body: float) -> list[tuple[float, bool]]:
    """Heading type styles, most prominent first: larger sizes, then bold body-size type."""
    styles = {
        line.style
        for lines, page_body in ((lines, page_body_size(lines, body)) for lines in pages)
        for line in lines
        if looks_like_heading(line, body, page_body)
    }
    return sorted(styles, key=lambda s: (-s[0], not s[1]))


def larger(line: Line, body: float, page_body: float | None = None) -> bool:
    """Set larger than body text: the document's, or the page's own where that is smaller
    and the line still outsizes the document's (the regulations annexed to guidance are set
    smaller, their "PART 1" and schedule titles larger than the smaller type)."""
    own = page_body or body
    return line.size >= body * HEADING_SCALE or (
        line.size > body and line.size >= own * HEADING_SCALE
    )


def looks_like_heading(line: Line, body: float, page_body: float | None = None) -> bool:
    """Larger than body text, or bold in the page's own body size (the regulations annexed
    to guidance set their titles in bold)."""
    bold = line.bold and line.size >= (page_body or body) * 0.95
    text = line.text
    return (
        (larger(line, body, page_body) or bold)
        and len(text) <= HEADING_CHARS
        and text[-1] not in ".,;"
    )


def page_body_size(lines: Sequence[Line], body: float) -> float:
    """The size most of a page is set in, where smaller than the document's body text."""
    return min(body, body_size([lines]) or body)


class Headings:
    """Levels for heading lines: the outline's where it names the heading, else the level
    the outline gives headings of the same type style, else the style's rank."""

    def __init__(self, outline: dict[tuple[int, str], int], styles: list[tuple[float, bool]]):
        self.outline = outline
        self.ranks = {style: min(i + 1, 6) for i, style in enumerate(styles)}
        self.by_style: dict[tuple[float, bool], Counter[int]] = {}

    def outline_level(self, text: str, page: int) -> int | None:
        key = _fold(text)
        for near in (page, page - 1, page + 1):  # a bookmark may point at the page before
            if (near, key) in self.outline:
                return self.outline[(near, key)]
        return None

    def level(self, text: str, page: int, style: tuple[float, bool]) -> int:
        found = self.outline_level(text, page)
        if found is not None:
            self.by_style.setdefault(style, Counter())[found] += 1
            return found
        seen = self.by_style.get(style)
        return seen.most_common(1)[0][0] if seen else self.ranks.get(style, 1)
