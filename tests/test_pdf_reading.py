"""The PDF reader on long-document layouts: contents pages, running headers and page
numbers, footnote markers and footnotes, paragraphs over page breaks, numbered paragraphs,
heading paths from the outline or from type, and the title from the first page. The PDFs
are drawn line by line with fpdf2 so that sizes and positions are exactly known."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fpdf import FPDF

from search.ingest.corpus import read_file
from search.ingest.pdf_layout import (
    Fragment,
    Line,
    drop_glued,
    drop_imprint,
    drop_unnumbered_contents,
    is_contents_entry,
    is_linked,
    make_line,
    split_footnotes,
)
from search.ingest.pdf_lists import Item, as_list_items, solid, solid_offset
from search.ingest.pdf_words import (
    Vocabulary,
    close_letter_spacing,
    join_lines,
    join_pieces,
    rejoin_split_words,
)
from search.model import ParsedDocument

BODY = 11  # pt; lines 15pt apart, paragraphs 26pt apart


class _Page:
    """Draws one page top-down: body lines, headings, a raised footnote marker."""

    def __init__(self, pdf: FPDF, header: bool, number: int | None) -> None:
        self.pdf = pdf
        pdf.add_page()
        self.y = 90.0
        if header:
            self._text(72, 40, "Children missing education", 8)
        if number is not None:
            self._text(290, 810, str(number), 9)

    def _text(self, x: float, y: float, text: str, size: float, bold: bool = False) -> float:
        self.pdf.set_font("Helvetica", "B" if bold else "", size)
        self.pdf.text(x, y, text)
        return x + self.pdf.get_string_width(text)

    def heading(self, text: str, size: float, level: int | None = None) -> None:
        self.y += 10
        if level is not None:
            self.pdf.set_y(self.y - size)
            self.pdf.start_section(text, level=level)
        self._text(72, self.y, text, size, bold=True)
        self.y += size + 12

    def line(self, text: str, x: float = 72, marker: str = "", rest: str = "") -> None:
        end = self._text(x, self.y, text, BODY)
        if marker:  # a footnote reference: smaller type, 4pt above the baseline
            end = self._text(end, self.y - 4, marker, 7)
            self._text(end, self.y, rest, BODY)
        self.y += 15

    def gap(self) -> None:
        self.y += 11

    def footnote(self, number: str, text: str) -> None:
        end = self._text(72, 760, number, 5)
        self._text(end + 2, 763, text, 8)


def _write(path: Path, outline: bool, title: str | None) -> Path:
    pdf = FPDF(unit="pt", format="A4")
    if title is not None:
        pdf.set_title(title)
    level = (lambda n: n) if outline else (lambda n: None)

    p = _Page(pdf, header=False, number=None)
    p.heading("Children missing", 20)
    p.y -= 16  # a title over two lines, set solid
    p.heading("education", 20)
    p.line("Statutory guidance for local authorities")

    p = _Page(pdf, header=True, number=2)
    p.heading("Contents", 16)
    for entry in ("Summary 3", "About this guidance 3", "Duties 3", "Records . . . . . . 4"):
        p.line(entry)
        p.gap()

    p = _Page(pdf, header=True, number=3)
    p.heading("Summary", 16, level(0))
    p.line("This guidance is for local authorities and schools.")
    p.heading("About this guidance", 13, level(1))
    p.line("The local authority has a duty", marker="1", rest=" to ensure that children")
    p.line("of compulsory school age who are not registered pupils at a school and are")
    p.line("not receiving suitable education otherwise are identified.")
    p.gap()
    p.line("Schools must tell the local authority when a pupil's name is to be")
    p.footnote("1", "Section 436A of the Education Act 1996.")

    p = _Page(pdf, header=True, number=4)
    p.line("deleted from the admission register.")
    p.heading("Records", 16, level(0))
    p.line("1.12", x=72)
    p.y -= 15  # the number and its text share a baseline, the text indented
    p.line("The local authority must make enquiries", x=108)
    p.line("within five days of the notification.", x=108)
    p.gap()
    p.line("1.13 Records must be kept for six years.")

    p = _Page(pdf, header=True, number=5)
    p.heading("Duties", 16, level(0))
    p.line("Every school must have a named lead for attendance.")
    pdf.output(str(path))
    return path


def _read(tmp_path: Path, outline: bool = True, title: str | None = None) -> ParsedDocument:
    [doc] = read_file(_write(tmp_path / "cme.pdf", outline, title))
    return doc


def _by_text(doc: ParsedDocument, start: str) -> list[tuple[int | None, str, str, tuple[str, ...]]]:
    return [(p.page, p.kind, p.text, p.headings) for p in doc.passages if p.text.startswith(start)]


def test_contents_page_header_and_page_numbers_are_dropped(tmp_path: Path) -> None:
    doc = _read(tmp_path)
    texts = [p.text for p in doc.passages]
    assert not any("About this guidance 3" in t or "Records" in t and ". ." in t for t in texts)
    assert not any(t.isdigit() or t == "Contents" for t in texts)
    # The running header (the title in small type on every page) is in no passage.
    assert not any("Children missing education" in t for t in texts)
    assert not any(p.page == 2 for p in doc.passages)  # the contents page gives nothing


def test_footnote_marker_removed_and_footnote_kept_apart(tmp_path: Path) -> None:
    doc = _read(tmp_path)
    assert _by_text(doc, "The local authority has") == [
        (3, "paragraph", "The local authority has a duty to ensure that children of compulsory "
         "school age who are not registered pupils at a school and are not receiving suitable "
         "education otherwise are identified.", ("Summary", "About this guidance")),
    ]  # fmt: skip
    assert [(p.page, p.text) for p in doc.passages if p.kind == "footnote"] == [
        (3, "1 Section 436A of the Education Act 1996.")
    ]
    assert not any("436A" in p.text for p in doc.passages if p.kind != "footnote")


def test_paragraph_over_a_page_break_stays_whole(tmp_path: Path) -> None:
    doc = _read(tmp_path)
    assert _by_text(doc, "Schools must") == [
        (3, "paragraph", "Schools must tell the local authority when a pupil's name is to be "
         "deleted from the admission register.", ("Summary", "About this guidance")),
    ]  # fmt: skip
    assert not _by_text(doc, "deleted")


def test_numbered_paragraphs_keep_their_number(tmp_path: Path) -> None:
    doc = _read(tmp_path)
    assert [(p.kind, p.text) for p in doc.passages if p.section == "Records"] == [
        ("paragraph", "1.12 The local authority must make enquiries within five days of the "
         "notification."),
        ("paragraph", "1.13 Records must be kept for six years."),
    ]  # fmt: skip


def test_heading_paths_from_the_outline(tmp_path: Path) -> None:
    doc = _read(tmp_path, outline=True)
    assert [(p.section, p.headings) for p in doc.passages if p.kind != "footnote"] == [
        ("Children missing education", ()),
        ("Summary", ("Summary",)),
        ("About this guidance", ("Summary", "About this guidance")),
        ("About this guidance", ("Summary", "About this guidance")),
        ("Records", ("Records",)),
        ("Records", ("Records",)),
        ("Duties", ("Duties",)),
    ]


def test_heading_paths_from_type_sizes_without_outline(tmp_path: Path) -> None:
    doc = _read(tmp_path, outline=False)
    assert [p.headings for p in doc.passages if p.kind != "footnote"] == [
        (),
        ("Summary",),
        ("Summary", "About this guidance"),
        ("Summary", "About this guidance"),
        ("Records",),
        ("Records",),
        ("Duties",),
    ]


def test_title_from_the_first_page(tmp_path: Path) -> None:
    # No metadata title, and one that is only a prefix of the title on the first page.
    assert _read(tmp_path, title=None).title == "Children missing education"
    assert _read(tmp_path, title="Children missing").title == "Children missing education"
    # A good metadata title is kept.
    kept = "Children missing education: statutory guidance"
    assert _read(tmp_path, title=kept).title == kept


def test_a_volume_under_the_cover_title_is_part_of_the_title(tmp_path: Path) -> None:
    def cover(title: str | None, under: str) -> str:
        pdf = FPDF(unit="pt", format="A4")
        if title is not None:
            pdf.set_title(title)
        p = _Page(pdf, header=False, number=None)
        p.heading("The Children Act 1989", 20)
        p.y -= 16
        p.heading("guidance and regulations", 20)
        p.heading(under, 14)
        p.line("This guidance is for local authorities.")
        path = tmp_path / "volume.pdf"
        pdf.output(str(path))
        [doc] = read_file(path)
        return doc.title

    volume = "Volume 3: planning transition to adulthood"
    expected = f"The Children Act 1989 guidance and regulations: {volume}"
    assert cover(None, volume) == expected
    # The series title alone in the metadata, as the cover's prefix, is completed too.
    assert cover("The Children Act 1989 guidance and regulations", volume) == expected
    # A subtitle that names no volume stays out of the title.
    assert cover(None, "Statutory guidance for local authorities") == (
        "The Children Act 1989 guidance and regulations"
    )
    # A note of revision after a dash in the metadata title is dropped.
    noted = "The Children Act 1989 guidance and regulations for care - update added in 2022"
    assert cover(noted, "Statutory guidance") == noted.split(" - ")[0]
    kept = "The Children Act 1989 guidance and regulations - statutory guidance"
    assert cover(kept, "Statutory guidance") == kept


def test_a_line_is_linked_when_links_cover_its_text() -> None:
    line = Line("• Working Together to Safeguard Children", 12.0, 600.0, 89.0, False, 12.0)
    width = len(line.text) * 12.0 * 0.5
    assert is_linked(line, [(105.0, 596.0, 89.0 + width, 612.0)])
    # Split over two boxes, as a PDF writer often does, it is still covered.
    assert is_linked(line, [(105.0, 596.0, 200.0, 612.0), (199.0, 596.0, 89.0 + width, 612.0)])
    assert not is_linked(line, [(105.0, 596.0, 160.0, 612.0)])  # a few words of it
    assert not is_linked(line, [(105.0, 620.0, 89.0 + width, 636.0)])  # the line above
    assert not is_linked(line, [])


def test_a_list_item_that_is_a_link_reads_as_a_reference(tmp_path: Path) -> None:
    pdf = FPDF(unit="pt", format="A4")
    pdf.core_fonts_encoding = "windows-1252"  # for the bullet character
    p = _Page(pdf, header=False, number=None)
    p.heading("Further information", 16)
    p.line("These publications may help:")
    for text, linked in (
        ("\u2022 Working Together to Safeguard Children", "whole"),
        ("\u2022 The duty in section 17 applies to every child in need.", "part"),
        ("\u2022 Keeping children safe in education", "none"),
    ):
        width = pdf.get_string_width(text)
        if linked == "whole":
            pdf.link(72, p.y - BODY, width, BODY + 4, "https://example.org/guidance")
        elif linked == "part":
            pdf.link(150, p.y - BODY, 50, BODY + 4, "https://example.org/s17")
        p.line(text)
    path = tmp_path / "links.pdf"
    pdf.output(str(path))
    [doc] = read_file(path)
    assert [(p.kind, p.text) for p in doc.passages] == [
        ("paragraph", "These publications may help:"),
        ("reference", "Working Together to Safeguard Children"),
        ("item", "The duty in section 17 applies to every child in need."),
        ("item", "Keeping children safe in education"),
    ]
    assert [p.points_to for p in doc.passages] == [None, "https://example.org/guidance", None, None]


def test_contents_entries() -> None:
    assert is_contents_entry("What legislation does this guidance refer to? 6")
    assert is_contents_entry("Records . . . . . . 4")
    assert is_contents_entry("Annex A\u2026\u202612")
    assert not is_contents_entry("The Children Act 2004")
    assert not is_contents_entry("1.12 The local authority must make enquiries")


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("S T A T U T O R Y  I N S T R U M E N T S ", "STATUTORY INSTRUMENTS "),
        ("Part  C O N T E N T S  of the Act", "Part  CONTENTS  of the Act"),
        ("options a b c or d", "options a b c or d"),  # three letters: a list, not a word
        ("the  s u m m a r y  of it", "the  summary  of it"),
        ("s/he and e.g. the 5 6 7 8 figures", "s/he and e.g. the 5 6 7 8 figures"),
    ],
)
def test_letter_spaced_words_are_set_solid(text: str, read: str) -> None:
    assert close_letter_spacing(text) == read


def test_split_words_rejoined_only_where_the_document_spells_them_whole() -> None:
    vocab = Vocabulary(["It makes sense.", "The plan m akes no promise.", "a bout of flu"])
    assert rejoin_split_words("The plan m akes no promise.", vocab) == "The plan makes no promise."
    # "a bout": "a" is a word of the document, so the pieces stay apart.
    vocab = Vocabulary(["a bout of flu", "a plan", "about this"])
    assert rejoin_split_words("a bout of flu", vocab) == "a bout of flu"
    # A lone letter beside a slash or full stop is no split word.
    assert rejoin_split_words("s/he e.g. m akes", Vocabulary(["makes"])) == "s/he e.g. makes"


def test_line_end_hyphens() -> None:
    vocab = Vocabulary(["safeguarding matters", "looked-after children"])
    assert join_lines("children's safe-", "guarding", vocab) == "children's safeguarding"
    assert join_lines("looked-", "after children", vocab) == "looked-after children"
    # Unknown either way: the hyphen stays, as most line-end hyphens in Word output are.
    assert join_lines("well-", "being", vocab) == "well-being"
    assert join_lines("the end", "of it", vocab) == "the end of it"


def test_urls_wrapped_over_lines_are_joined_whole() -> None:
    vocab = Vocabulary(["safeguarding matters", "lhadirect"])
    # Broken mid-word: the rest carries an underscore and a file ending.
    first = "(September ).http://www.c4eo.org.uk/files/increasing_care_leavers_in_s"
    assert join_lines(first, "afe_accommodation_full_knowledge_review.pdf", vocab) == (
        "(September ).http://www.c4eo.org.uk/files/increasing_care_leavers_in_"
        "safe_accommodation_full_knowledge_review.pdf"
    )
    # Broken after a hyphen: kept, even where the document writes the pieces as one word.
    assert join_lines("at https://lha-", "direct.voa.gov.uk/Secure/Default.aspx", vocab) == (
        "at https://lha-direct.voa.gov.uk/Secure/Default.aspx"
    )
    assert join_lines("see https://www.gov.uk/nhs-safe-", "guarding", vocab) == (
        "see https://www.gov.uk/nhs-safe-guarding"
    )
    assert join_lines("http://www.catch-", "22.org.uk/FromCare2Work", vocab) == (
        "http://www.catch-22.org.uk/FromCare2Work"
    )
    # Broken between digits, the line going on in prose after the URL.
    first = "please see: http://www.education.gov.uk/families/adoption/a006"
    assert join_lines(first, "5502/care-planning for more", vocab) == (
        "please see: http://www.education.gov.uk/families/adoption/a0065502/care-planning for more"
    )
    assert join_lines("at http://www.sander.ebi.ac.", "uk/gqsrv/submit", vocab) == (
        "at http://www.sander.ebi.ac.uk/gqsrv/submit"
    )
    assert join_lines("at www.", "Aedes.caltech.edu,", vocab) == "at www.Aedes.caltech.edu,"


def test_urls_ended_before_the_line_break_keep_the_space() -> None:
    vocab = Vocabulary(["the local offer"])
    cases = [
        ("see https://www.gov.uk/guidance", "and the local offer"),
        ("see https://www.gov.uk/x", "for more. The council"),
        ("Website: http://www.nyas.net/", "Freephone: 0808 808 1001"),
        ("Website: www.childline.org.uk", "0800 1111"),
        ("at https://www.gov.uk/check-legal-aid.", "Eligible people"),
        ("(see www.drugbank.ca)", "is.a"),
        ("at http://altweb.jhsph.edu/,", "allowing/forbidding"),
        ("at https://www.gov.uk/guidance", "he/she should"),
        ("at https://www.gov.uk/guidance", "e.g. the plan"),
        ("at https://www.gov.uk/guidance", "long-term plans"),
        ("see www.gov.uk/guidance", "(2015) for more"),
        ("see www.gov.uk/guidance", "3.12 below"),
    ]
    for first, second in cases:
        assert join_lines(first, second, vocab) == f"{first} {second}"


def test_footnote_lines_join_with_a_space_except_inside_a_wrapped_url() -> None:
    assert (
        join_pieces(
            ["4 See https://www.gov.uk/government/publications/working-", "together-to-", "safe"]
        )
        == "4 See https://www.gov.uk/government/publications/working-together-to-safe"
    )
    assert join_pieces(["5 Available at www.nyas.net/", "Freephone: 0808", "808 1001"]) == (
        "5 Available at www.nyas.net/ Freephone: 0808 808 1001"
    )
    assert join_pieces(["6 See http://www.c4eo.org.uk/files/care_", "leavers.pdf for more"]) == (
        "6 See http://www.c4eo.org.uk/files/care_leavers.pdf for more"
    )
    assert join_pieces([]) == ""


def test_footnotes_rank_below_the_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from search import tuning
    from search.index.build import build_index
    from search.index.store import load_index
    from search.retrieve.searcher import Searcher
    from tests.fakes import FakeEmbedder

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _write(corpus / "guide.pdf", outline=True, title=None)
    fake = FakeEmbedder()
    build_index(corpus, tmp_path / "idx", fake)
    searcher = Searcher(load_index(tmp_path / "idx"), fake)
    question = "Section 436A of the Education Act 1996"

    def top_kind() -> str:
        return searcher.search(question, k=1).hits[0].passage.kind

    monkeypatch.setattr(tuning, "FOOTNOTE_PENALTY", 0.0)
    assert top_kind() == "footnote"  # its own words: it matches best
    monkeypatch.setattr(tuning, "FOOTNOTE_PENALTY", 2.0)
    assert top_kind() != "footnote"


def test_the_next_paragraph_number_after_a_list_opens_a_paragraph() -> None:

    def para(text: str) -> Item:
        return Item("paragraph", text, 0, numbered=text[0].isdigit())

    items = [
        para("44. Health assessments should:"),
        Item("bullet", "be child-centred", 0),
        Item("bullet", "focus on well-being", 0),
        para("45. To ensure the health plan is of high quality, gather the records."),
        para("Steps:"),
        para("1. Invite the nurse."),
        para("2. Book the room."),
        para("46. The nurse writes the plan."),
    ]
    as_list_items(items)
    assert [(i.type, i.text[:12]) for i in items] == [
        ("paragraph", "44. Health a"),
        ("bullet", "be child-cen"),
        ("bullet", "focus on wel"),
        ("paragraph", "45. To ensur"),  # paragraph 45, not an item of paragraph 44's list
        ("paragraph", "Steps:"),
        ("bullet", "Invite the n"),  # a numbered list after a lead-in
        ("bullet", "Book the roo"),  # carries on the list, though 2 is not paragraph 46
        ("paragraph", "46. The nurs"),
    ]


def test_a_footnote_carried_over_a_page_stays_a_footnote(tmp_path: Path) -> None:
    pdf = FPDF(unit="pt", format="A4")
    p = _Page(pdf, header=False, number=1)
    p.heading("Checks", 16)
    for _ in range(3):  # enough body text for its type size to be the body's
        p.line("Every looked-after child has a health assessment and a health plan.")
        p.gap()
    p.line("Health checks are arranged by the nurse", marker="2", rest=" and recorded by")
    p.footnote("2", "The outcomes are notified to parents. For looked-after children they")
    p = _Page(pdf, header=False, number=2)
    p.line("the social worker.")
    p._text(72, 745, "should be notified to the carer.", 8)  # the note carried on, no number
    p.footnote("3", "Another note.")
    pdf.output(str(tmp_path / "notes.pdf"))
    [doc] = read_file(tmp_path / "notes.pdf")
    body = [p.text for p in doc.passages if p.kind != "footnote"]
    assert body[-1].endswith(
        "Health checks are arranged by the nurse and recorded by the social worker."
    )
    assert not any("carer" in t or "outcomes" in t for t in body)
    assert [p.text for p in doc.passages if p.kind == "footnote"] == [
        "2 The outcomes are notified to parents. For looked-after children they should be "
        "notified to the carer.",
        "3 Another note.",
    ]


def test_a_sentence_over_a_page_break_stays_whole_in_bold_or_in_brackets(
    tmp_path: Path,
) -> None:
    pdf = FPDF(unit="pt", format="A4")
    p = _Page(pdf, header=False, number=1)
    p.heading("Matching", 16)
    for _ in range(3):  # enough body text for its type size to be the body's
        p.line("Every looked-after child has a health assessment and a health")
        p.line("plan, reviewed with the child and the carer.")
        p.gap()
    p.line("The plan is agreed before the child leaves care and recorded")
    p.line("by the social worker (i.e.")
    p = _Page(pdf, header=False, number=2)
    p.line("at the last review) and then kept up to date.")
    p.gap()
    # Emphasis in body type, bold, as a heading of that size would be, over three lines.
    for text in (
        "Any practice that delays a placement because the adopters and",
        "the child differ in culture, language or faith, or that rules",
        "out a family at the start, without hearing from them, because",
    ):
        p._text(72, p.y, text, BODY, bold=True)
        p.y += 15
    p = _Page(pdf, header=False, number=3)
    for text in ("of their status or age, is not", "child-centred and is unacceptable."):
        p._text(72, p.y, text, BODY, bold=True)
        p.y += 15
    pdf.output(str(tmp_path / "breaks.pdf"))
    [doc] = read_file(tmp_path / "breaks.pdf")
    texts = [p.text for p in doc.passages]
    assert (
        "The plan is agreed before the child leaves care and recorded by the social worker "
        "(i.e. at the last review) and then kept up to date." in texts
    )
    assert texts[-1].endswith(
        "without hearing from them, because of their status or age, is not child-centred and "
        "is unacceptable."
    )
    assert not any(p.headings for p in doc.passages)  # "Matching" is the title


def _guidance_then_regulations() -> FPDF:
    """A PDF whose first page is guidance in body type; the regulations annexed follow."""
    pdf = FPDF(unit="pt", format="A4")
    p = _Page(pdf, header=False, number=1)
    p.heading("Care leavers", 16)
    for _ in range(4):
        p.line("Every care leaver has a personal adviser and a pathway plan, reviewed")
        p.line("at least every six months with the young person.")
        p.gap()
    return pdf


def test_regulations_set_smaller_keep_their_bold_titles_as_headings(tmp_path: Path) -> None:
    pdf = _guidance_then_regulations()
    p = _Page(pdf, header=False, number=2)
    small = BODY - 1.5  # the regulations annexed, set smaller, each titled in bold

    def line(text: str, bold: bool = False) -> None:
        p._text(72, p.y, text, small, bold)
        p.y += 14

    for title, text in (
        ("Pathway plans", "6. A pathway plan must be prepared as soon as possible."),
        ("Review of pathway plans", "7. The authority must review the pathway plan."),
    ):
        p.y += 10
        line(title, bold=True)
        p.y += 6
        line(text)
        line("It must be recorded in writing and given to the young person.")
    pdf.output(str(tmp_path / "regs.pdf"))
    [doc] = read_file(tmp_path / "regs.pdf")
    regulations = [(p.headings, p.text[:2]) for p in doc.passages if p.page == 2]
    assert regulations == [(("Pathway plans",), "6."), (("Review of pathway plans",), "7.")]


def test_a_schedule_of_regulations_set_smaller_reads_as_a_list_under_its_title(
    tmp_path: Path,
) -> None:
    pdf = _guidance_then_regulations()
    p = _Page(pdf, header=False, number=2)
    small = BODY - 1.5

    def line(text: str, size: float = small) -> None:
        p._text(72, p.y, text, size)
        p.y += size + 6

    for text in ("10. The authority must keep records.", "11. The 2001 Regulations are revoked."):
        line(text)
        line("They are kept until the young person is 75 years old.")
        p.y += 8
    line("Department for Education")  # a signature: no full stop before the schedule
    p.y += 20
    # Larger than both the page's type and the document's body, though not by the
    # document-wide heading scale; not bold.
    line("SCHEDULE 1", size=BODY + 1)
    line("Matters to be dealt with in the pathway plan", size=BODY + 1)
    p.y += 6
    for n, text in enumerate(("Contact and support.", "Education.", "Contingency plans."), 1):
        line(f"{n}. {text}")
        p.y += 8
    pdf.output(str(tmp_path / "regs.pdf"))
    [doc] = read_file(tmp_path / "regs.pdf")
    schedule = [p for p in doc.passages if "Matters to be dealt" in " ".join(p.headings)]
    items = ["Contact and support.", "Education.", "Contingency plans."]
    assert [p.text for p in schedule] == items
    assert {p.kind for p in schedule} == {"item"}
    assert len({p.list_id for p in schedule}) == 1 and schedule[0].list_id is not None
    assert not [p.text for p in doc.passages if "SCHEDULE" in p.text]


def test_larger_type_after_an_open_line_is_a_heading_but_a_large_bullet_glyph_is_not() -> None:
    from search.ingest.pdf import _page_items
    from search.ingest.pdf_headings import Headings

    def line(text: str, y: float, size: float = 12.0, bold: bool = False) -> Line:
        return Line(text, size, y, 72.0, bold, size)

    lines = [
        line("The report covers:", 700),
        line("\u2022 the number of children placed for adoption; and", 680),
        # The bullet's glyph is set at 16pt, so the line's largest type is 16pt.
        line("\u2022 the number of placements that have disrupted", 660, size=16.0),
        line("Figure 2 \u2013 Assessment Framework", 600, size=10.0, bold=True),  # no stop
        line("To participate in the review of the pathway plan", 560, size=16.0, bold=True),
        line("The adviser must make sure that the plan is reviewed.", 530),
    ]
    items = _page_items(lines, 0, 12.0, Headings({}, []), Vocabulary(["plan"]))
    assert [(i.type, i.text[:22]) for i in items] == [
        ("paragraph", "The report covers:"),
        ("bullet", "the number of children"),
        ("bullet", "the number of placemen"),
        ("paragraph", "Figure 2 \u2013 Assessment "),
        ("heading", "To participate in the "),
        ("paragraph", "The adviser must make "),
    ]


def test_a_line_in_larger_type_straight_under_a_heading_is_its_subtitle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from search.ingest import pdf
    from search.ingest.pdf import _page_items
    from search.ingest.pdf_headings import Headings

    def line(text: str, y: float, size: float = 10.5, bold: bool = False) -> Line:
        return Line(text, size, y, 72.0, bold, size)

    # Regulations annexed to 12pt guidance, set in 10.5pt: "PART 1" in 14pt, its name in
    # 12pt (the guidance's body size, so not a heading by size), each regulation's title bold.
    lines = [
        line("PART 1", 700, size=14.0),
        line("General", 682, size=12.0),
        line("Citation and commencement", 660, bold=True),
        line("1. These Regulations may be cited as the Care Leavers Regulations.", 645),
        line("PART 3", 600, size=14.0),
        line("Personal advisers", 582, size=12.0),
        line("Functions of personal advisers", 560, bold=True),
        line("8. A personal adviser has the following functions.", 545),
    ]

    def read() -> list[Item]:
        return _page_items(lines, 0, 12.0, Headings({}, []), Vocabulary(["plan"]))

    items = read()
    assert [(i.type, i.text[:10]) for i in items] == [
        ("heading", "PART 1"),
        ("heading", "General"),
        ("heading", "Citation a"),
        ("paragraph", "1. These R"),
        ("heading", "PART 3"),
        ("heading", "Personal a"),
        ("heading", "Functions "),
        ("paragraph", "8. A perso"),
    ]
    assert items[1].level == items[5].level == items[0].level + 1  # under its part
    # Without it the part's name is a paragraph, and the bold title after it, which opens
    # no sentence, runs on into it with the regulation's first words.
    monkeypatch.setattr(pdf, "SUBTITLE_SCALE", 10.0)
    assert read()[1].text.startswith("General Citation and commencement 1. These")


def test_bold_lines_that_end_a_sentence_were_a_paragraph_unless_the_outline_names_them() -> None:
    from search.ingest.pdf import _page_items
    from search.ingest.pdf_headings import Headings

    def bold(text: str, y: float) -> Line:
        return Line(text, 12.0, y, 57.0, True, 12.0)

    lines = [
        Line("Disabled young people", 12.0, 423, 150.0, True, 12.0),
        Line(
            "They may be entitled to welfare benefits under the age of 18.",
            12.0,
            402,
            150.0,
            False,
            12.0,
        ),
        bold("These benefits can be claimed whilst", 260),
        bold("young people live in foster", 245),
        bold("care.", 230),
        Line("Lone parents may be able to claim Income Support.", 12.0, 200, 150.0, False, 12.0),
    ]
    vocab = Vocabulary(["care"])
    items = _page_items(lines, 0, 12.0, Headings({}, []), vocab)
    assert [(i.type, i.text) for i in items] == [
        ("heading", "Disabled young people"),
        ("paragraph", "They may be entitled to welfare benefits under the age of 18."),
        ("paragraph", "These benefits can be claimed whilst young people live in foster care."),
        ("paragraph", "Lone parents may be able to claim Income Support."),
    ]
    # A heading whose last line ends in a full stop, named whole by the outline, stays one.
    title = "These benefits can be claimed whilst young people live in foster care"
    items = _page_items(lines, 0, 12.0, Headings({(0, title.casefold()): 2}, []), vocab)
    assert (items[2].type, items[2].text, items[2].level) == ("heading", title + ".", 2)


def test_a_first_line_a_little_larger_under_a_heading_is_no_subtitle() -> None:
    from search.ingest.pdf import _page_items
    from search.ingest.pdf_headings import Headings

    lines = [
        Line("Introduction", 16.0, 700, 72.0, True, 16.0),
        Line(
            "This guidance is for local authorities and partners in", 12.5, 680, 72.0, False, 12.5
        ),
        Line("health and education, who support children in care.", 12.0, 665, 72.0, False, 12.0),
    ]
    items = _page_items(lines, 0, 12.0, Headings({}, []), Vocabulary(["plan"]))
    assert [i.type for i in items] == ["heading", "paragraph"]


def test_numbering_that_starts_again_under_a_heading_is_a_list_when_it_stops_there() -> None:

    def para(text: str) -> Item:
        return Item("paragraph", text, 0, numbered=text[0].isdigit())

    def heading(text: str) -> Item:
        return Item("heading", text, 0)

    items = [
        heading("Seven golden rules"),  # no paragraph numbered before: a list all the same
        para("1. Remember the law is no barrier."),
        para("2. Be open and honest."),
        heading("Introduction"),  # the document's own numbering, carried on past a heading
        para("1. This advice is for practitioners."),
        para("2. It replaces the 2015 advice."),
        heading("About this advice"),
        para("3. It is non-statutory."),
        heading("Matters to be dealt with"),  # numbering started again, and stopping here
        para("1. Contact and support."),
        para("2. Education."),
        heading("Citation and commencement"),  # "1." runs on before its "2."
        para("1. (1) These Regulations may be cited as the 2002 Regulations."),
        para("(2) They apply in England only."),
        para("2. In these Regulations a child is a person under 18."),
    ]
    as_list_items(items)
    assert [i.type for i in items] == [
        "heading", "bullet", "bullet",
        "heading", "paragraph", "paragraph", "heading", "paragraph",
        "heading", "bullet", "bullet",
        "heading", "paragraph", "paragraph", "paragraph",
    ]  # fmt: skip


def _lines(*texts: str) -> list[Line]:
    return [Line(t, 11.0, 800.0 - 15 * i, 72.0, False, 11.0) for i, t in enumerate(texts)]


def _texts(pages: list[list[Line]]) -> list[list[str]]:
    return [[line.text for line in lines] for lines in pages]


def test_the_imprint_on_the_last_pages_is_dropped_to_the_end() -> None:
    pages = [
        _lines("Support for care leavers.", "\u00a9 is the copyright sign."),
        _lines("Citizens Advice Bureau"),
        _lines("\u00a9 Crown copyright 2025", "This publication is licensed under the terms"),
        _lines("Reference: DFE-00123-2025"),
    ]
    assert _texts(drop_imprint(pages)) == [
        ["Support for care leavers.", "\u00a9 is the copyright sign."],  # not a last page
        ["Citizens Advice Bureau"],
        [],
        [],
    ]
    plain = [pages[1], _lines("More text.")]
    assert _texts(drop_imprint(plain)) == _texts(plain)  # no imprint: all kept


def test_a_contents_list_without_page_numbers_is_dropped() -> None:
    entries = ["PART 1", "General", "1. Citation and commencement", "2. Interpretation"]
    pages = [
        _lines("The Care Leavers Regulations", "CONTENTS", *entries[:3]),
        _lines(entries[3], "The Secretary of State makes these Regulations:"),
        _lines("PART 1", "General", "Citation and commencement", "1. These Regulations..."),
        _lines("Interpretation", "2. In these Regulations"),
    ]
    kept = _texts(drop_unnumbered_contents(pages))
    assert kept[0] == ["The Care Leavers Regulations"]
    assert kept[1] == ["The Secretary of State makes these Regulations:"]
    assert kept[2:] == _texts(pages[2:])
    # Too few lines repeated further on: no contents list, nothing dropped.
    short = [_lines("Contents", "PART 1", "General", "The plan is reviewed."), pages[2]]
    assert _texts(drop_unnumbered_contents(short)) == _texts(short)


@pytest.mark.parametrize(
    ("text", "markers", "expected"),
    [
        ("a duty13 to ensure", ("13",), "a duty to ensure"),
        # Statutory instruments set their references in brackets, after words or numbers.
        (
            "of Schedule 2 to, the Children Act 1989(44):",
            ("44",),
            "of Schedule 2 to, the Children Act 1989:",
        ),
        ("for an eligible child(45),", ("45",), "for an eligible child,"),
        ("given in section 22C(6)(47);", ("47",), "given in section 22C(6);"),
        # A bracketed number that is no marker of this line stays: it is a subsection.
        ("under section 23A(2) for a child(46);", ("46",), "under section 23A(2) for a child;"),
        ("under section 23A(2) for a child", ("45",), "under section 23A(2) for a child"),
    ],
)
def test_glued_footnote_markers_are_dropped(
    text: str, markers: tuple[str, ...], expected: str
) -> None:
    assert drop_glued(text, markers) == expected


def _si_line(text: str, y: float, size: float = 10.5, markers: tuple[str, ...] = ()) -> Line:
    first = 9.0 if text.startswith("(4") else size
    return Line(text, size, y, 72, False, first, markers=markers)


def test_statutory_instrument_footnotes_are_told_from_its_subsections() -> None:
    lines = [
        _si_line("the Children Act 1989:", 600, markers=("44",)),
        _si_line("(1) These Regulations apply in relation to England only.", 470),
        _si_line("(i) for an eligible child,", 360, markers=("45",)),
        _si_line("(44) 1989 c.41. For the definition of “prescribed” see", 250, 10.0),
        _si_line("section 105(1).", 238, 10.0),
        _si_line("(45) Paragraph 19C of Schedule 2 was inserted in 2000.", 130, 10.0),
    ]
    body, notes, carried = split_footnotes(lines, 12.0)
    assert [line.text for line in body] == [line.text for line in lines[:3]]
    assert notes == [
        "(44) 1989 c.41. For the definition of “prescribed” see section 105(1).",
        "(45) Paragraph 19C of Schedule 2 was inserted in 2000.",
    ]
    assert carried == ""
    # A page that cites no such marker keeps its bracketed lines as body text.
    plain = [replace(line, markers=()) for line in lines]
    assert split_footnotes(plain, 12.0) == (plain, [], "")
    # A subsection's number in the type of its text, or body type below it: no note.
    same = [*lines[:3], _si_line("(1) A subsection.", 300, 10.5, ("1",))]
    assert split_footnotes(same, 12.0) == (same, [], "")
    above = [*lines[:3], replace(lines[3], y=300), _si_line("More of the body.", 200)]
    assert split_footnotes(above, 12.0) == (above, [], "")


def test_a_note_numbered_in_its_own_type_is_a_note_when_smaller_than_all_above() -> None:
    # Some pages set the note's number as large as the note: its type, smaller than every
    # line of the page above it, says it is a note.
    lines = [
        _si_line("(vi) the designated teacher at the school,", 600, markers=("53",)),
        _si_line("(vii) any person providing health care to the child,", 580),
        Line("(53) The designated teacher is the member of staff", 10.0, 400, 62, False, 10.0),
        Line("designated by the governing body.", 10.0, 388, 62, False, 10.0),
    ]
    body, notes, _ = split_footnotes(lines, 12.0)
    assert [line.text for line in body] == [line.text for line in lines[:2]]
    assert notes == [
        "(53) The designated teacher is the member of staff designated by the governing body."
    ]
    # A subsection set like the lines above it is no note, though its number is cited.
    level = [*lines[:2], replace(lines[2], size=10.5, first_size=10.5)]
    assert split_footnotes(level, 12.0) == (level, [], "")


def test_a_note_carried_over_sits_between_the_body_and_the_first_note() -> None:
    lines = [
        _si_line("“placement” has the meaning given in section 22C(6);", 600, markers=("47",)),
        _si_line("and Case Review (England) Regulations 2010.", 260, 10.0),
        _si_line("(47) Section 22C was inserted by section 8(1) of the 2008 Act.", 240, 10.0),
    ]
    body, notes, carried = split_footnotes(lines, 12.0)
    assert [line.text for line in body] == [lines[0].text]
    assert notes == ["(47) Section 22C was inserted by section 8(1) of the 2008 Act."]
    assert carried == "and Case Review (England) Regulations 2010."


def test_a_raised_marker_in_brackets_goes_with_its_brackets() -> None:
    frags = [
        Fragment("the Children Act 1989(", 72, 600, 10.5, False),
        Fragment("44", 180, 604, 7, False),
        Fragment("):", 190, 600, 10.5, False),
    ]
    line = make_line(frags)
    assert line is not None
    assert (line.text, line.markers) == ("the Children Act 1989:", ("44",))
    # Brackets around words stay.
    kept = make_line([Fragment("a child (under 18)", 72, 600, 10.5, False)])
    assert kept is not None and (kept.text, kept.markers) == ("a child (under 18)", ())


def test_a_passage_of_a_paragraph_carried_over_a_page_cites_the_page_it_starts_on(
    tmp_path: Path,
) -> None:
    pdf = FPDF(unit="pt", format="A4")
    p = _Page(pdf, header=False, number=1)
    p.heading("Visits", 16)
    p.line("The social worker must visit the child in the placement within one week of")
    p.line("its start, and then at intervals of not more than six weeks for the first")
    p.line("year of the placement; visits are recorded on the child's case record.")
    p.line("Where the child is settled and the plan is stable, the visits may be made at")
    p.line(
        "intervals of not more than three months after the first",
        marker="1",
        rest=" year, as agreed at",
    )
    p.footnote("1", "Regulation 28 of the Care Planning Regulations.")
    p = _Page(pdf, header=False, number=2)
    p.line("the child's review and written into the care plan by the reviewing officer.")
    p.line("A visit is also made whenever the child or the carer asks for one, and when")
    p.line("the placement is at risk of ending, so that the social worker can speak to")
    p.line("the child alone and report what was said to the independent reviewing officer.")
    p.gap()
    p.line("Each visit is followed by a short written note to the child.")
    pdf.output(str(tmp_path / "visits.pdf"))
    [doc] = read_file(tmp_path / "visits.pdf")
    pages = [(p.page, p.kind, p.text[:24]) for p in doc.passages]
    assert pages == [
        (1, "paragraph", "The social worker must v"),
        (2, "paragraph", "A visit is also made whe"),  # the paragraph's second piece
        (1, "footnote", "1 Regulation 28 of the C"),  # written after the paragraph it notes
        (2, "paragraph", "Each visit is followed b"),
    ]
    assert doc.pages == 2


def test_a_list_number_cut_off_keeps_the_page_breaks_in_place() -> None:
    lead = Item("paragraph", "The plan must include:", 0)
    item = Item("paragraph", "1. the  name of the social worker", 0, numbered=True)
    item.breaks = [(solid("1. the  name of"), 1)]
    as_list_items([lead, item])
    assert (item.type, item.text) == ("bullet", "the  name of the social worker")
    assert item.text[solid_offset(item.text, item.breaks[0][0]) :] == "the social worker"


def test_a_second_column_opens_its_own_paragraph_but_a_row_reads_as_one() -> None:
    from search.ingest.pdf import _page_items
    from search.ingest.pdf_headings import Headings

    def line(text: str, y: float, x: float = 72.0) -> Line:
        return Line(text, 12.0, y, x, False, 12.0)

    vocab = Vocabulary(["plan"])
    # Two columns side by side, read one after the other: the second column's first line
    # stands above the first column's last, and opens a paragraph of its own.
    columns = [
        line("Defined in section 23A as a child who is aged 16 or 17, and who was,", 700),
        line("before he last ceased to be looked after, an eligible child; or who has", 685),
        line("The local authority that last looked after the relevant child must", 715, 320),
        line("keep in touch with the relevant child.", 700, 320),
        line("\u2022", 705, 500),  # a table's tick: no word of its own
    ]
    items = _page_items(columns, 0, 12.0, Headings({}, []), vocab)
    assert [i.text[:32] for i in items] == [
        "Defined in section 23A as a chil",
        "The local authority that last lo",
    ]
    assert items[1].text.endswith("relevant child. \u2022")
    # A row of a table: the next cell starts level with the row's first line, and a line
    # in lower case at the top of a column carries on the paragraph before.
    rows = [
        line("CoramVoice", 700),
        line("Advocacy information and support", 700, 320),
        line("Web: http://www.coramvoice.org.uk/", 685, 320),
        line("and its helpline", 700, 500),
    ]
    items = _page_items(rows, 0, 12.0, Headings({}, []), vocab)
    assert [i.text for i in items] == [
        "CoramVoice Advocacy information and support Web: http://www.coramvoice.org.uk/ "
        "and its helpline"
    ]


def _short_run_on(path: Path) -> Path:
    """A paragraph short enough to be one passage, its third sentence on the next page."""
    pdf = FPDF(unit="pt", format="A4")
    p = _Page(pdf, header=False, number=1)
    p.heading("Visits", 16)
    p.line("The social worker must visit the child in the placement within one week.")
    p.line("Where the child is settled, the visits may be made at intervals agreed at")
    p = _Page(pdf, header=False, number=2)
    p.line("the child's review. A further visit is made whenever the carer asks for one,")
    p.line("and the child is seen alone.")
    p.gap()
    p.line("Each visit is followed by a short written note to the child, and the note is")
    p.line("kept on the child's record.")
    pdf.output(str(path))
    return path


def test_a_passage_over_a_page_break_knows_the_page_of_each_part(tmp_path: Path) -> None:
    [doc] = read_file(_short_run_on(tmp_path / "visits.pdf"))
    first = doc.passages[0]
    assert first.text.startswith("The social worker") and "whenever the carer" in first.text
    assert first.page == 1
    assert first.page_at(first.text.index("within one week")) == 1
    assert first.page_at(first.text.index("A further visit")) == 2
    assert doc.passages[1].page == 2 and not doc.passages[1].page_breaks


def test_the_answer_cites_the_page_its_words_stand_on(tmp_path: Path) -> None:
    from search.answer.answerer import Answerer
    from search.index.build import build_index
    from search.index.store import load_index
    from search.retrieve.searcher import Searcher
    from tests.fakes import FakeEmbedder

    (tmp_path / "corpus").mkdir()
    _short_run_on(tmp_path / "corpus" / "visits.pdf")
    fake = FakeEmbedder()
    build_index(tmp_path / "corpus", tmp_path / "idx", fake)
    searcher = Searcher(load_index(tmp_path / "idx"), fake)
    reply = Answerer(searcher).answer("is a further visit made whenever the carer asks")
    assert (
        reply.answer
        == "A further visit is made whenever the carer asks for one, and the child is seen alone."
    )
    cited = reply.citations[0]
    assert cited.passage.text.startswith("The social worker")  # the passage starts on page 1
    assert cited.passage.page == 2  # the words quoted stand on page 2
    # The search result still gives the page the passage starts on.
    assert searcher.search("when is a further visit made", k=1).hits[0].passage.page == 1
