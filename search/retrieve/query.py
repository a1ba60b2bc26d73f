"""What a question asks for, read before ranking: acronyms spelled out, and its intent
(a figure, the themes, the lessons, the largest or smallest of something).

Every rule here reads the question's wording, never the corpus's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bm25s.stopwords import STOPWORDS_EN_PLUS

from search import tuning

DEFAULT_GLOSSARY = Path(__file__).parent.parent / "data" / "glossary.tsv"

# Words a question is phrased with rather than about; BM25 should not match on them.
STOPWORDS = tuple(
    sorted(
        set(STOPWORDS_EN_PLUS)
        | set("many much does did do please tell find know anything would could us we i me my "
              "get got also".split())
    )
)  # fmt: skip

# The verbs a question asks for a list with ("what should a support plan contain", "what
# must a pathway plan include"): phrasing, like the stop words, when tuning.LIST_VERBS is
# on. Rare in long guidance, they would weigh most in BM25 and find "Chapter 6 contains".
LIST_VERBS = tuple(
    "include includes included including contain contains contained containing "
    "consist consists".split()
)


def stopwords() -> tuple[str, ...]:
    """The words BM25 neither indexes nor matches."""
    return STOPWORDS + LIST_VERBS if tuning.LIST_VERBS else STOPWORDS


_FIGURE = re.compile(
    r"\b(how (many|much|common|often|frequent\w*|prevalent|likely|widespread)|"
    r"what (percentage|proportion|share|number|per ?cent|fraction|rate)|percent\w*|"
    r"proportion|number of|figures?|stats?|statistics?|prevalence|rates?)\b|%",
    re.IGNORECASE,
)
# "How many recommendations should a review make" asks what ought to be, not what was counted.
_NORMATIVE = re.compile(r"\b(should|ought|must)\b", re.IGNORECASE)
_THEMES = re.compile(r"\b(themes?|patterns?|issues)\b", re.IGNORECASE)
# Only words that name lessons: "what should I do" is answered by procedures as much as by
# a review's learnings, so it does not favour them.
_LESSONS = re.compile(
    r"\b(lessons?|learn(ing|ings|t|ed)?|implications?|recommend\w*)\b", re.IGNORECASE
)
# Superlatives of frequency or size ("the most common", "came up most often", "biggest"),
# not "most" as a quantifier ("did most boards...") or of importance ("what matters most").
_HOW_OFTEN = r"(common\w*|frequent\w*|often|prevalent|likely|widespread|usual|typical)"
_MOST = re.compile(rf"\bmost\s+{_HOW_OFTEN}\b|\b(highest|biggest|largest|commonest)\b", re.I)
_LEAST = re.compile(rf"\bleast\s+{_HOW_OFTEN}\b|\b(lowest|smallest|rarest|fewest)\b", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z'&-]*")


# "What must a pathway plan include", "designated teacher responsibilities", "list the ...".
_LIST_ASKED = re.compile(
    r"\b(include[sd]?|including|contain[s]?|cover[s]?|consist[s]? of|list|lists)\b|"
    r"\b(responsibilities|duties|steps|stages|principles|rules|requirements|criteria|"
    r"elements|components|functions|tasks|roles)\b",
    re.IGNORECASE,
)
# What someone can or should offer, provide or give ("what advice should a PA give", "what
# can the virtual school offer"), not what an offer is ("what is the local offer").
_OFFER_ASKED = re.compile(
    r"^\s*what\b(\s+\w+)?\s+(can|could|should|must|will|would|do|does)\b.*"
    r"\b(offer|provide|give)\b",
    re.IGNORECASE,
)
# "What skills should ...", "which services ...": a plural noun after what/which asks for
# several things (the verbs and words that end in s are left out).
_SEVERAL_ASKED = re.compile(
    r"^\s*(what|which)\s+(?!(does|is|was|has|this|its|means|happens|makes|counts)\b)"
    r"[a-z]{3,}[^s\W]s\b",
    re.IGNORECASE,
)


# "What is a relevant child", "what does fostering for adoption mean", "define X", "X meaning".
_MEANING_ASKED = re.compile(
    r"^\s*(what\s+(is|are)\b|what\s+does\b.*\bmean\s*\??\s*$|define\b)|"
    r"\b(meaning|definition)\s*\??\s*$",
    re.IGNORECASE,
)


def asks_meaning(question: str) -> bool:
    """Whether the question asks what something is or means."""
    return bool(_MEANING_ASKED.search(question))


def asks_list(question: str) -> bool:
    """Whether the question asks for a list: its wording, or a plural after what/which."""
    several = tuning.SEVERAL_ASKED and bool(_SEVERAL_ASKED.search(question))
    offered = tuning.OFFER_ASKED and bool(_OFFER_ASKED.search(question))
    return bool(_LIST_ASKED.search(question)) or several or offered


@dataclass(frozen=True)
class Intent:
    figure: bool = False  # asks for a number or a share
    themes: bool = False
    lessons: bool = False
    extreme: str | None = None  # "max" or "min" for the largest / smallest of a set
    list: bool = False  # asks for a list ("what must a pathway plan include")


@dataclass(frozen=True)
class Glossary:
    always: dict[str, str]
    caps_only: dict[str, str]

    def for_corpus(self, text: str) -> Glossary:
        """The entries that fit a corpus. An acronym the corpus uses without ever spelling
        out this expansion means something else there ("ACE inhibitors", "CIN" for a
        neoplasia in medical abstracts), so it is not expanded; phrases always are."""
        tokens = _WORD.findall(text.lower())
        words = set(tokens)
        spelled = " ".join(tokens)

        def fits(term: str, expansion: str) -> bool:
            if " " in term or term not in words:
                return True
            return " ".join(_WORD.findall(expansion.lower())) in spelled

        return Glossary(
            {t: e for t, e in self.always.items() if fits(t, e)},
            {t: e for t, e in self.caps_only.items() if fits(t, e)},
        )

    def expand(self, query: str) -> str:
        """The query with any acronyms it uses spelled out after it."""
        if not tuning.GLOSSARY:
            return query
        found: list[str] = []
        lowered = " ".join(_WORD.findall(query.lower()))
        # Phrases ("county lines") are matched whole, single words one by one.
        for phrase, expansion in self.always.items():
            if " " in phrase and re.search(rf"\b{re.escape(phrase)}\b", lowered):
                found.append(expansion)
        for word in _WORD.findall(query):
            key = word.lower()
            typed_in_caps = word.rstrip("s").isupper() and len(word) > 1
            hit = self.always.get(key) or (self.caps_only.get(key) if typed_in_caps else None)
            if hit:
                found.append(hit)
        extra = [e for e in dict.fromkeys(found) if e.lower() not in query.lower()]
        return f"{query} ({'; '.join(extra)})" if extra else query


@lru_cache(maxsize=8)
def load_glossary(path: Path = DEFAULT_GLOSSARY) -> Glossary:
    always: dict[str, str] = {}
    caps: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        target = caps if len(parts) > 2 and parts[2].strip() == "caps" else always
        target[parts[0].strip().lower()] = parts[1].strip()
    return Glossary(always, caps)


def intent(query: str) -> Intent:
    extreme = "max" if _MOST.search(query) else "min" if _LEAST.search(query) else None
    return Intent(
        figure=bool(_FIGURE.search(query)) and not _NORMATIVE.search(query),
        themes=bool(_THEMES.search(query)),
        lessons=bool(_LESSONS.search(query)),
        extreme=extreme,
        list=asks_list(query),
    )
