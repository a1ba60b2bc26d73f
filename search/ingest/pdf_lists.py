"""A PDF page's text being assembled into headings, paragraphs, list items and footnotes, and
numbered lines told apart: a list's "1.", "2." from a document's own paragraph numbers.

Pure functions over the items search/ingest/pdf.py builds from each page's lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_SINGLE_NUMBER = re.compile(r"^(\d{1,3})\.\s+")


@dataclass
class Item:
    """A heading, paragraph, list item or footnote being assembled."""

    type: str  # "heading" | "paragraph" | "bullet" | "footnote"
    text: str
    page: int
    level: int = 0
    numbered: bool = False  # opens with its paragraph number
    x: float = 0.0  # where its first line starts (a list item's continuation is indented)
    style: tuple[float, bool] = (0.0, False)  # a heading's type size and weight
    linked: bool = False  # a list item whose every line is a link's (a reading list entry)
    href: str | None = None  # where its first line's link points
    subtitle: bool = False  # a heading's second line in its own smaller type ("General")
    y: float = 0.0  # its first line's baseline
    # Where the text runs on to a later page: (characters before that point, spaces not
    # counted, the page). Joining words and collapsing spaces leave the count as it is.
    breaks: list[tuple[int, int]] = field(default_factory=list)

    def run_on(self, text: str, page: int, joined: str) -> None:
        """Take `joined` (this item's text with `text`, the first line of `page`, joined
        on), noting where that page's text begins."""
        self.breaks.append((solid(joined[: len(joined) - len(text)]), page))
        self.text = joined

    def cut_front(self, end: int) -> None:
        """Drop the text before `end` (a list number), the page breaks kept in place."""
        cut = solid(self.text[:end])
        self.text = self.text[end:]
        self.breaks = [(at - cut, page) for at, page in self.breaks]


def solid(text: str) -> int:
    """How many characters the text has besides white space."""
    return sum(not c.isspace() for c in text)


def solid_offset(text: str, count: int) -> int:
    """Where in `text` the character after the first `count` non-space ones stands."""
    seen = 0
    for i, c in enumerate(text):
        if not c.isspace():
            if seen == count:
                return i
            seen += 1
    return len(text)


def _number(item: Item) -> int | None:
    found = _SINGLE_NUMBER.match(item.text) if item.numbered else None
    return int(found.group(1)) if found else None


def _run_stops(items: Sequence[Item], i: int) -> bool:
    """Whether the numbers from item i ("1.", "2." straight after) stop under their
    heading: the numbering does not carry on past it (a document's own paragraphs go on
    "4.", "5." under the next heading)."""
    if i + 1 >= len(items) or _number(items[i + 1]) != 2:
        return False
    last, k = 0, i
    while k < len(items) and items[k].type != "heading":
        value = _number(items[k])
        if value is not None and value != last + 1:
            break
        last = value if value is not None else last
        k += 1
    after = next((v for x in items[k:] if (v := _number(x)) is not None), None)
    return last >= 2 and after != last + 1


def as_list_items(items: list[Item]) -> None:
    """Single-number items ("1. Invite the nurse") after a lead-in or another list item are
    a numbered list; elsewhere "1." opens a numbered paragraph and stays with it. After a
    list, the number that comes next in the document's own paragraph numbering ("45." after
    "44. Health assessments should:" and its bullets) opens paragraph 45, unless it carries
    on a numbered list. Numbering that starts at 1 under a heading, "2." straight after,
    and stops before the next heading is a list too (a regulation's schedule of matters,
    "seven golden rules"); a document's own paragraphs carry on under the next heading."""
    paragraph = listed = 0  # the last paragraph number kept; the last list number taken
    for i, item in enumerate(items):
        number = _SINGLE_NUMBER.match(item.text) if item.numbered else None
        before = next((b for b in reversed(items[:i]) if b.type != "footnote"), None)
        if number is None and item.type not in ("bullet", "footnote"):
            listed = 0
        if number is None:
            continue
        value = int(number.group(1))
        if before is None:
            paragraph = value
            continue
        next_paragraph = paragraph and value == paragraph + 1 and value != listed + 1
        after_lead_in = before.type == "paragraph" and not before.numbered
        if (
            (after_lead_in and before.text.endswith(":"))
            or (before.type == "bullet" and not next_paragraph)
            or (value == 1 and before.type == "heading" and _run_stops(items, i))
        ):
            item.cut_front(number.end())
            item.type, item.numbered = "bullet", False
            listed = value
        else:
            paragraph, listed = value, 0
