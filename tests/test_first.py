"""Search results led by the passage the direct answer quotes (search/answer/first.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from search import tuning
from search.answer.answerer import Answer, Answerer, Citation
from search.answer.first import led_by, served
from search.index.build import build_index
from search.index.store import load_index
from search.model import Hit, Passage, Ranking
from search.retrieve.searcher import Searcher
from tests.fakes import FakeEmbedder


def _passage(n: int) -> Passage:
    return Passage(f"d:{n}", "d", "D", "S", "paragraph", f"passage {n}", n * 10, n * 10 + 9)


def _ranking(count: int) -> Ranking:
    hits = tuple(Hit(_passage(n), 1.0 - n / 10) for n in range(count))
    return Ranking(hits, True, 0.6, 0.5)


def _answer(passage: Passage | None, answerable: bool = True) -> Answer:
    cited = () if passage is None else (Citation(passage, (0, 5)),)
    return Answer("q", answerable, "said" if answerable else None, 0.9, cited, "")


def test_the_answers_passage_leads_when_it_stands_among_the_first_few(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tuning, "ANSWER_FIRST_WITHIN", 3)
    ranking = _ranking(5)
    led = led_by(ranking, _answer(_passage(2)))
    assert [h.passage.id for h in led.hits] == ["d:2", "d:0", "d:1", "d:3", "d:4"]
    scores = [h.score for h in led.hits]
    assert scores == sorted(scores, reverse=True)  # it takes the first score
    # Further down, first already, not covered, or no citation: the order stays.
    for answer in (
        _answer(_passage(3)),
        _answer(_passage(0)),
        _answer(_passage(2), answerable=False),
        _answer(None),
    ):
        assert led_by(ranking, answer).hits == ranking.hits


def test_a_list_answer_leads_as_the_list_it_is_shown_in() -> None:
    ranking = _ranking(3)
    item = Passage("d:9", "d", "D", "S", "item", "an item", 90, 97, list_id="d:1")
    assert led_by(ranking, _answer(item)).hits[0].passage.id == "d:1"


RECORDS = """# Access to records

Requests from a care leaver for access to their care file must be made in writing to the
records team.

An acknowledgement should be sent within ten working days.

Records are kept for seventy five years.
"""


@pytest.fixture
def searcher(tmp_path: Path) -> Searcher:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "records.md").write_text(RECORDS, encoding="utf-8")
    fake = FakeEmbedder()
    build_index(tmp_path / "corpus", tmp_path / "idx", fake)
    return Searcher(load_index(tmp_path / "idx"), fake)


def test_served_results_lead_with_the_answers_passage(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "how many days to acknowledge a request for a care file"
    answer = Answerer(searcher).answer(question)
    assert answer.answer == "An acknowledgement should be sent within ten working days."
    monkeypatch.setattr(tuning, "ANSWER_FIRST", False)
    plain = served(searcher, question, k=3)[0]
    assert plain.hits == searcher.search(question, k=3).hits
    monkeypatch.setattr(tuning, "ANSWER_FIRST", True)
    assert plain.hits[0].passage.text.startswith("Requests from a care leaver")  # words
    led = served(searcher, question, k=3)[0]
    assert led.hits[0].passage.id == answer.citations[0].passage.id
    assert [h.passage.id for h in led.hits] == [plain.hits[i].passage.id for i in (1, 0, 2)]
    # Other modes are left as they rank.
    assert served(searcher, question, k=3, mode="bm25")[0].hits == (
        searcher.search(question, k=3, mode="bm25").hits
    )


def test_the_answer_weighs_the_ranking_it_is_given_as_it_would_search(searcher: Searcher) -> None:
    answerer = Answerer(searcher)
    for question in ("how many days to acknowledge a request", "how long are records kept"):
        found = searcher.search(question, k=10)
        assert answerer.answer(question, found=found) == answerer.answer(question)
