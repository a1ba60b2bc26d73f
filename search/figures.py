"""What kind of figure a question asks for, and the table cell that answers a superlative.

Every rule reads the question's wording and the layout of the passages (a table's lead-in,
its labels, its cells), never the wording of one document.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from search.chunk import Passage, statistic_parts
from search.query import intent
from search.retrieve import Searcher

PERCENT = re.compile(r"\d+(?:\.\d+)?\s?%")
COUNT = re.compile(r"\b\d+(?:,\d{3})*(?:\.\d+)?\b")
_SHARE_ASKED = re.compile(
    r"\b(percent\w*|per ?cent|proportion|share|fraction|rate|how (common|often|frequent\w*|"
    r"prevalent|likely|widespread)|prevalence)\b|%",
    re.IGNORECASE,
)
_COUNT_ASKED = re.compile(r"\b(how many|number of|count of|how much)\b", re.IGNORECASE)
# "at least one of", "any of", "overall": the question asks for the figure of a whole list,
# which is what the sentence introducing the list states.
_WHOLE_ASKED = re.compile(
    r"\b(at least one|one or more|any (of|kind)|overall|in total|altogether|combined)\b",
    re.IGNORECASE,
)
_WHEN_ASKED = re.compile(
    r"\b(when|what (year|date|month)|which year|time ?(period|frame|span)|period|dates?|"
    r"how (long|recent))\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b|\b(January|February|March|April|May|June|July|August|"
    r"September|October|November|December)\b"
)
# A table is taken as the subject of a superlative only when its lead-in and labels hold
# more than this share of the question's words (by rarity). Kept low: the question's own
# superlative words ("most common", "came up most often") are never in a lead-in, and
# query.intent() already only reads frequency and size superlatives as such.
TABLE_MATCH_MIN = 0.0


_AT_LEAST = re.compile(r"\bat (least|most)\b", re.IGNORECASE)


def superlative(question: str) -> str | None:
    """ "max", "min" or None; "at least one" is a quantity, not a superlative."""
    return intent(_AT_LEAST.sub(" ", question)).extreme


def asks_share(question: str) -> bool:
    return bool(_SHARE_ASKED.search(question))


def asks_count(question: str) -> bool:
    """A count, not a share: 'how many cases were analysed' wants '32 cases'."""
    return bool(_COUNT_ASKED.search(question)) and not asks_share(question)


def asks_whole(question: str) -> bool:
    return bool(_WHOLE_ASKED.search(question))


def asks_when(question: str) -> bool:
    return bool(_WHEN_ASKED.search(question))


def has_date(text: str) -> bool:
    return bool(_DATE.search(text))


def figure_weight(question: str, text: str) -> float:
    """How well a sentence's numbers fit what the question asks for, 0..1.

    A share answers "how common" best, a bare count (a year, a sample size) less; asked
    "how many", any number fits.
    """
    if PERCENT.search(text):
        return 1.0
    if COUNT.search(text):
        return 1.0 if asks_count(question) else 0.4
    return 0.0


def fits_figure(question: str, text: str) -> bool:
    """Inside the answer's passage: the sentence with the kind of figure asked for."""
    return bool(COUNT.search(text) if asks_count(question) else PERCENT.search(text))


def is_lead_in(text: str) -> bool:
    """A sentence that introduces a list or table ('... the characteristics below:')."""
    return text.rstrip().endswith(":")


def lead_in_head(text: str) -> str:
    """A lead-in without its colon, as the cells of its table quote it in their context."""
    return text.rstrip().rstrip(":").rstrip()


@dataclass(frozen=True)
class Table:
    context: str  # the lead-in every cell of the table repeats
    cells: tuple[tuple[Passage, str, float], ...]  # passage, 'label: figure', its number


_TABLES: weakref.WeakKeyDictionary[Searcher, dict[tuple[str, str, str], Table]] = (
    weakref.WeakKeyDictionary()
)


def tables(searcher: Searcher) -> dict[tuple[str, str, str], Table]:
    """The index's tables by (document, section, lead-in), built once per searcher."""
    found = _TABLES.get(searcher)
    if found is None:
        cells: dict[tuple[str, str, str], list[tuple[Passage, str, float]]] = {}
        for p in searcher.passages:
            parts = statistic_parts(p.text)
            value = _number(parts[1]) if parts else None
            if parts is not None and value is not None:
                key = (p.document, p.section, parts[2])
                cells.setdefault(key, []).append((p, f"{parts[0]}: {parts[1]}", value))
        found = {k: Table(k[2], tuple(v)) for k, v in cells.items()}
        _TABLES[searcher] = found
    return found


_LEAD_INS: weakref.WeakKeyDictionary[Searcher, dict[tuple[str, str, str], Passage]] = (
    weakref.WeakKeyDictionary()
)


def lead_in_of(searcher: Searcher, cell: Passage) -> Passage | None:
    """The paragraph that introduces a statistic's table ('81% ... the characteristics
    below:'), when the index holds it as a passage of its own."""
    found = _LEAD_INS.get(searcher)
    if found is None:
        # Candidates grouped by where they stand, so each table looks only at its section.
        by_place: dict[tuple[str, str], list[Passage]] = {}
        for p in searcher.passages:
            if p.kind != "statistic":
                by_place.setdefault((p.document, p.section), []).append(p)
        found = {}
        for key in tables(searcher):
            document, section, context = key
            for p in by_place.get((document, section), ()):
                head = lead_in_head(p.text)
                if head and context.startswith(head):
                    found[key] = p
                    break
        _LEAD_INS[searcher] = found
    parts = statistic_parts(cell.text)
    return found.get((cell.document, cell.section, parts[2])) if parts else None


def _number(value: str) -> float | None:
    match = COUNT.search(value.replace(",", ""))
    return float(match.group()) if match else None


def extreme_cell(
    searcher: Searcher, question: str, extreme: str, near: Sequence[Passage]
) -> tuple[Passage, str] | None:
    """The largest (or smallest) cell of the table the question is about, if one is.

    Candidates are the tables with a cell or their lead-in among the passages found; the
    one whose lead-in (and, less, labels) holds most of the question's words is chosen.
    """
    all_tables = tables(searcher)
    if not all_tables:
        return None
    near_text = [lead_in_head(p.text) for p in near]
    candidates = [
        (key, t)
        for key, t in all_tables.items()
        if any(cell[0] in near for cell in t.cells)
        or any(text and text in t.context for text in near_text)
    ]
    if not candidates:
        return None
    lexical = searcher.lexical
    terms = lexical.terms(question)

    def fit(table: Table) -> float:
        labels = " ".join(cell[1].rpartition(": ")[0] for cell in table.cells)
        return lexical.share_held(terms, table.context) + 0.5 * lexical.share_held(terms, labels)

    score, _, table = max((fit(t), i, t) for i, (_, t) in enumerate(candidates))
    if score <= TABLE_MATCH_MIN:
        return None
    pick = max if extreme == "max" else min
    passage, text, _ = pick(table.cells, key=lambda cell: cell[2])
    return passage, text
