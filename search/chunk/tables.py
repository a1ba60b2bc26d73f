"""Tables of figures: a lead-in paragraph ("... the characteristics below:") and the
statistic passages of the table it introduces ("Domestic abuse: 164 (59%). From the
table: <lead-in>.", see chunk.statistic_parts).

Pure functions over passages. The superlative re-rank (retrieve/searcher.py) and the figure answers
(answer/figures.py) read tables only through these, so both see the same tables, cells and figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from search.chunk.text import statistic_parts
from search.model import Passage

# The first number of a cell, wherever it stands: "£1.5m" is 1.5 and "3rd" 3 (a pattern
# bounded by \b would read "£1.5m" as 1 and "3rd" as no number at all).
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def cell_number(value: str) -> float | None:
    """The figure of a cell's value: '164 (59%)' -> 164, '59%' -> 59, '1,234' -> 1234;
    None when it holds no number ('Yes')."""
    match = _NUMBER.search(value.replace(",", ""))
    return float(match.group()) if match else None


def is_lead_in(text: str) -> bool:
    """A sentence that introduces a list or table ('... the characteristics below:')."""
    return text.rstrip().endswith(":")


def lead_in_head(text: str) -> str:
    """A lead-in without its colon, as the cells of its table quote it in their context."""
    return text.rstrip().rstrip(":").rstrip()


def _fold(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class TableKey:
    """Where a table stands and the lead-in its cells quote (white space folded, without
    the full stop chunking adds), which tells two tables of one section apart."""

    document: str
    section: str
    lead_in: str


@dataclass(frozen=True)
class Cell:
    row: int  # the passage's position in the sequence the table was read from
    passage: Passage
    label: str
    value: str
    number: float

    @property
    def text(self) -> str:
        """The cell as an answer quotes it: 'Domestic abuse: 164 (59%)'."""
        return f"{self.label}: {self.value}"


@dataclass(frozen=True)
class Table:
    key: TableKey
    cells: tuple[Cell, ...]


def key_of(passage: Passage) -> TableKey | None:
    """The table a statistic passage belongs to; None for any other passage."""
    parts = statistic_parts(passage.text)
    return _key(passage, parts[2]) if parts is not None else None


def _key(passage: Passage, context: str) -> TableKey:
    return TableKey(passage.document, passage.section, _fold(context.removesuffix(".")))


def group(passages: Iterable[tuple[int, Passage]]) -> dict[TableKey, Table]:
    """The tables that (row, passage) pairs form, each with its cells in the order given.

    A statistic without a number ('Yes') is not a cell, so a table of such alone is none.
    """
    cells: dict[TableKey, list[Cell]] = {}
    for row, passage in passages:
        parts = statistic_parts(passage.text)
        number = cell_number(parts[1]) if parts else None
        if parts is not None and number is not None:
            cell = Cell(row, passage, parts[0], parts[1], number)
            cells.setdefault(_key(passage, parts[2]), []).append(cell)
    return {key: Table(key, tuple(found)) for key, found in cells.items()}


def introduces(passage: Passage, key: TableKey) -> bool:
    """Whether a passage is the table's lead-in or, when a long lead-in was cut into several
    passages, its first part. (A lead-in longer than its cells can quote is cut short in
    their text, and then no passage is found to introduce the table.)"""
    if key_of(passage) is not None:
        return False  # a cell of a table introduces none
    if (passage.document, passage.section) != (key.document, key.section):
        return False
    head = _fold(lead_in_head(passage.text))
    return bool(head) and key.lead_in.startswith(head)


def lead_ins(keys: Iterable[TableKey], passages: Iterable[Passage]) -> dict[TableKey, Passage]:
    """Each table's lead-in: the first of the passages that introduces it, if one does."""
    # Grouped by where they stand, so each table looks only at the passages of its section.
    by_place: dict[tuple[str, str], list[Passage]] = {}
    for p in passages:
        if key_of(p) is None:
            by_place.setdefault((p.document, p.section), []).append(p)
    found = {}
    for key in keys:
        near = by_place.get((key.document, key.section), ())
        lead = next((p for p in near if introduces(p, key)), None)
        if lead is not None:
            found[key] = lead
    return found


def tables_of(passage: Passage, keys: Iterable[TableKey]) -> list[TableKey]:
    """Of the given tables, the one a passage is a cell of, or those it introduces."""
    own = key_of(passage)
    if own is not None:
        return [k for k in keys if k == own]
    return [k for k in keys if introduces(passage, k)]


def extreme(cells: Sequence[Cell], which: str) -> Cell | None:
    """The cell with the largest ("max") or smallest ("min") figure; of equal figures, the
    one that comes first in the document. None for no cells."""
    if not cells:
        return None
    pick = max if which == "max" else min
    return pick(sorted(cells, key=lambda c: c.row), key=lambda c: c.number)
