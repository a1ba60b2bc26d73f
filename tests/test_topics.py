from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search import tuning
from search.chunk.passages import chunk_document
from search.retrieve.lexical import Lexical, lexical_text
from search.retrieve.searcher import Searcher
from search.retrieve.topics import Sections, blend
from tests.fakes import searcher_of

DOC = """Annual Review

Neglect

Neglect was found in most neglect cases studied, from which these themes emerged:

- money worries were overlooked by practitioners
- fathers felt forgotten

Care and Court Cases

Children in care had high needs.

- court timescales were tight
"""


def _sections(text: str = DOC) -> tuple[list[str], Sections]:
    passages = chunk_document(text, "d")
    lexical = Lexical([lexical_text(p) for p in passages])
    return [p.text for p in passages], Sections(passages, lexical.terms, lexical.weight)


def test_a_question_naming_a_heading_is_split_into_section_and_rest() -> None:
    texts, sections = _sections()
    topic = sections.named("money worries in neglect cases")
    assert topic is not None
    assert topic.rest == "money worries in cases"
    assert {texts[r] for r in topic.rows} == {
        "Neglect was found in most neglect cases studied, from which these themes emerged:",
        "money worries were overlooked by practitioners",
        "fathers felt forgotten",
    }


def test_a_heading_is_named_by_most_of_its_words_by_rarity() -> None:
    texts, sections = _sections()
    topic = sections.named("what happened to care and court cases in the end")
    assert topic is not None and "court timescales were tight" in {texts[r] for r in topic.rows}
    assert topic.rest == "what happened to and in the end"
    assert sections.named("what happened in these cases overall") is None  # one common word


def test_nothing_named_when_too_little_is_left_or_no_headings() -> None:
    _, sections = _sections()
    assert sections.named("neglect") is None
    assert sections.named("neglect rates") is None  # one word left says too little
    _, flat = _sections("Just a title\n\nNeglect was common in these cases.\n")
    assert flat.named("money worries in neglect cases") is None  # a title is not a section


def test_blend_scores_named_rows_by_both_questions_plus_bonus() -> None:
    dense = [(0, 0.9), (1, 0.5), (2, 0.4)]
    out = dict(blend(dense, whole={1: 0.5, 2: 0.4}, rest={1: 0.7}, bonus=0.2))
    assert out[0] == 0.9
    assert out[1] == pytest.approx((0.5 + 0.7) / 2 + 0.2)
    assert out[2] == pytest.approx((0.4 + 0.4) / 2 + 0.2)  # unseen by the rest: the floor
    assert [r for r, _ in blend(dense, {1: 0.5}, {1: 0.9}, 0.3)][0] == 1


@pytest.fixture
def searcher(tmp_path: Path) -> Searcher:
    return searcher_of(
        tmp_path, "review.md", DOC + "\nPoverty\n\n- money worries of young people\n"
    )


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_named_section_passage_that_answers_beats_its_introduction(
    searcher: Searcher, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "money worries in neglect cases"
    top = searcher.search(question, k=3, mode=mode, whole_lists=False).hits[0].passage.text
    assert top == "money worries were overlooked by practitioners"
    # Filters still hold: outside the named section nothing is boosted into the results.
    only = searcher.search(question, k=5, mode=mode, section="Poverty").hits
    assert [h.passage.section for h in only] == ["Poverty"]
    # Without the section bonus the introduction, which says "neglect" twice, wins.
    monkeypatch.setattr(tuning, "SECTION_BONUS", 0.0)
    monkeypatch.setattr(searcher.headings, "named", lambda q: None)
    assert (
        searcher.search(question, k=3, mode="dense", whole_lists=False).hits[0].passage.text != top
    )


def test_section_rows_are_numpy_rows(searcher: Searcher) -> None:
    topic = searcher.headings.named("fathers in neglect work")
    assert topic is not None and topic.rows.dtype == np.int64


def test_a_longer_heading_is_not_named_by_one_word_in_common(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "Guide\n\nPolice checks\n\nChecks are made on every applicant by the police.\n"
    texts, sections = _sections(text + DOC.split("\n", 1)[1])
    question = "when the police decide to take no further action"
    assert sections.named(question) is None
    monkeypatch.setattr(tuning, "NAMED_WORDS", 1)
    topic = sections.named(question)
    assert topic is not None and "by the police" in texts[int(topic.rows[0])]
    # Two of its words, or a heading of one word, still name it.
    monkeypatch.setattr(tuning, "NAMED_WORDS", 2)
    assert sections.named("police checks for adopters with convictions") is not None
    assert sections.named("money worries in neglect cases") is not None


def test_a_definition_asked_of_a_heading_names_its_section(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts, sections = _sections()
    for question in ("what is neglect", "neglect meaning", "what does neglect mean"):
        topic = sections.named(question)
        assert topic is not None and topic.rest == ""
        assert "fathers felt forgotten" in {texts[r] for r in topic.rows}
    # Nothing else asked of it: a keyword, or a question of another kind, names nothing.
    assert sections.named("neglect") is None
    assert sections.named("how often neglect") is None
    monkeypatch.setattr(tuning, "NAMED_ALONE", False)
    assert sections.named("what is neglect") is None


def test_a_definition_asked_ranks_the_named_section_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        "Guide\n\nLocal offer\n\nThe local offer is what each council publishes for young "
        "people.\n\nHousing\n\nThe local offer covers housing and rent.\n"
    )
    searcher = searcher_of(tmp_path, "guide.md", text)
    question = "what is the local offer"
    top = searcher.search(question, k=2, mode="dense").hits[0].passage
    assert top.section == "Local offer"
    monkeypatch.setattr(tuning, "NAMED_ALONE", False)
    assert searcher.search(question, k=2, mode="dense").hits[0].passage.section == "Housing"
