from __future__ import annotations

import re
from collections import Counter

from search.chunk.blocks import join_introduced, looks_like_heading, parse_blocks
from search.chunk.inline import plain
from search.chunk.passages import chunk_document, list_kind
from search.chunk.text import MAX_PASSAGE_CHARS, pieces, split_sentences
from search.model import Block

DOC = """My Report Title

Intro paragraph one. It has two sentences.

Findings

Overall 40% of cases were studied. The following themes emerged:

- first theme here
- second theme, wrapped
  onto the next line.

- third theme after a blank line

The analysis also identified learnings for policy and practice.

- Schools should escalate. Guidance is needed.

Results included:
- a plain finding

Cases with each factor:

Apples\tPears
10 (50%)\t5 (25%)
"""


def test_headings_by_shape() -> None:
    assert looks_like_heading("Vulnerable Adolescents")
    assert looks_like_heading("Impact of Review on Practice")
    assert not looks_like_heading("Adapted from:")
    assert not looks_like_heading("This ends like a sentence.")
    assert not looks_like_heading("[A link](#)")
    assert not looks_like_heading("lower case start")
    assert not looks_like_heading(" ".join(["word"] * 20))


def test_parse_blocks_types_and_offsets() -> None:
    blocks = parse_blocks(DOC)
    types = [b.type for b in blocks]
    assert types == [
        "heading",
        "paragraph",
        "heading",
        "paragraph",
        "bullet",
        "bullet",
        "bullet",
        "paragraph",
        "bullet",
        "paragraph",
        "bullet",
        "paragraph",
        "table",
    ]
    table = blocks[-1]
    assert [c[0] for c in table.rows[0]] == ["Apples", "Pears"]
    for text, start, end in table.rows[1]:
        assert DOC[start:end] == text


def test_markdown_headings_and_title() -> None:
    passages = chunk_document("# Real Title\n\nText here.\n\n## Part Two\n\nMore text.\n", "d")
    assert [(p.section, p.text) for p in passages] == [
        ("Real Title", "Text here."),
        ("Part Two", "More text."),
    ]
    assert {p.title for p in passages} == {"Real Title"}


def test_chunk_kinds_sections_and_spans() -> None:
    passages = chunk_document(DOC, "doc")
    got = [(p.kind, p.section, p.text) for p in passages]
    assert got[:4] == [
        ("paragraph", "My Report Title", "Intro paragraph one. It has two sentences."),
        (
            "paragraph",
            "Findings",
            "Overall 40% of cases were studied. The following themes emerged:",
        ),
        ("theme", "Findings", "first theme here"),
        ("theme", "Findings", "second theme, wrapped\n  onto the next line."),
    ]
    assert got[4] == ("theme", "Findings", "third theme after a blank line")
    assert got[6] == ("learning", "Findings", "Schools should escalate. Guidance is needed.")
    assert got[8] == ("item", "Findings", "a plain finding")  # its lead-in names no kind
    for p in passages:
        assert p.document == "doc" and p.title == "My Report Title"
        if p.kind != "statistic":
            assert DOC[p.start : p.end] == p.text


def test_table_cells_become_standalone_statistics() -> None:
    stats = [p for p in chunk_document(DOC, "doc") if p.kind == "statistic"]
    assert [p.text for p in stats] == [
        "Apples: 10 (50%). From the table: Cases with each factor.",
        "Pears: 5 (25%). From the table: Cases with each factor.",
    ]
    assert [DOC[p.start : p.end] for p in stats] == ["10 (50%)", "5 (25%)"]


def test_table_with_row_labels() -> None:
    text = "Counts by year:\n\nGroup\t2019\t2020\nBoys\t3 (30%)\t4 (40%)\n"
    stats = [p.text for p in chunk_document(text, "d") if p.kind == "statistic"]
    assert stats == [
        "Boys, 2019: 3 (30%). From the table: Counts by year.",
        "Boys, 2020: 4 (40%). From the table: Counts by year.",
    ]


def test_pipe_table() -> None:
    text = "Title Here\n\nLead in:\n\n| A | B |\n|---|---|\n| 1 | 2 |\n"
    stats = [p.text for p in chunk_document(text, "d") if p.kind == "statistic"]
    assert stats == ["A: 1. From the table: Lead in.", "B: 2. From the table: Lead in."]


def test_list_kind_reads_the_introducing_sentence() -> None:
    assert list_kind("A subset was analysed, from which the following themes emerged:") == "theme"
    assert (
        list_kind("The analysis also identified learnings for policy and practice.") == "learning"
    )
    assert list_kind("Implications for practice:") == "learning"
    assert list_kind("We looked at recommendations. Findings included:") == "finding"
    assert list_kind(None) == "item"
    assert list_kind("The plan must include:") == "item"  # guidance: items, not findings
    # The words must say what the list holds: at the end of the lead-in, not in passing.
    assert (
        list_kind(
            "Given the serious implications for a young person's future, the authority "
            "might usually make sure that a review should take place:"
        )
        == "item"
    )


def test_long_paragraph_split_at_sentences() -> None:
    sentence = "This sentence is about forty characters long. "
    text = "Heading Line\n\n" + sentence * 40
    passages = chunk_document(text, "d")
    assert len(passages) > 1
    assert all(len(p.text) <= MAX_PASSAGE_CHARS for p in passages)
    assert all(p.text.endswith(".") for p in passages)
    assert "".join(p.text + " " for p in passages).strip() == (sentence * 40).strip()
    for p in passages:
        assert text[p.start : p.end] == p.text


def test_run_on_sentence_split_at_words() -> None:
    text = "Heading Line\n\n" + "word " * 300
    passages = chunk_document(text, "d")
    assert all(len(p.text) <= MAX_PASSAGE_CHARS for p in passages)
    assert " ".join(p.text for p in passages).split() == ["word"] * 300


