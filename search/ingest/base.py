"""What every format reader shares: the result a reader returns, a writer of blocks for
marked-up formats, and the small text helpers readers use."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from search.errors import CorpusError
from search.model import Block

# A list item is a link (a reading list's entry) when links cover this share of its text.
LINK_SHARE = 0.75


@dataclass(frozen=True)
class Extracted:
    """What a format reader found: the text, and blocks pointing into it when the markup
    already tells the structure (None: the chunker parses the text)."""

    text: str
    blocks: tuple[Block, ...] | None = None
    title: str | None = None  # a title the file declares (HTML <title>, PDF/Word metadata)
    url: str | None = None  # a URL the file declares (HTML canonical link)
    # The reader judged `title` the document's own (PDF: good metadata, else the first page's
    # largest text), so it wins over the first heading; else it is only a fallback.
    title_final: bool = False
    # For PDFs: (offset, page from 1) in order of offset, the text from each offset on read
    # from that page; and the number of pages.
    page_marks: tuple[tuple[int, int], ...] = ()
    pages: int | None = None


class BlockWriter:
    """Builds blocks and the text they point into, for readers of marked-up formats."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._pos = 0
        self.blocks: list[Block] = []

    def _write(self, text: str, end_with: str = "\n\n") -> tuple[int, int]:
        start = self._pos
        self._parts.append(text + end_with)
        self._pos += len(text) + len(end_with)
        return start, start + len(text)

    def heading(self, text: str, level: int) -> None:
        text = clean(text)
        if text:
            self.blocks.append(Block("heading", text, *self._write(text), level=max(level, 1)))

    def paragraph(
        self, text: str, kind: str = "paragraph", link: bool = False, href: str | None = None
    ) -> None:
        text = clean(text)
        if text:
            block = Block(kind, text, *self._write(text), link=link, href=web_address(href))
            self.blocks.append(block)

    def bullet(self, text: str, link: bool = False, href: str | None = None) -> None:
        self.paragraph(text, "bullet", link, href)

    def table(self, rows: Sequence[Sequence[str]]) -> None:
        """Rows of cell texts; empty cells stay so that columns line up with the header."""
        out: list[tuple[tuple[str, int, int], ...]] = []
        start = self._pos
        for row in rows:
            cells = [clean(c).replace("|", "/") for c in row]
            if not any(cells):
                continue
            cursor = self._pos
            spans = []
            for i, cell in enumerate(cells):
                spans.append((cell, cursor, cursor + len(cell)))
                cursor += len(cell) + (3 if i < len(cells) - 1 else 0)
            self._write(" | ".join(cells), "\n")
            out.append(tuple(spans))
        if out:
            self.blocks.append(Block("table", "", start, self._pos - 1, rows=tuple(out)))
            self._write("", "\n")

    def extracted(self, title: str | None = None, url: str | None = None) -> Extracted:
        return Extracted("".join(self._parts), tuple(self.blocks), clean(title or "") or None, url)


def mostly_linked(linked: float, extent: float) -> bool:
    """Whether links cover enough of a list item (characters, or a PDF line's width) for it
    to be a reading list's entry rather than a sentence with a link in it."""
    return extent > 0 and linked >= LINK_SHARE * extent


def clean(text: str) -> str:
    """Runs of white space (line breaks, non-breaking spaces) as one space, trimmed."""
    return " ".join(text.split())


def one_line(exc: BaseException) -> str:
    return clean(str(exc)) or type(exc).__name__


def web_address(url: str | None) -> str | None:
    """An http(s) URL or a site path ("/policies/x.pdf") as it stands; anything else
    (mailto:, javascript:, a relative path) is None."""
    pattern = r"^(https?://[^\s<>\"]+|/(?!/)[^\s<>\"]*)$"
    if url is None or not re.match(pattern, url.strip(), re.IGNORECASE):
        return None
    return url.strip()


def check_url(url: object, where: str) -> str | None:
    """An absolute http(s) URL or a site path; anything else (javascript:...) is refused."""
    if url is None or url == "":
        return None
    if not isinstance(url, str) or not re.match(r"^(https?://[^\s]+|/[^\s]*)$", url.strip()):
        raise CorpusError(f"{where}: url must start with http://, https:// or / (got {url!r})")
    return url.strip()
