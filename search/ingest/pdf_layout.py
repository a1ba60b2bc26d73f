"""Page geometry of a text PDF: the lines of each page with their font size, position and
weight, and which lines are page furniture (running headers and footers, page numbers),
contents entries or footnotes rather than body text.

Everything here reads the layout (sizes, baselines, positions on the page), never the
wording of one document. The thresholds below were measured on five DfE statutory guidance
PDFs (17 to 244 pages, Word and Acrobat PDFMaker output; `python -m bench.pdf_report`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from search.ingest.base import clean, mostly_linked
from search.ingest.pdf_tables import cells
from search.ingest.pdf_words import close_letter_spacing, join_pieces

# A footnote reference: a digit run at most this fraction of the preceding text's size...
MARKER_SIZE = 0.85
# ...and raised above its baseline by at least this fraction of that size (Word: 4pt on 12pt).
MARKER_RISE = 0.15
# Footnote text is smaller than body text (Word: 10pt notes, 6.5pt numbers, 12pt body).
FOOTNOTE_SIZE = 0.9
# Type sizes this close (pt) are one size: a PDF's scaled sizes differ in the last digits.
SIZE_TOLERANCE = 0.25
# Lines (digits ignored) at the top or bottom of at least this share of pages are furniture.
RUNNING_SHARE = 0.6
# A run of lines is a contents list when it holds this many "text ... page number" entries
# and they are at least this share of its lines; a page mostly such a run is dropped whole.
CONTENTS_ENTRIES = 4
CONTENTS_SHARE = 0.6
# A publication's imprint (a line opening with "©", then licence and ordering text) is
# looked for on this many last pages: a back cover, or the foot of the last page.
IMPRINT_PAGES = 2
# A line is a link's when links to other documents or sites cover LINK_SHARE of its width,
# the width estimated at CHAR_WIDTH of the type size per character (common sans fonts).
CHAR_WIDTH = 0.5

_PAGE_NUMBER = re.compile(r"^(page\s*)?\d+(\s*(of|/)\s*\d+)?$", re.IGNORECASE)
_CONTENTS_ENTRY = re.compile(r"^(?=.*[A-Za-z]{2}).{3,}?(?:\s*(?:\.{2,}|\u2026+)\s*|\s+)\d{1,3}$")
_ENTRY_NUMBER = re.compile(r"^[A-Z]?\d{1,3}(?:\.\d{1,3})*[.)]?\s+")
_MARKER = re.compile(r"^(\d{1,3})(?!\d)")
_FOOTNOTE_START = re.compile(r"^\d{1,3}(?!\d)")
_BRACKETED_START = re.compile(r"^\((\d{1,3})\)\s")
_BOLD = re.compile(r"bold|black|heavy|semibold", re.IGNORECASE)


@dataclass(frozen=True)
class Fragment:
    """A run of text pypdf reports at one position in one font."""

    text: str
    x: float
    y: float
    size: float
    bold: bool
    # Footnote markers shown inside this fragment's text: pypdf joins a raised digit to the
    # word before it when the PDF changes size by the text matrix rather than the font.
    markers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Line:
    text: str  # white space folded; footnote reference markers removed
    size: float  # the largest font size on the line
    y: float  # baseline
    x: float  # where the line's text starts
    bold: bool  # every fragment bold
    first_size: float  # the size of the line's first fragment (a footnote's number is smaller)
    linked: bool = False  # its text is a link to another document or site (is_linked)
    href: str | None = None  # where that link points
    markers: tuple[str, ...] = ()  # the footnote reference markers dropped from it
    # Its text in cells wide apart, (where each starts, its text): a table's row, maybe.
    cells: tuple[tuple[float, str], ...] = ()

    @property
    def style(self) -> tuple[float, bool]:
        return (self.size, self.bold)


def _is_bold(font: Any) -> bool:
    try:
        return bool(_BOLD.search(str(font.get("/BaseFont", "")))) if font is not None else False
    except Exception:  # a damaged font dictionary: plain text
        return False


def _shown(op: bytes, args: list[Any]) -> str:
    """The characters a Tj or TJ operator shows, as far as their codes are ASCII."""
    parts = args[0] if op == b"TJ" and args else args[:1]
    out = []
    for part in parts if isinstance(parts, list) else []:
        if isinstance(part, bytes):
            out.append(part.decode("latin-1"))
        elif isinstance(part, str):
            out.append(part)
    return "".join(out)


def page_fragments(page: Any) -> list[list[Fragment]]:
    """The page's text as pypdf reads it, line by line, each line a list of fragments."""
    lines: list[list[Fragment]] = [[]]
    font_size = [1.0]
    last: list[tuple[float, float]] = []  # (size, baseline) of the last text shown
    pending: list[str] = []  # markers shown since pypdf last reported text

    def operator(op: bytes, args: list[Any], cm: list[float], tm: list[float]) -> None:
        if op == b"Tf" and len(args) > 1 and isinstance(args[1], (int, float)):
            font_size[0] = float(args[1])
        if op not in (b"Tj", b"TJ"):
            return
        shown = _shown(op, args)
        size = font_size[0] * math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
        y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
        if last and _MARKER.fullmatch(shown.strip()) and size <= last[-1][0] * MARKER_SIZE:
            rise = y - last[-1][1]
            if last[-1][0] * MARKER_RISE <= rise < last[-1][0]:
                pending.append(shown.strip())
                return  # the body text's baseline stays the one before the marker
        if shown.strip():
            last[:] = [(size, y)]

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        # The size a reader sees: the font size scaled by the text and page matrices.
        scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
        x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
        y = cm[1] * tm[4] + cm[3] * tm[5] + cm[5]
        bold = _is_bold(font)
        markers = tuple(pending) if text.strip() else ()
        if markers:
            pending.clear()
        for i, piece in enumerate(text.split("\n")):
            if i:
                lines.append([])
            if piece:
                size_seen = round(size * (scale or 1.0), 1)
                lines[-1].append(Fragment(piece, x, y, size_seen, bold, markers))

    page.extract_text(visitor_text=visit, visitor_operand_after=operator)
    return [frags for frags in lines if any(f.text.strip() for f in frags)]


