from __future__ import annotations

import json
from pathlib import Path

import pytest

from search.errors import CorpusError
from search.ingest.corpus import read_corpus, read_file
from tests.samples import (
    JSONL_ROWS,
    write_docx,
    write_html,
    write_jsonl,
    write_pdf,
)


def _rows(path: Path) -> list[tuple[str, str, str]]:
    [doc] = read_file(path)
    return [(p.kind, p.section, p.text) for p in doc.passages]


def test_html_keeps_main_content_only(tmp_path: Path) -> None:
    [doc] = read_file(write_html(tmp_path / "escalation.html"))
    assert (doc.id, doc.format, doc.source) == ("escalation", "html", "escalation.html")
    assert doc.title == "Resolving professional disagreements"  # the <h1>, not the <title>
    assert doc.url == "https://example.org/procedures/escalation"  # the canonical link
    title = "Resolving professional disagreements"
    assert [(p.kind, p.section, p.text) for p in doc.passages] == [
        ("paragraph", title, "Practitioners should escalate concerns when they disagree about a "
         "child's safety."),
        ("paragraph", "Steps", "The key learning points are:"),
        ("learning", "Steps", "Talk to the other professional first."),
        ("learning", "Steps", "Involve your line manager."),
        ("learning", "Steps", "Within two working days."),
        ("paragraph", "Steps", "Escalations by year"),
        ("statistic", "Steps", "Neglect, 2020: 40. From the table: Escalations by year."),
        ("statistic", "Steps", "Neglect, 2021: 52. From the table: Escalations by year."),
    ]  # fmt: skip
    assert all(p.url == doc.url and p.page is None for p in doc.passages)


def test_html_without_main_uses_body_and_charset(tmp_path: Path) -> None:
    page = (
        '<html><head><meta charset="windows-1252"></head><body><nav>Site menu</nav>'
        "<h2>Caf\xe9 meetings</h2><p>Parents met at the caf\xe9 weekly.</p>"
        '<div class="cookie-consent">Accept cookies?</div><footer>Footer</footer></body></html>'
    )
    path = tmp_path / "cafe.htm"
    path.write_bytes(page.encode("windows-1252"))
    assert _rows(path) == [("paragraph", "Café meetings", "Parents met at the café weekly.")]


def test_html_latin1_label_reads_as_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "quotes.html"
    path.write_bytes(b'<meta charset="iso-8859-1"><p>The \x93child\x92s voice\x94 was missing.</p>')
    assert _rows(path) == [
        ("paragraph", "quotes", "The \u201cchild\u2019s voice\u201d was missing.")
    ]


def test_html_declared_charset_mismatch_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.html"
    path.write_bytes(b'<meta charset="utf-8"><p>caf\xe9 \xff</p>')
    with pytest.raises(CorpusError, match=r"bad\.html: declares charset utf-8 but byte"):
        read_file(path)
    path.write_text("<html><body><nav>Only navigation</nav><script>x()</script></body></html>")
    with pytest.raises(CorpusError, match="no text in the page's main content"):
        read_file(path)


def test_pdf_headings_lists_and_pages(tmp_path: Path) -> None:
    [doc] = read_file(write_pdf(tmp_path / "strategy.pdf"))
    assert (doc.format, doc.pages, doc.title) == ("pdf", 3, "Strategy meeting guidance")
    got = [(p.page, p.kind, p.section, p.text) for p in doc.passages]
    assert got == [
        (1, "paragraph", "Strategy meeting guidance", "Strategy meetings decide whether to start "
         "child protection enquiries. Police, health and children's social care must all attend."),
        (2, "paragraph", "Attendance", "The points below were agreed:"),
        (2, "item", "Attendance", "Invite the school nurse."),
        (2, "item", "Attendance", "Record who declined and why."),
        (3, "paragraph", "Timescales", "A strategy meeting is held within three working days of "
         "the referral. Minutes are circulated within one day."),
    ]  # fmt: skip
    # The running header and the page numbers are gone from every passage.
    assert not any("Partnership procedures" in p.text or "Page " in p.text for p in doc.passages)


def test_pdf_without_outline_or_header(tmp_path: Path) -> None:
    # No running header: the first line of each page is its heading, found by type size.
    [doc] = read_file(write_pdf(tmp_path / "s.pdf", running_header=False))
    assert [p.section for p in doc.passages][:2] == ["Strategy meeting guidance", "Attendance"]


def test_docx_headings_lists_tables(tmp_path: Path) -> None:
    [doc] = read_file(write_docx(tmp_path / "sharing.docx"))
    assert (doc.format, doc.title) == ("docx", "Information sharing guidance")
    assert [(p.kind, p.section, p.text) for p in doc.passages] == [
        ("paragraph", "Information sharing guidance",
         "Practitioners must share information when a child is at risk of significant harm."),
        ("paragraph", "Key messages", "The key messages for practitioners are:"),
        ("learning", "Key messages", "Never wait for consent when a child is in danger."),
        ("learning", "Key messages", "Record what was shared and why."),
        ("statistic", "Referrals", "Referrals, 2019: 120. From the table: Referrals."),
        ("statistic", "Referrals", "Referrals, 2020: 140. From the table: Referrals."),
    ]  # fmt: skip


