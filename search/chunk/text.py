"""Text-level pieces of chunking shared by every stage: sentences, cutting a long text at
sentence ends, a table cell's statistic sentence, and what counts as a figure.

Pure functions only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from search.model import Passage

MAX_PASSAGE_CHARS = 600
# How a list shown whole marks its items (search/retrieve/lists.py writes it).
LIST_BULLET = "\u2022 "
# A sentence ends at . ! or ? (with any closing quote or bracket after it, which belongs to
# it: "[... a minimum of £3,000.]") followed by space and something that can start one.
_SENTENCE_END = re.compile(r"(?<=[.!?])([\"')\]]*)\s+(?=[\"'(\[]?[A-Z0-9])")
# A share ("59%", "59 %") and any number ("1,234", "2017"): what makes a text a figure.
PERCENT = re.compile(r"\d+(?:\.\d+)?\s?%")
COUNT = re.compile(r"\b\d+(?:,\d{3})*(?:\.\d+)?\b")


def last_sentence(text: str) -> str:
    return split_sentences(text.strip(), 0)[-1][0] if text.strip() else ""


def split_sentences(text: str, start: int) -> list[tuple[str, int, int]]:
    """Sentences of a text, with spans in the source (text begins at offset start)."""
    out = []
    pos = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[pos : match.end(1)].strip()
        if piece:
            lead = len(text[pos:]) - len(text[pos:].lstrip())
            out.append((piece, start + pos + lead, start + pos + lead + len(piece)))
        pos = match.end()
    piece = text[pos:].strip()
    if piece:
        lead = len(text[pos:]) - len(text[pos:].lstrip())
        out.append((piece, start + pos + lead, start + pos + lead + len(piece)))
    return out


def pieces(text: str, start: int, limit: int = MAX_PASSAGE_CHARS) -> list[tuple[str, int, int]]:
    """Cut a too-long text at sentence ends (at word ends for a run-on sentence)."""
    if len(text) <= limit:
        return [(text, start, start + len(text))]
    units: list[tuple[int, int]] = []
    for _, s, e in split_sentences(text, start):
        while e - s > limit:
            cut = _clause_end(text, s - start, s - start + limit) + start
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


# Where a run-on sentence is best cut, most preferred first: before an enumeration's next
# point ("(b) unless ...", "(vii) any person ..."), after a semicolon, after a comma; then
# at any word end. Never in the first half of the stretch: pieces stay of a readable size.
_CLAUSE_ENDS = (
    re.compile(r"[,;:\u2014]?\s(?=\((?:[a-z]|[ivx]+|\d+)\)\s)"),
    re.compile(r";\s"),
    re.compile(r",\s"),
)


def _clause_end(text: str, lo: int, hi: int) -> int:
    """Where to cut text[lo:hi], a stretch of a sentence too long for one passage: the
    position of the space that ends its last clause (text[lo:hi] ends before it)."""
    for pattern in _CLAUSE_ENDS:
        ends = [m.end() - 1 for m in pattern.finditer(text, lo + (hi - lo) // 2, hi)]
        if ends:
            return ends[-1]
    cut = text.rfind(" ", lo, hi)
    return cut if cut > lo else hi


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


def answer_units(passage: Passage) -> list[tuple[str, int, int]]:
    """The answerable units of a passage: its sentences, or a statistic's 'label: figure'."""
    parts = statistic_parts(passage.text)
    if parts is not None:
        head = f"{parts[0]}: {parts[1]}"
        return [(head, 0, len(head))]
    if passage.list_id is not None and "\n" in passage.text:
        # A list shown whole: each line (lead-in, item) is split on its own, so an item is
        # never run into the next one, and its units are those of the item's own passage.
        units, pos = [], 0
        for line in passage.text.split("\n"):
            lead = len(LIST_BULLET) if line.startswith(LIST_BULLET) else 0
            units += split_sentences(line[lead:], pos + lead)
            pos += len(line) + 1
        return [u for u in units if u[0] != "\u2026"]
    return split_sentences(passage.text, 0) or [(passage.text, 0, len(passage.text))]
