"""A large PDF added to a running service: how soon it is searchable, and what /health says
while it is embedded.

    python -m bench.add_live [--pages 200] [--paths onnx,torch] [--port 8150]

For each build path (SEARCH_BUILD_EMBEDDER), back to back: a copy of the bundled corpus
and its index (built by the CLI, so the ONNX export is there), the service started as
users start it (`python -m search serve`, an admin key set), then the generated PDF PUT to
/admin/documents/ (the response comes once the new index is served) and a search for a
sentence only that PDF holds. Reported: seconds from the PUT until that search returns
the PDF first, passages embedded, the service's peak RSS (sampled), and the /health build
figures seen while it worked. Target (issue 15): a 200-page PDF searchable within 30 s.
Needs the test extras (fpdf2).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.add_document import _long_pdf
from bench.procs import ROOT, Server

KEY = "bench-admin-key"


def _request(
    port: int, method: str, path: str, body: bytes | None = None, timeout: float = 300
) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"X-API-Key": KEY})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def live_add(pdf: Path, path: str, port: int, work: Path) -> dict[str, Any]:
    corpus = work / f"corpus-{path}"
    index = work / f"index-{path}"
    shutil.copytree(ROOT / "corpus", corpus)
    env = {
        "SEARCH_CORPUS_DIR": str(corpus),
        "SEARCH_INDEX_DIR": str(index),
        "SEARCH_ADMIN_KEYS": KEY,
        "SEARCH_BUILD_EMBEDDER": path,
        "HF_HUB_OFFLINE": "1",
    }
    subprocess.run(
        [sys.executable, "-m", "search", "build"], cwd=ROOT, env={**os.environ, **env},
        check=True, capture_output=True,
    )  # fmt: skip
    seen: list[dict[str, Any]] = []
    peak = [0.0]
    done = threading.Event()
    with Server(["-m", "search", "serve", "--port", str(port)], port, env=env) as server:
        server.wait_until("/ready")

        def watch() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], server.rss_mb())
                try:
                    status, body = _request(port, "GET", "/health", timeout=5)
                except OSError:
                    status, body = 0, None
                if status == 200 and body.get("build"):
                    seen.append(body["build"])
                time.sleep(0.5)

        watcher = threading.Thread(target=watch)
        watcher.start()
        began = time.perf_counter()
        status, change = _request(port, "PUT", f"/admin/documents/{pdf.name}", pdf.read_bytes())
        query = urlencode({"q": "Case 137, finding 3: agencies did not share information"})
        _, found = _request(port, "GET", f"/search?{query}")
        took = time.perf_counter() - began
        done.set()
        watcher.join()
    top = found["results"][0]["document"] if found and found.get("results") else None
    return {
        "path": path,
        "status": status,
        "passages_embedded": change.get("embedded") if isinstance(change, dict) else None,
        "searchable_s": round(took, 1),
        "top_hit": top,
        "service_peak_rss_mb": round(peak[0]),
        "health_samples": len(seen),
        "last_health_build": seen[-1] if seen else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--paths", default="onnx,torch")
    parser.add_argument("--port", type=int, default=8150)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-add-live-"))
    try:
        pdf = _long_pdf(work / "casebook.pdf", args.pages)
        for path in args.paths.split(","):
            print(json.dumps(live_add(pdf, path, args.port, work)), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
