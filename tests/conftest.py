from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from search.api import create_app
from search.chunk import chunk_document
from search.config import Settings
from search.embed.st import SentenceTransformerEmbedder
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "scr-triennial-analysis-2014-2017.md"
# How many passages the chunker makes of the bundled summary (its own tests pin the kinds).
SEED_PASSAGES = len(chunk_document(SEED.read_text(encoding="utf-8"), SEED.stem))


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture
def fake() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def settings(tmp_path: Path, corpus_dir: Path) -> Settings:
    return Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index" / "default")


@pytest.fixture
def client(settings: Settings, fake: FakeEmbedder) -> Iterator[TestClient]:
    with TestClient(create_app(settings, embedder=fake)) as c:
        yield c


@pytest.fixture(scope="session")
def model() -> SentenceTransformerEmbedder:
    """The real all-MiniLM-L6-v2, loaded once for every test marked `model` that asks."""
    return SentenceTransformerEmbedder()
