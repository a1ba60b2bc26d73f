"""A list read as one when a list is asked for: its lead-in under its headings, its items
after their lead-in (retrieve/lead_ins.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from search import tuning
from search.chunk import chunk_document
from search.model import Passage
from search.retrieve import lead_ins
from search.retrieve.lead_ins import ListsInContext, after_lead_in, in_context
from search.retrieve.lists import list_rows
from search.retrieve.searcher import Searcher
from tests.fakes import FakeEmbedder, searcher_of

GUIDE = """# Adoption support

## Overview

The adoption support plan should be agreed with the family after each assessment.

## Support services plan

The plan should set out:

- the services to be provided
- the objectives and criteria for evaluating success
"""
LIST_ASKED = "what should an adoption support plan contain"
ALL = range(100)  # every row a near candidate


def _reader(
    passages: list[Passage], embed: Callable[[list[str]], np.ndarray] | None = None
) -> tuple[ListsInContext, FakeEmbedder, int]:
    fake = FakeEmbedder()
    lead = next(i for i, p in enumerate(passages) if p.text == "The plan should set out:")
    is_lead = [i == lead for i in range(len(passages))]
    lists = list_rows(passages)
    return ListsInContext(passages, is_lead, lambda: lists, embed or fake.embed), fake, lead


def test_a_lead_in_scores_by_its_text_under_its_headings() -> None:
    passages = chunk_document(GUIDE, "guide")
    reader, fake, lead = _reader(passages)
    assert in_context(passages[lead]) == "Support services plan: The plan should set out:"
    assert reader.text(lead) == in_context(passages[lead])
    query = fake.embed([LIST_ASKED])[0]
    own = float(fake.embed([passages[lead].text])[0] @ query)
    read = float(fake.embed([in_context(passages[lead])])[0] @ query)
    assert read > own  # the headings name what the list is about
    paragraph = next(i for i, p in enumerate(passages) if p.kind == "paragraph" and i != lead)
    dense = [(paragraph, 0.9), (lead, own)]
    raised = dict(reader.raised(dense, query, lambda row: 0.05, ALL))
    assert raised[lead] == pytest.approx(read - 0.05)  # less the hubness share
    assert raised[paragraph] == 0.9  # a paragraph of no list as it was
    # Never lowered: a lead-in closer on its own keeps its own score.
    assert dict(reader.raised([(lead, 0.99)], query, lambda row: 0.0, ALL))[lead] == 0.99


def test_an_item_scores_by_its_text_after_its_lead_in(monkeypatch: pytest.MonkeyPatch) -> None:
    passages = chunk_document(GUIDE, "guide")
    reader, fake, lead = _reader(passages)
    item = next(i for i, p in enumerate(passages) if p.text == "the services to be provided")
    assert reader.text(item) == "The plan should set out: the services to be provided"
    assert reader.text(item) == after_lead_in(passages[lead], passages[item])
    query = fake.embed(["what should the plan set out"])[0]
    own = float(fake.embed([passages[item].text])[0] @ query)
    raised = dict(reader.raised([(item, own)], query, lambda row: 0.0, ALL))
    assert raised[item] > own
    monkeypatch.setattr(tuning, "ITEMS_AFTER_LEAD_IN", False)
    assert reader.text(item) is None
    monkeypatch.setattr(tuning, "LEAD_IN_PATHS", False)
    assert reader.text(lead) is None


def test_vectors_in_context_are_made_once() -> None:
    passages = chunk_document(GUIDE, "guide")
    fake = FakeEmbedder()
    made: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        made.extend(texts)
        return fake.embed(texts)

    reader, _, lead = _reader(passages, embed)
    query = fake.embed([LIST_ASKED])[0]
    paragraph = next(i for i, p in enumerate(passages) if p.kind == "paragraph" and i != lead)
    for _ in range(3):
        reader.raised([(paragraph, 0.5), (lead, 0.2)], query, lambda row: 0.0, ALL)
    assert made == [in_context(passages[lead])]
    reader.raised([(paragraph, 0.5)], query, lambda row: 0.0, ALL)  # nothing in a list
    item = next(i for i, p in enumerate(passages) if p.kind == "item")
    # Not among the first candidates of either side: left as it is, and not embedded.
    assert reader.raised([(item, 0.1)], query, lambda row: 0.0, {lead}) == [(item, 0.1)]
    assert len(made) == 1


def _list_score(searcher: Searcher, question: str, mode: str = "hybrid") -> float:
    hits = searcher.search(question, k=3, mode=mode).hits
    return next(h.score for h in hits if h.passage.text.startswith("The plan should set out:"))


def test_only_a_question_asking_for_a_list_reads_lead_ins_in_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher = searcher_of(tmp_path, "guide.md", GUIDE)
    monkeypatch.setattr(tuning, "LEAD_IN_PATHS", False)
    before = {q: _list_score(searcher, q) for q in (LIST_ASKED, "adoption support plan")}
    dense_before = _list_score(searcher, LIST_ASKED, "dense")
    monkeypatch.setattr(tuning, "LEAD_IN_PATHS", True)
    assert _list_score(searcher, LIST_ASKED) > before[LIST_ASKED]
    # Not asked for a list, or not fused with BM25: ranked as before.
    assert _list_score(searcher, "adoption support plan") == before["adoption support plan"]
    assert _list_score(searcher, LIST_ASKED, "dense") == dense_before


def test_kept_vectors_are_bounded_and_scores_survive_a_clear(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    passages = chunk_document(GUIDE, "guide")
    reader, fake, lead = _reader(passages)
    item = next(i for i, p in enumerate(passages) if p.text == "the services to be provided")
    query = fake.embed([LIST_ASKED])[0]
    both = [(lead, 0.0), (item, 0.0)]
    first = reader.raised(both, query, lambda row: 0.0, ALL)
    bounded, _, _ = _reader(passages)
    monkeypatch.setattr(lead_ins, "_KEPT", 1)
    assert bounded.raised([(lead, 0.0)], query, lambda row: 0.0, ALL) == [first[0]]
    assert bounded.raised([(item, 0.0)], query, lambda row: 0.0, ALL) == [first[1]]
    assert set(bounded._vectors) == {item}  # the lead-in's let go to keep the bound
    assert bounded.raised(both, query, lambda row: 0.0, ALL) == first
    assert set(bounded._vectors) == {lead}
