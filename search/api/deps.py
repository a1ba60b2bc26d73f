"""Typed access to what the lifespan loaded."""

from __future__ import annotations

from typing import Annotated, cast

import anyio.to_thread
from fastapi import Depends, Request

from search.api.access import viewer_of
from search.errors import IndexNotFound
from search.retrieve.searcher import Searcher
from search.retrieve.views import cached_view, view_of


def served_searcher(request: Request) -> Searcher:
    """The whole index's searcher, for admin routes and counts only admins see."""
    searcher = getattr(request.app.state, "searcher", None)
    if searcher is None:
        raise IndexNotFound("the index is not loaded yet")
    return cast(Searcher, searcher)


async def get_searcher(request: Request) -> Searcher:
    """The searcher over the documents the caller may see (search.retrieve.views): every
    route that reads documents gets it here, so none can forget the caller's audience."""
    # async: a plain def dependency would cost every request a hop to the threadpool.
    searcher = served_searcher(request)
    viewer = viewer_of(request)
    found = cached_view(searcher, viewer)
    if found is not None:
        return found
    # A view's first request builds its BM25 index and vocabulary: off the event loop.
    return await anyio.to_thread.run_sync(view_of, searcher, viewer)


SearcherDep = Annotated[Searcher, Depends(get_searcher)]
