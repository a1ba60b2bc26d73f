"""Words a PDF's text layer broke: a word split by a stray space ("m akes") and a word
hyphenated at a line end ("safe-" / "guarding").

No dictionary: the document is its own word list. A join is made only when the document
spells the joined word elsewhere and the pieces are not both words it uses on their own;
a hyphen at a line end is dropped only when the document writes the word without it and
never with it. Otherwise the text stays as the PDF has it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_WORD = re.compile(r"[^\W\d_]+(?:[-'\u2019][^\W\d_]+)*")
# Two letter runs one space apart, each a whole token (not part of "s/he", "e.g.", a URL).
# The second token is looked ahead at, so that "It m akes" yields both "It m" and "m akes".
_PAIR = re.compile(r"(?<![\w/.@&'\u2019-])([^\W\d_]+) (?=([^\W\d_]+)(?![\w/@&'\u2019-]))")
# The longest piece a stray space leaves beside a longer one ("m akes", "to gether").
SPLIT_PIECE = 3


class Vocabulary:
    """How often the document writes each word (case folded), counted inside lines, and
    each short split pair ("m akes"), so that a stray space repeated ten times does not make
    "akes" a word of the document."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.counts: Counter[str] = Counter()
        self.pairs: Counter[tuple[str, str]] = Counter()
        for line in lines:
            self.counts.update(w.casefold() for w in _WORD.findall(line))
            for m in _PAIR.finditer(line):
                a, b = m.group(1).casefold(), m.group(2).casefold()
                if min(len(a), len(b)) <= SPLIT_PIECE:
                    self.pairs[(a, b)] += 1

    def __getitem__(self, word: str) -> int:
        return self.counts[word.casefold()]


def join_lines(first: str, second: str, vocab: Vocabulary) -> str:
    """Two lines of one paragraph as one text: a line-end hyphen kept in a compound
    ("looked-" + "after"), dropped where it only broke a word the document writes whole."""
    if not first:
        return second
    hyphenated = re.search(r"([^\W\d_]+)-$", first)
    if hyphenated and second[:1].islower():
        head = hyphenated.group(1)
        tail = _WORD.match(second)
        if tail is not None:
            whole = head + tail.group()
            if vocab[whole] and not vocab[f"{head}-{tail.group()}"]:
                return first[:-1] + second
        return first + second
    return f"{first} {second}"


def rejoin_split_words(text: str, vocab: Vocabulary) -> str:
    """'m akes' as 'makes' when the document writes 'makes' and the shorter piece ('m') is
    no word of its own there ("a bout" stays: "a" is a word, and so may "bout" be)."""

    def fix(match: re.Match[str]) -> str:
        a, b = match.group(1), match.group(2)
        if min(len(a), len(b)) > SPLIT_PIECE or not b[0].islower():
            return match.group()
        splits = vocab.pairs[(a.casefold(), b.casefold())]
        joined = vocab[a + b]
        short = a if len(a) <= len(b) else b
        return a if joined and vocab[short] - splits <= 0 else match.group()

    return _PAIR.sub(fix, text)
