"""Links that open a passage's document at the passage itself.

Web pages get a text fragment (`#:~:text=`, supported by Chromium, Safari and Firefox) made
from the first words of the passage, so the browser scrolls to and highlights them; PDFs
get `#page=N`, which PDF viewers honour. Browsers that know neither just open the page.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from search.chunk.inline import plain
from search.model import Passage

FRAGMENT_WORDS = 8
FRAGMENT_CHARS = 80


def anchor_text(p: Passage) -> str:
    """A short run of the passage's words as they appear on the page."""
    text = p.text
    if p.kind == "statistic":
        # "Row label, header: value. From the table: ..." is built by the chunker; the row
        # label (or the header) is what the page shows, in the table's first cell.
        text = text.split(": ", 1)[0].split(", ", 1)[0]
    text = plain(text)
    words: list[str] = []
    for word in text.split():
        if words and (
            len(words) >= FRAGMENT_WORDS or len(" ".join([*words, word])) > FRAGMENT_CHARS
        ):
            break
        words.append(word)
    return " ".join(words)


def encode_fragment(text: str) -> str:
    """Percent-encoded for a text directive: also '-', ',' and '&', which the syntax uses."""
    return quote(text, safe="").replace("-", "%2D")


def passage_link(p: Passage) -> str | None:
    """The document's URL pointing at the passage, or None when no URL is known."""
    if not p.url:
        return None
    base = p.url.split("#", 1)[0]
    if p.page is not None:
        return f"{base}#page={p.page}"
    if urlsplit(base).path.lower().endswith((".docx", ".doc")):
        return base  # a Word file downloads; there is nothing to scroll to
    anchor = anchor_text(p)
    return f"{base}#:~:text={encode_fragment(anchor)}" if anchor else base
