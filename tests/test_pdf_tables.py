"""A simple table in a PDF read row by row (search/ingest/pdf_tables.py): on literal
fragments and cells, and through the reader on PDFs the test writes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from search.ingest.corpus import read_file
from search.ingest.pdf_tables import cells, row_text, table_rows


@dataclass(frozen=True)
class Frag:
    x: float
    size: float


def test_cells_part_only_at_wide_gaps() -> None:
    row = [(Frag(31, 11), "Stage one: pre-assessment"), (Frag(368, 11), " Two months")]
    assert cells(row) == ((31, "Stage one: pre-assessment"), (368, "Two months"))
    # Words set one after another, or a space shown on its own, stay in one cell.
    prose = [
        (Frag(57, 12), "their parents and "),
        (Frag(150, 12), "guardians"),
        (Frag(203, 12), " "),
        (Frag(208, 12), "were told."),
    ]
    assert cells(prose) == ((57, "their parents and guardians were told."),)


def test_a_run_of_aligned_rows_is_a_table() -> None:
    header = ((31.0, "Stage"), (368.0, "Timescale"))
    first = ((31.0, "Stage one"), (368.5, "Two months"))
    second = ((31.0, "Stage two"), (367.5, "Four months"))
    assert table_rows([(), header, first, second, ()]) == {1, 2, 3}
    assert row_text(first) == "Stage one \u2013 Two months"
    # One row alone, cells that do not line up, or a line carrying on a wrapped label
    # (lower case) make no table.
    assert table_rows([(), first, ()]) == set()
    assert table_rows([first, ((31.0, "Stage two"), (300.0, "Four months"))]) == set()
    assert table_rows([((31.0, "their parents"), (494.0, "\u2022")), first]) == set()


def _pdf(path: Path, rows: list[tuple[str, str]]) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Adoption timescales", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 6, "The table below sets out the timescales.", new_x="LMARGIN", new_y="NEXT")
    with pdf.table(col_widths=(100, 60)) as table:
        for cells_of_row in rows:
            row = table.row()
            for text in cells_of_row:
                row.cell(text)
    pdf.multi_cell(0, 6, "Agencies explain any delay in writing.", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def test_each_row_of_a_pdf_table_is_a_passage(tmp_path: Path) -> None:
    rows = [
        ("Stage", "Timescale"),
        ("Stage one: pre-assessment", "Two months"),
        ("Stage two: assessment", "Four months"),
    ]
    [doc] = read_file(_pdf(tmp_path / "table.pdf", rows))
    assert [p.text for p in doc.passages] == [
        "The table below sets out the timescales.",
        "Stage \u2013 Timescale",
        "Stage one: pre-assessment \u2013 Two months",
        "Stage two: assessment \u2013 Four months",
        "Agencies explain any delay in writing.",  # not run into the last row
    ]
    assert all(p.page == 1 for p in doc.passages)
