from __future__ import annotations

import io
import json
import logging
import os
import re
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from search.api import create_app
from search.api.observability import _SCRUB
from search.config import Settings
from search.logs import JsonFormatter, log_config
from tests.conftest import SEED_PASSAGES
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
SECRET_QUERY = "did the stepfather hurt Jane Example"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Everything the service logs while the test runs, formatted as in production."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_request_id_is_made_or_kept(client: TestClient) -> None:
    made = client.get("/health").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/health").headers["x-request-id"] != made
    kept = client.get("/health", headers={"X-Request-ID": "lb-7f3a:req/42"})
    assert kept.headers["x-request-id"] == "lb-7f3a:req/42"
    for forged in (b"two words", b"x" * 129, b"a\tb", b"id\xc3\xa9", b'{"json": 1}'):
        r = client.get("/health", headers={"X-Request-ID": forged})
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"]), forged


def test_access_lines_are_json_with_request_id_and_no_query(
    client: TestClient, json_lines: io.StringIO
) -> None:
    r = client.get("/search", params={"q": SECRET_QUERY}, headers={"X-Request-ID": "abc-123"})
    client.post("/search", json={"q": SECRET_QUERY, "section": "Jane Example"})
    client.get(f"/nowhere/{SECRET_QUERY}")
    assert r.status_code == 200
    # The test client logs its own URLs; what the service logs is under search.*.
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    ours = [x for x in lines if x["logger"].startswith(("search", "uvicorn"))]
    access = [x for x in ours if x["logger"] == "search.access"]
    assert [(x["method"], x["route"], x["status"]) for x in access] == [
        ("GET", "/search", 200),
        ("POST", "/search", 422),
        ("GET", "unmatched", 404),
    ]
    first = access[0]
    assert first["request_id"] == "abc-123" and first["ms"] >= 0 and first["level"] == "info"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", first["ts"])
    everything = json.dumps(ours)
    assert "Jane" not in everything and "stepfather" not in everything


def test_uvicorn_access_lines_lose_their_query_string() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/search?q=Jane+Example&k=3", "1.1", 200), None,
    )  # fmt: skip
    assert _SCRUB.filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /search HTTP/1.1" 200'


