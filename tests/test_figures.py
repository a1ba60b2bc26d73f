"""The figure rules of the answerer, on literal documents and the fake embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from search import tuning
from search.answer import figures
from search.answer.answerer import Answerer
from tests.fakes import searcher_of

DOC = """# Home visits audit

## Carers

72% of the audited visits involved at least one of the carer characteristics below:

| Shift work | Language barrier | Disability |
| --- | --- | --- |
| 40 (31%) | 95 (73%) | 12 (9%) |

64% of the audited visits involved at least one of the household characteristics below:

| Overcrowding | Pets | Rent arrears |
| --- | --- | --- |
| 52 (40%) | 30 (23%) | 61 (47%) |

## Method

Visits were audited in 130 homes, 45% of them in rural areas.
A sample of 18 homes were revisited in more detail.

The audit ran in spring. The audit ran from June 2019 to May 2021.
"""


@pytest.fixture
def answerer(tmp_path: Path) -> Answerer:
    return Answerer(searcher_of(tmp_path, "audit.md", DOC))


def test_question_wording() -> None:
    assert figures.asks_count("how many homes were revisited")
    assert not figures.asks_count("how many homes, as a percentage, were rural")
    assert figures.asks_share("what proportion were rural")
    assert figures.asks_whole("what share had at least one carer characteristic")
    assert figures.superlative("what share had at least one carer characteristic") is None
    assert figures.superlative("which carer characteristic was most common") == "max"
    assert figures.asks_when("when did the audit run") and figures.has_date("in June 2019")
    assert figures.figure_weight("how many homes", "A sample of 18 homes") == 1.0
    assert figures.figure_weight("what proportion", "A sample of 18 homes") < 1.0


def test_superlative_takes_the_largest_cell_of_the_table_asked_about(answerer: Answerer) -> None:
    # The household table's largest cell (61) is smaller than the carer table's (95): the
    # table is chosen by its lead-in, not by the biggest number around.
    reply = answerer.answer("which household characteristic was most common")
    assert reply.answer == "Rent arrears: 61 (47%)"
    assert reply.citations[0].passage.text.startswith("Rent arrears: 61 (47%)")
    reply = answerer.answer("which carer characteristic was least common")
    assert reply.answer == "Disability: 12 (9%)"


def test_count_question_gets_the_sentence_with_the_count_asked(answerer: Answerer) -> None:
    reply = answerer.answer("how many homes were revisited in more detail")
    assert reply.answer == "A sample of 18 homes were revisited in more detail."
    reply = answerer.answer("what percentage of audited homes were in rural areas")
    assert reply.answer == "Visits were audited in 130 homes, 45% of them in rural areas."


def test_lead_in_loses_to_the_cell_unless_the_whole_list_is_asked(answerer: Answerer) -> None:
    reply = answerer.answer("what percentage of visits involved a language barrier")
    assert reply.answer == "Language barrier: 95 (73%)"
    reply = answerer.answer(
        "what percentage of visits had at least one household characteristic such as pets"
    )
    assert reply.answer == (
        "64% of the audited visits involved at least one of the household characteristics below:"
    )


def test_when_question_gets_the_sentence_with_a_date(
    answerer: Answerer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake embedder hashes "audit" and "run" onto the slots of a calibration question's
    # words ("renew my passport"), which no model would: coverage is not what this tests.
    monkeypatch.setattr(tuning, "RELATIVE_COVERAGE", False)
    # Both sentences match the words; the one with a date answers "when".
    reply = answerer.answer("when did the audit run")
    assert reply.answer == "The audit ran from June 2019 to May 2021."


def test_a_cells_table_lead_in_is_found(answerer: Answerer) -> None:
    searcher = answerer.searcher
    pets = next(p for p in searcher.passages if p.text.startswith("Pets: 30 (23%)"))
    lead = figures.lead_in_of(searcher, pets)
    assert lead is not None and lead.text.startswith("64% of the audited visits")
    method = next(p for p in searcher.passages if p.section == "Method")
    assert figures.lead_in_of(searcher, method) is None


def test_whole_list_answered_by_the_lead_in_of_the_cells_found(
    answerer: Answerer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only cells of the household table are found (k=1): its lead-in is brought in to answer.
    question = "what share of visits had at least one of rent arrears, overcrowding or pets"
    reply = answerer.answer(question, k=1)
    assert reply.answer is not None and reply.answer.startswith("64% of the audited visits")
    monkeypatch.setattr(figures, "lead_in_of", lambda searcher, cell: None)
    assert answerer.answer(question, k=1).answer != reply.answer


def test_durations_asked_and_stated() -> None:
    assert figures.asks_duration("how often should the pathway plan be reviewed")
    assert figures.asks_duration("stage two timescale") and figures.asks_duration("time limit")
    assert not figures.asks_duration("who chairs the adoption panel")
    assert figures.has_duration("The review must happen within 20 working days.")
    assert figures.has_duration("Visits happen at least every six weeks.")
    assert figures.has_duration("The policy is reviewed annually.")
    assert not figures.has_duration("The plan is reviewed by the independent reviewing officer.")
    assert figures.has_duration("The approval is reviewed a year after approval.")
    assert not figures.has_duration("A review is a meeting of the team.")


def test_ages_asked_and_stated() -> None:
    assert figures.asks_age("until what age can a staying put arrangement continue")
    assert figures.asks_age("how old must an adopter be") and figures.asks_age("minimum age")
    assert not figures.asks_age("how long does a review take")
    assert not figures.asks_age("what is the age assessment process")
    for stated in (
        "This can last until the young person turns 21.",
        "Young people aged 16 or 17 are regarded as adults.",
        "Support continues to the age of 25.",
        "The certificate lasts until their 18th birthday.",
        "It applies to any care leaver between the ages of 16 and 25.",
        "Children under 16 may consent if competent.",
        "A 17-year-old may apply.",
    ):
        assert figures.has_age(stated), stated
    assert not figures.has_age("The plan is reviewed within 20 working days.")
    assert not figures.has_age("Over 300 reviews were read, under 120 of them in full.")


def test_counts_in_words_answer_how_many(monkeypatch: pytest.MonkeyPatch) -> None:
    question = "how many references does an applicant need"
    stated = "The applicant must nominate three referees."
    assert figures.has_count(stated) and figures.has_count("There were 12 reviews.")
    assert not figures.has_count("No one of the referees was a relative.")
    assert figures.fits_figure(question, stated)
    assert figures.figure_weight(question, stated) == 1.0
    # A share is still asked for as a share: words are no percentage.
    assert not figures.fits_figure("what proportion had three referees", stated)
    monkeypatch.setattr(tuning, "COUNT_WORDS", False)
    assert not figures.fits_figure(question, stated)
    assert figures.figure_weight(question, stated) == 0.0


@pytest.mark.parametrize(
    ("text", "question", "fixed", "rule", "expected"),
    [
        (  # how often: the duration bonus
            "Personal advisers visit care leavers and review how the visits go. "
            "Visits happen at least every eight weeks.",
            "how often do personal advisers visit care leavers",
            {"FIRST_KIND_FOUND": False},
            {"DURATION_BONUS": (0.0, 1.0)},
            "Visits happen at least every eight weeks.",
        ),
        (  # until what age: the sentence that states an age
            "Staying put arrangements are reviewed regularly with the young person. "
            "They can continue until the young person turns 21.",
            "until what age can staying put arrangements go on",
            {"DURATION_BONUS": 0.0},
            {"AGE_BONUS": (0.0, 1.0)},
            "They can continue until the young person turns 21.",
        ),
        (  # when: a time limit answers as a date does (the bonus alone decides)
            "Adopters tell their employer about adoption leave and the placement. "
            "They must do so within seven days of being matched.",
            "when must adopters tell their employer about adoption leave",
            {"TIME_WITHIN": False, "DURATION_BONUS": 1.0},
            {"WHEN_DURATION": (False, True)},
            "They must do so within seven days of being matched.",
        ),
        (  # how long: inside the answer's passage, its sentence with a duration
            "Bed and breakfast is not suitable accommodation for care leavers, except in an "
            "emergency. It may be used for no more than two working days.",
            "bed and breakfast accommodation for care leavers - for how long",
            {"DURATION_BONUS": 0.0},
            {"TIME_WITHIN": (False, True)},
            "It may be used for no more than two working days.",
        ),
        (  # "when" as a conjunction asks for no time
            "Councils consult their children in care council about the allowance. "
            "The allowance is reviewed every year.",
            "who should the council consult when setting the allowance",
            {"DURATION_BONUS": 1.0},
            {"WHEN_VERB": (False, True)},
            "Councils consult their children in care council about the allowance.",
        ),
        (  # "how often" asks for a share or a frequency: the passage has only a frequency
            "The agency reviews the approval of adopters periodically. "
            "It is held a year after approval.",
            "how often is the approval of adopters reviewed",
            {"DURATION_BONUS": 0.0},
            {"FIRST_KIND_FOUND": (False, True)},
            "It is held a year after approval.",
        ),
    ],
)
def test_a_time_rule_decides_the_answer(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    question: str,
    fixed: dict[str, object],
    rule: dict[str, tuple[object, object]],
    expected: str,
) -> None:
    answerer = Answerer(searcher_of(tmp_path, "doc.md", f"# Times\n\n{text}\n"))
    # Which sentence is chosen, alone: "They must ..." would otherwise bring the one before.
    monkeypatch.setattr(tuning, "ANTECEDENT", False)
    for name, value in fixed.items():
        monkeypatch.setattr(tuning, name, value)
    ((name, (off, on)),) = rule.items()
    monkeypatch.setattr(tuning, name, off)
    without = answerer.answer(question).answer
    monkeypatch.setattr(tuning, name, on)
    assert answerer.answer(question).answer == expected
    assert without != expected  # the rule decided it


def test_when_asks_for_a_time_only_as_a_question_word(monkeypatch: pytest.MonkeyPatch) -> None:
    assert figures.asks_when("When should the first review be held")
    assert figures.asks_when("care leaver sent to custody - when should the PA visit")
    assert figures.asks_when("what date was the audit")
    assert not figures.asks_when("who to consult when setting the allowance")
    assert not figures.asks_when("what happens when a child goes missing")
    monkeypatch.setattr(tuning, "WHEN_VERB", False)
    assert figures.asks_when("what happens when a child goes missing")


def test_a_reference_is_no_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    question = "how many members must be present"
    cited = "Under the Adoption Support Services Regulations 2005 the panel meets."
    for text in (cited, "See Section 23A(2) and AAR 30D.", "5.24. The agency must visit."):
        assert figure_weight_and_count(question, text) == (0.0, False)
    assert figure_weight_and_count(question, "1.12 No panel meets alone.") == (0.0, False)
    for figure in ("At least 5 members are present.", "278 reviews were read.", "2.5 million"):
        assert figure_weight_and_count(question, figure) == (1.0, True)
    monkeypatch.setattr(tuning, "REFERENCES_NOT_FIGURES", False)
    assert figure_weight_and_count(question, cited) == (1.0, True)


def figure_weight_and_count(question: str, text: str) -> tuple[float, bool]:
    return figures.figure_weight(question, text), figures.has_count(text)


def test_how_far_ahead_asks_for_a_duration() -> None:
    assert figures.asks_duration("how far ahead should the move be planned")
