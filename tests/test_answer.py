from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from search import tuning
from search.answer.answerer import Answerer, _Candidate
from search.answer.asked import asks_source, points_back, points_elsewhere
from search.index.build import build_index
from search.index.store import load_index
from search.model import Hit
from search.retrieve.searcher import Searcher
from tests.fakes import FakeEmbedder, searcher_of


@pytest.fixture
def answerer(corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder) -> Answerer:
    build_index(corpus_dir, tmp_path / "idx", fake)
    return Answerer(Searcher(load_index(tmp_path / "idx"), fake))


def test_figure_question_gets_count_and_percentage(answerer: Answerer) -> None:
    reply = answerer.answer("What percentage of domestic abuse?")
    assert reply.answerable and reply.answer == "Domestic abuse: 164 (59%)"
    first = reply.citations[0]
    start, end = first.highlight or (0, 0)
    assert first.passage.text[start:end] == reply.answer
    assert 0 < reply.confidence <= 1


def test_answer_is_a_verbatim_sentence_of_its_citation(answerer: Answerer) -> None:
    reply = answerer.answer("fathers partners alienated forgotten")
    assert reply.answer == "Fathers and partners sometimes felt alienated and forgotten."
    cited = reply.citations[0]
    assert cited.highlight is not None
    assert cited.passage.text[cited.highlight[0] : cited.highlight[1]] == reply.answer
    ids = [c.passage.id for c in reply.citations]
    assert len(ids) == len(set(ids))


def test_not_covered(answerer: Answerer) -> None:
    reply = answerer.answer("qwertyuiop zxcvb")
    assert not reply.answerable and reply.answer is None and reply.confidence == 0.0
    assert reply.message.startswith("The documents do not cover this")
    assert reply.citations and all(c.highlight is None for c in reply.citations)


def test_not_covered_says_which_name_the_documents_never_mention(answerer: Answerer) -> None:
    reply = answerer.answer("the Purple Elephant Scheme for neglected children")
    assert not reply.answerable
    assert "never mention 'Purple Elephant Scheme'" in reply.message
    assert "never mention" not in answerer.answer("qwertyuiop zxcvb").message


def test_filters_reach_the_answer(answerer: Answerer) -> None:
    reply = answerer.answer("schools escalation threshold", kind="learning")
    assert reply.citations and all(c.passage.kind == "learning" for c in reply.citations)


def test_advice_question_gets_the_sentence_saying_what_is_needed(answerer: Answerer) -> None:
    reply = answerer.answer("what should schools do when referrals do not meet the threshold")
    assert reply.answer == (
        "Clearer escalation policies and guidance on how to resolve disputes is needed."
    )
    assert reply.citations[0].passage.text.startswith("Schools were key")


def test_who_should_asks_for_a_person_not_for_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        "The governing body appoints the designated teacher for looked-after children. "
        "The designated teacher must have the authority to change school practice."
    )
    answerer = Answerer(searcher_of(tmp_path, "teacher.md", f"# Roles\n\n{text}\n"))
    question = "who should appoint the designated teacher"
    monkeypatch.setattr(tuning, "SPECIFIC_NOT_ADVICE", False)
    assert answerer.answer(question).answer == text.split(". ")[1]  # what should be, not who
    monkeypatch.setattr(tuning, "SPECIFIC_NOT_ADVICE", True)
    assert answerer.answer(question).answer == text.split(". ")[0] + "."


def test_a_sentence_pointed_back_to_is_quoted_with_the_one_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = "The panel has a member with the qualities needed to chair a panel."
    then = "This member must be independent of the agency."
    other = "Panels meet monthly."
    text = f"# Panels\n\n{member} {then} {other}\n"
    answerer = Answerer(searcher_of(tmp_path, "panel.md", text))
    question = "which member has the qualities needed to chair a panel"
    monkeypatch.setattr(tuning, "FOLLOWER", False)
    assert answerer.answer(question).answer == member
    monkeypatch.setattr(tuning, "FOLLOWER", True)
    reply = answerer.answer(question)
    assert reply.answer == f"{member} {then}"  # not the unrelated sentence after that
    cited = reply.citations[0]
    assert cited.highlight is not None
    assert cited.passage.text[cited.highlight[0] : cited.highlight[1]] == reply.answer