def drop_glued(text: str, markers: Sequence[str]) -> str:
    """The text without each marker where it stands glued to the end of a word, bare
    ("duty13") or in brackets as statutory instruments set them ("Children Act 1989(44)")."""
    for marker in markers:
        bracketed = rf"(?<=[\w)])\({marker}\)"
        if re.search(bracketed, text):
            text = re.sub(bracketed, "", text, count=1)
            continue
        text = re.sub(rf"(?<=[^\W\d_])([.,;:)\u2019\u201d]?){marker}(?!\d)", r"\1", text, count=1)
    return text


def make_line(frags: Sequence[Fragment]) -> Line | None:
    """One line from its fragments, footnote reference markers dropped: a digit run in a
    smaller font, raised above the baseline of the text just before it on the line."""
    pieces: list[tuple[Fragment, str]] = []  # each fragment kept, with the text it adds
    previous: Fragment | None = None
    dropped: list[str] = []
    bracket = False  # a marker alone was dropped just after "(": its ")" goes too
    for frag in frags:
        text = close_letter_spacing(drop_glued(frag.text, frag.markers))
        dropped += frag.markers
        if bracket and text.startswith(")"):
            before, shown_before = pieces[-1]
            pieces[-1], text = (before, shown_before[:-1]), text[1:]
        bracket = False
        if previous is not None and frag.size <= previous.size * MARKER_SIZE:
            marker = _MARKER.match(text.lstrip())
            if marker and frag.y - previous.y >= previous.size * MARKER_RISE:
                dropped.append(marker.group(1))
                text = text.lstrip()[marker.end() :]
                if not text.strip():
                    # A marker alone: the body text's baseline stays the previous one.
                    bracket = bool(pieces) and pieces[-1][1].endswith("(")
                    continue
        pieces.append((frag, text))
        if frag.text.strip():
            previous = frag
    text = clean("".join(said for _, said in pieces))
    shown = [f for f in frags if f.text.strip()]
    if not text or not shown:
        return None
    size = max(f.size for f in shown)
    base = next(f for f in shown if f.size == size)
    bold = all(f.bold for f in shown)
    found = cells(pieces)
    return Line(
        text, size, base.y, shown[0].x, bold, shown[0].size, markers=tuple(dropped),
        cells=found if len(found) > 1 else (),
    )  # fmt: skip


def link_boxes(page: Any) -> list[tuple[float, float, float, float, str]]:
    """The rectangles (x0, y0, x1, y1) of the page's links to other documents or sites, and
    where each points; a link within the document (a contents entry) is left out."""
    boxes = []
    for ref in page.get("/Annots") or []:
        try:
            annot = ref.get_object()
            action = annot.get("/A")
            action = action.get_object() if action is not None else None
            if annot.get("/Subtype") != "/Link" or action is None or action.get("/S") != "/URI":
                continue
            x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
            uri = str(action.get("/URI") or "")
        except Exception:  # a damaged annotation is no link
            continue
        boxes.append((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1), uri))
    return boxes


