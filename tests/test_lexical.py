"""The lexical side's fast paths give exactly what bm25s and the sparse product gave."""

from __future__ import annotations

import bm25s
import numpy as np
import pytest

from search.retrieve.lexical import Lexical
from search.retrieve.query import STOPWORDS

TEXTS = [
    "Domestic abuse: 164 (59%) of the 278 reviews.",
    "Neglect was a factor in most cases; neglectful parenting went unnoticed.",
    "Schools and health visitors shared information late, if at all.",
    "Fathers were often alienated or overlooked by practitioners.",
    "Mental health problems of parents, and parental substance misuse.",
    "Café owners' reports: naïve über-checks, 3rd-party referrals, co-sleeping.",
]
QUERIES = [
    "How common was domestic abuse?",
    "neglect NEGLECTED neglecting",
    "what did the reviews find about fathers and practitioners",
    "the of and",  # only stop words
    "",
    "x",
    "café naïve ÜBER co-sleeping 3rd",
    "schools schools health",
    "unknownword abuse",
    "مرحبا 漢字 emoji 😀 abuse",
]


@pytest.fixture(scope="module")
def lexical() -> Lexical:
    return Lexical(TEXTS)


@pytest.mark.parametrize("query", QUERIES)
def test_terms_are_what_bm25s_tokenize_gives(lexical: Lexical, query: str) -> None:
    reference = bm25s.tokenize(
        [query],
        stopwords=list(STOPWORDS),
        stemmer=lexical._stemmer,
        return_ids=False,
        show_progress=False,
    )
    assert lexical.terms(query) == list(dict.fromkeys(t for t in reference[0] if t))


@pytest.mark.parametrize("query", QUERIES)
def test_best_match_equals_the_sparse_product(lexical: Lexical, query: str) -> None:
    terms = lexical.terms(query)
    known = [lexical._vocab[t] for t in terms if t in lexical._vocab]
    got = lexical.best_match(terms)
    if not known:
        assert got == 0.0
        return
    total = float(lexical._idf[known].sum()) + lexical._idf_unknown * (len(terms) - len(known))
    held = lexical._holds[:, known] @ lexical._idf[known]
    assert got == float(np.max(held)) / total
    assert 0.0 < got <= 1.0
