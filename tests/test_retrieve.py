from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest

from search import tuning
from search.chunk.passages import chunk_document
from search.errors import InvalidQuery
from search.index.build import build_index
from search.index.store import load_index
from search.model import Passage
from search.retrieve.coverage import Coverage, best_in_documents, calibration_questions
from search.retrieve.fusion import fuse
from search.retrieve.lexical import Lexical
from search.retrieve.query import intent
from search.retrieve.searcher import Searcher
from search.retrieve.superlatives import extreme_first
from tests.fakes import FakeEmbedder, searcher_of


def test_convex_fusion_prefers_agreement() -> None:
    dense = {1: 0.9, 2: 0.5, 3: 0.4}
    lexical = {2: 10.0, 4: 8.0}
    ranked = fuse(dense, lexical, lexical_weight=0.5)
    assert [r for r, _ in ranked][:2] == [2, 1]  # 2 is good on both sides
    only_dense = fuse(dense, lexical, lexical_weight=0.0)
    assert [r for r, _ in only_dense][0] == 1


def test_rrf_fusion() -> None:
    ranked = fuse({1: 0.9, 2: 0.8}, {2: 5.0, 3: 1.0}, method="rrf")
    assert [r for r, _ in ranked] == [2, 1, 3]


def test_lexical_best_match_and_share() -> None:
    lex = Lexical(["a tick box response to plans", "parents felt alienated", "a box of apples"])
    assert lex.best_match(lex.terms("tick box")) == pytest.approx(1.0)
    # An unknown word weighs more than the rarest known one.
    assert 0 < lex.best_match(lex.terms("tick zebra")) < 0.5
    assert lex.best_match(lex.terms("the of and")) == 0.0
    assert lex.share_held(lex.terms("apples box"), "a box of apples") == pytest.approx(1.0)
    assert 0 < lex.share_held(lex.terms("apples tick"), "a box of apples") < 1


def test_coverage_bars_come_from_the_calibration_scores() -> None:
    scores = [(0.1, 0.0), (0.2, 0.2), (0.3, 0.5), (0.5, 0.3)]
    bars = Coverage.calibrated(scores)
    v = np.zeros(2, dtype=np.float32)  # no background: the vector is not read
    assert bars.sure == pytest.approx(0.5 + tuning.COVERAGE_MARGIN)
    assert bars.maybe == pytest.approx(0.25)  # the median
    assert bars.covers(0.6, 0.0, v) and not bars.covers(0.45, 0.0, v)
    assert bars.covers(0.3, 0.9, v) and not bars.covers(0.3, 0.2, v)
    assert not bars.covers(0.1, 1.0, v)
    closer = Coverage.calibrated([(s + 0.2, w) for s, w in scores])
    assert not closer.covers(0.6, 0.0, v)  # the same question, a collection that comes closer
    fixed = Coverage.fixed()
    assert fixed.covers(0.6, 0.0, v) and fixed.covers(0.3, 0.9, v)
    assert not fixed.covers(0.3, 0.2, v)


def test_closeness_is_relative_to_the_calibration_questions() -> None:
    # Three calibration questions: two alike (office matters), one apart.
    office = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)
    alike = np.array([0.8, 0.6, 0.0, 0.0], dtype=np.float32)
    apart = np.array([0.0, 0.0, 1.0, 0.0], dtype=np.float32)
    vectors = np.stack([office, alike, apart])
    bars = Coverage.calibrated([(0.3, 0.5), (0.3, 0.5), (0.3, 0.5)], vectors)
    # Each less its nearest other: 0.3 - 0.8, 0.3 - 0.8, 0.3 - 0.0.
    assert bars.sure == pytest.approx(0.3 + tuning.COVERAGE_MARGIN)
    assert bars.maybe == pytest.approx(-0.5)
    # As close to the passages, a question like an office question is not covered, one
    # unlike any of them is.
    unlike = np.array([0.0, 0.0, 0.0, 1.0], dtype=np.float32)
    assert bars.closeness(0.5, office) == pytest.approx(-0.5)
    assert not bars.covers(0.5, 0.0, office)
    assert bars.covers(0.5, 0.0, unlike)


