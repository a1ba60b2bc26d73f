"""Semantic search and cited answers over serious case review research."""

__version__ = "0.1.0"