def test_split_sentences_spans() -> None:
    text = "One here. Two (87%) there! Three?"
    assert [(s, text[a:b]) for s, a, b in split_sentences(text, 0)] == [
        ("One here.", "One here."),
        ("Two (87%) there!", "Two (87%) there!"),
        ("Three?", "Three?"),
    ]


def test_ids_stable_and_unique() -> None:
    first = chunk_document(DOC, "doc")
    again = chunk_document(DOC, "doc")
    assert [p.id for p in first] == [p.id for p in again]
    assert len({p.id for p in first}) == len(first)
    edited = chunk_document(DOC.replace("first theme here", "first theme changed"), "doc")
    changed = {p.id for p in first} ^ {p.id for p in edited}
    assert len(changed) == 2  # only the edited bullet's id moved


def test_lead_in_paragraph_holds_what_it_introduces() -> None:
    text = (
        "Sources\n\nAdapted from:\n\n\n[A report](#)\n\nAnd a briefing.\n\n"
        + "Long paragraph. " * 20
        + "\n\nWe found:\n\n- a bullet\n"
    )
    passages = chunk_document(text, "d")
    got = [(p.kind, p.text) for p in passages]
    assert got[0] == ("paragraph", "Adapted from:\n\n\nA report\n\nAnd a briefing.")
    assert got[1] == ("paragraph", ("Long paragraph. " * 20).strip())  # a long one stands alone
    assert got[2] == ("paragraph", "We found:")  # a list's lead-in keeps its list apart
    assert got[3] == ("finding", "a bullet")
    for p in passages:  # its span in the source, read without the link's marks
        assert plain(text[p.start : p.end]) == p.text


def test_join_introduced_without_source_joins_block_texts() -> None:
    blocks = [
        Block("paragraph", "Included:", 0, 9),
        Block("paragraph", "one thing", 20, 29),
        Block("heading", "Next", 40, 44),
        Block("paragraph", "Alone:", 50, 56),
    ]
    joined = join_introduced(blocks)
    assert [(b.type, b.text, b.start, b.end) for b in joined] == [
        ("paragraph", "Included:\n\none thing", 0, 29),
        ("heading", "Next", 40, 44),
        ("paragraph", "Alone:", 50, 56),
    ]


# --- the bundled document -------------------------------------------------------------


def test_seed_counts_by_kind(seed_text: str) -> None:
    passages = chunk_document(seed_text, "scr")
    counts = Counter(p.kind for p in passages)
    bullets = len(re.findall(r"^- ", seed_text, flags=re.M))
    cells = sum(
        len(line.split("\t")) for line in seed_text.splitlines() if "\t" in line and "%" in line
    )
    assert counts["statistic"] == cells == 12
    assert counts["theme"] + counts["learning"] + counts["finding"] == bullets
    # "Adapted from:" and the two lines it introduces are one summary, not three.
    assert counts == {"paragraph": 12, "statistic": 12, "theme": 11, "learning": 17, "finding": 5}
    (source,) = [p.text for p in passages if p.text.startswith("Adapted from:")]
    assert "NSPCC" in source
    assert {p.section for p in passages if p.kind == "theme"} == {
        "Neglect",
        "Vulnerable Adolescents",
        "Messages from Care and Court Cases",
    }


def test_seed_every_table_cell_present(seed_text: str) -> None:
    stats = [p.text for p in chunk_document(seed_text, "scr") if p.kind == "statistic"]
    lines = [line.split("\t") for line in seed_text.splitlines() if "\t" in line]
    for headers, values in zip(lines[::2], lines[1::2], strict=True):
        for header, value in zip(headers, values, strict=True):
            matching = [s for s in stats if s.startswith(f"{header}: {value}.")]
            assert len(matching) == 1, (header, value)
            assert "Serious Case Reviews" in matching[0]  # carries the table's lead-in
    assert any(s.startswith("Domestic abuse: 164 (59%).") and "family" in s for s in stats)


def test_seed_nothing_lost(seed_text: str) -> None:
    passages = chunk_document(seed_text, "scr")
    headings = {p.section for p in passages} | {passages[0].title}
    joined = "\n".join(p.text for p in passages)
    for line in seed_text.splitlines():
        line = re.sub(r"^\s*- ", "", line).strip()
        if not line or line in headings:
            continue
        for piece in line.split("\t"):
            for sentence, _, _ in split_sentences(piece, 0):
                assert plain(sentence) in joined, sentence
    assert all(0 < len(p.text) <= MAX_PASSAGE_CHARS for p in passages)


def test_seed_ids_stable(seed_text: str) -> None:
    a = chunk_document(seed_text, "scr")
    b = chunk_document(seed_text + "\n\nNew Heading\n\nAn added paragraph.\n", "scr")
    assert [p.id for p in a] == [p.id for p in b[: len(a)]]


def test_a_run_on_sentence_is_cut_between_its_clauses() -> None:
    points = ", ".join(f"({n}) the child's need number {n} in full" for n in "abcdefghijklmnop")
    text = f"The authority must take into account— {points}, and nothing else."
    cut = pieces(text, 10, limit=200)
    assert len(cut) > 1 and all(len(p) <= 200 for p, _, _ in cut)
    assert all(p.startswith("(") for p, _, _ in cut[1:])  # each piece opens at a point
    assert all(text[s - 10 : e - 10] == p for p, s, e in cut)
    # Without points or commas, a run-on sentence is cut at a word end.
    words = "word " * 100
    assert all(not p.endswith("wor") for p, _, _ in pieces(words, 0, limit=53))
