from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from search.api import create_app
from search.config import Settings
from tests.conftest import SEED_PASSAGES
from tests.fakes import FakeEmbedder

RESULT_FIELDS = {
    *("id", "text", "score", "section", "kind", "document", "title", "start", "end"),
    *("url", "page", "link", "headings", "matched", "points_to", "links"),
}


def test_search_get_contract(client: TestClient) -> None:
    r = client.get("/search", params={"q": "domestic abuse", "k": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "domestic abuse"
    assert len(body["results"]) == 3
    assert all(set(res) == RESULT_FIELDS for res in body["results"])
    scores = [res["score"] for res in body["results"]]
    assert scores == sorted(scores, reverse=True)
    assert body["results"][0]["text"].startswith("Domestic abuse: 164 (59%)")


def test_search_post_matches_get(client: TestClient) -> None:
    got = client.get("/search", params={"q": "fathers alienated", "k": 4}).json()
    posted = client.post("/search", json={"q": "fathers alienated", "k": 4}).json()
    assert got == posted


def test_default_k_is_five(client: TestClient) -> None:
    assert len(client.get("/search", params={"q": "neglect"}).json()["results"]) == 5


def test_filters(client: TestClient) -> None:
    r = client.get("/search", params={"q": "schools", "kind": "learning", "k": 50}).json()
    assert r["results"] and {x["kind"] for x in r["results"]} == {"learning"}
    r = client.get("/search", params={"q": "schools", "section": "vulnerable adolescents", "k": 50})
    results = r.json()["results"]
    # Its 14 passages: two paragraphs and one list of twelve themes, shown whole.
    assert len(results) == 3 and {x["section"] for x in results} == {"Vulnerable Adolescents"}
    assert sum(x["text"].count("\u2022 ") for x in results) == 12
    r = client.post("/search", json={"q": "x", "section": "Neglect", "kind": "theme", "k": 50})
    assert {(x["section"], x["kind"]) for x in r.json()["results"]} == {("Neglect", "theme")}
    [whole] = r.json()["results"]  # its three themes are one list, shown whole
    assert whole["text"].count("\u2022 ") == 3 and len(whole["matched"]) == 3


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({}, "q is required"),
        ({"q": ""}, "q must not be empty"),
        ({"q": "   \t "}, "q must not be empty"),
        ({"q": "a" * 1001}, "at most 1000 characters"),
        ({"q": "ok", "k": 0}, "k"),
        ({"q": "ok", "k": 51}, "k"),
        ({"q": "ok", "k": "many"}, "k"),
        (
            {"q": "ok", "kind": "poem"},
            "valid kinds: paragraph, item, theme, learning, finding, statistic, footnote, "
            "reference",
        ),
        ({"q": "ok", "section": "Nowhere"}, "valid sections:"),
    ],
)
def test_validation(client: TestClient, params: dict[str, object], needle: str) -> None:
    for r in (client.get("/search", params=params), client.post("/search", json=params)):
        assert r.status_code == 422, r.text
        body = r.json()
        assert needle in body["detail"]
        assert "Traceback" not in r.text


def test_unknown_section_lists_real_ones(client: TestClient) -> None:
    detail = client.get("/search", params={"q": "x", "section": "Nowhere"}).json()["detail"]
    assert "Neglect" in detail and "Vulnerable Adolescents" in detail


