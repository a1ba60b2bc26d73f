"""Faults: damaged index files, builds killed mid-way, and serving while the index is rebuilt."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

import search.embed.st
from search.api import create_app
from search.cli import cli
from search.config import Settings
from search.errors import IndexCorrupt
from search.index.build import build_index
from search.index.store import load_index
from search.sources import corpus_hash
from tests.conftest import SEED_PASSAGES
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
PORTS = range(8300, 8400)  # this project's test ports


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) * 2 // 3] ^= 0x01  # same size: only a checksum can tell
    path.write_bytes(bytes(data))


def _drop_last_line(path: Path) -> None:
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-1]))


def _edit_a_passage(path: Path) -> None:
    path.write_text(path.read_text().replace("Domestic abuse", "Domestic abusf", 1))


DAMAGE: dict[str, tuple[str, Callable[[Path], None]]] = {
    "truncated faiss": ("index.faiss", _truncate),
    "flipped faiss byte": ("index.faiss", _flip_a_byte),
    "truncated passages": ("passages.jsonl", _truncate),
    "passage line missing": ("passages.jsonl", _drop_last_line),
    "passage text edited": ("passages.jsonl", _edit_a_passage),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damaged_index_file_is_named_never_served(
    case: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, damage = DAMAGE[case]
    fake = FakeEmbedder()
    build_index(settings.corpus_dir, settings.index_dir, fake)
    with TestClient(create_app(settings, embedder=fake)) as c:
        expected = c.get("/search", params={"q": "domestic abuse", "k": 5}).json()
    damage(settings.index_dir / name)

    with pytest.raises(IndexCorrupt) as raised:
        load_index(settings.index_dir)
    assert name in raised.value.message and "\n" not in raised.value.message

    # The command line says so in one line.
    monkeypatch.setattr(search.embed.st, "load_embedder", lambda *_a, **_k: FakeEmbedder())
    r = CliRunner().invoke(cli, ["query", "abuse", "--index", str(settings.index_dir)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.output.startswith("Error: ") and r.output.count("\n") == 1 and name in r.output

    # The service rebuilds from the corpus and answers exactly as before the damage.
    messages: list[str] = []
    monkeypatch.setattr("search.api.app.log.info", messages.append)
    with TestClient(create_app(settings, embedder=fake)) as c:
        assert c.get("/search", params={"q": "domestic abuse", "k": 5}).json() == expected
    assert any(name in m and "rebuilding" in m for m in messages), messages


def _second_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus-b"
    folder.mkdir()
    (folder / "other.md").write_text(
        "Another Review\n\nA paragraph about housing and school attendance.\n\n"
        "A second paragraph about health visitors.\n"
    )
    return folder


def _wait_for(path: Path, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
        assert time.monotonic() < deadline, "the build never reached the point to kill it at"
        time.sleep(0.02)


@pytest.mark.parametrize("phase", ["SEARCH_TEST_EMBED_DELAY", "SEARCH_TEST_PAUSE_BEFORE_SWAP"])
def test_build_killed_mid_way_leaves_the_previous_index(
    phase: str, settings: Settings, tmp_path: Path
) -> None:
    """SIGKILL a real `build` process while embedding, or with its files half in place."""
    first = build_index(settings.corpus_dir, settings.index_dir, FakeEmbedder())
    marker = tmp_path / "reached"
    env = {**os.environ, phase: "60", "SEARCH_TEST_MARKER": str(marker)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_cli", "build"]
        + ["--corpus", str(_second_corpus(tmp_path)), "--index", str(settings.index_dir)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(marker, proc)
        if phase == "SEARCH_TEST_PAUSE_BEFORE_SWAP":
            # The new index is fully written beside the old one when the kill lands.
            (building,) = settings.index_dir.parent.glob(".default.build-*")
            assert (building / "manifest.json").exists()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    assert load_index(settings.index_dir).manifest == first
    with TestClient(create_app(settings, embedder=FakeEmbedder())) as c:
        health = c.get("/health").json()
        assert health["corpus_hash"] == first.corpus_hash and health["passages"] == SEED_PASSAGES
        top = c.get("/search", params={"q": "domestic abuse", "k": 1}).json()["results"][0]
        assert top["text"].startswith("Domestic abuse: 164 (59%)")
    # The next build clears what the dead one left behind.
    (tmp_path / "again").mkdir()
    build_index(_second_corpus(tmp_path / "again"), settings.index_dir, FakeEmbedder())
    assert list(settings.index_dir.parent.glob(".default.build-*")) == []


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free port in 8300-8399")


@pytest.fixture
def served(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`serve` in its own process (fake embedder), with its stderr in a file."""
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "SEARCH_CORPUS_DIR": str(settings.corpus_dir),
        "SEARCH_INDEX_DIR": str(settings.index_dir),
        "SEARCH_API_KEYS": "load-key",
        "SEARCH_ADMIN_KEYS": "load-admin",
    }
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fake_cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()[-2000:]
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the service did not become ready"
            time.sleep(0.1)
        yield base, log
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_no_request_fails_while_the_index_is_rebuilt(
    served: tuple[str, Path], settings: Settings, tmp_path: Path
) -> None:
    """Four clients, 300 requests, while the index on disk is rebuilt from other corpora.

    Where the service offers POST /admin/reload, it is called after each rebuild, so the
    served index changes under load; without it the service keeps what it loaded, and a
    rebuild swaps whole folders, so nothing a request needs disappears under it either.
    """
    base, log = served
    paths = httpx.get(f"{base}/openapi.json").json()["paths"]
    can_reload = "post" in paths.get("/admin/reload", {})
    reloads: list[int] = []
    clients, per_client = 4, 75
    failures: list[str] = []
    codes: list[int] = []
    stop_building = threading.Event()
    builds: list[float] = []

    def client(n: int) -> None:
        with httpx.Client(base_url=base, headers={"X-API-Key": "load-key"}, timeout=30) as h:
            for i in range(per_client):
                try:
                    if i % 2:
                        r = h.post("/search", json={"q": f"Jane Example neglect {n}", "k": 3})
                    else:
                        r = h.get("/search", params={"q": f"Jane Example abuse {n}", "k": 3})
                    codes.append(r.status_code)
                    # Either corpus may be served (the second holds only two passages).
                    if r.status_code != 200 or not 1 <= len(r.json()["results"]) <= 3:
                        failures.append(f"{r.status_code} {r.text[:100]}")
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))

    def rebuild() -> None:
        corpora = [_second_corpus(tmp_path), settings.corpus_dir]
        while not stop_building.is_set() and len(builds) < 20:
            build_index(corpora[len(builds) % 2], settings.index_dir, FakeEmbedder())
            builds.append(time.monotonic())
            if can_reload:
                admin = {"X-API-Key": "load-admin"}
                reloads.append(
                    httpx.post(f"{base}/admin/reload", headers=admin, timeout=60).status_code
                )

    builder = threading.Thread(target=rebuild)
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.monotonic()
    builder.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    stop_building.set()
    builder.join(timeout=60)
    elapsed = time.monotonic() - began

    assert failures == [] and len(codes) == clients * per_client
    assert len([b for b in builds if b < began + elapsed]) >= 2  # rebuilt while serving
    assert all(200 <= code < 300 for code in reloads), reloads
    mode = f"{len(reloads)} reloads" if can_reload else "no reload route: served index kept"
    print(f"\n{len(codes)} requests in {elapsed:.1f} s, {len(builds)} rebuilds, {mode}, 0 failed")
    # The service's own log: JSON lines, none of them holding what was asked.
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    access = [x for x in lines if x.get("logger") == "search.access"]
    assert len(access) >= clients * per_client
    assert "Jane" not in log.read_text()
    assert corpus_hash(settings.corpus_dir)  # the corpus itself was never touched
