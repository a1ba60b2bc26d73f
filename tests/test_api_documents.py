from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from search.api import create_app
from search.config import Settings
from search.corpus import add_files
from tests.fakes import FakeEmbedder
from tests.samples import write_docx, write_html, write_jsonl, write_pdf

DOC_FIELDS = {"id", "title", "format", "source", "url", "passages", "added", "pages", "metadata"}


@pytest.fixture
def mixed(corpus_dir: Path) -> Path:
    write_html(corpus_dir / "escalation.html")
    write_pdf(corpus_dir / "strategy.pdf")
    (corpus_dir / "strategy.pdf.meta.json").write_text('{"url": "https://example.org/s.pdf"}')
    write_docx(corpus_dir / "sharing.docx")
    write_jsonl(corpus_dir / "bulk.jsonl")
    return corpus_dir


@pytest.fixture
def quiet_settings(tmp_path: Path, mixed: Path) -> Settings:
    # No polling: these tests reload by hand.
    return Settings(corpus_dir=mixed, index_dir=tmp_path / "index", reload_interval=0)


@pytest.fixture
def api(quiet_settings: Settings, fake: FakeEmbedder) -> Iterator[TestClient]:
    with TestClient(create_app(quiet_settings, embedder=fake)) as c:
        yield c


def test_documents_list_and_detail(api: TestClient) -> None:
    body = api.get("/documents").json()
    assert body["count"] == 6 and all(set(d) == DOC_FIELDS for d in body["documents"])
    by_id = {d["id"]: d for d in body["documents"]}
    assert {i: d["format"] for i, d in by_id.items()} == {
        "brief-001": "jsonl",
        "brief-002": "jsonl",
        "escalation": "html",
        "scr-triennial-analysis-2014-2017": "md",
        "sharing": "docx",
        "strategy": "pdf",
    }
    pdf = by_id["strategy"]
    assert (pdf["source"], pdf["url"], pdf["pages"], pdf["passages"]) == (
        "strategy.pdf", "https://example.org/s.pdf", 3, 5
    )  # fmt: skip
    assert by_id["brief-001"]["metadata"] == {"year": 2021}
    assert by_id["brief-001"]["source"] == "bulk.jsonl"
    detail = api.get("/documents/strategy").json()
    assert detail["sections"] == ["Strategy meeting guidance", "Attendance", "Timescales"]
    r = api.get("/documents/nothing-here")
    assert r.status_code == 404
    assert r.json() == {"detail": "no document 'nothing-here' (GET /documents lists them)",
                        "errors": []}  # fmt: skip


def test_search_filters_by_document_and_cites_pages(api: TestClient) -> None:
    r = api.get("/search", params={"q": "strategy meeting timescales", "document": "strategy"})
    results = r.json()["results"]
    assert len(results) == 5 and {x["document"] for x in results} == {"strategy"}
    top = results[0]
    assert (top["title"], top["section"], top["page"]) == (
        "Strategy meeting guidance", "Timescales", 3
    )  # fmt: skip
    assert top["url"] == "https://example.org/s.pdf" and top["link"] == top["url"] + "#page=3"
    posted = api.post("/search", json={"q": "strategy meeting timescales", "document": "strategy"})
    assert posted.json() == r.json()


def test_html_results_link_to_the_passage(api: TestClient) -> None:
    r = api.get("/search", params={"q": "escalate disagree safety", "document": "escalation"})
    top = r.json()["results"][0]
    assert top["text"].startswith("Practitioners should escalate concerns")
    assert top["page"] is None
    assert top["link"] == (
        "https://example.org/procedures/escalation#:~:text="
        "Practitioners%20should%20escalate%20concerns%20when%20they%20disagree%20about"
    )
    md = api.get("/search", params={"q": "neglect", "document": "scr-triennial-analysis-2014-2017"})
    assert {(x["url"], x["link"]) for x in md.json()["results"]} == {(None, None)}


def test_unknown_document_lists_valid_ids(api: TestClient) -> None:
    for r in (
        api.get("/search", params={"q": "x", "document": "nope"}),
        api.post("/search", json={"q": "x", "document": "nope"}),
    ):
        assert r.status_code == 422
        assert r.json()["detail"] == (
            "unknown document 'nope'; valid documents: brief-001, brief-002, escalation, "
            "scr-triennial-analysis-2014-2017, sharing, strategy"
        )


def test_admin_reload_swaps_the_index(
    api: TestClient, quiet_settings: Settings, fake: FakeEmbedder, tmp_path: Path
) -> None:
    before = api.get("/health").json()
    assert before["documents"] == 6
    incoming = tmp_path / "in"
    incoming.mkdir()
    page = incoming / "mash.html"
    page.write_text("<main><h1>MASH triage</h1><p>The hub triages contacts within 24 hours.</p>")
    add_files([page], quiet_settings.corpus_dir, quiet_settings.index_dir, fake)
    # Polling is off: the service still serves the old index until told.
    assert "mash" not in {d["id"] for d in api.get("/documents").json()["documents"]}
    r = api.post("/admin/reload")
    assert r.status_code == 200
    body = r.json()
    assert body["changed"] is True and body["documents"] == 7
    assert body["build_id"] != before["build_id"]
    assert api.get("/documents/mash").json()["title"] == "MASH triage"
    assert api.get("/health").json()["build_id"] == body["build_id"]
    assert api.post("/admin/reload").json()["changed"] is False


def test_reload_of_a_bad_index_keeps_serving_the_old_one(
    api: TestClient, quiet_settings: Settings
) -> None:
    manifest = quiet_settings.index_dir / "manifest.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "model": "another-model", "build_id": "x"}))
    r = api.post("/admin/reload")
    assert r.status_code == 503 and "built with model 'another-model'" in r.json()["detail"]
    assert "Traceback" not in r.text
    assert api.get("/search", params={"q": "neglect"}).status_code == 200
    assert api.get("/health").json()["build_id"] == data["build_id"]
