"""Direct answers quoted from the passages, with citations."""
