"""Typo tolerance, on literal strings and through the searcher."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from search import tuning
from search.index.build import build_index
from search.index.store import load_index
from search.retrieve.searcher import Searcher
from search.retrieve.spelling import Speller, edits_allowed, spelling_variants
from tests.fakes import FakeEmbedder

CORPUS = [
    "The prevalence of neglect was high in these reviews.",
    "Parental separation and domestic abuse were common.",
    "Recommendations from reviews were often not acted on.",
    "The local policy was to rest the case.",
    "Reviews reviews reviews: reviewers and revisers.",
]


def test_misspelt_words_become_the_corpus_words_meant() -> None:
    speller = Speller(CORPUS)
    assert speller.correct("neglect prevalance") == "neglect prevalence"
    assert speller.correct("too many recomendations") == "too many recommendations"
    assert speller.correct("Parental Seperation?") == "Parental Separation?"  # capital kept
    assert speller.correct("domestic abuze") == "domestic abuse"


def test_real_words_acronyms_and_short_words_are_left_alone() -> None:
    speller = Speller(CORPUS)
    # One edit from "policy" and "rest", but English words the corpus happens not to use.
    assert speller.correct("police reset") == "police reset"
    assert speller.correct("NSPCC referals") == "NSPCC referals"  # no corpus word that close
    assert speller.correct("revs abuz") == "revs abuz"  # under five letters: too risky
    assert speller.correct("qwertyuiop zxcvb") == "qwertyuiop zxcvb"
    assert speller.correct("xrevalence") == "xrevalence"  # typos keep the first letter
    assert speller.correct("") == ""


def test_a_long_question_of_unknown_words_is_looked_up_only_so_far() -> None:
    speller = Speller(CORPUS)
    noise = " ".join(f"zzqx{i}vv" for i in range(50))  # no letters-only words: not looked up
    assert speller.correct(noise) == noise
    typos = ["prevalance"] * (tuning.SPELL_MAX_LOOKUPS + 3)
    fixed = speller.correct(" ".join(typos)).split()
    assert fixed[: tuning.SPELL_MAX_LOOKUPS] == ["prevalence"] * tuning.SPELL_MAX_LOOKUPS
    assert fixed[tuning.SPELL_MAX_LOOKUPS :] == ["prevalance"] * 3


def test_long_words_allow_two_edits_and_ties_go_to_the_commoner_word() -> None:
    assert [edits_allowed(w) for w in ("abuz", "abuze", "prevalnce", "prevalanse")] == [0, 1, 2, 2]
    speller = Speller(CORPUS)
    assert speller.correct("prevalanse") == "prevalence"
    # "reviewz" is one edit from "reviews" (used four times) and from "reviewer"-less forms.
    assert speller.correct("reviewz") == "reviews"
    assert speller.correct("reviews") == "reviews"  # known: nothing to correct


BRITISH = [
    "The behaviour of the organisation was reviewed by the paediatric team.",
    "Counselling and the parenting programme were offered at the family centre.",
    "Staff recognised the signs of anaemia and the foetal alcohol syndrome.",
    "A personal adviser visits.",
]
AMERICAN = ["The behavior of the organization was reviewed by the pediatric team."]


def test_spelling_variants_are_guessed_both_ways() -> None:
    assert "organization" in spelling_variants("organisation")
    assert "organisation" in spelling_variants("organization")
    assert "behaviour" in spelling_variants("behavior")
    assert "center" in spelling_variants("centre") and "centre" in spelling_variants("center")
    assert "paediatric" in spelling_variants("pediatric")
    assert "counselling" in spelling_variants("counseling")
    assert "programme" in spelling_variants("program")
    assert "adviser" in spelling_variants("advisor")


def test_a_word_spelt_the_other_way_becomes_the_corpus_spelling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    british = Speller(BRITISH)
    asked = "Behavior of the organization, pediatric counseling program center fetal anemia"
    assert british.correct(asked) == (
        "Behaviour of the organisation, paediatric counselling programme centre foetal anaemia"
    )
    # Recognized: "-ized" to "-ised" before the past tense ending.
    assert british.correct("signs staff recognized") == "signs staff recognised"
    assert british.correct("personal advisor") == "personal adviser"
    american = Speller(AMERICAN)
    assert american.correct("paediatric behaviour") == "pediatric behavior"
    # A word the corpus uses is never changed, whatever else it holds.
    both = Speller([*BRITISH, "The program ran at the center."])
    assert both.correct("program center") == "program center"
    # Words the corpus has in neither spelling are left as typed ("color", "colour").
    assert british.correct("color labor") == "color labor"
    monkeypatch.setattr(tuning, "SPELLING_VARIANTS", False)
    # (English words both: the typo rule leaves them; "pediatric" it would still put right.)
    assert british.correct("organization behavior") == "organization behavior"


@pytest.mark.parametrize(
    ("right", "typed", "rule"),
    [
        ("domestic abuse", "domestik abuse", "SPELLING"),
        ("behaviour", "behavior", "SPELLING_VARIANTS"),
    ],
)
def test_a_question_as_typed_finds_what_the_corpus_spelling_finds(
    corpus_dir: Path,
    tmp_path: Path,
    fake: FakeEmbedder,
    monkeypatch: pytest.MonkeyPatch,
    right: str,
    typed: str,
    rule: str,
) -> None:
    build_index(corpus_dir, tmp_path / "idx", fake)
    searcher = Searcher(load_index(tmp_path / "idx"), fake)

    def found(query: str) -> list[str]:
        return [h.passage.id for h in searcher.search(query, k=3, mode="bm25").hits]

    assert found(right) and found(typed) == found(right)
    assert searcher.search(typed, k=3, mode="bm25").searched == right
    monkeypatch.setattr(tuning, rule, False)
    assert found(typed) != found(right)


def test_the_api_says_what_it_searched_for(client: TestClient) -> None:
    typed = client.get("/search", params={"q": "domestik abuse", "k": 3}).json()
    assert typed["query"] == "domestik abuse" and typed["corrected"] == "domestic abuse"
    assert client.get("/search", params={"q": "domestic abuse"}).json()["corrected"] is None
    answer = client.post("/answer", json={"question": "parental seperation"}).json()
    assert answer["question"] == "parental seperation"
    assert answer["corrected"] == "parental separation"
