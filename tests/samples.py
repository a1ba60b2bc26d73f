"""Small documents of every format, made by the tests themselves."""

from __future__ import annotations

import json
from pathlib import Path

import docx
from fpdf import FPDF

HTML_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Escalation policy | Partnership</title>
<link rel="canonical" href="https://example.org/procedures/escalation">
<style>body { color: red }</style><script>var tracker = "analytics snippet";</script></head>
<body>
<header class="site-header"><a href="/">Home</a> Partnership website banner</header>
<nav><ul><li>Menu item training</li><li>Menu item contacts</li></ul></nav>
<div id="cookie-banner">We use cookies on this site. <button>Accept</button></div>
<main>
<article>
<header><h1>Resolving professional disagreements</h1></header>
<p>Practitioners should <b>escalate</b> concerns<br>when they disagree about a child's
safety.</p>
<h2>Steps</h2>
<p>The key learning points are:</p>
<ul><li>Talk to the other professional first.</li>
<li><p>Involve your line manager.</p><ul><li>Within two working days.</li></ul></li></ul>
<table><caption>Escalations by year</caption>
<tr><th></th><th>2020</th><th>2021</th></tr>
<tr><td>Neglect</td><td>40</td><td>52</td></tr>
</table>
<div class="visually-hidden" hidden>Hidden helper text</div>
<footer>Posted by the web team</footer>
</article>
</main>
<aside>Related links sidebar</aside>
<footer class="site-footer">Copyright partnership footer</footer>
</body></html>
"""


def write_html(path: Path, text: str = HTML_PAGE) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def write_pdf(path: Path, running_header: bool = True) -> Path:
    """Three pages: a title and section headings in larger type (with bookmarks), a
    bulleted list, a running header and page numbers on every page."""
    pdf = FPDF()
    pdf.core_fonts_encoding = "windows-1252"  # for the bullet character
    pdf.set_auto_page_break(False)
    pages = [
        (
            "Strategy meeting guidance",
            0,
            [
                "Strategy meetings decide whether to start child protection enquiries. "
                "Police, health and children's social care must all attend."
            ],
            [],
        ),
        (
            "Attendance",
            1,
            ["The points below were agreed:"],
            ["Invite the school nurse.", "Record who declined and why."],
        ),
        (
            "Timescales",
            1,
            [
                "A strategy meeting is held within three working days of the referral. "
                "Minutes are circulated within one day."
            ],
            [],
        ),
    ]
    for number, (heading, level, paragraphs, bullets) in enumerate(pages, 1):
        pdf.add_page()
        if running_header:
            pdf.set_font("Helvetica", "", 8)
            pdf.cell(0, 5, "Safeguarding Partnership procedures", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 18 if level == 0 else 14)
        pdf.start_section(heading, level=level)
        pdf.cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for text in paragraphs:
            pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        for text in bullets:
            pdf.multi_cell(0, 6, "\u2022 " + text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(-15)
        pdf.set_font("Helvetica", "", 8)
        pdf.cell(0, 5, f"Page {number} of {len(pages)}")
    pdf.output(str(path))
    return path


def write_docx(path: Path) -> Path:
    d = docx.Document()
    d.add_heading("Information sharing guidance", level=0)
    d.add_paragraph(
        "Practitioners must share information when a child is at risk of significant harm."
    )
    d.add_heading("Key messages", level=1)
    d.add_paragraph("The key messages for practitioners are:")
    d.add_paragraph("Never wait for consent when a child is in danger.", style="List Bullet")
    d.add_paragraph("Record what was shared and why.", style="List Number")
    d.add_heading("Referrals", level=1)
    table = d.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ["", "2019", "2020"], strict=True):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ["Referrals", "120", "140"], strict=True):
        cell.text = text
    d.save(str(path))
    return path


JSONL_ROWS = [
    {
        "id": "brief-001",
        "title": "Missing from home briefing",
        "text": "Children missing from home are at risk of exploitation. "
        "Return interviews must be offered within 72 hours.",
        "url": "https://example.org/briefings/missing",
        "year": 2021,
    },
    {
        "id": "brief-002",
        "title": "Bruising in non-mobile babies",
        "text": "# Bruising protocol\n\nAny bruise on a baby who is not yet mobile must be "
        "referred to a paediatrician the same day.",
    },
]


def write_jsonl(path: Path, rows: list[dict[str, object]] | None = None) -> Path:
    lines = [json.dumps(r) for r in (JSONL_ROWS if rows is None else rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