def test_each_document_has_its_own_bar_from_the_calibration_questions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two calibration questions; "guide" is a broad document they come close to, "brief" a
    # narrow one, "note" one they never reach among the nearest found.
    found = [[(0, 0.5), (2, 0.2)], [(1, 0.4), (3, 0.3)]]
    where = {0: "guide", 1: "guide", 2: "brief", 3: "brief", 4: "note"}
    sizes = {"guide": 2, "brief": 2, "note": 1}
    tops = [best_in_documents(near, where.__getitem__, sizes, complete=False) for near in found]
    assert tops[0] == {"guide": 0.5, "brief": 0.2, "note": 0.2}  # "note": no higher than 0.2
    assert best_in_documents(found[0], where.__getitem__, sizes, complete=True) == {
        "guide": 0.5,
        "brief": 0.2,
    }
    scores = [(0.5, 0.5), (0.4, 0.5)]  # a question holding none of its words: by closeness
    monkeypatch.setattr(tuning, "DOCUMENT_COVERAGE_FLOOR", False)
    bars = Coverage.calibrated(scores, None, tops, sizes)
    margin = tuning.COVERAGE_MARGIN
    assert bars.sure == pytest.approx(0.5 + margin)
    assert bars.sure_in["brief"] == pytest.approx(0.3 + margin)
    v = np.zeros(2, dtype=np.float32)
    # As close as 0.45: not covered where it lands on the broad guide, covered on the brief.
    assert not bars.covers(0.45, 0.0, v, "guide") and bars.covers(0.45, 0.0, v, "brief")
    assert not bars.covers(0.45, 0.0, v, "unknown")  # a document not measured: the whole bar
    monkeypatch.setattr(tuning, "DOCUMENT_COVERAGE", False)
    assert not bars.covers(0.45, 0.0, v, "brief")


def test_no_document_bar_falls_below_the_median_passages() -> None:
    # The narrow "brief" (one passage) and "note" come in far under "guide", which holds most
    # passages: their bars rise to the guide's.
    tops = [{"guide": 0.4, "brief": 0.1, "note": 0.2}]
    bars = Coverage.calibrated([(0.4, 0.0)], None, tops, {"guide": 10, "brief": 1, "note": 1})
    assert bars.sure_in["brief"] == pytest.approx(0.4 + tuning.COVERAGE_MARGIN)
    # Counted by passages, not by documents: many small ones do not drag the floor down.
    many = {"guide": 0.4, **{f"brief{i}": 0.1 for i in range(5)}}
    sizes = {"guide": 100, **{f"brief{i}": 1 for i in range(5)}}
    bars = Coverage.calibrated([(0.4, 0.0)], None, [many], sizes)
    assert bars.sure_in["brief3"] == pytest.approx(0.4 + tuning.COVERAGE_MARGIN)
    sizes = {"guide": 1, **{f"brief{i}": 100 for i in range(5)}}
    bars = Coverage.calibrated([(0.4, 0.0)], None, [many], sizes)
    assert bars.sure_in["brief3"] == pytest.approx(0.1 + tuning.COVERAGE_MARGIN)


def _table_passages() -> list[Passage]:
    text = "Report\n\nIn these cases:\n\nCats\tDogs\tFish\n3 (10%)\t20 (60%)\t1 (5%)\n"
    return chunk_document(text, "d")


def test_extreme_first_picks_the_tables_largest_and_smallest() -> None:
    ps = _table_passages()
    stats = [i for i, p in enumerate(ps) if p.kind == "statistic"]
    ranked = [(stats[0], 0.9), (stats[2], 0.8), (0, 0.5), (stats[1], 0.4)]
    assert extreme_first(ranked, ps, "max")[0][0] == stats[1]
    assert extreme_first(ranked, ps, "min")[0][0] == stats[2]
    assert extreme_first(ranked, ps, None) == ranked
    assert len(extreme_first(ranked, ps, "max")) == len(ranked)


def test_extreme_first_takes_the_table_the_question_is_about() -> None:
    text = (
        "Report\n\nParents had these problems:\n\nDrink\tDrugs\n3 (10%)\t20 (60%)\n\n"
        "Families had these circumstances:\n\nPoverty\tMoves\n30 (90%)\t2 (6%)\n"
    )
    ps = chunk_document(text, "d")
    row = {p.text.split(":")[0]: i for i, p in enumerate(ps)}
    parents_lead_in = next(i for i, p in enumerate(ps) if p.text.startswith("Parents had"))
    ranked = [(row["Poverty"], 0.9), (parents_lead_in, 0.8), (row["Drink"], 0.7)]
    ranked += [(row["Drugs"], 0.2), (row["Moves"], 0.1)]
    parents = {"Parents had these problems": 1.0}
    # Two tables in the top three: the one whose lead-in holds the question wins ...
    assert extreme_first(ranked, ps, "max", lambda t: parents.get(t, 0.0))[0][0] == row["Drugs"]
    # ... else the better-ranked one.
    assert extreme_first(ranked, ps, "max")[0][0] == row["Poverty"]
    # A table's own lead-in paragraph points to it too.
    only_lead_in = [(parents_lead_in, 0.9), (row["Drink"], 0.3), (row["Drugs"], 0.2)]
    assert extreme_first(only_lead_in, ps, "min")[0][0] == row["Drink"]


