"""Inline Markdown read as a person reads it: "[the report](https://...)" is "the report",
"**must**" is "must". Block structure (headings, bullets, tables) is parse_blocks' work; this
is only what stands inside a line, for the text of a Markdown or plain-text passage.

A link's target is not lost where it matters: a reading list's entry keeps it as the
passage's `points_to` (blocks.py), and the document's own URL is the passage's.
"""

from __future__ import annotations

import re

_TITLE = r'(?:\s+"[^"]*")?'
_IMAGE = re.compile(rf"!\[([^\]\n]*)\]\([^)\s]*{_TITLE}\)")
_LINK = re.compile(rf"\[([^\]\n]+)\]\([^)\s]*{_TITLE}\)")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
# One star or underscore each side, not inside a word ("snake_case", "2*3*4") or a run.
_EMPHASIS = re.compile(
    r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])|"
    r"(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?![\w_])"
)
_CODE = re.compile(r"`([^`\n]+)`")


def plain(text: str) -> str:
    """The text with inline Markdown (links, images, bold, emphasis, code) rendered as
    plain words; text without any comes back unchanged."""
    if not any(mark in text for mark in "[*_`"):
        return text
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _CODE.sub(r"\1", text)
    text = _STRONG.sub(r"\2", text)
    return _EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
