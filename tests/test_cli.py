from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import search.embed
from search.cli import cli
from tests.fakes import FakeEmbedder


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search.embed, "load_embedder", lambda *_a, **_k: FakeEmbedder())


def test_build_then_query(corpus_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    index = tmp_path / "idx"
    r = runner.invoke(cli, ["build", "--corpus", str(corpus_dir), "--index", str(index)])
    assert r.exit_code == 0, r.output
    assert "built 59 passages" in r.output
    r = runner.invoke(cli, ["query", "domestic abuse", "-k", "2", "--index", str(index), "--json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert len(body["results"]) == 2
    assert body["results"][0]["text"].startswith("Domestic abuse: 164 (59%)")
    r = runner.invoke(cli, ["query", "domestic abuse", "-k", "1", "--index", str(index)])
    assert r.exit_code == 0 and r.output.startswith("1. [")


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
