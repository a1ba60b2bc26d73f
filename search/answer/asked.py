"""What a question asks for, and which sentences fit that.

Predicates on the question alone (advice, yes/no, a list, a figure or a time) and on a
candidate sentence alone (it says something, gives advice, opens with a condition, points
back to the sentence before it): the answerer weighs and picks sentences by them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from search import tuning
from search.answer import figures
from search.chunk import tables
from search.model import Passage
from search.retrieve.query import asks_list, intent

_ADVICE_ASKED = re.compile(
    r"\b(what|how)\s+(should|can|could|must|do|does|might|would)\b|\bneed(s|ed)?\b|"
    r"\bshould\b|\bwhy\b.*\bmatters?\b|"
    r"\b(advice|recommend\w*|lessons?|learning|improve|prevent|help)\b",
    re.IGNORECASE,
)
# "Should parents just check the phone?" asks whether a claim holds, not what to do: the
# sentence that weighs the claim answers it, not the one saying what is needed.
_YES_NO = re.compile(
    r"^\s*(should|can|could|do|does|did|is|are|was|were|will|would|has|have|must)\b", re.I
)
# "Who should ...", "when must ...", "how often should ...": the modal asks for a person, a
# time or a figure, not for what to do.
_SPECIFIC_ASKED = re.compile(
    r"\b(who|whom|when|where)\s+(should|must|can|could|do|does|will|would|is|are)\b|"
    r"\bhow\s+(long|often|many|much|soon|early|far)\b",
    re.IGNORECASE,
)
# "Where it is not possible ...", "If the local authority ...": a sentence that opens with a
# condition speaks of a special case; a yes/no question is answered by the rule itself.
_CONDITION = re.compile(r"^\W*(where|if|when|unless|in the case of|in cases where)\b", re.I)
_ADVICE_GIVEN = re.compile(
    r"\b(need(s|ed)?|should|must|important|required|requires|essential|ensure)\b",
    re.IGNORECASE,
)
# "However, ...", "This means ...", "These include ...": a sentence that opens by pointing
# back leans on the one before it, which a reader needs to make sense of it.
_POINTS_BACK = re.compile(
    r"^\W*(however|but|this|these|those|such|it|they|therefore|thus|so|also|"
    r"in addition|in this case|in these cases|in such cases|as a result|otherwise)\b",
    re.IGNORECASE,
)


# A sentence that sends the reader elsewhere ("Further information ... can be found in the
# handbook", "Practice guidance is available from BAAF", "See chapter 3"): it names where
# the answer is, and shares the question's words ("the IRO's role") without giving it.
_POINTS_ELSEWHERE = re.compile(
    r"\b(can be found (in|at|on|here)|(is|are) (available|published) (from|at|on|here)|"
    r"for (further|more) (information|guidance|details?|advice))\b|"
    r"\b(further|more) (information|guidance|details?|advice)\b.*"
    r"\b(is|are|can be)\b.*\b(available|found|set out|provided|published)\b|^\W*see\b",
    re.IGNORECASE,
)
# "Where can I find ...", "which guidance covers ...", "is there guidance on ...": the
# question asks where to read.
_SOURCE_ASKED = re.compile(
    r"\b(where (can|do|should|would|could) (i|we|you|staff|practitioners)|"
    r"which (guidance|document|publication|handbook|regulations?|policy)|"
    r"(find|read) (out|more|guidance|information)|guidance (on|about|for))\b",
    re.IGNORECASE,
)

# A sentence wholly in brackets or parentheses, with its full stop inside or after.
_ASIDE = re.compile(r"^\s*(\[[^\[\]]*\]|\([^()]*\))[.;:]?\s*$")


def is_yes_no(question: str) -> bool:
    """Whether the question asks whether something holds ("Should parents ...?")."""
    return bool(_YES_NO.search(question))


def opens_with_condition(text: str) -> bool:
    """Whether a sentence opens with a condition ("Where ...", "If ...")."""
    return bool(_CONDITION.match(text))


def gives_advice(text: str) -> bool:
    """Whether a sentence says what is needed or should be done."""
    return bool(_ADVICE_GIVEN.search(text))


def points_back(text: str) -> bool:
    """Whether a sentence opens by pointing back to the one before it ("However, ..."), or
    is an aside in brackets ("[The government recommends ... £3,000.]"): a note on what
    was said before it."""
    return bool(_POINTS_BACK.match(text)) or (tuning.ASIDES and bool(_ASIDE.match(text)))


def says_something(text: str) -> bool:
    """A unit with a word in it ("1." or "(c)" left by a split is never an answer)."""
    return re.search(r"[^\W\d_]{2,}", text) is not None


def answers_with_list(question: str, best: str, passage: Passage) -> bool:
    """Whether the answer is the whole list the best sentence stands in."""
    if not tuning.LIST_ANSWERS:
        return False
    if asks_list(question) or tables.is_lead_in(best):
        return True
    # A sentence of the paragraph that introduces the list ("Below are some of the ways we
    # can support you ... We can:") is about the list, which says the thing; but asked for a
    # figure or a time, the sentence that gives it is the answer.
    return (
        tuning.LEAD_IN_LISTS
        and passage.kind == "paragraph"
        and tables.is_lead_in(passage.text)
        and not asks_value(question)
    )


def asks_top_list(question: str) -> bool:
    """Whether the list the best-ranked passage stands in answers, whatever sentence scored
    best: a list is asked for, and no figure or time ("what time period does it cover")."""
    return tuning.LIST_ASKED_TOP and asks_list(question) and not asks_value(question)


def asks_value(question: str) -> bool:
    """Whether the question asks for a figure, a duration or a date."""
    return intent(question).figure or figures.asks_duration(question) or figures.asks_when(question)


def asks_advice(question: str) -> bool:
    if tuning.SPECIFIC_NOT_ADVICE and _SPECIFIC_ASKED.search(question):
        return False
    return bool(_ADVICE_ASKED.search(question)) and not _YES_NO.search(question)


def has_time(text: str) -> bool:
    return figures.has_date(text) or figures.has_duration(text)


def points_elsewhere(text: str) -> bool:
    """Whether a sentence sends the reader to another publication or part for the matter."""
    return bool(_POINTS_ELSEWHERE.search(text))


def asks_source(question: str) -> bool:
    """Whether the question asks where to read about something."""
    return bool(_SOURCE_ASKED.search(question))


def fit(question: str, texts: list[str]) -> np.ndarray:
    """What each candidate sentence gains (or loses) for giving the kind of thing asked:
    a time, an age, advice, the rule rather than its special case, the matter itself."""

    def share(rule: Callable[[str], bool]) -> np.ndarray:
        return np.array([rule(t) for t in texts], dtype=np.float64)

    score = np.zeros(len(texts), dtype=np.float64)
    if is_yes_no(question):
        score -= tuning.CONDITION_PENALTY * share(opens_with_condition)
    when = figures.asks_when(question)
    if when:
        score += tuning.DATE_BONUS * share(figures.has_date)
    if figures.asks_duration(question) or (tuning.WHEN_DURATION and when):
        score += tuning.DURATION_BONUS * share(figures.has_duration)
    if figures.asks_age(question):
        score += tuning.AGE_BONUS * share(figures.has_age)
    if asks_advice(question):
        score += tuning.ADVICE_BONUS * share(gives_advice)
    if not asks_source(question):
        score -= tuning.POINTER_PENALTY * share(points_elsewhere)
    return score
