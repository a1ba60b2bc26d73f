"""Lists shown whole: list ids from the chunker, one result per list, items marked, the
window of a long list, and a question asking for a list answered with it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from search import tuning
from search.answer.answerer import Answerer
from search.answer.asked import answers_with_list, asks_top_list
from search.chunk import chunk_document
from search.retrieve.lists import group_lists, list_rows, whole_list
from search.retrieve.query import asks_list
from search.retrieve.searcher import Searcher
from tests.fakes import searcher_of

GUIDE = """# Pathway planning

The pathway plan must include:

- a detailed plan for education or training
- arrangements for accommodation
- contingency plans if the young person's circumstances change

Personal advisers visit at least every eight weeks.

- an item of another list, after a paragraph that introduces nothing
"""


def test_items_and_their_lead_in_share_a_list_id() -> None:
    passages = chunk_document(GUIDE, "guide")
    ids = [(p.kind, p.list_id) for p in passages]
    lead, *items = ids[:4]
    assert lead[0] == "paragraph" and {i[0] for i in items} == {"item"}
    assert lead[1] is not None and {i[1] for i in items} == {lead[1]}
    assert ids[4] == ("paragraph", None)  # no colon: not a lead-in
    assert ids[5][1] not in (None, lead[1])  # a list of its own


def test_one_result_per_list_with_the_matched_items_marked() -> None:
    passages = chunk_document(GUIDE, "guide")
    lists = list_rows(passages)
    ranked = [(2, 0.9), (4, 0.8), (3, 0.7), (0, 0.6)]
    hits = group_lists(ranked, passages, lists, k=2)
    assert [h.passage.id for h in hits] == [passages[2].list_id, passages[4].id]
    whole = hits[0]
    assert whole.score == 0.9 and whole.passage.text.startswith("The pathway plan must include:")
    marked = [whole.passage.text[s:e] for s, e in whole.matched]
    assert marked == ["arrangements for accommodation"]  # row 3 ranked after the 2nd result
    everything = group_lists(ranked, passages, lists, k=5)
    assert len(everything[0].matched) == 3


def test_results_without_whole_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    passages = chunk_document(GUIDE, "guide")
    monkeypatch.setattr(tuning, "LISTS", False)
    hits = group_lists([(2, 0.9), (3, 0.8)], passages, list_rows(passages), k=2)
    assert [h.passage for h in hits] == [passages[2], passages[3]]


def test_a_long_list_shows_its_lead_in_and_the_items_around_the_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = "\n".join(f"- item number {n} of a long list of things to do" for n in range(40))
    passages = chunk_document(f"# T\n\nDo these:\n\n{items}\n", "d")
    monkeypatch.setattr(tuning, "LIST_MAX_CHARS", 300)
    rows = list_rows(passages)[passages[1].list_id or ""]
    hit = whole_list(passages, rows, {rows[21]})  # rows[0] is the lead-in
    text = hit.passage.text
    assert len(text) <= 300 and text.startswith("Do these:\n\u2026\n")
    assert "item number 20 of" in text and "item number 0 of" not in text
    [(s, e)] = hit.matched
    assert text[s:e] == "item number 20 of a long list of things to do"


def test_a_list_shown_whole_says_where_each_entry_points(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entries = "\n".join(
        f"- [Publication number {n} on safeguarding](https://example.org/p{n})" for n in range(30)
    )
    passages = chunk_document(f"# T\n\nRead:\n\n- A plain item first.\n{entries}\n", "d")
    monkeypatch.setattr(tuning, "LIST_MAX_CHARS", 400)
    rows = list_rows(passages)[passages[1].list_id or ""]
    hit = whole_list(passages, rows, {rows[20]})  # a window round the entry found
    text = hit.passage.text
    assert "\u2026" in text and hit.links
    for s, e, url in hit.links:  # each shown entry, at its place, with its own address
        number = text[s:e].split("number ")[1].split(" ")[0]
        assert text[s:e].startswith("Publication") and url == f"https://example.org/p{number}"
    assert "https://example.org/p19" in {url for _, _, url in hit.links}  # the one found
    assert not any(text[s:e].startswith("A plain") for s, e, _ in hit.links)


@pytest.fixture
def searcher(tmp_path: Path) -> Searcher:
    return searcher_of(tmp_path, "guide.md", GUIDE)


def test_a_question_asking_for_a_list_is_answered_with_it(searcher: Searcher) -> None:
    reply = Answerer(searcher).answer("what must the pathway plan include")
    assert reply.answer is not None and reply.answer.startswith("The pathway plan must include:")
    assert "contingency plans" in reply.answer and reply.answer.count("\u2022 ") == 3
    cite = reply.citations[0]
    assert cite.highlight == (0, len(cite.passage.text))


def test_list_answers_switched_off(searcher: Searcher, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tuning, "LIST_ANSWERS", False)
    reply = Answerer(searcher).answer("what must the pathway plan include")
    assert reply.answer is not None and "\u2022" not in reply.answer


SUPPORT = """# Health and wellbeing