def test_jsonl_one_document_per_line(tmp_path: Path) -> None:
    docs = read_file(write_jsonl(tmp_path / "bulk.jsonl"))
    assert [(d.id, d.title, d.format, d.source, d.url) for d in docs] == [
        ("brief-001", "Missing from home briefing", "jsonl", "bulk.jsonl",
         "https://example.org/briefings/missing"),
        ("brief-002", "Bruising in non-mobile babies", "jsonl", "bulk.jsonl", None),
    ]  # fmt: skip
    assert docs[0].metadata == {"year": 2021}
    assert docs[0].passages[0].text == JSONL_ROWS[0]["text"]
    assert docs[0].passages[0].url == "https://example.org/briefings/missing"
    # The text is Markdown: its heading becomes the passage's section.
    assert docs[1].passages[0].section == "Bruising protocol"


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("{not json", "line 2: not valid JSON"),
        ('["a list"]', "line 2: must be a JSON object"),
        ('{"id": "x y", "text": "t"}', "line 2: 'id' must be letters"),
        ('{"id": "..", "text": "t"}', "line 2: 'id' must be letters"),
        ('{"id": "brief-001", "text": "again"}', "line 2: id 'brief-001' appears twice"),
        ('{"id": "b2", "text": "  "}', "line 2: 'text' must be a non-empty string"),
        ('{"id": "b2", "text": "t", "url": "javascript:alert(1)"}', "url must start with"),
    ],
)
def test_jsonl_bad_lines_are_refused(tmp_path: Path, line: str, needle: str) -> None:
    path = tmp_path / "bulk.jsonl"
    path.write_text(json.dumps(JSONL_ROWS[0]) + "\n" + line + "\n")
    with pytest.raises(CorpusError, match=needle) as info:
        read_file(path)
    assert str(path) in info.value.message and "\n" not in info.value.message


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage", "not a readable PDF"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "not a readable Word .docx file"),
        ("empty.pdf", b"  \n", "the file is empty"),
        ("latin1.md", b"Title\n\nCaf\xe9 culture\n", "not UTF-8 text"),
        ("old.doc", b"\xd0\xcf\x11\xe0", "unsupported format '.doc'"),
    ],
)
def test_unreadable_files_are_refused_in_one_line(
    tmp_path: Path, name: str, data: bytes, needle: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CorpusError, match=needle) as info:
        read_file(path)
    assert info.value.message.startswith(str(path)) and "\n" not in info.value.message


def test_scanned_pdf_is_refused(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50)  # a page with drawing but no text, like a scan
    pdf.output(str(tmp_path / "scan.pdf"))
    with pytest.raises(CorpusError, match="no text layer"):
        read_file(tmp_path / "scan.pdf")


def test_sidecar_sets_url_and_title(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "strategy.pdf")
    (tmp_path / "strategy.pdf.meta.json").write_text(
        json.dumps({"url": "https://example.org/s.pdf", "title": "Strategy", "owner": "QA"})
    )
    [doc] = read_file(path)
    assert (doc.title, doc.url, doc.metadata) == ("Strategy", "https://example.org/s.pdf", {
        "owner": "QA"
    })  # fmt: skip
    assert {p.title for p in doc.passages} == {"Strategy"}
    assert doc.passages[1].url == "https://example.org/s.pdf" and doc.passages[1].page == 2


def test_read_corpus_mixes_formats_and_refuses_clashing_ids(tmp_path: Path) -> None:
    write_html(tmp_path / "escalation.html")
    write_pdf(tmp_path / "strategy.pdf")
    write_docx(tmp_path / "sharing.docx")
    write_jsonl(tmp_path / "bulk.jsonl")
    (tmp_path / "notes.txt").write_text("Notes\n\nA plain text note about supervision.\n")
    docs = read_corpus(tmp_path)
    assert [d.id for d in docs] == [
        "brief-001", "brief-002", "escalation", "notes", "sharing", "strategy"
    ]  # fmt: skip
    (tmp_path / "strategy.md").write_text("Strategy\n\nAnother strategy document.\n")
    with pytest.raises(
        CorpusError, match="'strategy' is used by both strategy.md and strategy.pdf"
    ):
        read_corpus(tmp_path)


def test_password_protected_pdf_is_refused(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(write_pdf(tmp_path / "open.pdf")).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    writer.write(tmp_path / "locked.pdf")
    with pytest.raises(CorpusError, match=r"locked\.pdf: the PDF is password-protected"):
        read_file(tmp_path / "locked.pdf")
    # Restricted only for editing (empty user password): it opens and is read.
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    writer.write(tmp_path / "restricted.pdf")
    assert read_file(tmp_path / "restricted.pdf")[0].pages == 3


def test_docx_list_items_that_are_links_are_references(tmp_path: Path) -> None:
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    d = docx.Document()
    d.add_paragraph("These may help:")

    def linked_item(text: str, url: str, after: str = "") -> None:
        p = d.add_paragraph(style="List Bullet")
        link = OxmlElement("w:hyperlink")
        link.set(qn("r:id"), d.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True))
        run, said = OxmlElement("w:r"), OxmlElement("w:t")
        said.text = text
        run.append(said)
        link.append(run)
        p._p.append(link)
        if after:
            p.add_run(after)

    linked_item("Working Together to Safeguard Children", "https://example.org/wt")
    linked_item("Section 17", "https://example.org/s17", " applies to every child in need.")
    path = tmp_path / "reading.docx"
    d.save(str(path))
    [doc] = read_file(path)
    assert [(p.kind, p.text) for p in doc.passages] == [
        ("paragraph", "These may help:"),
        ("reference", "Working Together to Safeguard Children"),
        ("item", "Section 17 applies to every child in need."),
    ]
    assert [p.points_to for p in doc.passages] == [None, "https://example.org/wt", None]
