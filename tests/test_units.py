"""A passage is found by its best sentence, not only by its whole text's vector."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search import tuning
from search.chunk.text import answer_units
from search.embed.base import vector_key
from search.index.sentences import SentenceVectors
from search.model import Passage
from search.retrieve.searcher import Searcher
from search.retrieve.units import UnitTable, best_sentence
from tests.fakes import searcher_of

LONG = (
    "Approval of adopters happens in two stages with training and checks. "
    "Agencies gather references, medical reports and local authority checks. "
    "Panels consider the report and recommend whether to approve. "
    "Stage one should take no more than two months."
)
SHORT = "Stage two of approval takes four months for adopters and agencies."


def _searcher(tmp_path: Path) -> Searcher:
    return searcher_of(tmp_path, "approval.md", f"# Approval\n\n{LONG}\n\n{SHORT}\n")


def test_the_passage_with_the_answering_sentence_ranks_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher = _searcher(tmp_path)
    question = "how long does stage one take"
    monkeypatch.setattr(tuning, "SENTENCES", False)
    plain = searcher.search(question, k=2, mode="dense")
    without = plain.hits
    monkeypatch.setattr(tuning, "SENTENCES", True)
    ranking = searcher.search(question, k=2, mode="dense")
    with_sentences = ranking.hits
    # "Not covered" is judged by the passages' own vectors: a short sentence comes closer
    # to anything.
    assert ranking.dense_top == pytest.approx(plain.dense_top)
    assert without[0].passage.text == SHORT  # the long paragraph's vector is blurred
    assert with_sentences[0].passage.text == LONG
    # Its score is its best sentence's cosine less the margin, above its own cosine.
    assert with_sentences[0].score > without[1].score


def test_a_large_margin_leaves_the_passage_scores_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher = _searcher(tmp_path)
    monkeypatch.setattr(tuning, "SENTENCES", False)
    plain = searcher.search("how long does stage one take", k=2, mode="dense").hits
    monkeypatch.setattr(tuning, "SENTENCES", True)
    monkeypatch.setattr(tuning, "SENTENCE_MARGIN", 2.0)
    same = searcher.search("how long does stage one take", k=2, mode="dense").hits
    assert [(h.passage.id, round(h.score, 6)) for h in same] == [
        (h.passage.id, round(h.score, 6)) for h in plain
    ]


def _passage(pid: str, kind: str, text: str) -> Passage:
    return Passage(pid, "d", "T", "T", kind, text, 0, len(text))


def test_a_statistic_keeps_its_own_score() -> None:
    # A statistic's unit ("label: figure") is a reformatting, not a part of the passage.
    stat = _passage("s", "statistic", "Poverty: 97 (35%)")
    para = _passage("p", "paragraph", "Poverty was common. Housing was poor.")
    texts = [u for p in (stat, para) for u, _, _ in answer_units(p)]
    assert texts == ["Poverty: 97 (35%)", "Poverty was common.", "Housing was poor."]
    vectors = np.eye(3, dtype=np.float32)
    store = SentenceVectors.of([vector_key(t) for t in texts], vectors)
    table = UnitTable.of([stat, para], store)
    assert table.starts.tolist() == [0, 0, 2]  # the paragraph's two sentences only
    question = vectors[0] + vectors[2]  # as close to the statistic's unit as to "Housing"
    rescored = best_sentence([(0, 0.3), (1, 0.2)], question, table, 0.1)
    assert rescored == [(1, pytest.approx(0.9)), (0, 0.3)]


def test_a_passage_only_bm25_found_gets_its_own_dense_score(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The dense side took rows 1 and 2; BM25 also found rows 0 and 3. Row 0's last sentence
    # is the question itself: it scores by that sentence, not as the least similar of all.
    # (Its share of hubness, tests/test_hubs.py, is left out of the arithmetic.)
    monkeypatch.setattr(tuning, "HUB_PENALTY", 0.0)
    doc = (
        f"# Approval\n\n{LONG}\n\n{SHORT}\n\nPanels meet monthly.\n\n"
        "Training days run each month at the civic centre.\n"
    )
    searcher = searcher_of(tmp_path, "approval.md", doc)
    question = searcher.embedder.embed(["Stage one should take no more than two months."])[0]
    dense = [(1, 0.6), (2, 0.5)]
    completed = dict(searcher._dense_for_lexical(dense, [(0, 3.0), (3, 1.0)], question))
    assert completed[1] == 0.6 and completed[2] == 0.5  # the dense side's own, unchanged
    assert completed[0] == pytest.approx(1.0 - tuning.SENTENCE_MARGIN)
    assert completed[3] == 0.5  # far from the question: the dense side's least, no lower