def test_an_aside_in_brackets_is_quoted_with_the_sentence_it_notes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grant = "Care leavers receive a leaving care grant to buy essential things for a home."
    aside = "[The government recommends this should be a minimum of £3,000.]"
    other = "Grants are paid by the local authority."
    answerer = Answerer(searcher_of(tmp_path, "grant.md", f"# Grants\n\n{grant} {aside} {other}\n"))
    question = "leaving care grant to buy essential things for a home"
    monkeypatch.setattr(tuning, "ASIDES", False)
    assert answerer.answer(question).answer == grant
    monkeypatch.setattr(tuning, "ASIDES", True)
    assert answerer.answer(question).answer == f"{grant} {aside}"


@pytest.mark.parametrize(
    ("text", "aside"),
    [
        ("[The government recommends this.]", True),
        ("(See chapter 3).", True),
        ("[Note] The plan must be reviewed.", False),  # goes on after the bracket
        ("The plan (the pathway plan) is reviewed.", False),
    ],
)
def test_what_counts_as_an_aside(text: str, aside: bool) -> None:
    assert points_back(text) is aside


@pytest.mark.parametrize(
    ("heading", "loser", "winner", "question", "rule", "exempt"),
    [
        (  # a yes/no question is answered by the rule, not its special case
            "Siblings",
            "Where siblings cannot be placed together, the agency arranges contact between them.",
            "Siblings are placed with the same adopters unless there is good reason.",
            "are siblings placed together",
            "CONDITION_PENALTY",
            "where are siblings placed together",  # not yes/no
        ),
        (  # a sentence that sends the reader elsewhere, unless where to read is asked
            "Reviews",
            "Further information on the reviewing officer role can be found in the handbook.",
            "The reviewing officer chairs each review of the care plan.",
            "what is the reviewing officer role",
            "POINTER_PENALTY",
            "where can I find more on the reviewing officer role",
        ),
    ],
)
def test_a_sentence_a_rule_takes_down_answers_only_where_the_rule_does_not_hold(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    heading: str,
    loser: str,
    winner: str,
    question: str,
    rule: str,
    exempt: str,
) -> None:
    answerer = Answerer(searcher_of(tmp_path, "doc.md", f"# {heading}\n\n{loser} {winner}\n"))
    monkeypatch.setattr(tuning, rule, 0.0)
    assert answerer.answer(question).answer == loser
    monkeypatch.setattr(tuning, rule, 1.0)
    assert answerer.answer(question).answer == winner
    assert answerer.answer(exempt).answer == loser


@pytest.mark.parametrize(
    ("text", "elsewhere"),
    [
        ("Further information on the IRO's role can be found in the IRO handbook.", True),
        ("Practice guidance on concurrent planning is available from BAAF.", True),
        ("For more information, read the code of practice.", True),
        ("See chapter 3 for the timescales.", True),
        ("More detail on the allowance is set out in annex B.", True),
        ("The IRO chairs the review and monitors the care plan.", False),
        ("The plan (see chapter 3) is reviewed within 20 working days.", False),
        ("The local offer is available to care leavers up to 25.", False),
    ],
)
def test_what_counts_as_sending_the_reader_elsewhere(text: str, elsewhere: bool) -> None:
    assert points_elsewhere(text) is elsewhere


def test_where_to_read_is_asked_in_so_many_words() -> None:
    assert asks_source("where can I find guidance on concurrent planning")
    assert asks_source("which guidance covers private fostering")
    assert not asks_source("what is concurrent planning")
    assert not asks_source("where a child is placed out of area, who pays")


def test_a_sentence_pointing_back_is_quoted_with_the_one_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = "There is no legal reason why a smoker cannot adopt."
    turn = "However, agencies may restrict smokers from adopting babies."
    answerer = Answerer(searcher_of(tmp_path, "smoking.md", f"# Smoking\n\n{rule} {turn}\n"))
    question = "may agencies restrict smokers from adopting babies"
    monkeypatch.setattr(tuning, "ANTECEDENT", False)
    assert answerer.answer(question).answer == turn
    monkeypatch.setattr(tuning, "ANTECEDENT", True)
    reply = answerer.answer(question)
    assert reply.answer == f"{rule} {turn}"
    cited = reply.citations[0]
    assert cited.highlight is not None
    assert cited.passage.text[cited.highlight[0] : cited.highlight[1]] == reply.answer
    # A sentence that points back but opens its passage has nothing before it to add.
    (tmp_path / "b").mkdir()
    alone = Answerer(searcher_of(tmp_path / "b", "alone.md", f"# Smoking\n\n{turn}\n"))
    assert alone.answer(question).answer == turn