Below are some of the ways your personal adviser can support you to stay healthy. We can:

- register you with a GP
- pay for prescriptions

Your personal adviser visits you every eight weeks.
"""


def test_a_sentence_of_a_lists_lead_in_is_answered_with_the_list(tmp_path: Path) -> None:
    reply = Answerer(searcher_of(tmp_path, "s.md", SUPPORT)).answer(
        "ways the personal adviser can support you to stay healthy"
    )
    assert reply.answer is not None and reply.answer.startswith("Below are some of the ways")
    assert "register you with a GP" in reply.answer and reply.answer.count("\u2022 ") == 2


def test_a_lead_in_gives_its_list_only_when_no_figure_or_time_is_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lead, _, _, plain = chunk_document(SUPPORT, "s")
    assert lead.list_id is not None and plain.list_id is None
    sentence = "Below are some of the ways ... stay healthy."
    assert answers_with_list("support the adviser can give", sentence, lead)
    assert not answers_with_list("support the adviser can give", sentence, plain)
    for value in ("how many ways can the adviser help", "how soon will the adviser visit"):
        assert not answers_with_list(value, sentence, lead)
    monkeypatch.setattr(tuning, "LEAD_IN_LISTS", False)
    assert not answers_with_list("support the adviser can give", sentence, lead)


ROLE = """# Adoption support

Every council appoints an adoption support adviser. The role of the adviser is to:

- give advice to families affected by adoption
- keep records of requests
- liaise with health services about adopted children
- Advisers report to the director.
"""


def test_a_list_item_going_on_from_its_lead_in_is_quoted_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answerer = Answerer(searcher_of(tmp_path, "role.md", ROLE))
    question = "who liaises with health services about adopted children"
    monkeypatch.setattr(tuning, "ITEM_LEAD_IN", False)
    assert answerer.answer(question).answer == (
        "liaise with health services about adopted children"
    )
    monkeypatch.setattr(tuning, "ITEM_LEAD_IN", True)
    reply = answerer.answer(question)
    assert reply.answer is not None
    lead, gap, item = reply.answer.split("\n")
    assert lead.startswith("Every council appoints an adoption support adviser.")
    assert gap == "\u2026" and item == "\u2022 liaise with health services about adopted children"
    cite = reply.citations[0]
    assert cite.passage.text == reply.answer and cite.highlight == (0, len(reply.answer))
    # An item that is a sentence of its own (a capital) stands without its lead-in.
    assert answerer.answer("who do advisers report to").answer == "Advisers report to the director."


def test_passage_without_list_has_no_whole_list(searcher: Searcher) -> None:
    plain = next(p for p in searcher.passages if p.list_id is None)
    assert searcher.whole_list(plain) is None
    item = next(p for p in searcher.passages if p.kind == "item")
    whole = searcher.whole_list(replace(item))
    assert whole is not None and item.text in whole.passage.text


NEIGHBOURS = """# Visits

Personal advisers keep in touch with care leavers.

Visits happen at least every eight weeks.

Visits may be more frequent when needed.

# Money

