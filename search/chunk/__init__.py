"""Chunking: a document's text or blocks into passages (pure functions)."""

from search.chunk.blocks import document_title, parse_blocks, text_blocks
from search.chunk.passages import chunk_blocks, chunk_document, list_kind, slugify
from search.chunk.text import answer_units, split_sentences, statistic_parts

__all__ = [
    "answer_units",
    "chunk_blocks",
    "chunk_document",
    "document_title",
    "list_kind",
    "parse_blocks",
    "slugify",
    "split_sentences",
    "statistic_parts",
    "text_blocks",
]
