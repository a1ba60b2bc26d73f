#!/usr/bin/env python3
"""Verify the gold strings in eval/questions/*.jsonl against the source documents.

Standalone: Python standard library plus the `pdftotext` command (poppler).

For every in-scope question (eval/questions/guidance.jsonl) it checks that:
  * the named document exists (a PDF in eval/guidance/ or the bundled summary in corpus/);
  * every "answers" string (1-3 of them, 5-15 words each) occurs in that document's text,
    or in another's that states the same answer;
  * the "fact" string (1-8 words, or null) occurs in the document within MAX_GAP
    characters of an occurrence of one of the answers strings;
  * for "type": "disambiguation", no answers string occurs in any other document;
  * "type" and "split" take allowed values.
For every off-topic question (eval/questions/offtopic.jsonl) it checks that answers is
empty, fact is null and type is offtopic or nearmiss.

Text normalisation (the same for documents and gold strings): pdftotext output (plain
mode, no -layout), form feeds and line breaks replaced by spaces, runs of whitespace
collapsed to one space, case folded. Nothing else is changed: hyphens, quotes and
footnote numbers are left as pdftotext produces them, so a gold string must match the
extracted text as it stands.

Prints every failure, then counts by type, document and split; exits 1 on any failure.
"""
from __future__ import annotations

import collections
import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PDF_DIR = HERE / "guidance"
SUMMARY_DIR = ROOT / "corpus"
QUESTIONS = HERE / "questions"

IN_TYPES = {"paraphrase", "keyword", "typo", "list", "figure", "time",
            "definition", "who", "disambiguation"}
OFF_TYPES = {"offtopic", "nearmiss"}
SPLITS = {"tune", "heldout"}
MAX_GAP = 300  # characters allowed between the fact and an answers string


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\f", " ")).strip().casefold()


def load_documents() -> dict[str, str]:
    docs: dict[str, str] = {}
    for pdf in sorted(PDF_DIR.glob("*.pdf")):
        out = subprocess.run(["pdftotext", str(pdf), "-"], check=True,
                             capture_output=True).stdout.decode("utf-8")
        docs[pdf.name] = normalise(out)
    for summary in sorted(SUMMARY_DIR.glob("*")):
        if summary.suffix in {".txt", ".md"}:
            docs[summary.name] = normalise(summary.read_text(encoding="utf-8"))
    return docs


def positions(haystack: str, needle: str) -> list[int]:
    found, start = [], haystack.find(needle)
    while start != -1:
        found.append(start)
        start = haystack.find(needle, start + 1)
    return found


def words(s: str) -> int:
    return len(s.split())


def read_jsonl(path: Path, errors: list[str]) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            errors.append(f"{path.name}:{n}: bad JSON ({exc})")
    return rows


def check_in_scope(rows: list[dict], docs: dict[str, str], errors: list[str]) -> None:
    seen = set()
    for n, q in enumerate(rows, 1):
        where = f"guidance.jsonl:{n} {q.get('question', '')!r}"
        if q.get("question", "").strip().casefold() in seen:
            errors.append(f"{where}: duplicate question")
        seen.add(q.get("question", "").strip().casefold())
        if q.get("type") not in IN_TYPES:
            errors.append(f"{where}: type {q.get('type')!r} not allowed")
        if q.get("split") not in SPLITS:
            errors.append(f"{where}: split {q.get('split')!r} not allowed")
        doc = q.get("document")
        if doc not in docs:
            errors.append(f"{where}: unknown document {doc!r}")
            continue
        text = docs[doc]
        answers = q.get("answers") or []
        if not 1 <= len(answers) <= 3:
            errors.append(f"{where}: needs 1-3 answers strings, has {len(answers)}")
        spans = []
        for a in answers:
            if not 5 <= words(a) <= 15:
                errors.append(f"{where}: answer has {words(a)} words (5-15): {a!r}")
            hits = positions(text, normalise(a))
            # Another document may state the same answer (a definition in two glossaries):
            # it is an answer too, except where the question asks for one document's.
            elsewhere = q.get("type") != "disambiguation" and any(
                normalise(a) in other_text for other_text in docs.values()
            )
            if not hits and not elsewhere:
                errors.append(f"{where}: answer not found in any document: {a!r}")
            spans += [(h, h + len(normalise(a))) for h in hits]
            if q.get("type") == "disambiguation":
                for other, other_text in docs.items():
                    if other != doc and normalise(a) in other_text:
                        errors.append(f"{where}: disambiguation answer also in {other}: {a!r}")
        fact = q.get("fact")
        if fact is None:
            continue
        if not 1 <= words(fact) <= 8:
            errors.append(f"{where}: fact has {words(fact)} words (1-8): {fact!r}")
        fact_hits = positions(text, normalise(fact))
        if not fact_hits:
            errors.append(f"{where}: fact not found in {doc}: {fact!r}")
            continue
        flen = len(normalise(fact))
        near = any(max(0, f - a1, a0 - (f + flen)) <= MAX_GAP
                   for f in fact_hits for a0, a1 in spans)
        if spans and not near:
            errors.append(f"{where}: fact {fact!r} not within {MAX_GAP} chars of an answer")


def check_off_topic(rows: list[dict], errors: list[str]) -> None:
    for n, q in enumerate(rows, 1):
        where = f"offtopic.jsonl:{n} {q.get('question', '')!r}"
        if q.get("answers") != []:
            errors.append(f"{where}: answers must be []")
        if q.get("fact") is not None:
            errors.append(f"{where}: fact must be null")
        if q.get("type") not in OFF_TYPES:
            errors.append(f"{where}: type {q.get('type')!r} not allowed")
        if q.get("split") not in SPLITS:
            errors.append(f"{where}: split {q.get('split')!r} not allowed")


def report(title: str, rows: list[dict], key: str) -> None:
    counts = collections.Counter((r.get(key), r.get("split")) for r in rows)
    print(f"\n{title}")
    for value in sorted({k for k, _ in counts}, key=str):
        t, h = counts[(value, "tune")], counts[(value, "heldout")]
        print(f"  {value:<90} {t + h:>4}  (tune {t}, heldout {h})")


def main() -> int:
    errors: list[str] = []
    docs = load_documents()
    in_scope = read_jsonl(QUESTIONS / "guidance.jsonl", errors)
    off_topic = read_jsonl(QUESTIONS / "offtopic.jsonl", errors)
    check_in_scope(in_scope, docs, errors)
    check_off_topic(off_topic, errors)
    in_q = {q.get("question", "").strip().casefold() for q in in_scope}
    for q in off_topic:
        if q.get("question", "").strip().casefold() in in_q:
            errors.append(f"offtopic.jsonl: question also in guidance.jsonl: {q.get('question')!r}")

    report("guidance.jsonl by type", in_scope, "type")
    report("guidance.jsonl by document", in_scope, "document")
    report("offtopic.jsonl by type", off_topic, "type")
    for name, rows in (("guidance.jsonl", in_scope), ("offtopic.jsonl", off_topic)):
        splits = collections.Counter(r.get("split") for r in rows)
        print(f"\n{name}: {len(rows)} questions, {dict(sorted(splits.items(), key=str))}")
    nulls = sum(1 for q in in_scope if q.get("fact") is None)
    print(f"guidance.jsonl: {nulls} null facts")

    if errors:
        print(f"\n{len(errors)} FAILURE(S):")
        for e in errors:
            print("  " + e)
        return 1
    print("\nall gold strings verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
