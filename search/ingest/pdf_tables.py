"""The rows of a simple table in a PDF: a line whose text stands in cells wide apart
("Stage two: assessment" ... "Four months"), in a run of such lines whose cells start at
the same places.

Read as running text, the rows of such a table join into one paragraph with the sentence
after it ("Stage one: pre-assessment Two months Stage two: assessment Four months ...
Agencies should explain ..."), and no sentence of it says which figure goes with which
label. Each row is read as a passage of its own instead, its cells one after another with
" – " between them. A table whose cells wrap over several lines (a Word table of
circumstances and decisions) has no such run of single-line rows, and reads as before.

Where a fragment ends is not in the text layer, only where it starts: its width is taken
from its length (WIDTH_PER_CHAR of its type size a character, more than most text needs,
so a gap is never overestimated).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

# Estimated width of a character, in its type size (proportional fonts average about 0.5).
WIDTH_PER_CHAR = 0.6
# A gap this many type sizes wide between two fragments of a line parts two cells ...
CELL_GAP = 3.0
# ... and at least this share of the estimated width of the text before it (the estimate's
# error grows with the text's length).
CELL_GAP_SHARE = 0.25
# Cells of consecutive rows start this close (points) to count as one column.
ALIGNED = 3.0
# A table has at least this many single-line rows in a run.
MIN_ROWS = 2

CELL_SEPARATOR = " \u2013 "


class Shown(Protocol):
    @property
    def x(self) -> float: ...
    @property
    def size(self) -> float: ...


def cells(pieces: Sequence[tuple[Shown, str]]) -> tuple[tuple[float, str], ...]:
    """A line's pieces (each fragment with the text it adds) grouped into cells: (where the
    cell starts, its text). One cell when no gap is wide enough to part two."""
    out: list[tuple[float, str]] = []
    end = 0.0  # where the text of the cell so far ends, as estimated
    for fragment, text in pieces:
        if not text.strip():  # a space shown on its own: part of the cell it stands in
            if out:
                out[-1] = (out[-1][0], out[-1][1] + text)
            continue
        right = fragment.x + len(text.strip()) * fragment.size * WIDTH_PER_CHAR
        parting = max(CELL_GAP * fragment.size, CELL_GAP_SHARE * (end - out[-1][0])) if out else 0
        if out and fragment.x - end < parting:  # the same cell goes on
            out[-1] = (out[-1][0], out[-1][1] + text)
            end = max(end, right)
        else:
            out.append((fragment.x, text))
            end = right
    return tuple((x, " ".join(t.split())) for x, t in out)


def row_text(row: Sequence[tuple[float, str]]) -> str:
    return CELL_SEPARATOR.join(text for _, text in row)


def table_rows(rows: Sequence[Sequence[tuple[float, str]]]) -> set[int]:
    """Which lines (by position) are rows of a table: runs of MIN_ROWS or more consecutive
    lines of two or more cells, with as many cells starting at the same places."""
    found: set[int] = set()
    start = 0
    while start < len(rows):
        end = start
        while end + 1 < len(rows) and _same_columns(rows[start], rows[end + 1]):
            end += 1
        if _opens_row(rows[start]) and end - start + 1 >= MIN_ROWS:
            found.update(range(start, end + 1))
        start = end + 1
    return found


def _same_columns(a: Sequence[tuple[float, str]], b: Sequence[tuple[float, str]]) -> bool:
    return (
        _opens_row(a)
        and _opens_row(b)
        and len(a) == len(b)
        and all(abs(x - y) <= ALIGNED for (x, _), (y, _) in zip(a, b, strict=True))
    )


def _opens_row(row: Sequence[tuple[float, str]]) -> bool:
    """Two cells or more, the first not in lower case (that carries on a label wrapped from
    the line above: "Non-agency adoptive children," / "their parents and guardians")."""
    return len(row) >= 2 and not row[0][1][:1].islower()