def _on_line(line: Line, boxes: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
    """The boxes over the line's text, left to right."""
    start, end = line.x, line.x + len(line.text) * line.size * CHAR_WIDTH
    found = [b for b in boxes if b[1] - 2 <= line.y <= b[3] + 2 and b[2] > start and b[0] < end]
    return sorted(found, key=lambda b: b[0])


def link_of(line: Line, boxes: Sequence[tuple[float, float, float, float, str]]) -> str | None:
    """Where the first link over the line points (its URI), when the line is linked."""
    found = _on_line(line, boxes)
    return str(found[0][4]) if found and is_linked(line, boxes) else None


def is_linked(line: Line, boxes: Sequence[Sequence[Any]]) -> bool:
    """Whether links cover (nearly) all of the line's text, as in a reading list's entry
    ("• Adoption statutory guidance"); a link on a few words of a sentence does not count.
    A box is (x0, y0, x1, y1), and may carry where it points after those."""
    width = len(line.text) * line.size * CHAR_WIDTH
    start, end = line.x, line.x + width
    spans = [(max(float(b[0]), start), min(float(b[2]), end)) for b in _on_line(line, boxes)]
    covered, reach = 0.0, start
    for a, b in spans:
        a = max(a, reach)
        if b > a:
            covered += b - a
            reach = b
    return mostly_linked(covered, width)


def body_size(pages: Sequence[Sequence[Line]]) -> float:
    """The size most of the text is set in."""
    weight: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            weight[line.size] += len(line.text)
    return weight.most_common(1)[0][0] if weight else 0.0


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", text.casefold())


def _edges(lines: Sequence[Line]) -> list[Line]:
    by_height = sorted(lines, key=lambda line: -line.y)
    return by_height[:2] + by_height[-2:] if len(by_height) > 4 else by_height


def drop_furniture(pages: Sequence[Sequence[Line]]) -> list[list[Line]]:
    """Pages without running headers and footers (lines at the top or bottom of most pages,
    digits ignored) and page numbers (a bare number as the highest or lowest line)."""
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_key(line.text) for line in _edges(lines)})
    running = (
        {k for k, n in counts.items() if n >= max(3, RUNNING_SHARE * len(pages))}
        if len(pages) >= 3
        else set()
    )
    out = []
    for lines in pages:
        edges = {id(line) for line in _edges(lines)}
        extreme = {id(line) for line in _edges(lines)[:1] + _edges(lines)[-1:]}
        out.append(
            [
                line
                for line in lines
                if not (id(line) in edges and _key(line.text) in running)
                and not (id(line) in extreme and _PAGE_NUMBER.match(line.text))
            ]
        )
    return out


def is_contents_entry(text: str) -> bool:
    """'Heading text ... 12' or 'Heading text 12': a line of a table of contents."""
    return bool(_CONTENTS_ENTRY.match(text))


def drop_contents(lines: Sequence[Line]) -> list[Line]:
    """A page without its contents list: runs mostly of 'text ... page number' lines. When
    such runs make up most of the page, the rest of it (the list's title) goes too."""
    entry = [is_contents_entry(line.text) for line in lines]
    drop = [False] * len(lines)
    i = 0
    while i < len(lines):
        if not entry[i]:
            i += 1
            continue
        j = i + 1
        # A wrapped entry ("... transition to independent" / "living 57") is one line apart.
        while j < len(lines) and (entry[j] or (j + 1 < len(lines) and entry[j + 1])):
            j += 1
        found = sum(entry[i:j])
        if found >= CONTENTS_ENTRIES and found >= CONTENTS_SHARE * (j - i):
            drop[i:j] = [True] * (j - i)
        i = j
    if sum(drop) >= CONTENTS_SHARE * len(lines):
        return []
    return [line for line, gone in zip(lines, drop, strict=True) if not gone]


def drop_imprint(pages: Sequence[Sequence[Line]]) -> list[list[Line]]:
    """Pages without the imprint on the last ones: from a line opening with "©" ("© Crown
    copyright 2025 / This publication is licensed under ...") to the end of the document.
    Boilerplate, it would otherwise glue itself to the last paragraph or list item."""
    out = [list(lines) for lines in pages]
    for p in range(max(0, len(out) - IMPRINT_PAGES), len(out)):
        cut = next((i for i, line in enumerate(out[p]) if line.text.startswith("©")), None)
        if cut is not None:
            out[p] = out[p][:cut]
            for later in range(p + 1, len(out)):
                out[later] = []
            break
    return out


