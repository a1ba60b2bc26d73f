"""Typed access to what the lifespan loaded."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from search.errors import IndexNotFound
from search.retrieve.searcher import Searcher


async def get_searcher(request: Request) -> Searcher:
    # async: a plain def dependency would cost every request a hop to the threadpool.
    searcher = getattr(request.app.state, "searcher", None)
    if searcher is None:
        raise IndexNotFound("the index is not loaded yet")
    return cast(Searcher, searcher)


SearcherDep = Annotated[Searcher, Depends(get_searcher)]
