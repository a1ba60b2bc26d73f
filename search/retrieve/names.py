"""Names a question uses that a collection never does: a thing it does not cover.

"MARAC referral criteria", "the Graded Care Profile", "the Staying Close programme": a
question that names something comes as close to a collection's passages as its own
questions do when the collection speaks of the same field, but a collection that never
names that thing does not cover it. Two kinds of names are read as typed: an acronym
("MARAC"), and two or more capitalised words ("Graded Care Profile", "Signs of Safety").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from search import tuning
from search.retrieve.lexical import Lexical
from search.retrieve.query import STOPWORDS, Glossary

# An acronym as typed: two to seven capitals or digits, a plural "s" after ("LSCBs").
_ACRONYM = re.compile(r"\b([A-Z][A-Z0-9]{1,6})s?\b")
# Capitalised words in a row, small joining words allowed between ("Signs of Safety").
_NAME = re.compile(
    r"\b[A-Z][\w'\u2019-]*(?:\s+(?:(?:of|for|and|the|in|on|to)\s+)*[A-Z][\w'\u2019-]*)+"
)
_WORD = re.compile(r"[^\W_]+")
_STOP = frozenset(STOPWORDS) | {"i"}


def unknown_acronym(question: str, lexical: Lexical, glossary: Glossary) -> str | None:
    """An acronym the question names that the collection never uses, nor the words of its
    glossary expansion. An acronym that is also a stop word ("HE bursary", "IT") says
    nothing either way."""
    for match in _ACRONYM.finditer(question):
        acronym = match.group(1)
        terms = lexical.terms(acronym)
        if not terms or any(lexical.knows(t) for t in terms):
            continue
        spelled = [t for t in lexical.terms(glossary.expand(acronym)) if t not in terms]
        if spelled and all(lexical.knows(t) for t in spelled):
            continue
        return acronym
    return None


def names(question: str) -> list[str]:
    """The capitalised names a question uses, two words or more, less the question's own
    opening words ("Can I", "What Is The"). A question typed all in capitals, or with most
    of its words capitalised (a headline), has no names to tell apart."""
    words = question.split()
    capitalised = sum(w[:1].isupper() for w in words)
    if not words or capitalised > tuning.NAME_CAPS_SHARE * len(words):
        return []
    out = []
    for match in _NAME.finditer(question):
        parts = match.group(0).split()
        while parts and parts[0].lower() in _STOP:
            parts.pop(0)
        while parts and parts[-1].lower() in _STOP:
            parts.pop()
        if sum(p.lower() not in _STOP for p in parts) >= 2 and not any(p.isupper() for p in parts):
            out.append(" ".join(parts))
    return out


def phrase_key(text: str) -> str:
    """A text's words, lower case, one space apart: how a name is looked for in passages."""
    return " ".join(_WORD.findall(text.casefold()))


def holds(phrase: str, lexical: Lexical, text_at: Callable[[int], str]) -> bool:
    """Whether a text holds the phrase, its words in a row: looked for in the texts that
    hold all its words (text_at gives the text at a lexical position), NAME_SCAN at most;
    more than that are taken to hold it."""
    wanted = phrase_key(phrase)
    positions = lexical.holding(lexical.terms(phrase))
    if len(positions) > tuning.NAME_SCAN:
        return True
    return any(wanted in phrase_key(text_at(int(p))) for p in positions)


def unknown(
    question: str,
    lexical: Lexical,
    glossary: Glossary,
    text_at: Callable[[int], str],
    titles: Iterable[str] = (),
) -> str | None:
    """The first name the question uses that the collection never does (in a passage or a
    document's title), if any."""
    if tuning.UNKNOWN_ACRONYMS and (found := unknown_acronym(question, lexical, glossary)):
        return found
    if not tuning.UNKNOWN_NAMES:
        return None
    titled = [phrase_key(t) for t in titles]
    for name in names(question):
        if not holds(name, lexical, text_at) and not any(phrase_key(name) in t for t in titled):
            return name
    return None
