"""Superlatives: for "which was most/least common" questions, the largest/smallest figure
of a table comes first. The figure asked for is a table's cell, which may rank below its
lead-in or a neighbouring cell by similarity alone; comparing the cells of the table the
question points to finds it whatever its own score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from search import tuning
from search.chunk import tables
from search.model import Passage


def extreme_first(
    ranked: list[tuple[int, float]],
    passages: Sequence[Passage],
    extreme: str | None,
    relevance: Callable[[str], float] | None = None,
) -> list[tuple[int, float]]:
    """For "which was most/least common", put the largest/smallest figure of a table first.

    Applies when a statistic, or the paragraph that introduces a table, is among the top
    three. When those point to several tables, the one whose lead-in holds most of the
    question (`relevance` of the lead-in) is meant ("the most frequent parental factor");
    its cells are compared by their figure and the winner moves to the top.
    """
    if extreme is None or not tuning.SUPERLATIVES:
        return ranked
    found = tables.group((row, passages[row]) for row, _ in ranked)
    pointed: list[tables.TableKey] = []
    for row, _ in ranked[:3]:
        pointed += [k for k in tables.tables_of(passages[row], found) if k not in pointed]
    if not pointed:
        return ranked
    score = relevance or (lambda _: 0.0)
    table = max(pointed, key=lambda t: (score(t.lead_in), -pointed.index(t)))
    pick = tables.extreme(found[table].cells, extreme)
    if pick is None:
        return ranked
    top_score = ranked[0][1]
    return [(pick.row, top_score + 1e-6)] + [r for r in ranked if r[0] != pick.row]