def test_post_rejects_malformed_json(client: TestClient) -> None:
    r = client.post("/search", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"]
    r = client.post("/search", json={"q": "x", "colour": "red"})
    assert r.status_code == 422 and "colour is not a known field" in r.json()["detail"]


def test_query_of_exactly_1000_chars_is_fine(client: TestClient) -> None:
    assert client.get("/search", params={"q": "a" * 1000}).status_code == 200


def test_health(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["passages"] == SEED_PASSAGES
    assert body["model"] == "fake-hash" and body["dimension"] == 256
    assert len(body["corpus_hash"]) == 64 and body["built_at"]


def test_openapi_docs(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/search"])


def test_service_builds_missing_index_and_survives_stale(settings: Settings) -> None:
    fake = FakeEmbedder()
    assert not settings.index_dir.exists()
    with TestClient(create_app(settings, embedder=fake)) as c:
        assert c.get("/health").json()["passages"] == SEED_PASSAGES
    (settings.corpus_dir / "more.md").write_text("More Title\n\nOne more paragraph.\n")
    with TestClient(create_app(settings, embedder=fake)) as c:
        assert c.get("/health").json()["passages"] == 58


def test_not_covered_bars_are_ready_before_the_first_question(settings: Settings) -> None:
    fake = FakeEmbedder()
    with TestClient(create_app(settings, embedder=fake)) as c:
        searcher = c.app.state.searcher  # type: ignore[attr-defined]
        # Computed while starting (127 calibration questions and each passage's sentences),
        # not by whoever asks first.
        assert "coverage" in vars(searcher) and "units" in vars(searcher)
        embedded = fake.texts_embedded
        c.get("/search", params={"q": "neglect"})
        assert fake.texts_embedded == embedded + 1  # the question alone


def test_service_refuses_index_of_other_model(settings: Settings, tmp_path: Path) -> None:
    with TestClient(create_app(settings, embedder=FakeEmbedder())):
        pass
    # Same model name, other dimension: the service must not serve wrong vectors.
    with pytest.raises(Exception, match="dimension"):
        with TestClient(create_app(settings, embedder=FakeEmbedder(dimension=32))):
            pass


def test_unexpected_error_is_json_not_traceback(settings: Settings) -> None:
    class Exploding(FakeEmbedder):
        def embed(self, texts):  # type: ignore[no-untyped-def]
            if texts and texts[0] == "boom":
                raise RuntimeError("secret internals")
            return super().embed(texts)

    with TestClient(create_app(settings, embedder=Exploding()), raise_server_exceptions=False) as c:
        r = c.get("/search", params={"q": "boom"})
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error", "errors": []}
    assert "secret" not in r.text


def test_search_reports_answerable_and_mode(client: TestClient) -> None:
    body = client.get("/search", params={"q": "domestic abuse", "mode": "bm25"}).json()
    assert body["answerable"] is True
    assert body["results"][0]["text"].startswith("Domestic abuse")
    assert client.get("/search", params={"q": "qwertyuiop zxcvb"}).json()["answerable"] is False
    r = client.get("/search", params={"q": "x", "mode": "magic"})
    assert r.status_code == 422 and "mode" in r.json()["detail"]


ANSWER_FIELDS = {
    "question",
    "corrected",
    "answerable",
    "answer",
    "confidence",
    "message",
    "citations",
}


def test_answer_contract(client: TestClient) -> None:
    r = client.get("/answer", params={"q": "What percentage of domestic abuse?"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == ANSWER_FIELDS
    assert body["answerable"] is True and body["answer"] == "Domestic abuse: 164 (59%)"
    cite = body["citations"][0]
    assert set(cite) == RESULT_FIELDS - {"score", "matched", "links"} | {"highlight"}
    assert cite["text"][cite["highlight"]["start"] : cite["highlight"]["end"]] == body["answer"]
    posted = client.post("/answer", json={"question": "What percentage of domestic abuse?"})
    assert posted.json() == body


def test_answer_k_is_how_many_passages_it_is_chosen_from(client: TestClient) -> None:
    question = "what did fathers feel"
    top = client.get("/search", params={"q": question, "k": 1}).json()["results"][0]
    for body in (
        client.get("/answer", params={"q": question, "k": 1}).json(),
        client.post("/answer", json={"question": question, "k": 1}).json(),
    ):
        # One citation: the first result, or the item of it that answers when it is a list
        # shown whole.
        [cited] = body["citations"]
        assert cited["id"] == top["id"] or (
            top["id"].endswith("~list") and cited["text"] in top["text"]
        )
    wider = client.get("/answer", params={"q": question, "k": 8}).json()
    assert len(wider["citations"]) > 1  # more passages to choose from, more cited


def test_default_k_comes_from_the_settings(settings: Settings, fake: FakeEmbedder) -> None:
    with TestClient(create_app(settings.model_copy(update={"default_k": 2}), fake)) as c:
        assert len(c.get("/search", params={"q": "neglect"}).json()["results"]) == 2
        assert len(c.get("/search", params={"q": "neglect", "k": 3}).json()["results"]) == 3


def test_answer_not_covered(client: TestClient) -> None:
    body = client.post("/answer", json={"question": "qwertyuiop zxcvb"}).json()
    assert body["answerable"] is False and body["answer"] is None
    assert body["message"].startswith("The documents do not cover this")
    assert body["citations"] and all(c["highlight"] is None for c in body["citations"])


@pytest.mark.parametrize(
    "q", ["What percentage of domestic abuse?", "fathers alienated", "qwertyuiop zxcvb"]
)
@pytest.mark.parametrize("mode", ["hybrid", "bm25"])
def test_search_with_answer_gives_what_answer_gives(client: TestClient, q: str, mode: str) -> None:
    """One request for a search box: the results as /search gives them, and the answer as
    /answer gives it (covered or not, any mode)."""
    both = client.get("/search", params={"q": q, "k": 3, "mode": mode, "answer": "true"}).json()
    alone = client.get("/search", params={"q": q, "k": 3, "mode": mode}).json()
    answer = client.get("/answer", params={"q": q, "mode": mode}).json()
    assert alone["answer"] is None
    assert {**both, "answer": None} == alone
    assert both["answer"] == answer
    posted = client.post("/search", json={"q": q, "k": 3, "mode": mode, "answer": True}).json()
    assert posted == both


def test_answer_refuses_the_search_only_answer_field(client: TestClient) -> None:
    r = client.get("/answer", params={"q": "neglect", "answer": "true"})
    assert r.status_code == 422 and "answer is not a known field" in r.json()["detail"], r.text
    r = client.get("/search", params={"q": "neglect", "answer": "perhaps"})
    assert r.status_code == 422 and "answer" in r.json()["detail"], r.text


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "question is required"),
        ({"question": "  "}, "question must not be empty"),
        ({"question": "a" * 1001}, "at most 1000"),
        ({"question": "ok", "kind": "poem"}, "valid kinds"),
        ({"question": "ok", "section": "Nowhere"}, "valid sections"),
        ({"question": "ok", "extra": 1}, "extra is not a known field"),
        ({"question": "ok", "k": 0}, "k"),
        ({"question": "ok", "k": 51}, "k"),
    ],
)
def test_answer_validation(client: TestClient, body: dict[str, object], needle: str) -> None:
    r = client.post("/answer", json=body)
    assert r.status_code == 422 and needle in r.json()["detail"], r.text
    if "extra" not in body:  # GET has no body to carry unknown fields
        params = {("q" if k == "question" else k): v for k, v in body.items()}
        assert client.get("/answer", params=params).status_code == 422
