"""Parse a plain-text or Markdown document into its structure, then cut it into passages.

Pure functions only: text in, frozen dataclasses out. The rules follow the layout of the
text (headings, paragraphs, bullet lists, tables), never the wording of one document.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

MAX_PASSAGE_CHARS = 600
KINDS = ("summary", "theme", "learning", "finding", "statistic")

_BULLET = re.compile(r"^[ \t]*(?:[-*+\u2022\u25aa\u25e6\u2023]|\d{1,3}[.)])[ \t]+")
_MD_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
_PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
# A sentence ends at . ! or ? followed by space and something that can start a sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_THEME = re.compile(r"\bthemes?\b", re.IGNORECASE)
_LEARNING = re.compile(
    r"\b(learnings?|lessons?|implications? for|recommendations?|key messages)\b", re.IGNORECASE
)


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


@dataclass(frozen=True)
class Block:
    """A structural element of the source: heading, paragraph, bullet or table."""

    type: str  # "heading" | "paragraph" | "bullet" | "table"
    text: str
    start: int
    end: int
    level: int = 0  # heading depth; 0 for headings found by shape rather than by '#'
    rows: tuple[tuple[tuple[str, int, int], ...], ...] = field(default=())


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
            yield Block("bullet", "", start, end)
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
        b if b.text or b.type == "table" else Block(b.type, source[b.start : b.end], b.start, b.end)
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


def _last_sentence(text: str) -> str:
    return _SENTENCE_END.split(text.strip())[-1]


def list_kind(lead_in: str | None) -> str:
    """What a bullet list holds, judged by the sentence that introduces it."""
    if not lead_in:
        return "finding"
    last = _last_sentence(lead_in)
    themes = [m.start() for m in _THEME.finditer(last)]
    learnings = [m.start() for m in _LEARNING.finditer(last)]
    if themes or learnings:
        # "themes and learnings": the later word is what the list goes on to give.
        return "theme" if max(themes, default=-1) > max(learnings, default=-1) else "learning"
    return "finding"


def split_sentences(text: str, start: int) -> list[tuple[str, int, int]]:
    """Sentences of a text, with spans in the source (text begins at offset start)."""
    out = []
    pos = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[pos : match.start()].strip()
        if piece:
            lead = len(text[pos:]) - len(text[pos:].lstrip())
            out.append((piece, start + pos + lead, start + pos + lead + len(piece)))
        pos = match.end()
    piece = text[pos:].strip()
    if piece:
        lead = len(text[pos:]) - len(text[pos:].lstrip())
        out.append((piece, start + pos + lead, start + pos + lead + len(piece)))
    return out


def _pieces(text: str, start: int, limit: int = MAX_PASSAGE_CHARS) -> list[tuple[str, int, int]]:
    """Cut a too-long text at sentence ends (at word ends for a run-on sentence)."""
    if len(text) <= limit:
        return [(text, start, start + len(text))]
    units: list[tuple[int, int]] = []
    for _, s, e in split_sentences(text, start):
        while e - s > limit:
            cut = text.rfind(" ", s - start, s - start + limit)
            cut = cut + start if cut > s - start else s + limit
            units.append((s, cut))
            s = cut + 1 if text[cut - start : cut - start + 1] == " " else cut
        units.append((s, e))
    spans: list[tuple[int, int]] = []
    for s, e in units:
        if spans and e - spans[-1][0] <= limit:
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    return [(text[s - start : e - start], s, e) for s, e in spans]


_TABLE_MARK = ". From the table: "


def statistic_parts(text: str) -> tuple[str, str, str] | None:
    """(label, value, table context) of a statistic passage's text, else None."""
    head, mark, context = text.partition(_TABLE_MARK)
    label, colon, value = head.rpartition(": ")
    return (label, value, context) if mark and colon else None


def _statistic_text(header: str, value: str, row: str | None, context: str) -> str:
    label = f"{row}, {header}" if row else header
    text = f"{label}: {value}{_TABLE_MARK}{context}"
    if len(text) > MAX_PASSAGE_CHARS:
        keep = MAX_PASSAGE_CHARS - (len(text) - len(context)) - 1
        text = text[: len(text) - len(context)] + context[:keep].rstrip() + "\u2026"
    return text


def _is_label(cell: str) -> bool:
    return not any(ch.isdigit() for ch in cell)


def table_statistics(
    rows: Sequence[Sequence[tuple[str, int, int]]], context: str
) -> list[tuple[str, int, int]]:
    """One self-contained sentence per value cell: header, row label, value, lead-in."""
    if len(rows) < 2:
        return [(f"{c[0]}{_TABLE_MARK}{context}", c[1], c[2]) for r in rows for c in r]
    header = rows[0]
    out = []
    for row in rows[1:]:
        # A first cell with no digits under a header of the same width labels its row.
        labelled = len(row) == len(header) and len(row) > 1 and _is_label(row[0][0])
        row_label = row[0][0] if labelled else None
        for col, (value, start, end) in enumerate(row):
            # An empty cell (kept by HTML and Word tables to hold columns in place) says nothing.
            if (labelled and col == 0) or not value:
                continue
            head = header[col][0] if col < len(header) else f"column {col + 1}"
            out.append((_statistic_text(head, value, row_label, context), start, end))
    return out


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "document"


def _passage_id(document: str, kind: str, section: str, text: str, seen: dict[str, int]) -> str:
    digest = hashlib.sha1(f"{kind}\x1f{section}\x1f{text}".encode()).hexdigest()[:12]
    base = f"{document}:{digest}"
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}-{seen[base]}"


def document_title(blocks: Sequence[Block], fallback: str) -> str:
    """The first level-1 Markdown heading, else the first heading, else the fallback."""
    for b in blocks:
        if b.type == "heading" and b.level == 1:
            return b.text
    for b in blocks:
        if b.type == "heading":
            return b.text
    return fallback


def chunk_document(source: str, document: str, fallback_title: str | None = None) -> list[Passage]:
    """Cut one plain-text or Markdown document into passages."""
    blocks = text_blocks(source)
    return chunk_blocks(blocks, document, document_title(blocks, fallback_title or document))


def chunk_blocks(blocks: Sequence[Block], document: str, title: str) -> list[Passage]:
    """Passages of parsed blocks: summary paragraphs, bullets by list kind, statistics.

    Every format ends here: Markdown and text through parse_blocks, HTML and Word files
    through blocks their readers build from the markup.
    """
    section = title
    lead_in: str | None = None  # the paragraph that introduces the next list or table
    list_kind_now = "finding"
    previous = ""
    seen: dict[str, int] = {}
    passages: list[Passage] = []

    def add(kind: str, text: str, start: int, end: int) -> None:
        pid = _passage_id(document, kind, section, text, seen)
        passages.append(Passage(pid, document, title, section, kind, text, start, end))

    for block in join_introduced(blocks):
        if block.type == "heading":
            section = block.text
            lead_in = None
        elif block.type == "paragraph":
            for text, start, end in _pieces(block.text, block.start):
                add("summary", text, start, end)
            lead_in = block.text
        elif block.type == "bullet":
            if previous != "bullet":
                list_kind_now = list_kind(lead_in)
            for text, start, end in _pieces(block.text, block.start):
                add(list_kind_now, text, start, end)
        elif block.type == "table":
            context = (lead_in or section).strip().rstrip(":").rstrip() + "."
            for text, start, end in table_statistics(block.rows, context):
                add("statistic", text, start, end)
        previous = block.type
    return passages