The setting up home allowance is set by each authority.
"""


def test_answer_candidates_include_the_neighbours_of_the_best_passages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher = searcher_of(tmp_path, "n.md", NEIGHBOURS)
    answerer = Answerer(searcher)
    first, second, third, money = searcher.passages
    hits = [searcher.search("x", k=1, whole_lists=False).hits[0]]
    hits = [replace(hits[0], passage=second)]
    near = answerer._neighbours(hits, None, None, None)
    assert [h.passage for h in near] == [first, third]  # not the next section's passage
    assert all(h.score == hits[0].score - tuning.NEIGHBOUR_DISCOUNT for h in near)
    assert answerer._neighbours([replace(hits[0], passage=third)], None, None, None) == [
        replace(near[1], passage=second)
    ]
    assert answerer._neighbours(hits, "Money", None, None) == []  # filters hold
    monkeypatch.setattr(tuning, "NEIGHBOURS", 0)
    assert answerer._neighbours(hits, None, None, None) == []


def test_a_unit_without_a_word_is_never_an_answer() -> None:
    from search.answer.asked import says_something

    assert not says_something("1.") and not says_something("(c)")
    assert says_something("Poverty: 97 (35%)")


def test_a_plural_after_what_asks_for_the_list(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    x, plain = "x", searcher.passages[4]
    assert plain.list_id is None
    assert answers_with_list("what arrangements should the pathway plan set out", x, plain)
    assert answers_with_list("which services help care leavers", x, plain)
    assert not answers_with_list("what does the pathway plan say", x, plain)
    assert not answers_with_list("what is a pathway plan", x, plain)
    assert not answers_with_list("what happens at a review", x, plain)
    question = "which arrangements for accommodation"
    reply = Answerer(searcher).answer(question)
    assert reply.answer is not None and reply.answer.count("\u2022 ") == 3
    monkeypatch.setattr(tuning, "SEVERAL_ASKED", False)
    monkeypatch.setattr(tuning, "ITEM_LEAD_IN", False)  # the item alone, not even its lead-in
    assert "\u2022" not in (Answerer(searcher).answer(question).answer or "")


LONG_PARAGRAPH = " ".join(
    f"Sentence {n} of the long paragraph on reviews says something of its own." for n in range(12)
)


def test_a_long_paragraph_cut_in_pieces_is_one_result(monkeypatch: pytest.MonkeyPatch) -> None:
    text = f"# Reviews\n\n{LONG_PARAGRAPH}\n\nA short paragraph after it.\n"
    passages = chunk_document(text, "guide")
    *pieces, short = passages
    assert len(pieces) > 1 and short.paragraph_id is None
    assert {p.paragraph_id for p in pieces} == {f"{pieces[0].id}~paragraph"}
    groups = list_rows(passages)
    ranked = [(1, 0.9), (len(pieces), 0.8), (0, 0.7)]
    hits = group_lists(ranked, passages, groups, k=2)
    whole = hits[0]
    assert whole.passage.id == pieces[0].paragraph_id and whole.score == 0.9
    assert whole.passage.text == " ".join(p.text for p in pieces) == LONG_PARAGRAPH
    assert [whole.passage.text[s:e] for s, e in whole.matched] == [pieces[1].text]
    assert hits[1].passage == short
    monkeypatch.setattr(tuning, "PARAGRAPHS_WHOLE", False)
    hits = group_lists(ranked, passages, list_rows(passages), k=2)
    assert [h.passage for h in hits] == [pieces[1], short]


def test_the_first_results_list_answers_a_list_asked_for_but_no_figure_or_time() -> None:
    assert asks_top_list("what must a pathway plan include")
    assert asks_top_list("what skills should a young person develop in staying put")
    assert not asks_top_list("what time period does the analysis cover")  # a time
    assert not asks_top_list("how many reviews did the analysis cover")  # a figure
    assert not asks_top_list("who chairs the adoption panel")  # no list


def test_what_someone_should_offer_provide_or_give_asks_for_a_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert asks_list("what advice should a PA give care leavers")
    assert asks_list("what can the virtual school offer designated teachers")
    assert asks_list("what does the local authority provide")
    assert not asks_list("what is the local offer for care leavers")  # what an offer is
    assert not asks_list("who should give consent")
    monkeypatch.setattr(tuning, "OFFER_ASKED", False)
    assert not asks_list("what advice should a PA give care leavers")


def test_a_list_over_a_page_break_knows_the_page_of_each_item() -> None:
    passages = chunk_document(GUIDE, "guide")[:4]
    lead, first, second, third = passages
    # The list starts on page 4; its second item runs over to page 5, the third is on 5.
    breaks = ((second.text.index("accommodation"), 5),)
    pages = [
        replace(lead, page=4),
        replace(first, page=4),
        replace(second, page=4, page_breaks=breaks),
        replace(third, page=5),
    ]
    shown = whole_list(pages, list_rows(pages)[lead.list_id or ""], set()).passage
    assert shown.page == 4
    text = shown.text
    assert shown.page_at(text.index("a detailed plan")) == 4
    assert shown.page_at(text.index("arrangements for")) == 4
    assert shown.page_at(text.index("accommodation")) == 5
    assert shown.page_at(text.index("contingency plans")) == 5
    assert shown.page_breaks == ((text.index("accommodation"), 5),)