def _entry_key(text: str) -> str:
    return " ".join(_ENTRY_NUMBER.sub("", text).split()).casefold()


def drop_unnumbered_contents(pages: Sequence[Sequence[Line]]) -> list[list[Line]]:
    """Pages without a contents list that gives no page numbers, such as a statutory
    instrument's ("CONTENTS / PART 1 / General / 1. Citation, commencement and application
    ..."): after a line reading "Contents", the lines the document repeats further on as its
    own headings, running over a page break. The list ends at the first line it does not
    repeat; a list with fewer than CONTENTS_ENTRIES such lines is left alone."""
    flat = [(p, line) for p, lines in enumerate(pages) for line in lines]
    last: dict[str, int] = {}
    for i, (_, line) in enumerate(flat):
        last[_entry_key(line.text)] = i
    gone: set[int] = set()
    for i, (_, line) in enumerate(flat):
        if line.text.strip().casefold() != "contents":
            continue
        j = i + 1
        while j < len(flat) and last.get(_entry_key(flat[j][1].text), -1) > j:
            j += 1
        if j - i - 1 >= CONTENTS_ENTRIES:
            gone.update(id(line) for _, line in flat[i:j])
    return [[line for line in lines if id(line) not in gone] for lines in pages]


def split_footnotes(lines: Sequence[Line], body: float) -> tuple[list[Line], list[str], str]:
    """The page's body lines, its footnotes, and the end of a footnote carried over from the
    previous page. Footnotes are small-type lines below all body text, each note starting on
    a line that begins with its number in smaller type still; small-type lines below the
    body but above the page's first note carry on the previous page's last note ("... For
    looked-after children they" / "should be notified to the carer.") and are no body text."""
    small = [line.size < body * FOOTNOTE_SIZE for line in lines]
    lowest_body = min((ln.y for ln, s in zip(lines, small, strict=True) if not s), default=None)
    starts = [
        line
        for line, is_small in zip(lines, small, strict=True)
        if is_small
        and (lowest_body is None or line.y < lowest_body)
        and _FOOTNOTE_START.match(line.text)
        and (line.first_size < line.size * MARKER_SIZE or line.size <= body * 0.7)
    ]
    if not starts:
        return _bracketed_footnotes(lines)
    top = max(line.y for line in starts)
    body_lines: list[Line] = []
    notes: list[list[str]] = []
    carried: list[str] = []
    for line, is_small in zip(lines, small, strict=True):
        if is_small and line.y > top and lowest_body is not None and line.y < lowest_body:
            carried.append(line.text)
        elif not (is_small and line.y <= top):
            body_lines.append(line)
        elif any(line is s for s in starts) or not notes:
            notes.append([line.text])
        else:
            notes[-1].append(line.text)
    return body_lines, [join_pieces(n) for n in notes], join_pieces(carried)


def _bracketed_footnotes(lines: Sequence[Line]) -> tuple[list[Line], list[str], str]:
    """Footnotes as statutory instruments set them: "(44) 1989 c.41. ..." under the body,
    numbered as markers the page's text cites, the number in smaller type than the note or
    the note smaller than every line above it, and nothing in larger type below (the type
    may be no smaller than a subsection's, "(1) These Regulations apply ...", which is set
    like the lines above it). Lines between the body and the first note carry on the
    previous page's last note."""
    cited = {marker for line in lines for marker in line.markers}

    def set_apart(line: Line) -> bool:
        above = [other.size for other in lines if other.y > line.y]
        return line.first_size < line.size - SIZE_TOLERANCE or (
            bool(above) and min(above) > line.size + SIZE_TOLERANCE
        )

    first = next(
        (
            line
            for line in lines
            if (start := _BRACKETED_START.match(line.text)) is not None
            and start.group(1) in cited
            and set_apart(line)
            and all(other.size <= line.size + SIZE_TOLERANCE for other in lines if other.y < line.y)
        ),
        None,
    )
    if first is None:
        return list(lines), [], ""
    larger = [line.y for line in lines if line.size > first.size + SIZE_TOLERANCE]
    floor = min(larger, default=float("inf"))  # the lowest line of body type
    body: list[Line] = []
    notes: list[list[str]] = []
    carried: list[str] = []
    for line in lines:
        start = _BRACKETED_START.match(line.text)
        if line.y > first.y:
            if line.y < floor:
                carried.append(line.text)
            else:
                body.append(line)
        elif start is not None and start.group(1) in cited or not notes:
            notes.append([line.text])
        else:
            notes[-1].append(line.text)
    return body, [join_pieces(n) for n in notes], join_pieces(carried)
