"""Vectors written to disk as they are made (search/index/stream.py), with the fake model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from search.embed.base import vector_key
from search.errors import IndexMismatch
from search.index.stream import NpyAppender, embed_to_npy
from tests.fakes import FakeEmbedder


def test_vectors_are_written_in_order_and_each_new_text_embedded_once(tmp_path: Path) -> None:
    fake = FakeEmbedder(dimension=16)
    texts = [f"text number {i} about {w}" for i, w in enumerate("abcdefg")]
    texts = texts + texts[:3] + ["cached words here"]  # repeats, across chunks
    cache = {vector_key("cached words here"): np.full(16, 0.25, dtype=np.float32)}
    seen: list[int] = []
    keys, embedded = embed_to_npy(fake, texts, cache, tmp_path / "v.npy", seen.append, chunk=4)
    rows = np.load(tmp_path / "v.npy", allow_pickle=False)
    assert keys == [vector_key(t) for t in texts]
    assert embedded == 7 and fake.texts_embedded == 7 and sum(seen) == 7
    assert rows.shape == (11, 16) and rows.dtype == np.float32
    assert np.allclose(rows[:10], fake.embed(texts[:10]))
    assert np.allclose(rows[10], 0.25)  # from the cache, not the model


def test_a_short_file_is_an_error_not_an_index(tmp_path: Path) -> None:
    out = NpyAppender(tmp_path / "v.npy", 3, 4)
    out.append(np.ones((2, 4), dtype=np.float32))
    with pytest.raises(IndexMismatch, match="2 rows of 3"):
        out.close()
    wrong = NpyAppender(tmp_path / "w.npy", 3, 4)
    with pytest.raises(IndexMismatch, match="expected"):
        wrong.append(np.ones((1, 5), dtype=np.float32))
    wrong.abort()


def test_as_a_context_the_file_is_checked_on_success_and_left_on_an_error(
    tmp_path: Path,
) -> None:
    with NpyAppender(tmp_path / "ok.npy", 2, 4) as out:
        out.append(np.ones((2, 4), dtype=np.float32))
    assert np.load(tmp_path / "ok.npy").shape == (2, 4)
    with (
        pytest.raises(IndexMismatch, match="1 rows of 2"),
        NpyAppender(tmp_path / "short.npy", 2, 4) as out,
    ):
        out.append(np.ones((1, 4), dtype=np.float32))
    # An error inside is the one raised, not the incomplete file's.
    with pytest.raises(KeyError), NpyAppender(tmp_path / "broken.npy", 2, 4) as out:
        out.append(np.ones((1, 4), dtype=np.float32))
        raise KeyError("the embedder failed")
