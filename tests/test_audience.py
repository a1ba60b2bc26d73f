"""Audiences kept with documents (sidecar, JSONL line, index), changed without embedding;
keys files, key hashes and trusted proxy addresses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import search.api.access
import search.embed.st
import search.errors
from search.api import create_app
from search.api.access import (
    KeyRing,
    KeysFileError,
    TrustedProxies,
    hash_key,
    header_groups,
    load_keys_file,
)
from search.cli import cli
from search.config import Settings
from search.errors import CorpusError, DocumentNotFound
from search.index.build import build_index
from search.index.open import index_is_current
from search.index.store import LoadedIndex, load_index
from search.index.update import set_audience
from search.ingest.corpus import read_file
from search.retrieve.searcher import Searcher
from search.retrieve.views import ADMIN, EVERYONE, Viewer, cached_view, view_of, warm
from tests.access_corpus import BOARD, DSL, OPEN, write_corpus
from tests.fakes import FakeEmbedder

ADMIN_KEY, BOARD_KEY = "admin-key-0123456789", "board-key-0123456789"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "open-guidance.md").write_text(OPEN)
    (folder / "board-minutes.md").write_text(BOARD)
    return folder


def _audiences(index: Path) -> dict[str, tuple[str, ...]]:
    return {d.id: d.audience for d in load_index(index).documents}


def test_cli_add_and_change_an_audience_without_embedding(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search.embed.st, "load_embedder", lambda *_a, **_k: FakeEmbedder())
    runner = CliRunner()
    index = tmp_path / "index"
    where = ["--corpus", str(corpus), "--index", str(index)]
    assert runner.invoke(cli, ["build", *where]).exit_code == 0
    dsl = tmp_path / "dsl-casebook.md"
    dsl.write_text(DSL)
    r = runner.invoke(cli, ["add", str(dsl), "--audience", "DSL, social-care", *where])
    assert r.exit_code == 0, r.output
    sidecar = corpus / "dsl-casebook.md.meta.json"
    assert json.loads(sidecar.read_text()) == {"audience": ["dsl", "social-care"]}
    assert _audiences(index)["dsl-casebook"] == ("dsl", "social-care")

    # Changing it loads no model and embeds nothing; the index stays current.
    def no_model(*_a: object, **_k: object) -> None:
        raise AssertionError("audience must not load the model")

    monkeypatch.setattr(search.embed.st, "load_embedder", no_model)
    before = load_index(index).manifest
    r = runner.invoke(cli, ["audience", "board-minutes", "--set", "board", *where])
    assert r.exit_code == 0 and r.stdout == "board-minutes: board\n", r.output
    after = load_index(index).manifest
    assert after.build_id != before.build_id and after.embedded_passages == before.embedded_passages
    assert index_is_current(index, corpus, "fake-hash")
    assert json.loads((corpus / "board-minutes.md.meta.json").read_text()) == {
        "audience": ["board"]
    }
    assert runner.invoke(cli, ["audience", "board-minutes", *where]).stdout == "board\n"
    r = runner.invoke(cli, ["audience", "dsl-casebook", "--open", *where])
    assert r.exit_code == 0 and r.stdout == "dsl-casebook: everyone\n"
    assert json.loads(sidecar.read_text()) == {}
    assert _audiences(index) == {
        "board-minutes": ("board",), "dsl-casebook": (), "open-guidance": ()
    }  # fmt: skip
    r = runner.invoke(cli, ["audience", "nothing", "--set", "board", *where])
    assert r.exit_code == 1 and "no document 'nothing'" in r.output
    r = runner.invoke(cli, ["audience", "board-minutes", "--set", "a,b", "--open", *where])
    assert r.exit_code != 0


def test_a_rebuild_keeps_audiences(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, FakeEmbedder())
    set_audience("board-minutes", ("board",), corpus, index)
    fake = FakeEmbedder()
    build_index(corpus, index, fake)  # parses every file again, from the sidecar
    assert _audiences(index)["board-minutes"] == ("board",)
    with pytest.raises(DocumentNotFound):
        set_audience("nope", ("board",), corpus, index)


def test_jsonl_lines_have_their_own_audience(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = [
        {"id": "a", "text": "Open briefing about neglect."},
        {"id": "b", "text": "Board only briefing about budgets.", "audience": ["board"]},
        {"id": "c", "text": "Everyone, despite the sidecar.", "audience": []},
    ]
    path = corpus / "briefs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (corpus / "briefs.jsonl.meta.json").write_text('{"audience": ["staff"]}')
    assert {d.id: d.audience for d in read_file(path)} == {
        "a": ("staff",), "b": ("board",), "c": ()
    }  # fmt: skip
    index = tmp_path / "index"
    build_index(corpus, index, FakeEmbedder())
    set_audience("a", ("dsl",), corpus, index)
    assert _audiences(index) == {"a": ("dsl",), "b": ("board",), "c": ()}
    assert [d.audience for d in read_file(path)] == [("dsl",), ("board",), ()]
    assert index_is_current(index, corpus, "fake-hash")


@pytest.mark.parametrize("bad", ['{"audience": 3}', '{"audience": [1]}', '{"audience": "a\\nb"}'])
def test_a_bad_audience_is_refused(corpus: Path, bad: str) -> None:
    (corpus / "board-minutes.md.meta.json").write_text(bad)
    with pytest.raises(CorpusError, match="'audience'"):
        read_file(corpus / "board-minutes.md")


@pytest.fixture
def admin_app(corpus: Path, tmp_path: Path) -> Iterator[tuple[TestClient, FakeEmbedder]]:
    keys = tmp_path / "keys.toml"
    keys.write_text(
        f'[keys.ops]\nhash = "{hash_key(ADMIN_KEY, "sha256")}"\nadmin = true\n'
        f'[keys.board]\nhash = "{hash_key(BOARD_KEY, "sha256")}"\ngroups = ["board"]\n'
    )
    fake = FakeEmbedder()
    settings = Settings(
        corpus_dir=corpus, index_dir=tmp_path / "index", keys_file=keys, reload_interval=0
    )
    with TestClient(create_app(settings, embedder=fake)) as c:
        yield c, fake


def test_admin_http_audience_takes_effect_at_once(
    admin_app: tuple[TestClient, FakeEmbedder],
) -> None:
    c, fake = admin_app
    admin, board = {"X-API-Key": ADMIN_KEY}, {"X-API-Key": BOARD_KEY}
    r = c.put("/admin/documents/dsl.md", content=DSL.encode(), params={"audience": "dsl"},
              headers=admin)  # fmt: skip
    assert r.status_code == 200 and r.json()["added"] == ["dsl"]
    assert "dsl" not in {d["id"] for d in c.get("/documents", headers=board).json()["documents"]}
    embedded = fake.texts_embedded
    r = c.put("/admin/documents/dsl/audience", json={"audience": ["Board"]}, headers=admin)
    assert r.status_code == 200 and r.json()["audience"] == ["board"]
    assert fake.texts_embedded == embedded  # nothing embedded again
    hit = c.get("/search", params={"q": "gorvandle panel", "k": 1}, headers=board).json()
    assert hit["results"][0]["document"] == "dsl"
    r = c.put("/admin/documents/dsl/audience", json={"audience": "board"}, headers=admin)
    assert r.status_code == 422
    r = c.put("/admin/documents/nope/audience", json={"audience": []}, headers=admin)
    assert r.status_code == 404
    r = c.put("/admin/documents/dsl/audience", json={"audience": []}, headers=board)
    assert r.status_code == 403
    r = c.put("/admin/documents/x.md", content=b"# T\n\nText here.", params={"audience": "a\x01"},
              headers=admin)  # fmt: skip
    assert r.status_code == 422


def test_a_new_index_comes_with_the_views_in_use_already_built(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    index = load_index_built(corpus, tmp_path / "index")
    board, dsl = Viewer(frozenset({"board"})), Viewer(frozenset({"dsl"}))
    old = Searcher(index, FakeEmbedder())
    view_of(old, board)
    new = Searcher(index, FakeEmbedder())
    warm(new, old)
    assert cached_view(new, board) is not None and cached_view(new, EVERYONE) is not None
    assert cached_view(new, dsl) is None
    assert cached_view(new, ADMIN) is new
    # Views of one index share its sentence table (made once, while warming).
    units = new.units
    assert units is not None
    assert cached_view(new, board).units is units  # type: ignore[union-attr]
    assert view_of(new, dsl).units is units


def load_index_built(corpus: Path, index: Path) -> LoadedIndex:
    build_index(corpus, index, FakeEmbedder())
    return load_index(index)


def test_admin_routes_close_once_documents_are_restricted(corpus: Path, tmp_path: Path) -> None:
    """With no key configured the service is open, but not to change who sees what."""
    (corpus / "board-minutes.md.meta.json").write_text('{"audience": ["board"]}')
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", reload_interval=0)
    with TestClient(create_app(settings, embedder=FakeEmbedder())) as c:
        r = c.put("/admin/documents/board-minutes/audience", json={"audience": []})
        assert r.status_code == 403 and "SEARCH_ADMIN_KEYS" in r.json()["detail"]
        assert c.get("/metrics").status_code == 403
        assert {d["id"] for d in c.get("/documents").json()["documents"]} == {"open-guidance"}


# --- keys, hashes, proxies -----------------------------------------------------------------


def test_hash_key_command_reads_stdin_never_argv() -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["hash-key"], input="a-long-enough-secret-key\n")
    assert r.exit_code == 0 and r.stdout.startswith("scrypt$16384$8$1$")
    ring = KeyRing(load_entries(r.stdout.strip()))
    assert ring.match("a-long-enough-secret-key") is not None and ring.match("other") is None
    r = runner.invoke(cli, ["hash-key", "--scheme", "sha256"], input="a-long-enough-secret-key")
    assert r.stdout.strip() == hash_key("a-long-enough-secret-key", "sha256")
    assert runner.invoke(cli, ["hash-key"], input="short\n").exit_code == 1
    r = runner.invoke(cli, ["hash-key", "--generate", "--scheme", "sha256"])
    key = r.stderr.split("key:", 1)[1].strip()
    assert r.stdout.strip() == hash_key(key, "sha256") and len(key) >= 40


def load_entries(line: str) -> tuple[search.api.access.KeyEntry, ...]:
    return (search.api.access.KeyEntry("k", **search.api.access._parse_hash(line, "t")),)  # type: ignore[arg-type]


def test_salted_keys_are_checked_once_then_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    ring = KeyRing(load_entries(hash_key("the-right-key-123")))
    calls = []
    real = search.api.access._scrypt
    monkeypatch.setattr(search.api.access, "_scrypt", lambda *a: calls.append(1) or real(*a))
    for _ in range(3):
        assert ring.match("the-right-key-123") is not None
        assert ring.match("a-wrong-key-12345") is None
    assert len(calls) == 2 and not ring.costly("the-right-key-123") and ring.costly("new")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("not toml [", "not valid TOML"),
        ('[keys.a]\nhash = "x"\n', "not a key hash"),
        ('[keys.a]\nhash = "sha256$' + "0" * 64 + '"\nrole = "x"\n', "unknown field"),
        ('[keys.a]\nhash = "sha256$' + "0" * 64 + '"\ngroups = "a,b"\nadmin = "yes"\n', "admin"),
        ("[other]\n", r"only \[keys\.NAME\]"),
    ],
)
def test_a_broken_keys_file_stops_the_service(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "keys.toml"
    path.write_text(text)
    with pytest.raises(KeysFileError, match=error):
        load_keys_file(path)
    with pytest.raises(KeysFileError):
        create_app(Settings(keys_file=path), embedder=FakeEmbedder())
    with pytest.raises(KeysFileError, match="cannot be read"):
        load_keys_file(tmp_path / "missing.toml")


def test_trusted_proxy_addresses() -> None:
    proxies = TrustedProxies("127.0.0.1, 10.1.0.0/16, ::1")
    assert proxies.trusts("127.0.0.1") and proxies.trusts("10.1.200.3") and proxies.trusts("::1")
    assert proxies.trusts("::ffff:10.1.0.9")  # IPv4 seen through an IPv6 socket
    for peer in ("10.2.0.1", "testclient", "", None, "127.0.0.2"):
        assert not proxies.trusts(peer)
    assert not TrustedProxies(None).trusts("127.0.0.1")
    with pytest.raises(search.errors.SearchError, match="SEARCH_TRUST_PROXY"):
        TrustedProxies("localhost")
    assert header_groups(" Board, dsl ,,bad\x01name") == frozenset({"board", "dsl"})
