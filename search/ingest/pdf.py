"""Text PDFs through pypdf: lines with their font size and position, turned into text the
chunker parses, with the offset where each page begins so passages can cite their page.

What the format exposes is used: outline (bookmark) titles and larger type mark headings,
bullet characters mark list items, wider line gaps mark paragraph breaks, and lines that
repeat at the top or bottom of most pages (running headers, page numbers) are dropped.
Scanned PDFs have no text layer; they are refused with a hint to run OCR first.
"""

from __future__ import annotations

import io
import logging
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PasswordType, PdfReader

from search.errors import CorpusError
from search.ingest.base import Extracted, clean

# pypdf logs what it repairs in damaged files; without a handler of its own, Python prints
# those warnings on stderr, above the one-line message that refuses the file.
logging.getLogger("pypdf").addHandler(logging.NullHandler())

HEADING_SCALE = 1.2  # a line this much larger than body text is a heading
PARAGRAPH_GAP = 1.45  # a gap this much wider than the usual line spacing ends a paragraph
# Word's Symbol-font bullets and other bullet glyphs the chunker does not know.
_ODD_BULLET = re.compile(r"^[\uf0b7\uf0a7\uf076\uf0d8\u25cf\u25a0\u25aa\u2013\u2022o]\s+")
_BULLET_START = re.compile(r"^(?:[-*+\u2022\u25e6\u2023]|\d{1,3}[.)])\s+")
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d+(\s*(of|/)\s*\d+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class _Line:
    text: str
    size: float
    y: float | None


def _page_lines(page: Any) -> list[_Line]:
    """The page's lines in reading order, each with its largest font size and baseline."""
    lines: list[_Line] = []
    frags: list[str] = []
    sizes: list[float] = []
    ys: list[float] = []

    def end_line() -> None:
        text = clean("".join(frags))
        if text:
            lines.append(_Line(text, max(sizes, default=0.0), ys[0] if ys else None))
        frags.clear()
        sizes.clear()
        ys.clear()

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        # The size a reader sees: the font size scaled by the text and page matrices.
        scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
        y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
        for i, piece in enumerate(text.split("\n")):
            if i:
                end_line()
            frags.append(piece)
            if piece.strip():
                sizes.append(round(size * (scale or 1.0), 1))
                ys.append(y)

    page.extract_text(visitor_text=visit)
    end_line()
    return lines


def _outline(reader: PdfReader) -> dict[tuple[int, str], int]:
    """(page index, title) -> heading level, from the PDF's bookmarks."""
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
            if page is None:
                continue
            found[(page, clean(str(item.title)).casefold())] = min(level, 6)

    try:
        walk(list(reader.outline), 1)
    except Exception:  # a broken outline still leaves the text readable
        return {}
    return found


def _running_lines(pages: list[list[_Line]]) -> set[str]:
    """Lines (digits ignored) that repeat at the top or bottom of most pages."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edge = {_key(line.text) for line in lines[:2] + lines[-2:]}
        counts.update(edge)
    return {key for key, n in counts.items() if n >= max(3, 0.6 * len(pages))}


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", text.casefold())


def _sizes(pages: list[list[_Line]]) -> tuple[float, list[float]]:
    """The body text size (most characters) and the larger sizes used for headings."""
    weight: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            weight[line.size] += len(line.text)
    if not weight:
        return 0.0, []
    body = weight.most_common(1)[0][0]
    larger = sorted({s for s in weight if s >= body * HEADING_SCALE}, reverse=True)
    return body, larger


def _heading_level(
    line: _Line, page: int, outline: dict[tuple[int, str], int], body: float, larger: list[float]
) -> int | None:
    level = outline.get((page, line.text.casefold()))
    if level is not None:
        return level
    if body and line.size in larger and len(line.text) <= 150 and line.text[-1] not in ".,;:":
        return min(larger.index(line.size) + 1, 6)
    return None


def _page_text(
    lines: list[_Line],
    page: int,
    outline: dict[tuple[int, str], int],
    body: float,
    larger: list[float],
) -> str:
    """Markdown-like text of one page: '#' headings, one line per list item, blank lines
    between paragraphs."""
    ys = [line.y for line in lines]
    gaps = [a - b for a, b in zip(ys, ys[1:], strict=False) if a is not None and b is not None]
    usual = statistics.median([g for g in gaps if g > 0] or [0.0])
    paragraphs: list[list[str]] = []
    current: list[str] = []
    prev_y: float | None = None
    for line in lines:
        text = _ODD_BULLET.sub("\u2022 ", line.text)
        level = _heading_level(line, page, outline, body, larger)
        gap = prev_y - line.y if prev_y is not None and line.y is not None else 0.0
        prev_y = line.y
        if level is not None:
            if current:
                paragraphs.append(current)
            paragraphs.append(["#" * level + " " + text])
            current = []
        elif usual > 0 and gap > usual * PARAGRAPH_GAP and current:
            paragraphs.append(current)
            current = [text]
        elif not current or _BULLET_START.match(text):
            current.append(text)
        elif current[-1].endswith("-") and current[-1][-2:-1].isalpha() and text[0].islower():
            current[-1] += text  # a word hyphenated across the line break
        else:
            current[-1] += " " + text
    if current:
        paragraphs.append(current)
    return "\n\n".join("\n".join(p) for p in paragraphs)


def read_pdf(data: bytes, path: Path) -> Extracted:
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            # Many PDFs only restrict editing and open with an empty password.
            opened = reader.decrypt("") != PasswordType.NOT_DECRYPTED
        except Exception:
            opened = False
        if not opened:
            raise CorpusError(f"{path}: the PDF is password-protected")
    pages = [_page_lines(page) for page in reader.pages]
    running = _running_lines(pages)
    pages = [
        [
            line
            for i, line in enumerate(lines)
            if not ((i < 2 or i >= len(lines) - 2) and _key(line.text) in running)
            and not ((i == 0 or i == len(lines) - 1) and _PAGE_NUMBER.match(line.text))
        ]
        for lines in pages
    ]
    outline = _outline(reader)
    body, larger = _sizes(pages)
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    for number, lines in enumerate(pages):
        starts.append(pos)
        text = _page_text(lines, number, outline, body, larger) + "\n\n"
        parts.append(text)
        pos += len(text)
    text = "".join(parts)
    if not text.strip():
        raise CorpusError(f"{path}: the PDF has no text layer (a scanned PDF needs OCR first)")
    meta = reader.metadata
    title = meta.title if meta is not None and meta.title else None
    return Extracted(text, None, str(title) if title else None, None, tuple(starts))
