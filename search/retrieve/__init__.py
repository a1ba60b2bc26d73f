"""Finding passages: the searcher, BM25, fusion and reading the question."""
