"""Parse a plain-text or Markdown document into its structure: headings, paragraphs, bullet
lists and tables, each a Block pointing into the source.

Pure functions only: text in, frozen dataclasses out. The rules follow the layout of the
text, never the wording of one document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from search.chunk.text import MAX_PASSAGE_CHARS
from search.model import Block

_BULLET = re.compile(r"^[ \t]*(?:[-*+\u2022\u25aa\u25e6\u2023]|\d{1,3}[.)])[ \t]+")
_MD_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
# A list item that is one Markdown link to another site, all of it: a reading list's entry.
_LINK_ITEM = re.compile(r"^\[[^\]]+\]\(((?:https?://|www\.)[^)\s]+)\)[.;,]?$", re.IGNORECASE)
_PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _lines(source: str) -> Iterator[tuple[str, int]]:
    """Each line without its line break, with the offset of its first character."""
    offset = 0
    for raw in source.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        yield line, offset
        offset += len(raw)


def _trimmed(line: str, offset: int) -> tuple[str, int, int]:
    """The line without surrounding white space, and that text's span in the source."""
    lead = len(line) - len(line.lstrip())
    text = line.strip()
    return text, offset + lead, offset + lead + len(text)


def _table_cells(line: str, offset: int) -> tuple[tuple[str, int, int], ...]:
    sep = "|" if "\t" not in line else "\t"
    cells = []
    pos = 0
    for part in line.split(sep):
        text, start, end = _trimmed(part, offset + pos)
        pos += len(part) + 1
        if text:
            cells.append((text, start, end))
    return tuple(cells)


def _is_table_line(line: str) -> bool:
    if "\t" in line:
        return len([c for c in line.split("\t") if c.strip()]) >= 2
    stripped = line.strip()
    return stripped.startswith("|") and stripped.count("|") >= 2


def looks_like_heading(line: str) -> bool:
    """A short standalone line that does not end like a sentence and starts like a title."""
    text = line.strip()
    if not text or len(text) > 100 or len(text.split()) > 12:
        return False
    if text[-1] in ".:;,!?" or text[0] in "[(!\"'|" or "](" in text:
        return False
    return text[0].isupper() or text[0].isdigit()


def parse_blocks(source: str) -> list[Block]:
    """Split a document into headings, paragraphs, bullets and tables, with offsets."""
    blocks: list[Block] = []
    group: list[tuple[str, int]] = []

    def flush() -> None:
        if group:
            blocks.extend(_group_blocks(group))
            group.clear()

    for line, offset in _lines(source):
        if line.strip():
            group.append((line, offset))
        else:
            flush()
    flush()
    return blocks


def _group_blocks(group: list[tuple[str, int]]) -> Iterator[Block]:
    """Blocks of one run of non-blank lines (a run may hold a lead-in, bullets and a table)."""
    para: list[tuple[str, int]] = []
    bullet: list[tuple[str, int]] = []
    table: list[tuple[str, int]] = []

    def span(lines: list[tuple[str, int]], skip: int = 0) -> tuple[str, int, int]:
        first, first_off = lines[0]
        last, last_off = lines[-1]
        body, start, _ = _trimmed(first[skip:], first_off + skip)
        end = last_off + len(last.rstrip())
        return (body if len(lines) == 1 else "", start, end)

    def close() -> Iterator[Block]:
        if para:
            _, start, end = span(para)
            yield Block("paragraph", "", start, end)
        if bullet:
            marker = _BULLET.match(bullet[0][0])
            _, start, end = span(bullet, marker.end() if marker else 0)
            said = " ".join(line.strip() for line, _ in bullet)[marker.end() if marker else 0 :]
            entry = _LINK_ITEM.match(said.strip())
            href = entry.group(1) if entry else None
            if href is not None and href.lower().startswith("www."):
                href = "https://" + href
            yield Block("bullet", "", start, end, link=entry is not None, href=href)
        if table:
            rows = tuple(
                _table_cells(line, off) for line, off in table if not _PIPE_SEPARATOR.match(line)
            )
            yield Block("table", "", table[0][1], table[-1][1] + len(table[-1][0]), rows=rows)
        para.clear()
        bullet.clear()
        table.clear()

    if len(group) == 1:
        line, offset = group[0]
        md = _MD_HEADING.match(line)
        if md:
            yield Block(
                "heading", md.group(2), offset + md.start(2), offset + md.end(2), len(md.group(1))
            )
            return
        if looks_like_heading(line) and not _BULLET.match(line) and not _is_table_line(line):
            text, start, end = _trimmed(line, offset)
            yield Block("heading", text, start, end)
            return
    for line, offset in group:
        md = _MD_HEADING.match(line)
        if md:
            yield from close()
            yield Block(
                "heading", md.group(2), offset + md.start(2), offset + md.end(2), len(md.group(1))
            )
        elif _is_table_line(line):
            if not table:
                yield from close()
            table.append((line, offset))
        elif _BULLET.match(line):
            yield from close()
            bullet.append((line, offset))
        elif bullet:
            bullet.append((line, offset))  # a wrapped bullet continues on the next line
        else:
            if table:
                yield from close()
            para.append((line, offset))
    yield from close()


def _fill_text(blocks: list[Block], source: str) -> list[Block]:
    return [
        b if b.text or b.type == "table" else replace(b, text=source[b.start : b.end])
        for b in blocks
    ]


def text_blocks(source: str) -> list[Block]:
    """The blocks of a plain-text or Markdown source, each with its text."""
    return join_introduced(_fill_text(parse_blocks(source), source), source)


# Short paragraphs after a lead-in are what it introduces (a list written without bullet
# marks, a reference); beyond this they are paragraphs in their own right.
SHORT_PARAGRAPH = 200


def join_introduced(blocks: Sequence[Block], source: str | None = None) -> list[Block]:
    """Join a paragraph ending in ':' with the paragraphs it introduces.

    "Adapted from:" alone, or "Findings included:" cut off from its findings, answers
    nothing; with what follows it is a passage. The first paragraph after the colon is
    always joined, later ones while they are short, and only while the whole fits in a
    passage. With the source, a joined text is its exact span there.
    """
    out: list[Block] = []
    joined = 0  # paragraphs joined to out[-1]'s lead-in so far; -1 when it is not a lead-in
    for block in blocks:
        last = out[-1] if out else None
        if last is not None and block.type == "paragraph" and joined >= 0:
            text = (
                source[last.start : block.end]
                if source is not None
                else f"{last.text}\n\n{block.text}"
            )
            fits = len(text) <= MAX_PASSAGE_CHARS
            if fits and (joined == 0 or len(block.text) <= SHORT_PARAGRAPH):
                out[-1] = Block("paragraph", text, last.start, block.end)
                joined += 1
                continue
        out.append(block)
        starts_list = block.type == "paragraph" and block.text.rstrip().endswith(":")
        joined = 0 if starts_list else -1
    return out


def document_title(blocks: Sequence[Block], fallback: str) -> str:
    """The first level-1 Markdown heading, else the first heading, else the fallback."""
    for b in blocks:
        if b.type == "heading" and b.level == 1:
            return b.text
    for b in blocks:
        if b.type == "heading":
            return b.text
    return fallback
