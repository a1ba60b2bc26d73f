"""The lexical side's fast paths give exactly what bm25s and the sparse product gave."""

from __future__ import annotations

import bm25s
import numpy as np
import pytest

from search import tuning
from search.retrieve.lexical import Lexical
from search.retrieve.query import stopwords

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
        stopwords=list(stopwords()),
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


# A long guidance document where "panel" stands in nearly every passage and "quorum" in
# one, beside a short one: across the corpus both words are about as rare.
GUIDE = [f"The adoption panel considers case {i} and the panel records it." for i in range(60)]
GUIDE[7] = "The panel can only meet when a quorum is present."
OTHER = ["A quorum of governors approves the school budget."] * 3 + [
    "The fostering team keeps its records."
] * 57
LONG_TEXTS = [*GUIDE, *OTHER]
LONG_DOCUMENTS = ["guide"] * len(GUIDE) + ["other"] * len(OTHER)


def test_within_documents_a_word_counts_by_its_rarity_there() -> None:
    lexical = Lexical(LONG_TEXTS, LONG_DOCUMENTS)
    terms = lexical.terms("adoption panel quorum")
    everywhere = lexical.scores(terms)
    within = lexical.scores(terms, ["guide"])
    # "panel" weighs almost nothing inside the guide, so the passage with "quorum" gains
    # on the ones that only repeat "panel" twice.
    rest = [i for i in range(len(GUIDE)) if i != 7]
    assert within[7] / within[rest].max() > everywhere[7] / everywhere[rest].max()
    # The rarest word inside keeps its full BM25 part; the others only lose.
    assert np.all(within <= everywhere + 1e-5)
    assert within[len(GUIDE)] == pytest.approx(everywhere[len(GUIDE)])


def test_too_few_passages_to_count_in_leave_bm25_as_it_is() -> None:
    lexical = Lexical(LONG_TEXTS[:40], LONG_DOCUMENTS[:40])  # 40 < LOCAL_MIN_PASSAGES
    terms = lexical.terms("adoption panel quorum")
    np.testing.assert_array_equal(lexical.scores(terms, ["guide"]), lexical.scores(terms))
    # Unknown documents, or none, are the corpus-wide scores too.
    np.testing.assert_array_equal(lexical.scores(terms, ["nowhere"]), lexical.scores(terms))


def test_local_rarity_counts_a_word_among_the_documents_passages() -> None:
    lexical = Lexical(LONG_TEXTS, LONG_DOCUMENTS)
    terms = lexical.terms("adoption panel quorum budget")
    rarity = lexical.local_rarity(terms, ["guide"])
    assert rarity is not None
    # "budget" is not in the guide at all, "quorum" once, "panel" everywhere.
    assert rarity["budget"] > rarity["quorum"] > rarity["panel"]
    assert lexical.local_rarity(terms, ["nowhere"]) is None
    # The word share then weighs "quorum" above "panel", where the corpus weighs them alike.
    text = "The panel met."
    assert lexical.share_held(terms, text, rarity) < lexical.share_held(terms, text)


def test_the_verbs_a_list_is_asked_with_are_not_searched(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [
        "Chapter 6 contains guidance on records.",
        "The support plan should set out the services to be provided.",
    ]
    question = "what should an adoption support plan contain"
    lexical = Lexical(texts)
    assert "contain" not in lexical.terms(question)
    assert lexical.scores(lexical.terms(question))[0] == 0.0  # "contains" alone: no match
    monkeypatch.setattr(tuning, "LIST_VERBS", False)
    literal = Lexical(texts)
    assert "contain" in literal.terms(question)
    assert literal.scores(literal.terms(question))[0] > 0.0
