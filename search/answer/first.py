"""Search results as the service gives them: the passage the direct answer quotes leads.

The answer weighs every sentence of the best passages (and their neighbours) against the
question, with what it asks for (a time, a figure, a list); the passage-level ranking sees
each passage as one vector and one bag of words. Where the two disagree about which of the
first few results answers, the answer's passage leads (tuning.ANSWER_FIRST): "care leaver
asks for their care file - how soon should we acknowledge it" finds "Requests for access
... must be made in writing" first and its neighbour, the sentence with "within ten working
days", second; the answer quotes the neighbour, which now comes first too, as the widget
shows it. The other results keep their order.
"""

from __future__ import annotations

from dataclasses import replace

from search import tuning
from search.answer.answerer import Answer, Answerer
from search.model import Ranking
from search.retrieve.lists import group_of
from search.retrieve.searcher import Searcher


def served(
    searcher: Searcher,
    query: str,
    k: int = 5,
    section: str | None = None,
    kind: str | None = None,
    mode: str = "hybrid",
    document: str | None = None,
    with_answer: bool = False,
) -> tuple[Ranking, Answer | None]:
    """The served ranking and, when asked for (or needed to order the results), the direct
    answer weighed from that same ranking: a search box that shows both searches once."""
    ranking = searcher.search(query, k, section, kind, mode, document)
    first = tuning.ANSWER_FIRST and mode == "hybrid" and ranking.answerable
    first = first and len(ranking.hits) >= 2  # else nothing to reorder
    if not (with_answer or first):
        return ranking, None
    answer = Answerer(searcher).answer(query, section, kind, mode, document=document, found=ranking)
    return (led_by(ranking, answer) if first else ranking), answer


def led_by(ranking: Ranking, answer: Answer) -> Ranking:
    """The ranking with the result holding the answer's passage first, if it stands among
    the first tuning.ANSWER_FIRST_WITHIN."""
    if not answer.answerable or not answer.citations:
        return ranking
    source = answer.citations[0].passage
    keys = {source.id, group_of(source) or source.id}  # a list or cut paragraph is one result
    window = ranking.hits[: tuning.ANSWER_FIRST_WITHIN]
    at = next((i for i, hit in enumerate(window) if hit.passage.id in keys), None)
    if not at:  # not there, or first already
        return ranking
    hits = list(ranking.hits)
    lead = hits.pop(at)
    # It ranks first now, with the first score: scores stay in the order of the results.
    hits.insert(0, replace(lead, score=max(lead.score, hits[0].score)))
    return replace(ranking, hits=tuple(hits))
