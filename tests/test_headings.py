"""Each passage's heading path (Passage.headings), set by the chunker for every format, and
its round trip through the index's passages.jsonl."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from search.chunk.passages import chunk_blocks, chunk_document
from search.index.store import read_jsonl
from search.ingest.corpus import read_file
from search.model import Block, Passage

MARKDOWN = """# Guidance

Opening words.

## Duties

The duty applies.

### Schools

Schools must act.

### Health

Health must act.

## Records

Keep records.
"""


def test_markdown_heading_paths_below_the_title() -> None:
    passages = chunk_document(MARKDOWN, "d")
    assert [(p.section, p.headings, p.text) for p in passages] == [
        ("Guidance", (), "Opening words."),
        ("Duties", ("Duties",), "The duty applies."),
        ("Schools", ("Duties", "Schools"), "Schools must act."),
        ("Health", ("Duties", "Health"), "Health must act."),
        ("Records", ("Records",), "Keep records."),
    ]


def test_shape_headings_count_as_level_one() -> None:
    passages = chunk_document("Title line\n\nIntro text here.\n\nNext part\n\nMore text.\n", "d")
    assert [(p.section, p.headings) for p in passages] == [
        ("Title line", ()),
        ("Next part", ("Next part",)),
    ]


def test_footnote_blocks_are_footnote_passages_that_keep_a_list_going() -> None:
    blocks = [
        Block("heading", "Learning", 0, 8, level=2),
        Block("paragraph", "The key learning points are:", 10, 38),
        Block("bullet", "Listen to the child.", 40, 60),
        Block("footnote", "3 See chapter 2.", 62, 78),
        Block("bullet", "Share information early.", 80, 104),
    ]
    passages = chunk_blocks(blocks, "d", "Guide")
    assert [(p.kind, p.text, p.headings) for p in passages] == [
        ("paragraph", "The key learning points are:", ("Learning",)),
        ("learning", "Listen to the child.", ("Learning",)),
        ("footnote", "3 See chapter 2.", ("Learning",)),
        ("learning", "Share information early.", ("Learning",)),
    ]


def test_passages_jsonl_round_trips_headings_and_reads_old_rows(tmp_path: Path) -> None:
    new = Passage(
        "d:1", "d", "T", "Schools", "paragraph", "x", 0, 1, headings=("Duties", "Schools")
    )
    old = asdict(Passage("d:2", "d", "T", "T", "paragraph", "y", 0, 1))
    del old["headings"]  # written before the field existed
    path = tmp_path / "passages.jsonl"
    path.write_text(json.dumps(asdict(new)) + "\n" + json.dumps(old) + "\n")
    first, second = read_jsonl(path, Passage)
    assert first == new and first.headings == ("Duties", "Schools")
    assert second.headings == ()
    assert len({first, second}) == 2  # still hashable: the API caches passages by value


def test_a_title_heading_that_starts_the_title_stays_out_of_the_path() -> None:
    blocks = [
        Block("heading", "Promoting the health of children", 0, 32, level=1),
        Block("heading", "Summary", 34, 41, level=2),
        Block("paragraph", "Text.", 43, 48),
    ]
    [passage] = chunk_blocks(blocks, "d", "Promoting the health of children - update note")
    assert (passage.section, passage.headings) == ("Summary", ("Summary",))
    # A short heading that merely starts the title is a section like any other.
    [passage] = chunk_blocks(blocks[1:], "d", "Summary of the guidance")
    assert passage.headings == ("Summary",)


def test_a_list_item_that_is_all_a_link_is_a_reference() -> None:
    source = (
        "# Working with others\n\nThese may help:\n\n"
        "- [Working Together to Safeguard Children](https://www.gov.uk/wt)\n"
        "- See [the code](https://example.org/code) for how the duty applies.\n"
    )
    passages = chunk_document(source, "d")
    assert [(p.kind, p.list_id is not None) for p in passages] == [
        ("paragraph", True),
        ("reference", True),  # still shown whole with its list
        ("item", True),  # a link on a few words of a sentence is no reference
    ]
    # The entry carries where it points; nothing else does.
    assert [p.points_to for p in passages] == [None, "https://www.gov.uk/wt", None]
    site = chunk_document("Read:\n\n- [Local procedures](www.example.org/procedures)\n", "d")
    assert site[-1].points_to == "https://www.example.org/procedures"


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("Useful resources and external organisations", "reference"),
        ("Other relevant departmental advice and statutory guidance", "reference"),
        ("Further reading", "reference"),
        ("Associated resources (external links)", "reference"),
        ("Further information", "reference"),
        ("What legislation does this guidance refer to?", "reference"),
        ("References", "item"),  # in adoption guidance: an adopter's referees
        ("Further education", "item"),
        ("Contact with birth relatives", "item"),
    ],
)
def test_the_entries_of_a_reading_list_are_references_without_links(
    heading: str, kind: str
) -> None:
    source = (
        f"# Annexes\n\n## {heading}\n\nThe following may help:\n\n"
        "- Looked-after children: good practice in schools (Ofsted, 2008)\n"
        "- National Association of Virtual School Heads\n"
    )
    passages = chunk_document(source, "d")
    assert [p.kind for p in passages] == ["paragraph", kind, kind]
    assert all(p.points_to is None for p in passages)


def test_html_list_items_that_are_links_are_references(tmp_path: Path) -> None:
    page = tmp_path / "links.html"
    page.write_text(
        "<html><body><h1>Resources</h1><p>Read:</p><ul>"
        '<li><a href="https://example.org/wt">Working Together to Safeguard Children</a></li>'
        '<li>The duty in <a href="https://example.org/s17">section 17</a> applies to all.</li>'
        '<li><a href="#top">Back to the top of this page</a></li>'
        "</ul></body></html>"
    )
    [doc] = read_file(page)
    assert [p.kind for p in doc.passages] == ["paragraph", "reference", "item", "item"]
    assert [p.points_to for p in doc.passages] == [None, "https://example.org/wt", None, None]


def test_a_reference_points_only_to_a_web_address(tmp_path: Path) -> None:
    page = tmp_path / "links.html"
    page.write_text(
        "<html><body><h1>Contacts</h1><p>Read:</p><ul>"
        '<li><a href="javascript:alert(1)">Working Together to Safeguard Children</a></li>'
        '<li><a href="mailto:lado@example.org">The LADO team</a></li>'
        '<li><a href="/policies/escalation.pdf">Escalation policy</a></li>'
        "</ul></body></html>"
    )
    [doc] = read_file(page)
    assert [(p.kind, p.points_to) for p in doc.passages] == [
        ("paragraph", None),
        ("reference", None),  # still an entry of the list, but no link to follow
        ("reference", None),
        ("reference", "/policies/escalation.pdf"),  # a path on the intranet's own site
    ]
