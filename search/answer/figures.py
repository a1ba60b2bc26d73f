"""What kind of figure a question asks for, and the table cell that answers a superlative.

Every rule reads the question's wording and the layout of the passages (a table's lead-in,
its labels, its cells), never the wording of one document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from search import tuning
from search.chunk import tables
from search.chunk.tables import Table
from search.chunk.text import COUNT, PERCENT
from search.model import Passage
from search.retrieve.query import intent
from search.retrieve.searcher import Searcher

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
# "When" asks for a time when it opens the question or comes before its verb ("when should
# the PA visit"); "who to consult when setting the allowance" uses it as a conjunction.
_WHEN_CONJUNCTION = re.compile(
    r"(?<!^)\bwhen\b(?!\s+(should|must|is|are|was|were|do|does|did|can|could|will|would|"
    r"has|have|may|might)\b)",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b|\b(January|February|March|April|May|June|July|August|"
    r"September|October|November|December)\b"
)


_AT_LEAST = re.compile(r"\bat (least|most)\b", re.IGNORECASE)


def superlative(question: str) -> str | None:
    """ "max", "min" or None; "at least one" is a quantity, not a superlative."""
    if not tuning.SUPERLATIVES:
        return None
    return intent(_AT_LEAST.sub(" ", question)).extreme


def asks_share(question: str) -> bool:
    return bool(_SHARE_ASKED.search(question))


def asks_count(question: str) -> bool:
    """A count, not a share: 'how many cases were analysed' wants '32 cases'."""
    return bool(_COUNT_ASKED.search(question)) and not asks_share(question)


def asks_whole(question: str) -> bool:
    return bool(_WHOLE_ASKED.search(question))


def asks_when(question: str) -> bool:
    if tuning.WHEN_VERB:
        question = _WHEN_CONJUNCTION.sub(" ", question.strip())
    return bool(_WHEN_ASKED.search(question))


# "How long / how often / how soon", "timescale", "time limit": a duration or a frequency.
_DURATION_ASKED = re.compile(
    r"\b(how (long|often|soon|quickly|frequently|early|far (ahead|in advance))|"
    r"time ?(limits?|scales?|frames?)|"
    r"timescales?|deadlines?|frequency|within how)\b",
    re.IGNORECASE,
)
_NUMBER_WORD = (
    r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z]+teen|twenty|thirty)"
)
_DURATION = re.compile(
    rf"\b({_NUMBER_WORD}|a|an)(\s+|-)(working\s+|calendar\s+|school\s+)?"
    r"(days?|weeks?|months?|years?|hours?|terms?)\b|"
    r"\b(annually|every year|each year|monthly|weekly|daily|immediately|without delay)\b",
    re.IGNORECASE,
)


def asks_duration(question: str) -> bool:
    return bool(_DURATION_ASKED.search(question))


def has_duration(text: str) -> bool:
    return bool(_DURATION.search(text))


def has_date(text: str) -> bool:
    return bool(_DATE.search(text))


# "Until what age ...", "how old must ...", "is there a minimum age": an age, not a duration.
_AGE_ASKED = re.compile(
    r"\b(what|which|minimum|maximum|upper|lower|same|legal)\s+age\b|\bhow old\b|"
    r"\bage\s+(limits?|ranges?|groups?)\b",
    re.IGNORECASE,
)
# "aged 16", "the age of 18", "turns 21", "under 25", "their 18th birthday", "16-year-old",
# "between 16 and 25": ages of children and young adults, not "over 300 reviews".
_YEARS = r"(\d{1,2}|eleven|twelve|[a-z]+teen|twenty([- ][a-z]+)?)"
_AGE = re.compile(
    rf"\bage[sd]?\s+(of\s+)?{_YEARS}\b|\b\d{{1,2}}(st|nd|rd|th)\s+birthday\b|"
    rf"\b(under|over|turns?|turning|reach(es|ed|ing)?)\s+(the\s+age\s+of\s+)?{_YEARS}\b|"
    rf"\b{_YEARS}(\s+|-)years?(\s+|-)old\b|"
    rf"\bbetween\s+(the\s+ages\s+of\s+)?{_YEARS}\s+and\s+{_YEARS}\b",
    re.IGNORECASE,
)


def asks_age(question: str) -> bool:
    return bool(_AGE_ASKED.search(question))


def has_age(text: str) -> bool:
    return bool(_AGE.search(text))


# A count written in words ("three referees", "at least five members"); "one" is left out,
# as it is more often a pronoun ("no one", "one of") than a count.
_COUNT_WORD = re.compile(
    r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z]+teen|twenty|"
    r"thirty|forty|fifty|hundred|dozen)\b",
    re.IGNORECASE,
)


# Numbers that point somewhere rather than count: a year, a section, regulation, paragraph
# or schedule number ("section 23A(2)", "AAR 30D", "Schedule 4"), a paragraph's own number.
_REFERENCE = re.compile(
    r"\b(19|20)\d\d\b|"
    r"\b((?i:sections?|regulations?|reg|paragraphs?|para|schedules?|chapters?|parts?|"
    r"articles?|annex|appendix|pages?|rules?)|[A-Z]{2,4})\s+\d+[A-Za-z]?(\.\d+)*(\(\w+\))*|"
    # a paragraph's number: "45.", "5.24.", "E.3", or "1.12" before a capital ("278 reviews"
    # and "2.5 million" at a sentence's start are figures)
    r"^\s*(?:[A-Z]\.\d+|\d+(?:\.\d+)*\.|\d+\.\d+(?=\s+[A-Z]))\s",
)


def _figures(text: str) -> str:
    """The text with its references taken out, when only its figures are wanted."""
    return _REFERENCE.sub(" ", text) if tuning.REFERENCES_NOT_FIGURES else text


def has_count(text: str) -> bool:
    """A number in figures or in words."""
    text = _figures(text)
    return bool(COUNT.search(text) or _COUNT_WORD.search(text))


def figure_weight(question: str, text: str) -> float:
    """How well a sentence's numbers fit what the question asks for, 0..1.

    A share answers "how common" best, a bare count (a year, a sample size) less; asked
    "how many", any number fits.
    """
    if PERCENT.search(text):
        return 1.0
    text = _figures(text)
    if COUNT.search(text):
        return 1.0 if asks_count(question) else 0.4
    if tuning.COUNT_WORDS and asks_count(question) and _COUNT_WORD.search(text):
        return 1.0
    return 0.0


def fits_figure(question: str, text: str) -> bool:
    """Inside the answer's passage: the sentence with the kind of figure asked for."""
    if not asks_count(question):
        return bool(PERCENT.search(text))
    return has_count(text) if tuning.COUNT_WORDS else bool(COUNT.search(_figures(text)))


