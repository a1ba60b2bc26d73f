from __future__ import annotations

import pytest

from search.chunk.inline import plain
from search.chunk.passages import chunk_document


@pytest.mark.parametrize(
    ("marked", "read"),
    [
        (
            "See **the [escalation policy](https://x/y)** for `steps`.",
            "See the escalation policy for steps.",
        ),
        ("You can read the full report [here](#).", "You can read the full report here."),
        (
            'A [titled link](https://x "Title") and ![a logo](logo.png).',
            "A titled link and a logo.",
        ),
        ("An *important* and a _quiet_ note, __twice__.", "An important and a quiet note, twice."),
        # Not marks: inside words, arithmetic, a lone star, a footnote sign.
        ("snake_case_name and 2*3*4 stay", "snake_case_name and 2*3*4 stay"),
        ("a * b, and 5 per cent* of them", "a * b, and 5 per cent* of them"),
        ("[a bracket] and (a parenthesis)", "[a bracket] and (a parenthesis)"),
    ],
)
def test_inline_marks_are_read_as_words(marked: str, read: str) -> None:
    assert plain(marked) == read


def test_markdown_passages_headings_and_title_read_without_marks() -> None:
    text = (
        "# The **Local** Guide\n\n## Who *must* act\n\n"
        "The [designated lead](https://example.org/dsl) **must** act on the same day.\n\n"
        "- an item with `code`\n"
    )
    paragraph, item = chunk_document(text, "d")
    assert paragraph.title == "The Local Guide"
    assert paragraph.section == "Who must act" and paragraph.headings == ("Who must act",)
    assert paragraph.text == "The designated lead must act on the same day."
    assert item.text == "an item with code"
    # Its place in the source is still the span of what was written.
    assert text[paragraph.start : paragraph.end].startswith("The [designated lead](")
    assert text[paragraph.start : paragraph.end].endswith("**must** act on the same day.")
