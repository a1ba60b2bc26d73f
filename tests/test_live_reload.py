"""A running service (uvicorn on 127.0.0.1) takes new documents while it is being queried."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

import search.embed.st
from search.api import create_app
from search.cli import cli
from search.config import Settings
from tests.fakes import FakeEmbedder
from tests.samples import write_docx, write_html, write_jsonl, write_pdf

PORTS = range(8400, 8500)  # the ports this project's tests may use
QUERIES = ["neglect", "domestic abuse", "fathers", "strategy meeting", "missing from home"]


def _free_port() -> int:
    for port in random.sample(PORTS, len(PORTS)):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8400-8499")


@pytest.fixture
def live(tmp_path: Path, corpus_dir: Path) -> Iterator[tuple[str, Settings]]:
    # The default reload interval: the service must notice a new index within 5 s by itself.
    settings = Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index")
    app = create_app(settings, embedder=FakeEmbedder())
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning", ws="none")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.config.port}", settings
    server.should_exit = True
    thread.join(timeout=10)


@dataclass
class Load:
    """Clients that query the service until told to stop (bounded in count and time)."""

    base: str
    statuses: Counter[str] = field(default_factory=Counter)
    builds: set[str] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, max_requests: int = 3000, max_seconds: float = 90) -> None:
        rng = random.Random()
        deadline = time.monotonic() + max_seconds
        with httpx.Client(base_url=self.base, timeout=10) as client:
            for i in range(max_requests):
                if self.stop.is_set() or time.monotonic() > deadline:
                    return
                try:
                    if i % 5 == 4:
                        r = client.get("/health")
                        self.builds.add(r.json()["build_id"])
                    elif i % 5 == 3:
                        r = client.get("/documents")
                    else:
                        r = client.get("/search", params={"q": rng.choice(QUERIES), "k": 5})
                    self.statuses[str(r.status_code)] += 1
                except httpx.HTTPError as exc:
                    self.statuses[type(exc).__name__] += 1


def _wait_for(client: httpx.Client, ids: set[str], present: bool = True) -> float:
    """Seconds until /documents shows (or stops showing) all of ids; fails after 5 s."""
    began = time.monotonic()
    while time.monotonic() - began < 5:
        listed = {d["id"] for d in client.get("/documents").json()["documents"]}
        if (ids <= listed) if present else not (ids & listed):
            return time.monotonic() - began
        time.sleep(0.05)
    raise AssertionError(f"{ids} not {'added' if present else 'removed'} within 5 s")


def test_documents_added_under_load_are_served_with_zero_failures(
    live: tuple[str, Settings], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, settings = live
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    files = [
        (write_html(incoming / "escalation.html"), {"escalation"}),
        (write_pdf(incoming / "strategy.pdf"), {"strategy"}),
        (write_docx(incoming / "sharing.docx"), {"sharing"}),
        (write_jsonl(incoming / "bulk.jsonl"), {"brief-001", "brief-002"}),
    ]
    load = Load(base)
    workers = [threading.Thread(target=load.run) for _ in range(4)]
    for w in workers:
        w.start()
    # `python -m search add/remove`, in this process, with its own (fake) model.
    monkeypatch.setattr(search.embed.st, "load_embedder", lambda *_a, **_k: FakeEmbedder())
    where = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    runner = CliRunner()
    waits = []
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            for path, ids in files:
                r = runner.invoke(cli, ["add", str(path), *where])
                assert r.exit_code == 0 and r.stdout.startswith("added "), r.output
                waits.append(_wait_for(client, ids))
            r = runner.invoke(cli, ["remove", "brief-002", *where])
            assert r.exit_code == 0, r.output
            waits.append(_wait_for(client, {"brief-002"}, present=False))
            time.sleep(0.3)  # a little more load on the final index
    finally:
        load.stop.set()
        for w in workers:
            w.join(timeout=30)
    assert set(load.statuses) == {"200"}, load.statuses  # not one request failed
    assert load.statuses["200"] >= 100
    assert len(load.builds) >= 5  # the clients saw the swaps happen under them
    assert all(w < 5 for w in waits)

    expected = {
        "escalation": ("escalate concerns disagree safety", "Practitioners should escalate"),
        "strategy": ("strategy meeting three working days referral", "A strategy meeting is"),
        "sharing": ("share information significant harm", "Practitioners must share"),
        "brief-001": ("return interviews missing from home", "Children missing from home"),
    }
    with httpx.Client(base_url=base, timeout=10) as client:
        for doc_id, (query, start) in expected.items():
            top = client.get("/search", params={"q": query, "k": 1}).json()["results"][0]
            assert top["document"] == doc_id and top["text"].startswith(start), top
        page = client.get("/search", params={"q": "strategy meeting", "document": "strategy"})
        assert {r["page"] for r in page.json()["results"]} == {1, 2, 3}
        gone = client.get("/search", params={"q": "x", "document": "brief-002"})
        assert gone.status_code == 422
