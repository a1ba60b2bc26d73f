"""HTML pages: the main content only, as headings, paragraphs, list items and tables.

Beautiful Soup (with the standard library's parser) reads the page; the rules for what is
main content are explicit and predictable, the way Pagefind and DocSearch choose theirs:
the page's <main> (or role=main, or its one <article>, else <body>), minus navigation,
site header and footer, asides, forms, scripts, styles, hidden elements and cookie or
consent banners. Article-extraction heuristics (trafilatura, readability) are tuned for
news pages and may silently drop the short procedures and tables an intranet holds.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup
from bs4.dammit import EncodingDetector
from bs4.element import NavigableString, PreformattedString, Tag

from search.errors import CorpusError
from search.ingest.base import BlockWriter, Extracted, check_url, clean, mostly_linked

_DROP_TAGS = (
    "head script style noscript template iframe object embed svg canvas form button select "
    "textarea input nav aside dialog menu"
).split()
_DROP_ROLES = frozenset(
    "navigation banner contentinfo search complementary dialog alertdialog menu menubar".split()
)
_BOILERPLATE = re.compile(r"cookie|consent|gdpr|breadcrumb|skip-?(link|nav|to)", re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_WINDOWS_1252_LABELS = frozenset(
    "ascii us-ascii iso-8859-1 iso8859-1 latin1 latin-1 l1 cp819".split()
)
_CONTAINERS = frozenset(
    "html body main article section div header footer blockquote figure details summary "
    "dl dt dd address fieldset center hgroup search".split()
)
# Tags that start a new line of text when a list item's or a cell's text is flattened.
_BLOCKISH = _CONTAINERS | frozenset(_HEADINGS) | frozenset("p li ul ol table tr td th pre".split())


def decode_html(data: bytes, path: Path) -> str:
    """The page's text in its declared charset; undeclared: UTF-8, else windows-1252 (as
    browsers assume)."""
    data, bom = EncodingDetector.strip_byte_order_mark(data)
    declared = bom or EncodingDetector.find_declared_encoding(data, is_html=True)
    if declared and declared.lower() in _WINDOWS_1252_LABELS:
        declared = "windows-1252"  # as the WHATWG Encoding Standard tells browsers to
    if declared:
        try:
            return data.decode(declared)
        except LookupError as exc:
            raise CorpusError(f"{path}: declares an unknown charset {declared!r}") from exc
        except UnicodeDecodeError as exc:
            raise CorpusError(
                f"{path}: declares charset {declared} but byte {exc.start} is not {declared}"
            ) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("windows-1252")
        except UnicodeDecodeError as exc:
            raise CorpusError(
                f"{path}: declares no charset and is neither UTF-8 nor windows-1252 text "
                f"(byte {exc.start})"
            ) from exc


def _is_boilerplate(el: Tag) -> bool:
    if el.name in ("header", "footer"):
        # A page's own header and footer are site furniture; an article's header holds its title.
        return el.name == "footer" or el.find_parent(["article", "main"]) is None
    if el.get("role") in _DROP_ROLES or el.has_attr("hidden"):
        return True
    if str(el.get("aria-hidden", "")).lower() == "true":
        return True
    if _HIDDEN_STYLE.search(str(el.get("style", ""))):
        return True
    names = [str(el.get("id", ""))] + [str(c) for c in el.get_attribute_list("class")]
    return any(_BOILERPLATE.search(n) for n in names if n)


def _strip(soup: BeautifulSoup) -> None:
    for el in soup.find_all(_DROP_TAGS):
        el.decompose()
    for el in soup.find_all(True):
        if not el.decomposed and _is_boilerplate(el):
            el.decompose()
    for br in soup.find_all("br"):
        br.replace_with(" ")


def _main(soup: BeautifulSoup) -> Tag:
    found = soup.find("main") or soup.select_one('[role="main"]')
    if isinstance(found, Tag):
        return found
    articles = soup.find_all("article")
    if len(articles) == 1:
        return articles[0]
    return soup.body or soup


def flat_text(el: Tag) -> str:
    """All text under el, with a space where a block element begins (so 'a</p><p>b' does
    not glue words together) and none around inline ones (so '<b>Im</b>portant' stays whole)."""
    parts = []
    for node in el.descendants:
        if isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, CDATA, doctype
                parts.append(str(node))
        elif isinstance(node, Tag) and node.name in _BLOCKISH:
            parts.append(" ")
    return clean("".join(parts))


def _all_link(li: Tag, text: str) -> tuple[bool, str | None]:
    """Whether a list item's text is (nearly) all links to other pages or sites: a reading
    list's entry, and where its first link points. A link within the page ("#top") does
    not count."""
    links = [a for a in li.find_all("a", href=True) if not str(a["href"]).startswith("#")]
    if not mostly_linked(sum(len(flat_text(a)) for a in links), len(text)):
        return False, None
    return True, str(links[0]["href"])


class _Walker:
    def __init__(self) -> None:
        self.out = BlockWriter()

    def walk(self, el: Tag) -> None:
        inline: list[str] = []

        def flush() -> None:
            self.out.paragraph("".join(inline))
            inline.clear()

        for child in el.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):
                    inline.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in _HEADINGS:
                flush()
                self.out.heading(flat_text(child), _HEADINGS[name])
            elif name in ("p", "pre"):
                flush()
                self.out.paragraph(flat_text(child))
            elif name in ("ul", "ol"):
                flush()
                self.list(child)
            elif name == "table":
                flush()
                self.table(child)
            elif name in _CONTAINERS or child.find(_BLOCKISH) is not None:
                flush()
                self.walk(child)
            else:
                inline.append(flat_text(child) if child.find(True) else child.get_text())
        flush()

    def list(self, lst: Tag) -> None:
        for li in lst.find_all("li", recursive=False):
            nested = [x for x in li.find_all(["ul", "ol"]) if x.find_parent("li") is li]
            for x in nested:
                x.extract()
            text = flat_text(li)
            self.out.bullet(text, *_all_link(li, text))
            for x in nested:
                self.list(x)

    def table(self, table: Tag) -> None:
        rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
        cells = [tr.find_all(["th", "td"], recursive=False) for tr in rows]
        # A table used for layout holds paragraphs, lists or headings in its cells: walk those.
        if any(c.find(["p", "ul", "ol", "table", "div", *_HEADINGS]) for row in cells for c in row):
            for row in cells:
                for cell in row:
                    self.walk(cell)
            return
        caption = table.find("caption")
        if isinstance(caption, Tag):
            self.out.paragraph(flat_text(caption))
        grid = []
        for row in cells:
            texts: list[str] = []
            for cell in row:
                texts.append(flat_text(cell))
                span = str(cell.get("colspan", "1"))
                texts.extend([""] * (int(span) - 1 if span.isdigit() and 1 < int(span) < 50 else 0))
            grid.append(texts)
        self.out.table(grid)


def _declared_url(soup: BeautifulSoup) -> str | None:
    link = soup.find("link", rel="canonical")
    meta = soup.find("meta", attrs={"property": "og:url"})
    for el, attr in ((link, "href"), (meta, "content")):
        if isinstance(el, Tag) and el.get(attr):
            try:
                return check_url(str(el[attr]), "")
            except CorpusError:
                continue  # a page's odd canonical link is no reason to refuse the page
    return None


def read_html(data: bytes, path: Path) -> Extracted:
    soup = BeautifulSoup(decode_html(data, path), "html.parser")
    title_tag = soup.find("title")
    title = title_tag.get_text() if isinstance(title_tag, Tag) else None
    url = _declared_url(soup)
    _strip(soup)
    walker = _Walker()
    walker.walk(_main(soup))
    if not walker.out.blocks:
        raise CorpusError(f"{path}: no text in the page's main content")
    return walker.out.extracted(title, url)
