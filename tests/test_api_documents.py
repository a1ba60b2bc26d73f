from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
from fastapi.testclient import TestClient

from search.api import create_app
from search.config import Settings
from search.index.update import add_files
from tests.fakes import FakeEmbedder
from tests.samples import write_docx, write_html, write_jsonl, write_pdf

DOC_FIELDS = {
    *("id", "title", "format", "source", "url", "passages", "added", "pages", "metadata"),
    "audience",
}


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
    # Five passages, three of them a list (its lead-in and two items) shown as one result.
    assert len(results) == 3 and {x["document"] for x in results} == {"strategy"}
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


def test_http_put_and_delete_documents(
    api: TestClient, quiet_settings: Settings, tmp_path: Path
) -> None:
    corpus = quiet_settings.corpus_dir
    word = docx.Document()
    word.add_heading("Private fostering", level=1)
    word.add_paragraph("Private fostering arrangements must be notified to the council.")
    word.add_paragraph("Visit the child within seven days.", style="List Bullet")
    word.save(str(tmp_path / "fostering.docx"))
    data = (tmp_path / "fostering.docx").read_bytes()
    r = api.put(
        "/admin/documents/fostering.docx",
        content=data,
        params={"url": "https://example.org/fostering.docx"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["added"], body["updated"], body["embedded"], body["documents"]) == (
        ["fostering"], [], 2, 7
    )  # fmt: skip
    # Searchable as soon as the response arrives, without waiting for the poller.
    hits = api.get("/search", params={"q": "private fostering notified"}).json()["results"]
    assert hits[0]["document"] == "fostering"
    assert hits[0]["link"] == "https://example.org/fostering.docx"
    assert (corpus / "fostering.docx").read_bytes() == data
    r = api.delete("/admin/documents/fostering")
    assert r.status_code == 200 and r.json()["removed"] == ["fostering"]
    assert not (corpus / "fostering.docx").exists()
    assert api.get("/documents/fostering").status_code == 404
    assert api.delete("/admin/documents/fostering").status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "status", "needle"),
    [
        ("minutes.pdf", b"%PDF-1.4 not really", 400, "minutes.pdf: not a readable PDF file"),
        ("notes.exe", b"MZ", 400, "not a file name this service reads"),
        (".hidden.md", b"# Hi\n\nText.", 400, "not a file name this service reads"),
        ("x.pdf.meta.json", b"{}", 400, "not a file name this service reads"),
        ("big.txt", b"a" * 2_000_001, 413, "big.txt: larger than 2 MB"),
    ],
)
def test_http_put_refuses_bad_files(
    tmp_path: Path,
    mixed: Path,
    fake: FakeEmbedder,
    name: str,
    data: bytes,
    status: int,
    needle: str,
) -> None:
    settings = Settings(
        corpus_dir=mixed, index_dir=tmp_path / "index", reload_interval=0, max_upload_mb=2
    )
    with TestClient(create_app(settings, embedder=fake)) as api:
        before = api.get("/health").json()["build_id"]
        listing = sorted(p.name for p in mixed.iterdir())
        r = api.put(f"/admin/documents/{name}", content=data)
        assert r.status_code == status and needle in r.json()["detail"], r.text
        assert sorted(p.name for p in mixed.iterdir()) == listing
        assert api.get("/health").json()["build_id"] == before


class _Watching(FakeEmbedder):
    """Notes how far the service says its build is, each time it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.app: object = None
        self.seen: list[object] = []

    def embed(self, texts: list[str]) -> object:  # type: ignore[override]
        if self.app is not None:
            self.seen.append(self.app.state.build_progress.status())  # type: ignore[attr-defined]
        return super().embed(texts)


def test_a_build_shows_its_progress_in_health_and_metrics(
    quiet_settings: Settings, tmp_path: Path
) -> None:
    watching = _Watching()
    app = create_app(quiet_settings, embedder=watching)
    with TestClient(app) as api:
        assert api.get("/health").json()["build"] is None
        watching.app = app
        page = (
            b"<html><body><main><h1>Respite care</h1><p>Short breaks must be reviewed "
            b"by the independent reviewing officer every six months.</p></main></body></html>"
        )
        r = api.put("/admin/documents/respite.html", content=page)
        assert r.status_code == 200, r.text
        # While it embedded, the build was in progress, past reading all six files.
        during = watching.seen[-1]
        assert during.building and during.phase == "embedding"  # type: ignore[attr-defined]
        assert (during.documents_done, during.documents_total) == (6, 6)  # type: ignore[attr-defined]
        # Done: nothing in progress any more.
        assert api.get("/health").json()["build"] is None
        assert "search_build_in_progress 0.0" in api.get("/metrics").text
        # What /health and /metrics say mid-build (the figures set by hand).
        progress = app.state.build_progress
        progress.start()
        progress.documents(3, 4)
        progress(50, 200)
        build = api.get("/health").json()["build"]
        assert build["building"] and (build["documents_done"], build["done"]) == (3, 50)
        assert build["total"] == 200 and build["phase"] == "embedding"
        metrics = api.get("/metrics").text
        assert "search_build_in_progress 1.0" in metrics
        assert "search_build_progress 0.25" in metrics
        progress.finish()


def test_a_reading_list_entry_carries_where_it_points(
    tmp_path: Path, corpus_dir: Path, fake: FakeEmbedder
) -> None:
    (corpus_dir / "reading.md").write_text(
        "# Statutory guidance\n\n"
        "- [Working Together to Safeguard Children](https://www.gov.uk/wt)\n\n"
        "# In schools\n\nThese publications may help:\n\n"
        "- [Keeping children safe in education](https://www.gov.uk/kcsie)\n"
        "- Ask the designated safeguarding lead first.\n"
    )
    settings = Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index", reload_interval=0)
    with TestClient(create_app(settings, embedder=fake)) as api:

        def top(q: str) -> dict[str, Any]:
            found = api.get("/search", params={"q": q, "document": "reading", "k": 1})
            return dict(found.json()["results"][0])

        entry = top("working together safeguard")
        listed = top("keeping children safe education")
    assert (entry["kind"], entry["points_to"], entry["links"]) == (
        "reference", "https://www.gov.uk/wt", []
    )  # fmt: skip
    # A list shown whole points nowhere itself; each entry's place in its text does.
    assert listed["text"].startswith("These publications may help:")
    assert listed["points_to"] is None
    [link] = listed["links"]
    assert listed["text"][link["start"] : link["end"]].startswith("Keeping children safe")
    assert link["url"] == "https://www.gov.uk/kcsie"
