"""The evaluation suite: collections from TOML, staged corpora, splits, ablation switches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search import suite, tuning
from search.config import Settings
from search.errors import EvalDataError
from tests.conftest import SEED
from tests.fakes import FakeEmbedder


def _questions(path: Path) -> Path:
    rows = [
        {"question": "how common was domestic abuse", "answers": ["Domestic abuse: 164 (59%)"],
         "fact": "164 (59%)", "split": "tune"},
        {"question": "what share of reviews involved domestic abuse",
         "answers": ["Domestic abuse: 164 (59%)"], "fact": "164 (59%)", "split": "heldout"},
        {"question": "how do I book annual leave", "answers": [], "split": "heldout"},
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _toml(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / SEED.name).write_text(SEED.read_text(encoding="utf-8"))
    (docs / "SOURCES.md").write_text("# Sources\n\nNot a document of the collection.\n")
    _questions(tmp_path / "q.jsonl")
    path = tmp_path / "collections.toml"
    path.write_text(
        '[[collection]]\nname = "one"\ncorpus = ["docs/*.md"]\nquestions = ["q.jsonl"]\n'
        '[[collection]]\nname = "again"\nindex_of = "one"\nquestions = ["q.jsonl"]\n'
    )
    return path


def test_collections_and_their_staged_corpus(tmp_path: Path) -> None:
    one, again = suite.load_collections(_toml(tmp_path))
    assert (one.name, again.index_of) == ("one", "one")
    staged = suite._staged_corpus(one, tmp_path / "staged")
    assert sorted(p.name for p in staged.iterdir()) == sorted([SEED.name, "SOURCES.md"])
    (tmp_path / "docs" / "SOURCES.md").unlink()
    staged = suite._staged_corpus(one, tmp_path / "staged")  # a removed file leaves it too
    assert [p.name for p in staged.iterdir()] == [SEED.name]


def test_unknown_index_of_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[[collection]]\nname = "x"\nindex_of = "nowhere"\n')
    with pytest.raises(EvalDataError, match="unknown collection 'nowhere'"):
        suite.load_collections(path)


def test_run_suite_reports_the_held_out_half(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import search.embed.st

    # Named as the configured model, as the real one is, so the index it builds is served.
    fake = FakeEmbedder(name="all-MiniLM-L6-v2")
    monkeypatch.setattr(search.embed.st, "load_embedder", lambda *_a, **_k: fake)
    collections = suite.load_collections(_toml(tmp_path))
    settings = Settings(index_dir=tmp_path / "index" / "default", onnx=False)
    said: list[str] = []
    rows = suite.run_suite(collections, settings, ["bm25"], split="heldout", say=said.append)
    assert [(r.collection, r.mode) for r in rows] == [("one", "bm25"), ("again", "bm25")]
    # The query model the index keeps is said once per index (the fake has no ONNX export).
    assert [m for m in said if "query model" in m] == ["one: query model sentence-transformers"]
    assert rows[0].metrics["questions"] == 1 and rows[0].metrics["offtopic_questions"] == 1
    everything = suite.run_suite(collections, settings, ["bm25"], split="all", only=["one"])
    assert everything[0].metrics["questions"] == 2
    assert (tmp_path / "index" / "eval" / "one" / "manifest.json").is_file()
    assert "one" in suite.table(rows) and "hit@1" in suite.table(rows)


def test_switched_off_restores_every_value() -> None:
    before = {k: getattr(tuning, k) for rule in tuning.ABLATIONS.values() for k in rule}
    with suite.switched_off(list(tuning.ABLATIONS)):
        assert tuning.GLOSSARY is False and tuning.INTENT_BOOST == 0.0
    assert {k: getattr(tuning, k) for k in before} == before
