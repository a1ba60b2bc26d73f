"""Synthetic but realistic test material, made from the bundled corpus (seeded, repeatable).

- questions: distinct, search-box style questions (the gold questions first, then
  templates filled with phrases from the corpus), so a benchmark never hits a cache;
- a corpus of N passages: Markdown documents whose paragraphs recombine the corpus's
  sentences with fresh figures, so the real chunker and model see the same kind of text.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

from search.chunk.text import split_sentences
from search.ingest.corpus import read_corpus
from search.model import Passage

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
GOLD = ROOT / "eval" / "questions" / "summary.jsonl"

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_STOP = frozenset(
    "a an the and or of in on at to for from by with as is are was were be been being it its "
    "this that these those there their they them he she his her we our you your which who whom "
    "what when where how why not no but if so than then also such can could may might must "
    "should would will have has had do did does into over under more most many much some any "
    "all each other only very often sometimes within between about after before during".split()
)
_TEMPLATES = (
    "{a}",
    "{a} {b}",
    "what did the reviews find about {a}",
    "how common was {a}",
    "how often was {a} a factor",
    "{a} and {b}",
    "what was learned about {a} and {b}",
    "role of {a} in {b}",
    "were there problems with {a}",
    "evidence on {a} in cases of {b}",
    "what should practitioners do about {a}",
    "is {a} linked to {b}",
)


def corpus_passages() -> list[Passage]:
    return [p for d in read_corpus(CORPUS) for p in d.passages]


def corpus_sentences() -> list[str]:
    sentences = []
    for p in corpus_passages():
        sentences.extend(s for s, _, _ in split_sentences(p.text, 0) if len(s.split()) >= 5)
    return list(dict.fromkeys(sentences))


def _phrases() -> list[str]:
    """One- to three-word phrases of content words, in the corpus's own wording."""
    phrases: dict[str, None] = {}
    for sentence in corpus_sentences():
        words = [w.lower() for w in _WORD.findall(sentence)]
        for size in (1, 2, 3):
            for i in range(len(words) - size + 1):
                gram = words[i : i + size]
                if gram[0] in _STOP or gram[-1] in _STOP or len(gram[-1]) < 4:
                    continue
                phrases[" ".join(gram)] = None
    return list(phrases)


def gold_questions() -> list[str]:
    with open(GOLD, encoding="utf-8") as fh:
        return [json.loads(line)["question"] for line in fh if line.strip()]


def questions(count: int, seed: int = 7) -> list[str]:
    """`count` distinct questions: the gold ones first, then generated ones."""
    rng = random.Random(seed)
    out = dict.fromkeys(gold_questions())
    phrases = _phrases()
    for _ in range(count * 50):
        if len(out) >= count:
            break
        template = rng.choice(_TEMPLATES)
        out[template.format(a=rng.choice(phrases), b=rng.choice(phrases))] = None
    if len(out) < count:
        raise ValueError(f"could only make {len(out)} distinct questions")
    return list(out)[:count]


_LEADS = ("In review {n}, ", "Across {n} cases, ", "In {n} of the reviews, ", "By year {n}, ", "")


def _paragraphs(rng: random.Random, sentences: list[str]) -> Iterator[str]:
    number = re.compile(r"\b\d+(?:\.\d+)?\b")
    while True:
        picked = rng.sample(sentences, rng.randint(1, 3))
        text = " ".join(number.sub(lambda _m: str(rng.randint(2, 300)), s) for s in picked)
        lead = rng.choice(_LEADS).format(n=rng.randint(2, 999))
        text = lead + text[0].lower() + text[1:] if lead else text
        if len(text) < 590:  # one passage each (the chunker splits above 600 characters)
            yield text


def write_corpus(folder: Path, passages: int, per_document: int = 500, seed: int = 11) -> Path:
    """A folder of Markdown documents holding about `passages` paragraphs in all."""
    rng = random.Random(seed)
    sentences = corpus_sentences()
    sections = sorted({p.section for p in corpus_passages()})
    paragraphs = _paragraphs(rng, sentences)
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    doc = 0
    while written < passages:
        doc += 1
        lines = [f"# Synthetic review {doc}", ""]
        for i in range(min(per_document, passages - written)):
            if i % 25 == 0:
                lines += [f"## {rng.choice(sections)} ({doc}.{i // 25 + 1})", ""]
            lines += [next(paragraphs), ""]
            written += 1
        (folder / f"synthetic-{doc:04d}.md").write_text("\n".join(lines), encoding="utf-8")
    return folder
