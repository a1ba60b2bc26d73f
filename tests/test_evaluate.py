from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import search.embed.st
from search.cli import cli
from search.errors import EvalDataError
from search.evaluate import load_beir, load_gold, ndcg, reciprocal_rank, run_beir
from tests.fakes import FakeEmbedder

BEIR = Path(__file__).parent / "data" / "beir-mini"
GOLD = Path(__file__).parent.parent / "eval" / "questions" / "summary.jsonl"
HELD_OUT = Path(__file__).parent.parent / "eval" / "questions" / "summary-extra.jsonl"


def test_metric_functions() -> None:
    assert reciprocal_rank(["a", "b", "c"], {"b"}) == 0.5
    assert reciprocal_rank(["a"], {"z"}) == 0.0
    assert ndcg(["a", "b"], {"a": 1.0}) == 1.0
    assert ndcg(["b", "a"], {"a": 1.0}) == pytest.approx(1 / 1.5849625, rel=1e-6)
    assert ndcg(["x"], {"a": 2.0, "b": 1.0}) == 0.0


def test_gold_set_shape() -> None:
    gold = load_gold(GOLD)
    in_scope = [g for g in gold if g.in_scope]
    assert len(in_scope) >= 80 and len(gold) - len(in_scope) >= 20
    assert any(g.fact for g in in_scope)


@pytest.mark.parametrize("path", [GOLD, HELD_OUT])
def test_every_gold_answer_key_is_in_the_seed(path: Path, seed_text: str) -> None:
    from search.chunk.passages import chunk_document
    from search.evaluate import relevant_ids

    passages = chunk_document(seed_text, "scr")
    for g in load_gold(path):
        if g.in_scope:
            assert relevant_ids(passages, g.answers), g.question
            assert g.fact is None or any(g.fact in p.text for p in passages), g.question


def test_bad_gold_lines_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "g.jsonl"
    bad.write_text('{"question": "x", "answers": []}\nnot json\n')
    with pytest.raises(EvalDataError, match=r"g\.jsonl:2: not JSON"):
        load_gold(bad)


def test_beir_loader_skips_unjudged_queries_and_header() -> None:
    data = load_beir(BEIR)
    assert len(data.passages) == 60
    assert set(data.qrels) <= set(data.queries) and len(data.qrels) == 30


def test_beir_metrics_in_range() -> None:
    results = run_beir(BEIR, FakeEmbedder(), ["hybrid", "bm25"])
    for metrics in results.values():
        assert set(metrics) == {"ndcg@10", "recall@100", "mrr@10"}
        assert all(0.0 <= v <= 1.0 for v in metrics.values())
    assert results["bm25"]["ndcg@10"] > 0.3  # exact-term queries must be found


def test_beir_index_keeps_sentences_and_reuses_its_passage_vectors(tmp_path: Path) -> None:
    from search.evaluate import beir_searcher
    from search.index.store import load_index, write_index

    data = load_beir(BEIR)
    fake = FakeEmbedder()
    first = beir_searcher(data, fake, tmp_path / "beir", corpus_hash="h")
    assert first.index.sentences is not None  # passages are ranked by their best sentence
    # An index cached before sentences were stored: only the sentences are embedded.
    old = first.index
    vectors = np.load(tmp_path / "beir" / "vectors.npy")
    keys = [k.decode() for k in np.load(tmp_path / "beir" / "vector_keys.npy").tolist()]
    write_index(tmp_path / "beir", old.manifest, old.passages, (), vectors, keys)
    assert load_index(tmp_path / "beir").sentences is None
    fake.texts_embedded = 0
    again = beir_searcher(data, fake, tmp_path / "beir", corpus_hash="h")
    assert again.index.sentences is not None
    units = len(again.index.sentences.keys)
    assert fake.texts_embedded == units  # no passage embedded again
    fake.texts_embedded = 0
    beir_searcher(data, fake, tmp_path / "beir", corpus_hash="h")
    assert fake.texts_embedded == 0


def test_beir_bad_folder(tmp_path: Path) -> None:
    with pytest.raises(EvalDataError, match="corpus.jsonl: cannot be read"):
        load_beir(tmp_path)


def test_eval_cli_json_prints_only_json(
    monkeypatch: pytest.MonkeyPatch, corpus_dir: Path, tmp_path: Path
) -> None:
    monkeypatch.setattr(search.embed.st, "load_embedder", lambda *_a, **_k: FakeEmbedder())
    runner = CliRunner()
    index = str(tmp_path / "idx")
    assert (
        runner.invoke(cli, ["build", "--corpus", str(corpus_dir), "--index", index]).exit_code == 0
    )
    r = runner.invoke(
        cli, ["eval", "--questions", str(GOLD), "--index", index, "--mode", "bm25", "--json"]
    )
    assert r.exit_code == 0, r.output
    # The whole of stdout is one JSON document: collection -> mode -> metrics.
    metrics = json.loads(r.stdout)["questions"]["bm25"]
    for key in (
        "hit@1",
        "hit@3",
        "mrr@10",
        "ndcg@10",
        "offtopic_flagged",
        "inscope_flagged",
        "answer_fact",
        "answer_cited",
        "answered",
        "declined",
    ):
        assert 0.0 <= metrics[key] <= 1.0
    r = runner.invoke(cli, ["eval", "--beir", str(BEIR), "--mode", "bm25", "--json"])
    assert r.exit_code == 0, r.output
    assert set(json.loads(r.stdout)) == {"ndcg@10", "recall@100", "mrr@10"}


def test_beir_halves_split_the_judged_queries() -> None:
    from search.evaluate import beir_half

    qrels = {q: {"d": 1.0} for q in ("a", "b", "c", "d", "e")}
    tune, held = beir_half(qrels, "tune"), beir_half(qrels, "heldout")
    assert list(tune) == ["a", "c", "e"] and list(held) == ["b", "d"]
    assert beir_half(qrels, "all") == qrels


def test_answers_are_compared_as_a_reader_would() -> None:
    from search.evaluate import _norm

    assert _norm("the four month review") in _norm("at the Four-month  review")
    assert _norm("a minimum of £3,000") == _norm("a minimum of £3000")
    assert _norm("\u2018staying put\u2019") == _norm("'staying put'")
    assert _norm("1,5") != _norm("15")  # not a thousands separator
    assert _norm("pre - birth") != _norm("pre birth")  # a spaced dash is not a hyphen


def test_a_cut_paragraph_is_judged_as_the_one_result_it_is_shown_in() -> None:
    from search.chunk.passages import chunk_document
    from search.evaluate import relevant_ids

    long = " ".join(f"Sentence {n} of a long paragraph says its own thing." for n in range(15))
    passages = chunk_document(f"# Reviews\n\n{long}\n", "guide")
    assert len(passages) > 1
    assert relevant_ids(passages, ["Sentence 14 of"]) == {passages[0].paragraph_id}
