from __future__ import annotations

import pytest

from search.api.links import anchor_text, encode_fragment, passage_link
from search.model import Passage


def _p(
    text: str,
    kind: str = "paragraph",
    url: str | None = "https://ex.org/a",
    page: int | None = None,
) -> Passage:
    return Passage("d:1", "d", "T", "S", kind, text, 0, len(text), url, page)


def test_text_fragment_uses_first_words_percent_encoded() -> None:
    p = _p("Child-on-child abuse, neglect & self-harm rose in 2016-17 among older teenagers.")
    assert anchor_text(p) == "Child-on-child abuse, neglect & self-harm rose in 2016-17"
    assert passage_link(p) == (
        "https://ex.org/a#:~:text="
        "Child%2Don%2Dchild%20abuse%2C%20neglect%20%26%20self%2Dharm%20rose%20in%202016%2D17"
    )


def test_existing_fragment_is_replaced_and_markdown_is_stripped() -> None:
    p = _p("See **the [escalation policy](https://x/y)** for `steps`.", url="https://ex.org/a#top")
    assert (
        passage_link(p) == "https://ex.org/a#:~:text=See%20the%20escalation%20policy%20for%20steps."
    )


def test_statistic_links_to_its_row_label() -> None:
    p = _p("Neglect, 2020: 40. From the table: Escalations by year.", kind="statistic")
    assert passage_link(p) == "https://ex.org/a#:~:text=Neglect"


@pytest.mark.parametrize(
    ("url", "page", "link"),
    [
        ("https://ex.org/s.pdf", 3, "https://ex.org/s.pdf#page=3"),
        ("https://ex.org/download?id=7", 2, "https://ex.org/download?id=7#page=2"),
        ("https://ex.org/minutes.docx", None, "https://ex.org/minutes.docx"),
        (None, 3, None),
    ],
)
def test_pdf_word_and_unknown_urls(url: str | None, page: int | None, link: str | None) -> None:
    assert passage_link(_p("Some words here.", url=url, page=page)) == link


def test_long_word_runs_are_cut_at_a_word_end() -> None:
    # 38 characters, then a 47-letter word that would pass the 80-character limit.
    text = "Safeguarding " * 3 + "interdisciplinarycollaborationarrangementsreview " * 3
    assert anchor_text(_p(text)) == "Safeguarding Safeguarding Safeguarding"
    assert encode_fragment("a,b&c-d e") == "a%2Cb%26c%2Dd%20e"
