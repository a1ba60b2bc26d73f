"""Names a question uses that the collection never does (search/retrieve/names.py)."""

from __future__ import annotations

import pytest

from search import tuning
from search.retrieve.lexical import Lexical
from search.retrieve.names import holds, names, phrase_key, unknown, unknown_acronym
from search.retrieve.query import Glossary

TEXTS = [
    "Young people in a Staying Put arrangement stay with their former foster carers.",
    "The Virtual School Head manages the pupil premium plus.",
    "Assessments of neglect follow the local procedures.",
]


@pytest.mark.parametrize(
    ("question", "found"),
    [
        ("Graded Care Profile 2 scoring for neglect", ["Graded Care Profile"]),
        ("how to refer to the National Referral Mechanism", ["National Referral Mechanism"]),
        ("what are the Signs of Safety stages", ["Signs of Safety"]),
        ("Can I work from home on Fridays?", []),  # opening words and one day's name
        ("What Is The Virtual School For", []),  # a headline: most words capitalised
        ("who chairs the adoption panel", []),
        ("does the VSH Team manage it", []),  # an acronym inside is the acronym rule's
        ("Staying Close programme for care leavers", ["Staying Close"]),
    ],
)
def test_names_are_capitalised_words_in_a_row(question: str, found: list[str]) -> None:
    assert names(question) == found


def test_a_phrase_is_held_only_with_its_words_in_a_row() -> None:
    lexical = Lexical(TEXTS)

    def text_at(position: int) -> str:
        return TEXTS[position]

    assert holds("Staying Put", lexical, text_at)
    assert holds("virtual school head", lexical, text_at)
    assert not holds("Staying Close", lexical, text_at)  # "close" is in no passage
    assert not holds("Head Virtual", lexical, text_at)  # both words, not in a row
    assert phrase_key("Looked-After Children's") == "looked after children s"


def test_a_question_naming_what_the_collection_never_names_is_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lexical = Lexical(TEXTS)
    glossary = Glossary({}, {})

    def ask(question: str, titles: tuple[str, ...] = ()) -> str | None:
        return unknown(question, lexical, glossary, TEXTS.__getitem__, titles)

    assert ask("Staying Close programme for young people") == "Staying Close"
    assert ask("how long can a Staying Put arrangement last") is None
    assert ask("what does the Local Offer Guidance say", ("Local offer guidance",)) is None
    assert ask("MARAC referral criteria") == "MARAC"
    monkeypatch.setattr(tuning, "UNKNOWN_NAMES", False)
    assert ask("Staying Close programme for young people") is None
    assert ask("MARAC referral criteria") == "MARAC"
    monkeypatch.setattr(tuning, "UNKNOWN_ACRONYMS", False)
    assert ask("MARAC referral criteria") is None


@pytest.mark.parametrize(
    ("question", "unknown"),
    [
        ("MARAC referral criteria for domestic abuse", "MARAC"),
        ("what does the IRO do", None),  # the texts use it
        ("LSCBs and serious case reviews", None),  # a plural of one they use
        ("LADO contact details", None),  # unknown, but its expansion's words are there
        ("DBS checks for foster carers", "DBS"),  # unknown, and so is its expansion
        ("can the HE bursary be paid in instalments", None),  # a stop word says nothing
        ("how often is the review held", None),  # no acronym at all
    ],
)
def test_an_acronym_the_collection_never_uses_is_found(question: str, unknown: str | None) -> None:
    lexical = Lexical(
        [
            "The IRO chairs the review. Each LSCB publishes its serious case reviews.",
            "The local authority designated officer handles allegations against staff.",
        ]
    )
    glossary = Glossary(
        {"lado": "local authority designated officer", "dbs": "disclosure and barring"}, {}
    )
    assert unknown_acronym(question, lexical, glossary) == unknown
