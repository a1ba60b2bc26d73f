"""Text PDFs through pypdf, read as a person reads them: headings with their levels,
paragraphs whole (numbered ones with their number, one running over a page break joined),
list items, and footnotes as passages of their own; contents pages, running headers and
footers, page numbers and footnote reference markers left out.

The reader builds the chunker's blocks itself, with the offset where each page begins so
that passages cite their page. Headings come from the PDF outline (bookmarks) where it names
them, else from larger or bold type. The title is the metadata's unless that is missing or
poor, then the largest text on the first page. Scanned PDFs have no text layer; they are
refused with a hint to run OCR first. Page geometry is in pdf_layout, word repair in
pdf_words; thresholds there and here were measured on five DfE statutory guidance PDFs
(17 to 244 pages; `python -m bench.pdf_report`).
"""

from __future__ import annotations

import io
import logging
import re
import statistics
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pypdf import PasswordType, PdfReader

from search.errors import CorpusError
from search.ingest.base import BlockWriter, Extracted, clean
from search.ingest.pdf_headings import (
    HEADING_CHARS,
    Headings,
    heading_styles,
    larger,
    looks_like_heading,
    page_body_size,
    read_outline,
)
from search.ingest.pdf_layout import (
    Line,
    body_size,
    drop_contents,
    drop_furniture,
    drop_imprint,
    drop_unnumbered_contents,
    is_linked,
    link_boxes,
    link_of,
    make_line,
    page_fragments,
    split_footnotes,
)
from search.ingest.pdf_lists import Item, as_list_items, solid_offset
from search.ingest.pdf_tables import row_text, table_rows
from search.ingest.pdf_words import Vocabulary, join_lines, join_pieces, rejoin_split_words

# pypdf logs what it repairs in damaged files; without a handler of its own, Python prints
# those warnings on stderr, above the one-line message that refuses the file.
logging.getLogger("pypdf").addHandler(logging.NullHandler())

# Straight under a heading, a line this much larger than the page's text is its subtitle
# (12pt "General" under "PART 1" on 10.5pt pages); less, it may be a paragraph's first line
# set a half point larger than the rest.
SUBTITLE_SCALE = 1.1
# A line this many of its own type sizes above the line before is in a new column or box.
COLUMN_RISE = 0.5
# A gap this much wider than the usual line spacing ends a paragraph (Word's 12pt body:
# lines 16.8 to 17pt apart, paragraphs 23.6 to 24.5pt: 1.39 to 1.44 times).
PARAGRAPH_GAP = 1.3
# Word's Symbol-font bullets and other bullet glyphs.
_BULLET = re.compile(
    r"^(?:[\uf0b7\uf0a7\uf076\uf0d8\u25cf\u25a0\u25aa\u25e6\u2022\u2023]\s*|[o*\u2013-]\s+)"
)
# "1.", "1.12", "3.4.1" opening a paragraph (a bare "2010" or "16 and 17" does not).
_NUMBERED = re.compile(r"^\d{1,3}\.(?:\d{1,3}\.?)*\s+\S")
# A sentence is over: full stop, question or exclamation mark, colon or semicolon, maybe
# inside closing quotes or brackets.
_ENDS_SENTENCE = re.compile(r"[.!?:;][\"'\u2019\u201d)\]]*$")
_POOR_TITLE = re.compile(r"^(microsoft (word|powerpoint) - |untitled)|\.(docx?|pdf|rtf|odt)$", re.I)
# A volume or part of a series, set under the series title on the cover: part of the title,
# or the volumes of one series would share one name.
_VOLUME = re.compile(r"^(volume|vol\.|part|book)\s+(\d+|[ivxlc]+|one|two|three|four|five)\b", re.I)
# A note of revision after a dash ("... - update note added to start in August 2022"):
# publication history, not title.
_REVISION = re.compile(
    r"\s+[-\u2013\u2014]\s+[^-\u2013\u2014]*\b(updated?|revised|amended)\b[^-\u2013\u2014]*$", re.I
)