def test_a_reading_list_entry_is_not_the_answer_while_a_sentence_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    title = "Fostering services: national minimum standards"
    entry = f"[{title}](https://example.org/nms)"
    rule = "Foster carers receive an allowance of no less than the national minimum."
    text = f"# Fostering\n\nFurther reading:\n\n- {entry}\n\n{rule}\n"
    answerer = Answerer(searcher_of(tmp_path, "fostering.md", text))
    question = "fostering services national minimum standards allowance"
    monkeypatch.setattr(tuning, "REFERENCE_ANSWERS", True)
    assert answerer.answer(question).answer == title  # the entry reads as its title
    monkeypatch.setattr(tuning, "REFERENCE_ANSWERS", False)
    assert answerer.answer(question).answer == rule
    # Asked for references only, an entry is still the answer.
    assert answerer.answer(question, kind="reference").answer == title


def test_answer_words_are_weighed_in_the_candidates_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answerer = Answerer(searcher_of(tmp_path, "panel.md", "# Panels\n\nThe panel meets monthly.\n"))
    lexical = answerer.searcher.lexical
    asked: list[list[str]] = []
    rarity = lexical.local_rarity

    def spy(terms: list[str], near: Iterable[str]) -> dict[str, float] | None:
        asked.append(list(dict.fromkeys(near)))
        return rarity(terms, near)

    monkeypatch.setattr(lexical, "local_rarity", spy)
    assert answerer.answer("when does the panel meet").answerable
    # The last call weighs the answer's words (BM25 asked before, for the ranking).
    assert asked[-1] == [answerer.searcher.passages[0].document]
    monkeypatch.setattr(tuning, "LOCAL_ANSWER_WORDS", False)
    answerer.answer("when does the panel meet")
    assert asked[-1] == []


def test_a_sentence_of_another_document_than_the_best_passages_loses_a_margin(
    tmp_path: Path, fake: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "guidance.md").write_text("# Plans\n\nThe adviser prepares the pathway plan.\n")
    (corpus / "leaflet.md").write_text("# You\n\nYour pathway plan is written with you.\n")
    build_index(corpus, tmp_path / "idx", fake)
    answerer = Answerer(Searcher(load_index(tmp_path / "idx"), fake))
    first, second = sorted(answerer.searcher.passages, key=lambda p: p.document)
    hits = [Hit(first, 1.0), Hit(second, 0.9)]
    units = [_Candidate(0, first.text, 0, len(first.text)), _Candidate(1, second.text, 0, 9)]
    question = "who prepares the pathway plan"
    monkeypatch.setattr(tuning, "OTHER_DOCUMENT_PENALTY", 0.0)
    plain = answerer._score(question, hits, units)
    monkeypatch.setattr(tuning, "OTHER_DOCUMENT_PENALTY", 0.05)
    weighed = answerer._score(question, hits, units)
    assert weighed[0] == pytest.approx(plain[0])
    assert weighed[1] == pytest.approx(plain[1] - 0.05)


def test_asked_for_a_list_the_first_results_list_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        "# Staying put\n\nYoung people in staying put should develop a range of skills "
        "including:\n\n- getting on with others\n- managing money\n\nLocal authorities should "
        "ensure that a young person in staying put gets support to develop skills.\n"
    )
    # Four passages are all the candidates there are: an item read after its lead-in
    # (ITEMS_AFTER_LEAD_IN) then lifts the least dense score the fusion stretches from, which
    # a collection of 50 passages or more never does. This test is about the list answering.
    monkeypatch.setattr(tuning, "ITEMS_AFTER_LEAD_IN", False)
    answerer = Answerer(searcher_of(tmp_path, "guide.md", text))
    question = "what skills should a young person develop in staying put"
    listed = answerer.answer(question).answer
    assert listed is not None and listed.startswith("Young people in staying put should")
    assert "• getting on with others\n• managing money" in listed
    # Not asked for a list, or with the rule off: the sentence that scored best.
    sentence = "Local authorities should ensure that a young person in staying put gets"
    assert str(answerer.answer("how is a young person in staying put supported").answer).startswith(
        sentence
    )
    monkeypatch.setattr(tuning, "LIST_ASKED_TOP", False)
    assert str(answerer.answer(question).answer).startswith(sentence)
