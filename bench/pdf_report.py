"""How the PDF reader reads long documents: per PDF in a folder, the title, the page count,
passages by kind, and counts of passages that look wrong.

    python -m bench.pdf_report [FOLDER]

FOLDER defaults to /work/main/eval/guidance if it exists, else /work/shared/data/guidance.
Suspicious passages, counted per document (a passage may count under several):
  - glued: a digit run glued to the end of a word ("duty13", "attendance16"), the mark of a
    footnote reference left in body text (years and "Year 7" stand apart, so do not count);
  - contents: a line that reads like a contents entry, text then a page number, twice or more
    in one passage ("Summary 3 About this guidance 3");
  - short: under 25 characters;
  - lower: starts with a lower-case letter (a paragraph cut mid-sentence, e.g. at a page break).
Reads each file through search.ingest.corpus.read_file; no model is loaded.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from search.ingest.corpus import read_file
from search.model import Passage

DEFAULT_FOLDERS = (Path("/work/main/eval/guidance"), Path("/work/shared/data/guidance"))
_GLUED = re.compile(r"\b[A-Za-z]*[a-z]{2,}[.,;:)]?\d{1,3}\b")
_CONTENTS_ENTRY = re.compile(r"[A-Za-z][A-Za-z ,'?()-]{2,}\.*\s+\d{1,3}(?=\s+[A-Z0-9]|\s*$)")


def suspicious(p: Passage) -> set[str]:
    """The names of the checks a passage fails."""
    found = set()
    if _GLUED.search(p.text):
        found.add("glued")
    if len(_CONTENTS_ENTRY.findall(p.text)) >= 2:
        found.add("contents")
    if len(p.text) < 25:
        found.add("short")
    if p.text[:1].islower():
        found.add("lower")
    return found


def report(folder: Path) -> None:
    checks = ("glued", "contents", "short", "lower")
    totals: Counter[str] = Counter()
    for path in sorted(folder.glob("*.pdf")):
        [doc] = read_file(path)
        kinds = Counter(p.kind for p in doc.passages)
        bad: Counter[str] = Counter()
        for p in doc.passages:
            bad.update(suspicious(p))
        totals.update(kinds)
        totals.update({f"bad:{c}": bad[c] for c in checks})
        totals["passages"] += len(doc.passages)
        print(f"{path.name}\n  title: {doc.title!r}\n  pages: {doc.pages}")
        print(
            f"  passages: {len(doc.passages)} ({', '.join(f'{k} {n}' for k, n in kinds.items())})"
        )
        print("  suspicious: " + ", ".join(f"{c} {bad[c]}" for c in checks))
    print(
        f"\nall: {totals['passages']} passages; "
        + ", ".join(f"{c} {totals['bad:' + c]}" for c in checks)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = next((f for f in DEFAULT_FOLDERS if f.is_dir()), DEFAULT_FOLDERS[-1])
    parser.add_argument("folder", nargs="?", type=Path, default=default)
    args = parser.parse_args(argv)
    report(args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