def _page_items(
    lines: Sequence[Line], page: int, body: float, headings: Headings, vocab: Vocabulary
) -> list[Item]:
    """One page's body lines as headings, paragraphs and list items, in reading order."""
    # The usual spacing is between lines of one type style; a heading's spacing is its own.
    gaps = [
        a.y - b.y
        for a, b in zip(lines, lines[1:], strict=False)
        if a.style == b.style and a.y - b.y > 0
    ]
    usual = statistics.median(gaps) if gaps else 0.0
    page_body = page_body_size(lines, body)
    rows = table_rows([line.cells for line in lines])
    items: list[Item] = []
    prev: Line | None = None
    for at, line in enumerate(lines):
        if at in rows:  # a table's row: a paragraph of its own, its cells kept apart
            items.append(Item("paragraph", row_text(line.cells), page, x=line.x, y=line.y))
            prev = None  # the line after a table opens a paragraph, as at a page's top
            continue
        gap = prev.y - line.y if prev is not None else 0.0
        last = items[-1] if items else None
        text = line.text
        bullet = _BULLET.match(text) if len(text) > 2 else None
        ended = last is None or last.type == "heading" or ends_sentence(last.text)
        # Above the line before: the top of a new column or box (a table's second column,
        # "Which emphasise:" beside "Approaches that are:"), which opens a paragraph of its
        # own as the top of a page does, unless it carries on in lower case, has no word
        # (a table's ticks), or stands level with the paragraph's first line: the next cell
        # of one row ("CoramVoice" | "Advocacy information and support"), read with it.
        went_up = gap < -line.size * COLUMN_RISE and (
            last is None or abs(line.y - last.y) >= line.size * COLUMN_RISE
        )
        fresh = not text[:1].islower() and (
            prev is None or (went_up and any(c.isalnum() for c in text))
        )
        # At the top of a page a line in lower case carries on the page before (a bold
        # paragraph's next line is set like a heading). Larger type than the line before
        # opens a heading even after an open paragraph (a signature block, a figure's
        # caption, has no full stop); bold type there is emphasis within it. A bullet's
        # glyph may be set larger than its text: a bullet is never a heading.
        opens = fresh or (
            prev is not None
            and not went_up
            and (ended or (larger(line, body, page_body) and line.size > prev.size))
        )
        heading_line = bullet is None and looks_like_heading(line, body, page_body) and opens
        # "PART 1" (14pt), then "General" (12pt) over 10.5pt regulations: a line larger than
        # the page's text straight under a heading, and no larger, names what it heads.
        subtitle = (
            not heading_line
            and bullet is None
            and last is not None
            and last.type == "heading"
            and prev is not None
            and page_body * SUBTITLE_SCALE <= line.size <= prev.size
            and len(text) <= HEADING_CHARS
            and text[-1] not in ".,;:"
        )
        # The line carries on the heading just above it, in the same type, set close.
        heading_above = last if last is not None and last.type == "heading" else None
        runs_on = prev is not None and prev.style == line.style and 0 < gap <= line.size * 1.6
        if heading_above is not None and runs_on and (heading_line or subtitle):
            heading_above.text = join_lines(heading_above.text, text, vocab)  # over two lines
            prev = line
            continue
        if (
            heading_above is not None
            and runs_on
            and bullet is None
            and text[:1].islower()
            and ends_sentence(text)
        ):
            # "These benefits can be claimed whilst young people live in foster" / "care.":
            # set like a heading, the lines were a sentence in bold type all along (unless
            # the outline names the whole as a heading: "... consent" / "withdrawn: s.32.").
            heading_above.text = join_lines(heading_above.text, text, vocab)
            if headings.outline_level(heading_above.text, page) is None:
                heading_above.type = "paragraph"
            prev = line
            continue
        if heading_line or subtitle:
            items.append(Item("heading", text, page, style=line.style, subtitle=subtitle, y=line.y))
        elif bullet and not text[bullet.end() :][:1].isdigit():
            said = text[bullet.end() :]
            items.append(
                Item("bullet", said, page, x=line.x, linked=line.linked, href=line.href, y=line.y)
            )
        elif _NUMBERED.match(text) and ended:
            items.append(Item("paragraph", text, page, numbered=True, x=line.x, y=line.y))
        elif (
            last is None
            or fresh
            or last.type == "heading"
            or (last.type == "bullet" and line.x <= last.x + 1 and ended)
            or (usual > 0 and gap > usual * PARAGRAPH_GAP and (ended or not text[0].islower()))
        ):
            items.append(Item("paragraph", text, page, x=line.x, y=line.y))
        else:
            last.text = join_lines(last.text, text, vocab)
            last.linked = last.linked and line.linked
        prev = line
    above = 0  # the level of the heading before, on this page
    for item in items:
        if item.type == "heading" and item.subtitle:
            item.level = min(above + 1, 6) if above else headings.level(item.text, page, item.style)
            above = item.level
        elif item.type == "heading" and len(item.text) > HEADING_CHARS:
            # Lines of emphasis joined past any heading's length (the longest outline title
            # of the guidance PDFs is 124 characters): a bold note, not a heading.
            item.type = "paragraph"
        elif item.type == "heading":
            # Levels are given once a heading is whole: the outline names it whole.
            item.level = headings.level(item.text, page, item.style)
            above = item.level
    return items


def _continues(last: Item, first: Item) -> bool:
    """Whether a page's first paragraph carries on the previous page's last one."""
    return (
        last.type in ("paragraph", "bullet")
        and first.type == "paragraph"
        and not first.numbered
        and not ends_sentence(last.text)
    )


def ends_sentence(text: str) -> bool:
    """Whether a line's text ends a sentence: a stop, and no bracket left open ("... looked
    after (i.e." ends a line mid-sentence)."""
    return bool(_ENDS_SENTENCE.search(text)) and text.count("(") <= text.count(")")


