"""A list's lead-in read under its headings when a list is asked for (retrieve/lead_ins.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search import tuning
from search.chunk import chunk_document
from search.retrieve.lead_ins import LeadIns, in_context
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


def test_a_lead_in_scores_by_its_text_under_its_headings() -> None:
    passages = chunk_document(GUIDE, "guide")
    lead = next(i for i, p in enumerate(passages) if p.text == "The plan should set out:")
    assert in_context(passages[lead]) == "Support services plan: The plan should set out:"
    fake = FakeEmbedder()
    is_lead = [i == lead for i in range(len(passages))]
    lead_ins = LeadIns(passages, is_lead, lambda texts: fake.embed(texts))
    query = fake.embed([LIST_ASKED])[0]
    own = float(fake.embed([passages[lead].text])[0] @ query)
    read = float(fake.embed([in_context(passages[lead])])[0] @ query)
    assert read > own  # the headings name what the list is about
    dense = [(0, 0.9), (lead, own), (lead + 1, 0.1)]
    raised = dict(lead_ins.raised(dense, query, lambda row: 0.05))
    assert raised[lead] == pytest.approx(read - 0.05)  # less the hubness share
    assert raised[0] == 0.9 and raised[lead + 1] == 0.1  # others as they were
    # Never lowered: a lead-in closer on its own keeps its own score.
    assert dict(lead_ins.raised([(lead, 0.99)], query, lambda row: 0.0))[lead] == 0.99


def test_lead_in_vectors_are_made_once() -> None:
    passages = chunk_document(GUIDE, "guide")
    lead = next(i for i, p in enumerate(passages) if p.text == "The plan should set out:")
    fake = FakeEmbedder()
    made: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        made.extend(texts)
        return fake.embed(texts)

    lead_ins = LeadIns(passages, [i == lead for i in range(len(passages))], embed)
    query = fake.embed([LIST_ASKED])[0]
    for _ in range(3):
        lead_ins.raised([(0, 0.5), (lead, 0.2)], query, lambda row: 0.0)
    assert made == [in_context(passages[lead])]
    lead_ins.raised([(0, 0.5)], query, lambda row: 0.0)  # no lead-in: nothing embedded
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
