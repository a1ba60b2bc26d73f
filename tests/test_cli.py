from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import search.embed.st
from search.cli import cli
from tests.conftest import SEED_PASSAGES
from tests.fakes import FakeEmbedder, InProcessExecutor


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search.embed.st, "load_embedder", lambda *_a, **_k: FakeEmbedder())


def test_build_then_query(corpus_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    index = tmp_path / "idx"
    r = runner.invoke(cli, ["build", "--corpus", str(corpus_dir), "--index", str(index)])
    assert r.exit_code == 0, r.output
    assert f"built {SEED_PASSAGES} passages" in r.output
    r = runner.invoke(cli, ["query", "domestic abuse", "-k", "2", "--index", str(index), "--json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert len(body["results"]) == 2
    assert body["results"][0]["text"].startswith("Domestic abuse: 164 (59%)")
    r = runner.invoke(cli, ["query", "domestic abuse", "-k", "1", "--index", str(index)])
    assert r.exit_code == 0 and r.output.startswith("1. [")


def test_build_in_shards(corpus_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import search.index.shards

    # The shards run here, in turn: a spawned process would load the real model.
    monkeypatch.setattr(
        search.index.shards, "ProcessPoolExecutor", lambda *_a, **_k: InProcessExecutor()
    )
    # notes.md and the bundled file fall in different shards of two.
    (corpus_dir / "notes.md").write_text("# Notes\n\nA paragraph about apples.\n")
    index = tmp_path / "idx"
    args = ["build", "--corpus", str(corpus_dir), "--index", str(index)]
    r = CliRunner().invoke(cli, [*args, "--shards", "2"])
    assert r.exit_code == 0, r.output
    assert f"built {SEED_PASSAGES + 1} passages" in r.stdout
    assert "2 shard(s) merged: 2 document(s)" in r.stderr
    r = CliRunner().invoke(cli, ["documents", "--index", str(index)])
    assert sorted(line.split("\t")[0] for line in r.stdout.splitlines()) == [
        "notes",
        "scr-triennial-analysis-2014-2017",
    ]
    r = CliRunner().invoke(cli, [*args, "--shards", "0"])
    assert r.exit_code == 2 and "--shards" in r.output


def test_env_settings(corpus_dir: Path, tmp_path: Path) -> None:
    env = {"SEARCH_CORPUS_DIR": str(corpus_dir), "SEARCH_INDEX_DIR": str(tmp_path / "env-idx")}
    r = CliRunner().invoke(cli, ["build"], env=env)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "env-idx" / "manifest.json").exists()


def test_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["query", "anything", "--index", str(tmp_path / "none")])
    assert r.exit_code == 1
    assert "Error: no index at" in r.output and "Traceback" not in r.output
    r = runner.invoke(cli, ["build", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path)])
    assert r.exit_code == 1 and "does not exist" in r.output
    r = runner.invoke(cli, ["query", "x", "-k", "99"])
    assert r.exit_code == 2 and "-k" in r.output


def test_help_has_examples() -> None:
    r = CliRunner().invoke(cli, ["--help"])
    assert r.exit_code == 0 and "python -m search query" in r.output


def test_add_remove_documents(corpus_dir: Path, tmp_path: Path) -> None:
    from tests.samples import write_html, write_pdf

    runner = CliRunner()
    where = ["--corpus", str(corpus_dir), "--index", str(tmp_path / "idx")]
    assert (
        runner.invoke(cli, ["build", *where[:2], "--index", str(tmp_path / "idx")]).exit_code == 0
    )
    page = write_html(tmp_path / "escalation.html")
    pdf = write_pdf(tmp_path / "strategy.pdf")
    r = runner.invoke(cli, ["add", str(page), str(pdf), *where])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("added escalation, strategy: 3 documents, 70 passages (13 embedded)")
    r = runner.invoke(cli, ["documents", "--index", str(tmp_path / "idx")])
    assert [line.split("\t")[:3] for line in r.stdout.splitlines()] == [
        ["escalation", "html", "8 passages"],
        ["scr-triennial-analysis-2014-2017", "md", f"{SEED_PASSAGES} passages"],
        ["strategy", "pdf", "5 passages"],
    ]
    r = runner.invoke(
        cli,
        ["query", "strategy meeting", "--document", "strategy", "--index", str(tmp_path / "idx")],
    )
    assert r.exit_code == 0 and "Strategy meeting guidance · " in r.output and "· p. " in r.output
    r = runner.invoke(cli, ["remove", "escalation", *where])
    assert r.exit_code == 0 and r.stdout.startswith("removed escalation: 2 documents, 62 passages")
    assert not (corpus_dir / "escalation.html").exists()


def test_add_refuses_a_broken_file_in_one_line(corpus_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    where = ["--corpus", str(corpus_dir), "--index", str(tmp_path / "idx")]
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF-1.4 truncated")
    r = runner.invoke(cli, ["add", str(bad), *where])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.output.startswith(f"Error: {bad}: not a readable PDF file (")
    assert r.output.count("\n") == 1
    assert not (corpus_dir / "scan.pdf").exists() and not (tmp_path / "idx").exists()
    r = runner.invoke(cli, ["remove", "nothing", *where])
    assert r.exit_code == 1 and "no document 'nothing'" in r.output
