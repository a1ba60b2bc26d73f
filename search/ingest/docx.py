"""Word .docx files through python-docx: headings and list items from paragraph styles and
numbering, tables cell by cell, in the order they appear in the document body."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from search.errors import CorpusError
from search.ingest.base import BlockWriter, Extracted, mostly_linked

_HEADING_STYLE = re.compile(r"^heading ([1-9])$", re.IGNORECASE)


def _heading_level(paragraph: Paragraph) -> int | None:
    """1 for Title, N for Heading N, also through a custom style based on one of them."""
    style = paragraph.style
    for _ in range(10):  # a style's base chain is short; the bound guards against a loop
        if style is None:
            return None
        name = style.name or ""
        if name.lower() == "title":
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1))
        style = style.base_style
    return None


def _is_list_item(paragraph: Paragraph) -> bool:
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if name.lower().startswith("list"):
        return True
    # Lists made with the numbering buttons keep the Normal style and carry numPr instead.
    ppr = paragraph._p.pPr
    return ppr is not None and ppr.numPr is not None


def _all_link(paragraph: Paragraph) -> tuple[bool, str | None]:
    """Whether a list item's text is (nearly) all links to other documents or sites: a
    reading list's entry, and where its first link points. A link to a place in the
    document (a bookmark) does not count."""
    text = paragraph.text.strip()
    links = [h for h in paragraph.hyperlinks if h.address]
    linked = sum(len(h.text.strip()) for h in links)
    if not mostly_linked(linked, len(text)):
        return False, None
    return True, links[0].address


def _table(out: BlockWriter, table: Table) -> None:
    grid = []
    for row in table.rows:
        texts = []
        seen = set()
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans; keep it once.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            texts.append(cell.text)
        grid.append(texts)
    out.table(grid)


def read_docx(data: bytes, path: Path) -> Extracted:
    document = docx.Document(io.BytesIO(data))
    out = BlockWriter()
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            _table(out, item)
            continue
        level = _heading_level(item)
        if level is not None:
            out.heading(item.text, level)
        elif _is_list_item(item):
            out.bullet(item.text, *_all_link(item))
        else:
            out.paragraph(item.text)
    if not out.blocks:
        raise CorpusError(f"{path}: no text in the document")
    return out.extracted(document.core_properties.title or None)
