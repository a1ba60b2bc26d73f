"""A small corpus with one open document and one document for each of two groups, whose
rare words let a test see whether anything of a restricted document leaks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

OPEN = """# Working Together Locally

## Neglect

Practitioners should record neglect concerns early and share them with the designated
safeguarding lead.

Neglect was present in 52% of the reviews, often alongside domestic abuse.

## Domestic Abuse

Domestic abuse affects children who witness it; referrals should be made the same day.

Schools should know which pupils live with domestic abuse.
"""

BOARD = """# Kestrelwood Board Minutes

## Quorum Zanzibarite Deliberations

The board approved the zanzibarite budget for quillfeather audits of neglect cases.

Quillfeather audits found 17% of neglect referrals closed too early.

## Vexillarium Pressures

Vexillarium spending on domestic abuse services rose sharply.
"""

DSL = """# Thistlegate Casebook

## Marmalisk Referrals

Marmalisk referrals about domestic abuse were escalated to the gorvandle panel within two days.

The gorvandle panel found 23% of marmalisk referrals involved neglect.

## Snorkwhistle Reviews

Snorkwhistle reviews of neglect in schools are held every term.
"""


@dataclass(frozen=True)
class Secret:
    """What must never reach a caller outside the document's audience."""

    doc_id: str
    group: str
    strings: tuple[str, ...]  # id, title, sections, rare words, sentences
    rare: tuple[str, ...]


BOARD_SECRET = Secret(
    "board-minutes",
    "board",
    (
        "board-minutes", "Kestrelwood", "Quorum Zanzibarite Deliberations",
        "Vexillarium Pressures", "zanzibarite", "quillfeather", "vexillarium",
        "17%", "approved the", "closed too early", "spending on",
    ),
    ("kestrelwood", "zanzibarite", "quillfeather", "vexillarium", "quorum"),
)  # fmt: skip
DSL_SECRET = Secret(
    "dsl-casebook",
    "dsl",
    (
        "dsl-casebook", "Thistlegate", "Marmalisk Referrals", "Snorkwhistle Reviews",
        "marmalisk", "gorvandle", "snorkwhistle", "23%", "escalated to", "every term",
    ),
    ("thistlegate", "marmalisk", "gorvandle", "snorkwhistle"),
)  # fmt: skip


def write_corpus(folder: Path, restricted: bool = True, with_dsl: bool = True) -> Path:
    """The three documents; restricted=False leaves out the audiences (a reference corpus)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "open-guidance.md").write_text(OPEN, encoding="utf-8")
    (folder / "board-minutes.md").write_text(BOARD, encoding="utf-8")
    meta = {"audience": ["board"], "url": "https://intranet.example/board"}
    if not restricted:
        del meta["audience"]
    (folder / "board-minutes.md.meta.json").write_text(json.dumps(meta))
    if with_dsl:
        (folder / "dsl-casebook.md").write_text(DSL, encoding="utf-8")
        if restricted:
            (folder / "dsl-casebook.md.meta.json").write_text(
                '{"audience": ["DSL", "social-care"]}'
            )
    return folder


def misspellings(word: str) -> list[str]:
    """A word with one letter dropped, doubled and two letters swapped."""
    return [
        word[:3] + word[4:],
        word[:4] + word[3] + word[4:],
        word[:2] + word[3] + word[2] + word[4:],
    ]


def probes(secret: Secret) -> list[str]:
    """Questions made of a restricted document's own rare words, whole and misspelt."""
    out = list(secret.rare)
    out += [" ".join(secret.rare), f"how common was {secret.rare[1]} neglect"]
    out += [f"what did the {m} find" for w in secret.rare for m in misspellings(w)]
    out += [s for s in secret.strings if " " in s]
    return out