@pytest.fixture
def searcher(corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder) -> Searcher:
    build_index(corpus_dir, tmp_path / "idx", fake)
    return Searcher(load_index(tmp_path / "idx"), fake)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_modes_rank_and_filter(
    searcher: Searcher, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake embedder hashes words: there a two-word statistic is a hub, near every
    # passage that holds its words (hubs are tested in tests/test_hubs.py).
    monkeypatch.setattr(tuning, "HUB_PENALTY", 0.0)
    ranking = searcher.search("domestic abuse", k=3, mode=mode)
    assert ranking.hits[0].passage.text.startswith("Domestic abuse: 164 (59%)")
    filtered = searcher.search("professionals", k=50, kind="learning", section="Neglect", mode=mode)
    assert filtered.hits
    assert {(h.passage.kind, h.passage.section) for h in filtered.hits} == {("learning", "Neglect")}


def test_off_topic_is_flagged_on_topic_is_not(searcher: Searcher) -> None:
    assert not searcher.search("qwertyuiop zxcvb").answerable
    assert searcher.search("fathers partners alienated forgotten").answerable


def test_a_collection_measures_a_bar_for_each_of_its_documents(
    corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    (corpus_dir / "leave.txt").write_text(
        "Leave\n\nStaff book annual leave through the office system.\n\n"
        "Holiday pay and leave requests are approved by a line manager.\n"
    )
    build_index(corpus_dir, tmp_path / "idx", fake)
    searcher = Searcher(load_index(tmp_path / "idx"), fake)
    monkeypatch.setattr(tuning, "DOCUMENT_COVERAGE_FLOOR", False)
    bars = searcher.coverage
    assert set(bars.sure_in) == set(searcher.documents)
    # Each bar: the closest any calibration question came to a passage of that document,
    # less its closeness to the nearest other calibration question.
    asked = np.stack(fake.embed([searcher.understood(q)[1] for q in calibration_questions()]))
    between = asked @ asked.T
    np.fill_diagonal(between, -np.inf)
    passages = searcher.index.faiss_index.reconstruct_n(0, len(searcher.passages)) @ asked.T
    for document in searcher.documents:
        mine = [i for i, p in enumerate(searcher.passages) if p.document == document]
        expected = float(np.max(passages[mine].max(axis=0) - between.max(axis=1)))
        assert bars.sure_in[document] == pytest.approx(expected + tuning.COVERAGE_MARGIN)
    assert bars.sure == pytest.approx(max(bars.sure_in.values()))


def test_unknown_mode(searcher: Searcher) -> None:
    with pytest.raises(InvalidQuery, match="valid modes: hybrid, dense, bm25"):
        searcher.search("x", mode="magic")


def test_glossary_setting_replaces_the_bundled_one(
    corpus_dir: Path, tmp_path: Path, fake: FakeEmbedder
) -> None:
    build_index(corpus_dir, tmp_path / "idx", fake)
    own = tmp_path / "g.tsv"
    own.write_text("dadz\tfathers alienated forgotten\n")
    searcher = Searcher(load_index(tmp_path / "idx"), fake, own)
    assert searcher.glossary.expand("dadz") == "dadz (fathers alienated forgotten)"
    assert searcher.glossary.expand("DV") == "DV"  # the bundled entries are not used
    top = searcher.search("dadz", k=1, whole_lists=False).hits[0].passage
    assert top.text.startswith("Fathers and partners")


@pytest.mark.parametrize(
    ("text", "question", "penalty", "little", "answer"),
    [
        (  # a list item of two words
            "Key contacts:\n\n- Housing team\n- Benefits advice\n\n"
            "Families who kept moving house were often in poor housing with rent arrears.",
            "housing team families moving house",
            "SHORT_PENALTY",
            "Key contacts:",
            "Families who",
        ),
        (  # a passage that asks
            "How often should the personal adviser visit the care leaver?\n\n"
            "The personal adviser should visit the care leaver at least every eight weeks.\n\n"
            "Council tax is paid by direct debit.",
            "how often should the personal adviser visit the care leaver",
            "QUESTION_PENALTY",
            "How often should",
            "The personal adviser should",
        ),
        (  # a reading list's entry: a link to another publication, all of it
            "Further reading:\n\n- [Personal adviser visits to care leavers](https://example.org/pa)"
            "\n- [Staying put](https://example.org/sp)\n\n"
            "The personal adviser visits each care leaver at least every eight weeks.",
            "personal adviser visits to care leavers",
            "REFERENCE_PENALTY",
            "Further reading:",
            "The personal adviser visits",
        ),
    ],
)
def test_a_passage_that_says_little_ranks_below_one_that_answers(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    question: str,
    penalty: str,
    little: str,
    answer: str,
) -> None:
    searcher = searcher_of(tmp_path, "help.md", f"# Help\n\n{text}\n")
    monkeypatch.setattr(tuning, penalty, 0.0)
    assert searcher.search(question, k=3).hits[0].passage.text.startswith(little)
    monkeypatch.setattr(tuning, penalty, 1.0)
    assert searcher.search(question, k=3).hits[0].passage.text.startswith(answer)


def test_words_said_together_count_more_than_words_scattered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scattered = (
        "Foster carer support covers many things. Training is offered to every foster carer "
        "each month. The allowance is paid weekly to the foster carer."
    )
    together = "The foster carer training allowance is paid once a year."
    searcher = searcher_of(tmp_path, "carers.md", f"# Carers\n\n{scattered}\n\n{together}\n")
    terms = searcher.lexical.terms("foster carer training allowance")
    assert [p.text for p in searcher.passages] == [scattered, together]
    sentences = [searcher.rerank.sentence_terms(row) for row in (0, 1)]
    assert searcher.lexical.sentence_share(terms, sentences[1]) == 1.0
    assert 0.0 < searcher.lexical.sentence_share(terms, sentences[0]) < 1.0
    fused = [(0, 0.60), (1, 0.55)]  # the scattered passage ahead before the re-rank
    monkeypatch.setattr(tuning, "PROXIMITY_BONUS", 0.0)
    assert [row for row, _ in searcher.rerank(fused, intent("x"), terms)] == [0, 1]
    monkeypatch.setattr(tuning, "PROXIMITY_BONUS", 1.0)
    assert [row for row, _ in searcher.rerank(fused, intent("x"), terms)] == [1, 0]


def test_hybrid_counts_bm25_words_within_the_documents_the_dense_side_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher = searcher_of(tmp_path, "panel.md", "# Panels\n\nThe panel meets monthly.\n")
    seen: list[list[str]] = []
    scores = searcher.lexical.scores

    def spy(terms: list[str], near: Iterable[str] = ()) -> np.ndarray:
        seen.append(list(near))
        return scores(terms, near)

    monkeypatch.setattr(searcher.lexical, "scores", spy)
    document = searcher.passages[0].document
    searcher.search("panel", k=1, mode="hybrid")
    searcher.search("panel", k=1, mode="bm25")  # no dense side to say where it lands
    monkeypatch.setattr(tuning, "LOCAL_DOCUMENTS", 0)
    searcher.search("panel", k=1, mode="hybrid")
    assert seen == [[document], [], []]


@pytest.mark.parametrize(
    ("known", "unknown", "rule"),
    [
        ("", "QXZR", "UNKNOWN_ACRONYMS"),
        ("the Serious Case Reviews:", "the Purple Elephant Scheme:", "UNKNOWN_NAMES"),
    ],
)
def test_a_question_naming_what_no_passage_names_is_not_covered(
    searcher: Searcher, monkeypatch: pytest.MonkeyPatch, known: str, unknown: str, rule: str
) -> None:
    question = "neglect and domestic abuse in serious case reviews"
    assert searcher.search(f"{known} {question}".strip()).answerable  # named there, or none
    assert not searcher.search(f"{unknown} {question}").answerable
    monkeypatch.setattr(tuning, rule, False)
    assert searcher.search(f"{unknown} {question}").answerable


def test_a_list_asked_for_brings_its_lead_in_forward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        "# Plans\n\nThe pathway plan is reviewed with the young person.\n\n"
        "The pathway plan must address in particular:\n\n- health\n- education\n"
    )
    searcher = searcher_of(tmp_path, "plans.md", text)
    rows = {p.text: i for i, p in enumerate(searcher.passages)}
    paragraph = rows["The pathway plan is reviewed with the young person."]
    lead_in = rows["The pathway plan must address in particular:"]
    fused = [(paragraph, 0.60), (lead_in, 0.55)]
    asked = intent("what must a pathway plan include")
    assert asked.list and not intent("who reviews the pathway plan").list
    monkeypatch.setattr(tuning, "PROXIMITY_BONUS", 0.0)
    monkeypatch.setattr(tuning, "LEAD_IN_BOOST", 0.0)
    assert [row for row, _ in searcher.rerank(fused, asked, [])] == [paragraph, lead_in]
    monkeypatch.setattr(tuning, "LEAD_IN_BOOST", 0.1)
    assert [row for row, _ in searcher.rerank(fused, asked, [])] == [lead_in, paragraph]
    # Not asked for a list, the order stays.
    plain = intent("who reviews the pathway plan")
    assert [row for row, _ in searcher.rerank(fused, plain, [])] == [paragraph, lead_in]