def _document_items(
    pages: Sequence[Sequence[Line]], notes: Sequence[list[str]], body: float, headings: Headings
) -> list[Item]:
    vocab = Vocabulary(line.text for lines in pages for line in lines)
    out: list[Item] = []
    pending: list[Item] = []  # the previous page's footnotes, until its last paragraph ends
    for number, lines in enumerate(pages):
        items = _page_items(lines, number, body, headings, vocab)
        if items and out and _continues(out[-1], items[0]):
            first = items.pop(0)
            out[-1].run_on(first.text, number, join_lines(out[-1].text, first.text, vocab))
            out[-1].linked = out[-1].linked and first.linked
        out.extend(pending)
        out.extend(items)
        pending = [Item("footnote", note, number) for note in notes[number]]
    out.extend(pending)
    for item in out:
        item.text = rejoin_split_words(item.text, vocab)
    as_list_items(out)
    return out


def _one_size(lines: Sequence[Line]) -> int:
    """How many of the lines, from the first, are set in the first one's type size."""
    return next((i for i, line in enumerate(lines) if line.size != lines[0].size), len(lines))


def _cover_runs(first_page: Sequence[Line]) -> tuple[str, str]:
    """The first page's largest text, joined across its lines, and the run of lines that
    directly follows it in one type size (a subtitle, if any)."""
    shown = [line for line in first_page if line.text.strip(" .-")]
    if not shown:
        return "", ""
    largest = max(line.size for line in shown)
    start = next(i for i, line in enumerate(shown) if line.size == largest)
    end = start + _one_size(shown[start:])
    after = shown[end:]
    title = " ".join(line.text for line in shown[start:end])
    return title, " ".join(line.text for line in after[: _one_size(after)])


def _title(reader: PdfReader, first_page: Sequence[Line]) -> str | None:
    """The metadata title, unless it is missing or poor (a file name, "Microsoft Word - ...",
    under three words, a prefix of the first page's title, or sharing under half its words
    with the first page, as a template's leftover title does); then the largest text on the
    first page, joined across its lines. A volume set under it ("Volume 3: planning
    transition to adulthood") is added; a trailing note of revision is dropped."""
    meta = reader.metadata
    declared = clean(str(meta.title)) if meta is not None and meta.title else ""
    declared = _REVISION.sub("", declared)
    page_title, subtitle = _cover_runs(first_page)
    words = declared.casefold().split()
    on_page = set(" ".join(line.text for line in first_page).casefold().split())
    poor = (
        len(words) < 3
        or bool(_POOR_TITLE.search(declared))
        or ("_" in declared and " " not in declared)
        or page_title.casefold().startswith(declared.casefold())
        or (bool(on_page) and sum(w in on_page for w in words) < len(words) / 2)
    )
    title = (page_title or declared) if poor else declared
    if title and _VOLUME.match(subtitle) and subtitle.casefold() not in title.casefold():
        title = f"{title}: {subtitle}"
    return title or None


def _open(data: bytes, path: Path) -> PdfReader:
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            # Many PDFs only restrict editing and open with an empty password.
            opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
        except Exception:
            opened = False
        if not opened:
            raise CorpusError(f"{path}: the PDF is password-protected")
    return reader


def _page_lines(page: Any) -> list[Line]:
    lines = [line for frags in page_fragments(page) if (line := make_line(frags)) is not None]
    boxes = link_boxes(page)
    return [
        replace(line, linked=True, href=link_of(line, boxes)) if is_linked(line, boxes) else line
        for line in lines
    ]


def read_pdf(data: bytes, path: Path) -> Extracted:
    reader = _open(data, path)
    raw = [_page_lines(page) for page in reader.pages]
    body = body_size(raw)
    pages = drop_unnumbered_contents(drop_imprint(drop_furniture(raw)))
    notes: list[list[str]] = []
    for i, lines in enumerate(pages):
        kept, page_notes, carried = split_footnotes(drop_contents(lines), body)
        pages[i] = kept
        if carried:
            earlier = next((n for n in reversed(notes) if n), None)
            if earlier is not None:
                earlier[-1] = join_pieces([earlier[-1], carried])
            else:  # no note to carry on: a note of its own rather than body text
                page_notes.insert(0, carried)
        notes.append(page_notes)
    headings = Headings(read_outline(reader), heading_styles(pages, body))
    writer = BlockWriter()
    # From each offset on, the text was read from that page (a page's footnotes are written
    # after the paragraph that runs on from it to the next page, so pages may come back).
    marks: list[tuple[int, int]] = []
    for item in _document_items(pages, notes, body, headings):
        count = len(writer.blocks)
        if item.type == "heading":
            writer.heading(item.text, item.level)
        else:
            writer.paragraph(item.text, item.type, item.linked, item.href)
        if len(writer.blocks) > count:
            block = writer.blocks[-1]
            marks.append((block.start, item.page + 1))
            marks += [
                (block.start + solid_offset(block.text, at), page + 1) for at, page in item.breaks
            ]
    found = writer.extracted(_title(reader, raw[0] if raw else []))
    if not found.text.strip():
        raise CorpusError(f"{path}: the PDF has no text layer (a scanned PDF needs OCR first)")
    shown = tuple(m for i, m in enumerate(marks) if i == 0 or m[1] != marks[i - 1][1])
    return Extracted(
        found.text, found.blocks, found.title, title_final=True, page_marks=shown, pages=len(pages)
    )