def lead_in_of(searcher: Searcher, cell: Passage) -> Passage | None:
    """The paragraph that introduces a statistic's table ('81% ... the characteristics
    below:'), when the index holds it as a passage of its own."""
    key = tables.key_of(cell)
    return searcher.table_lead_ins.get(key) if key is not None else None


def extreme_cell(
    searcher: Searcher, question: str, extreme: str, near: Sequence[Passage]
) -> tuple[Passage, str] | None:
    """The largest (or smallest) cell of the table the question is about, if one is.

    Candidates are the tables with a cell or their lead-in among the passages found; the
    one whose lead-in (and, less, labels) holds most of the question's words is chosen.
    """
    all_tables = searcher.tables
    pointed = {key for p in near for key in tables.tables_of(p, all_tables)}
    candidates = [t for key, t in all_tables.items() if key in pointed]
    if not candidates:
        return None
    lexical = searcher.lexical
    terms = lexical.terms(question)

    def fit(table: Table) -> float:
        labels = " ".join(cell.label for cell in table.cells)
        held = lexical.share_held(terms, table.key.lead_in)
        return held + 0.5 * lexical.share_held(terms, labels)

    score, _, table = max((fit(t), i, t) for i, t in enumerate(candidates))
    if score <= tuning.TABLE_MATCH_MIN:
        return None
    pick = tables.extreme(table.cells, extreme)
    return (pick.passage, pick.text) if pick is not None else None