def test_log_config_is_valid_and_silences_uvicorn_access() -> None:
    config = log_config("json", "info")
    assert config["loggers"]["uvicorn.access"]["handlers"] == []
    assert config["loggers"]["uvicorn.access"]["propagate"] is False
    # Applied in a child process, so this test's own logging is left alone.
    script = textwrap.dedent(
        """
        import logging, logging.config, sys
        from search.logs import log_config, request_id_var
        logging.config.dictConfig(log_config("json", "info"))
        request_id_var.set("rid-1")
        logging.getLogger("uvicorn.access").info("GET /search?q=secret")
        logging.getLogger("search.api").info("hello %s", "world", extra={"n": 1})
        try:
            1 / 0
        except ZeroDivisionError:
            logging.getLogger("search.api").exception("boom")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in done.stderr.splitlines()]
    assert [x["msg"] for x in lines] == ["hello world", "boom"]
    assert lines[0]["request_id"] == "rid-1" and lines[0]["n"] == 1
    assert "ZeroDivisionError" in lines[1]["exc"]


def _metric(text: str, name: str, labels: str = "") -> float:
    pattern = re.escape(name + (f"{{{labels}}}" if labels else "")) + r" ([0-9.e+-]+)$"
    found = re.search(pattern, text, re.M)
    assert found, f"{name}{{{labels}}} not in metrics"
    return float(found.group(1))


def test_metrics(client: TestClient) -> None:
    client.get("/search", params={"q": "neglect"})
    client.get("/search", params={"q": "neglect"})
    client.get("/search", params={"q": ""})
    # No passage is both under "Neglect" and a statistic: a zero-result question.
    client.post("/search", json={"q": "neglect", "section": "Neglect", "kind": "statistic"})
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert (
        _metric(text, "search_http_requests_total", 'method="GET",route="/search",status="200"')
        == 2
    )
    assert (
        _metric(text, "search_http_requests_total", 'method="GET",route="/search",status="422"')
        == 1
    )
    assert (
        _metric(text, "search_http_request_duration_seconds_count", 'method="GET",route="/search"')
        == 3
    )
    assert _metric(text, "search_queries_total", 'route="/search"') == 3
    assert _metric(text, "search_queries_zero_results_total", 'route="/search"') == 1
    assert _metric(text, "search_index_passages") == SEED_PASSAGES
    assert _metric(text, "search_index_ready") == 1
    assert 0 < _metric(text, "search_index_build_seconds") < 60
    assert _metric(text, "search_index_built_timestamp_seconds") > 1.7e9
    assert "neglect" not in text
    for odd in ("BREW", "PROPFIND", "X-ANYTHING"):
        client.request(odd, "/search")
    text = client.get("/metrics").text
    assert 'method="other",route="/search",status="405"' in text and "BREW" not in text


def test_ready(settings: Settings) -> None:
    app = create_app(settings, embedder=FakeEmbedder())
    cold = TestClient(app)  # no `with`: the lifespan has not loaded the index
    r = cold.get("/ready")
    assert r.status_code == 503 and r.json()["detail"] == "the index is not loaded"
    assert "search_index_ready 0.0" in cold.get("/metrics").text
    with TestClient(app) as warm:
        assert warm.get("/ready").json() == {"status": "ready", "passages": SEED_PASSAGES}


def test_query_log_records_only_unanswered_questions(settings: Settings, tmp_path: Path) -> None:
    log_path = tmp_path / "queries.jsonl"
    settings = Settings(
        corpus_dir=settings.corpus_dir,
        index_dir=settings.index_dir,
        query_log=log_path,
        api_keys="secret-key",
    )
    headers = {"X-API-Key": "secret-key", "X-Request-ID": "rid-9", "User-Agent": "agent-x"}
    with TestClient(create_app(settings, embedder=FakeEmbedder())) as c:
        c.get("/search", params={"q": "domestic abuse"}, headers=headers)
        c.post(
            "/search",
            json={"q": "Jane  Example\x00", "section": "Neglect", "kind": "statistic"},
            headers=headers,
        )
    lines = log_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert set(entry) == {"ts", "route", "reason", "query", "results", "answerable"}
    assert entry["query"] == "Jane Example" and entry["results"] == 0
    # Nothing passed the filters and the corpus does not cover it: logged once, as not covered.
    assert entry["reason"] == "not_covered" and entry["answerable"] is False
    assert entry["route"] == "/search"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:00\+00:00", entry["ts"])  # the hour, no finer
    raw = lines[0]
    for leak in ("secret-key", "rid-9", "agent-x", "testclient", "127.0.0.1"):
        assert leak not in raw
    assert stat.S_IMODE(os.stat(log_path).st_mode) == 0o600


def test_query_log_that_cannot_be_opened_is_one_clear_error(
    settings: Settings, tmp_path: Path
) -> None:
    bad = Settings(
        corpus_dir=settings.corpus_dir,
        index_dir=settings.index_dir,
        query_log=tmp_path / "missing-folder" / "q.jsonl",
    )
    with pytest.raises(Exception, match=r"query log .*q\.jsonl: cannot be opened"):
        create_app(bad, embedder=FakeEmbedder())


def test_metrics_add_up_across_worker_processes(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PROMETHEUS_MULTIPROC_DIR, as `serve --workers N` sets, /metrics sums the workers."""
    with TestClient(create_app(settings, embedder=FakeEmbedder())):
        pass  # build the index once
    shared = tmp_path / "prom"
    shared.mkdir()
    worker = textwrap.dedent(
        f"""
        from fastapi.testclient import TestClient
        from search.api import create_app
        from search.config import Settings
        from tests.fakes import FakeEmbedder
        s = Settings(corpus_dir={str(settings.corpus_dir)!r}, index_dir={str(settings.index_dir)!r})
        with TestClient(create_app(s, embedder=FakeEmbedder())) as c:
            for _ in range(3):
                assert c.get("/search", params={{"q": "neglect"}}).status_code == 200
        """
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    workers = [  # two "workers", side by side
        subprocess.Popen([sys.executable, "-c", worker], cwd=ROOT, env=env, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for proc in workers:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]
    merged = settings.model_copy(update={"metrics_dir": shared})
    with TestClient(create_app(merged, embedder=FakeEmbedder())) as c:
        text = c.get("/metrics").text
    assert (
        _metric(text, "search_http_requests_total", 'method="GET",route="/search",status="200"')
        == 6
    )
    assert _metric(text, "search_index_passages") == SEED_PASSAGES
