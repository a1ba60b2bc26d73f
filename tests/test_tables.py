"""Reading tables of figures from passages, on literal documents."""

from __future__ import annotations

import pytest

from search.chunk import tables
from search.chunk.passages import chunk_document
from search.chunk.tables import TableKey
from search.model import Passage

DOC = """# Report

## Parents

Parents had these problems:

| Drink | Drugs | Debt |
| --- | --- | --- |
| 3 (10%) | 20 (60%) | 20 (60%) |

Families had these
circumstances:

| Poverty | Moves | Visits |
| --- | --- | --- |
| 1,234 | 2 (6%) | Yes |

Agencies attended as follows:

| Police | School |
| --- | --- |
| Yes | No |

## Elsewhere

Parents had these problems:
"""

PARENTS = TableKey("d", "Parents", "Parents had these problems")
FAMILIES = TableKey("d", "Parents", "Families had these circumstances")


@pytest.fixture
def passages() -> list[Passage]:
    return chunk_document(DOC, "d")


def _row(passages: list[Passage], start: str, section: str = "Parents") -> int:
    return next(
        i for i, p in enumerate(passages) if p.text.startswith(start) and p.section == section
    )


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("1,234", 1234.0),
        ("59%", 59.0),
        ("(59%)", 59.0),
        ("164 (59%)", 164.0),
        ("12.5 (3.1%)", 12.5),
        ("£1.5m", 1.5),
        ("Yes", None),
        ("", None),
    ],
)
def test_cell_number(value: str, number: float | None) -> None:
    assert tables.cell_number(value) == number


def test_lead_in_sentences() -> None:
    assert tables.is_lead_in("... the characteristics below:  ")
    assert not tables.is_lead_in("The characteristics were common.")
    assert tables.lead_in_head("the characteristics below: \n") == "the characteristics below"


def test_key_of_a_statistic_and_of_other_passages(passages: list[Passage]) -> None:
    assert tables.key_of(passages[_row(passages, "Drink")]) == PARENTS
    # The lead-in was written over two lines; the key folds the white space.
    assert tables.key_of(passages[_row(passages, "Poverty")]) == FAMILIES
    assert tables.key_of(passages[_row(passages, "Parents had")]) is None


def test_group_reads_each_table_with_its_cells_in_order(passages: list[Passage]) -> None:
    found = tables.group(enumerate(passages))
    # "Agencies attended" has no cell with a number, so it is no table.
    assert list(found) == [PARENTS, FAMILIES]
    cells = found[PARENTS].cells
    assert [(c.label, c.value, c.number) for c in cells] == [
        ("Drink", "3 (10%)", 3.0),
        ("Drugs", "20 (60%)", 20.0),
        ("Debt", "20 (60%)", 20.0),
    ]
    assert [c.row for c in cells] == [_row(passages, x) for x in ("Drink", "Drugs", "Debt")]
    assert cells[1].passage is passages[cells[1].row]
    assert cells[1].text == "Drugs: 20 (60%)"
    # "Visits: Yes" states no figure: the table has two cells, not three.
    assert [c.text for c in found[FAMILIES].cells] == ["Poverty: 1,234", "Moves: 2 (6%)"]


def test_group_keeps_the_order_and_rows_given(passages: list[Passage]) -> None:
    rows = [_row(passages, "Debt"), 0, _row(passages, "Drink")]
    found = tables.group((r, passages[r]) for r in rows)
    assert [c.row for c in found[PARENTS].cells] == [rows[0], rows[2]]


def test_lead_in_is_found_in_the_tables_own_section(passages: list[Passage]) -> None:
    agencies = TableKey("d", "Parents", "Agencies attended as follows")
    leads = tables.lead_ins([PARENTS, FAMILIES, agencies], passages)
    assert leads[PARENTS] is passages[_row(passages, "Parents had")]
    assert leads[FAMILIES] is passages[_row(passages, "Families had")]
    assert leads[agencies] is passages[_row(passages, "Agencies attended")]
    elsewhere = passages[_row(passages, "Parents had", "Elsewhere")]
    assert not tables.introduces(elsewhere, PARENTS)
    assert tables.lead_ins([PARENTS], [elsewhere]) == {}
    # A cell of the table does not introduce it.
    assert not tables.introduces(passages[_row(passages, "Drink")], PARENTS)


def test_first_part_of_a_lead_in_cut_in_two_introduces_its_table() -> None:
    long_sentence = "The panel read every case file in the period under review in detail. "
    lead_in = f"{long_sentence * 9}They recorded the features below:"
    text = f"# R\n\n{lead_in}\n\n| A | B |\n| --- | --- |\n| 1 | 2 |\n"
    ps = chunk_document(text, "d")
    parts = [p for p in ps if p.kind != "statistic"]
    assert len(parts) == 2  # the lead-in is longer than one passage
    key = tables.key_of(next(p for p in ps if p.kind == "statistic"))
    assert key is not None
    assert tables.lead_ins([key], ps) == {key: parts[0]}


def test_tables_of_a_cell_a_lead_in_and_anything_else(passages: list[Passage]) -> None:
    keys = [PARENTS, FAMILIES]
    assert tables.tables_of(passages[_row(passages, "Moves")], keys) == [FAMILIES]
    assert tables.tables_of(passages[_row(passages, "Parents had")], keys) == [PARENTS]
    assert tables.tables_of(passages[_row(passages, "Moves")], [PARENTS]) == []
    # A statistic without a figure still belongs to its table.
    assert tables.tables_of(passages[_row(passages, "Visits")], keys) == [FAMILIES]
    assert tables.tables_of(passages[_row(passages, "Parents had", "Elsewhere")], keys) == []


def test_extreme_picks_the_largest_and_smallest_first_in_the_document(
    passages: list[Passage],
) -> None:
    cells = tables.group(enumerate(passages))[PARENTS].cells
    smallest = tables.extreme(cells, "min")
    assert smallest is not None and smallest.label == "Drink"
    # Drugs and Debt both have 20: the one the table lists first wins, in any order given.
    for order in (cells, cells[::-1]):
        largest = tables.extreme(order, "max")
        assert largest is not None and largest.label == "Drugs"


def test_a_table_with_no_cells() -> None:
    assert tables.extreme((), "max") is None
    assert tables.extreme((), "min") is None
    only_words = chunk_document("# R\n\nSeen:\n\n| A | B |\n| --- | --- |\n| Yes | No |\n", "d")
    assert tables.group(enumerate(only_words)) == {}
