"""The question routes' fast path: one threadpool hop, the same answers and errors."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from search.api import routes


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the functions sent to the threadpool, from any module that sends one."""
    seen: list[str] = []
    import anyio.to_thread

    original = anyio.to_thread.run_sync

    async def counting(func, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(getattr(func, "__name__", repr(func)))
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return seen


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/search", {"params": {"q": "neglect", "k": 3}}),
        ("POST", "/search", {"json": {"q": "neglect", "k": 3}}),
        ("GET", "/answer", {"params": {"q": "how common was neglect"}}),
        ("POST", "/answer", {"json": {"question": "how common was neglect"}}),
    ],
)
def test_one_threadpool_hop_per_question(
    client: TestClient, hops: list[str], method: str, path: str, kwargs: dict[str, object]
) -> None:
    r = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    assert len(hops) == 1, hops
    assert r.headers["content-type"] == "application/json"
    assert r.headers["cache-control"] == "no-store" and r.headers["x-request-id"]


def test_the_model_runs_off_the_event_loop(client: TestClient) -> None:
    searcher = client.app.state.searcher  # type: ignore[attr-defined]
    threads: list[str] = []
    embed = searcher.embedder.embed

    def spy(texts):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return embed(texts)

    searcher.embedder.embed = spy
    assert client.get("/search", params={"q": "neglect"}).status_code == 200
    assert threads and threads[0] != threading.main_thread().name


def test_a_repeated_parameter_counts_once_with_its_last_value(client: TestClient) -> None:
    r = client.get("/search?q=cats&q=neglect&k=2")
    assert r.status_code == 200 and r.json()["query"] == "neglect"
    assert len(r.json()["results"]) == 2


def test_get_errors_name_the_query_parameter(client: TestClient) -> None:
    body = client.get("/search", params={"q": "ok", "k": "many", "colour": "red"}).json()
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"k", "colour"}
    assert "colour is not a known field" in body["detail"]


def test_openapi_lists_the_query_parameters_of_the_model(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, model in (("/search", routes.SearchRequest), ("/answer", routes.AnswerQuery)):
        params = spec["paths"][path]["get"]["parameters"]
        assert [p["name"] for p in params] == list(model.model_fields)
        assert all(p["in"] == "query" for p in params)
        assert [p["name"] for p in params if p["required"]] == ["q"]
