"""Words a PDF's text layer broke: a word split by a stray space ("m akes"), a word
hyphenated at a line end ("safe-" / "guarding"), and a word set letter-spaced
("S T A T U T O R Y  I N S T R U M E N T S" over a statutory instrument).

No dictionary: the document is its own word list. A join is made only when the document
spells the joined word elsewhere and the pieces are not both words it uses on their own;
a hyphen at a line end is dropped only when the document writes the word without it and
never with it. Otherwise the text stays as the PDF has it. A web address that wraps onto
the next line is joined without a space ("https://lha-" / "direct.voa.gov.uk").
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
# A web address running to the end of a line; it may follow punctuation (").http://").
_URL_END = re.compile(r"(?<![A-Za-z0-9])(?:https?://|www\.)\S*$", re.IGNORECASE)
_URL_PREFIX = re.compile(r"(?:https?://|www\.)", re.IGNORECASE)
# A URL cannot end on these, so the line broke inside it ("advocacy-", "dh_", "?id=").
_CUT_INSIDE = "-_=&%"
# These end the URL in prose ("(www.drugbank.ca)", "http://altweb.jhsph.edu/,").
_CLOSES = ",;:!)]}'\"\u2019\u201d"
_TRAILING = ".?" + _CLOSES
# Characters a URL is written with; a bracket, quote or comma is prose around it.
_URL_CHARS = re.compile(r"[\w./~:?#@!$&*+=%-]+")
# A mark prose words seldom carry: a slash, underscore, query character, or a dot before
# two more characters (a domain or file ending: "voa.gov", "review.pdf"; not "e.g.").
# A hyphen alone is no mark ("long-term" is prose), nor are digits ("0800 1111" after a
# helpline's address).
_URL_MARK = re.compile(r"[/_=?&%#]|\.\w\w")
# Tokens with such marks that are prose all the same: "he/she", "and/or", "N/A", "2015/16",
# and paragraph or version numbers ("3.12").
_PROSE = re.compile(r"[^\W\d_]{1,3}/[^\W\d_]{1,3}|\d{2,4}/\d{2,4}|[\d.]+")


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


def wraps_url(first: str, second: str) -> bool:
    """Whether a web address at the end of the first line goes on at the start of the
    second, so the lines join with no space (".../a006" + "5502/care-planning").

    The line must end inside a URL: its last token runs from "http://", "https://" or
    "www." to the end. Then the second line's first token continues it when
    - the URL is only its prefix ("www." + "Aedes.caltech.edu"), or ends on a character no
      URL ends on ("-", "_", "=", "&", "%"), and the token starts with a letter or digit;
    - otherwise, when the URL does not end on closing punctuation (",", ")", ...) and the
      token, less any sentence punctuation after it, is written in URL characters and
      carries a mark prose words seldom do: "/", "_", "=", "?", "&", "%", "#", or a dot
      before two more characters. A URL ending in "." or "?" may go on this way
      ("...ebi.ac." + "uk/gqsrv"); a sentence after it starts with an ordinary word.
    A plain word after a URL (".../guidance" + "and the local offer") keeps its space, even
    after "/" ("www.nyas.net/" + "Freephone:"): the URL may have ended there, and a wrap
    before a bare word ("...ebi.ac.uk/embl." + "html") is the cost of that.
    """
    url = _URL_END.search(first)
    token = second.split(maxsplit=1)[0] if second.strip() else ""
    if url is None or not token[:1].isalnum():
        return False
    address = url.group()
    if address[-1] in _CUT_INSIDE or _URL_PREFIX.fullmatch(address):
        return True
    if address[-1] in _CLOSES:
        return False
    core = token.rstrip(_TRAILING)
    return (
        bool(_URL_CHARS.fullmatch(core))
        and _URL_MARK.search(core) is not None
        and not _PROSE.fullmatch(core)
    )


def join_lines(first: str, second: str, vocab: Vocabulary) -> str:
    """Two lines of one paragraph as one text: a line-end hyphen kept in a compound
    ("looked-" + "after"), dropped where it only broke a word the document writes whole.
    A URL wrapped over the lines is joined whole, any hyphen kept (see wraps_url)."""
    if not first:
        return second
    if wraps_url(first, second):
        return first + second
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


def join_pieces(pieces: Iterable[str]) -> str:
    """Lines of a footnote as one text: a space between them, none inside a wrapped URL."""
    text = ""
    for piece in pieces:
        if not text:
            text = piece
        elif wraps_url(text, piece):
            text += piece
        else:
            text = f"{text} {piece}"
    return text


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


# Four or more single letters one space apart: a word set letter-spaced; words of such a run
# stand two or more spaces apart ("S T A T U T O R Y  I N S T R U M E N T S").
_LETTER_SPACED = re.compile(
    r"(?<!\S)(?:[^\W\d_] ){3,}[^\W\d_](?: {2,}(?:[^\W\d_] )+[^\W\d_])*(?!\S)"
)


def close_letter_spacing(text: str) -> str:
    """The text with letter-spaced words set solid ("S T A T U T O R Y" -> "STATUTORY"); to
    be read before white space is folded, which would lose where each word ends."""

    def solid(match: re.Match[str]) -> str:
        return " ".join(word.replace(" ", "") for word in re.split(r" {2,}", match.group()))

    return _LETTER_SPACED.sub(solid, text)
