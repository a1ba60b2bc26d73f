"""Who may see which documents: a searcher per audience view, built lazily and cached.

A document with no audience is open to everyone; one with an audience (groups such as
"board" or "dsl") only to callers in at least one of them. A caller's *view* is the set
of documents they may see, and a view's searcher is a Searcher over those documents
alone: its dense search is limited to their rows (a FAISS id selector, or exact search
over the subset), and its BM25 index (with its IDF and average length), its spelling
vocabulary, its glossary check and its list of sections are made from their words alone.
So a passage a caller may not see cannot score, push another out of the top k, make a
question look answerable, lend a word to a spelling correction or name a section in an
error message: for that caller it does not exist.

Views are keyed by the restricted audiences they include, not by the caller's groups:
every caller who sees the same documents shares one searcher. Their number is small
(one per combination of groups that actually asks), each is built on first use, and
they go with the searcher when a new index is loaded.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

from search.retrieve.searcher import Searcher

MAX_VIEWS = 32  # views kept per index; the least recently used is built again if needed

Key = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Viewer:
    """Who is asking, as far as documents are concerned."""

    groups: frozenset[str] = frozenset()
    everything: bool = False  # admins (and the command line) see every document

    def may_see(self, audience: tuple[str, ...]) -> bool:
        return self.everything or not audience or not self.groups.isdisjoint(audience)


EVERYONE = Viewer()  # a caller in no group: the open documents only
ADMIN = Viewer(everything=True)


class Views:
    """The view searchers of one searcher (one index), least recently used dropped first."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.audiences: Key = tuple(sorted(set(searcher.audiences.values())))
        self._cache: OrderedDict[Key, Searcher] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, viewer: Viewer) -> Key:
        """The restricted audiences the viewer may see: equal keys, equal views."""
        return tuple(a for a in self.audiences if viewer.may_see(a))

    def cached(self, viewer: Viewer) -> Searcher | None:
        key = self.key(viewer)
        if key == self.audiences:
            return self.searcher
        with self._lock:
            return self._cache.get(key)

    def of(self, viewer: Viewer) -> Searcher:
        key = self.key(viewer)
        if key == self.audiences:
            return self.searcher  # sees everything: the searcher itself
        with self._lock:
            # One build per view even when its first callers come at once; views are
            # built rarely (once per index and view), so one lock for all is enough.
            found = self._cache.get(key)
            if found is None:
                found = self._build(key)
                self._cache[key] = found
                while len(self._cache) > MAX_VIEWS:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(key)
            return found

    def _build(self, key: Key) -> Searcher:
        base = self.searcher
        seen = set(key)
        ids = [i for i, d in base.documents.items() if not d.audience or d.audience in seen]
        view = Searcher(
            base.index, base.embedder, base.glossary_path, documents=ids, units=base.units
        )
        view.warm()  # its own "not covered" bars and hubs, made once with the view
        return view


_VIEWS: weakref.WeakKeyDictionary[Searcher, Views] = weakref.WeakKeyDictionary()
_VIEWS_LOCK = threading.Lock()


def _views(searcher: Searcher) -> Views:
    views = _VIEWS.get(searcher)
    if views is None:
        with _VIEWS_LOCK:
            views = _VIEWS.get(searcher)
            if views is None:
                views = _VIEWS[searcher] = Views(searcher)
    return views


def view_of(searcher: Searcher, viewer: Viewer) -> Searcher:
    """The searcher over the documents viewer may see (searcher itself when that is all)."""
    if not searcher.audiences:
        return searcher  # nothing is restricted: every view is the whole index
    return _views(searcher).of(viewer)


def cached_view(searcher: Searcher, viewer: Viewer) -> Searcher | None:
    """view_of when it needs no building (so can run on the event loop), else None."""
    if not searcher.audiences:
        return searcher
    return _views(searcher).cached(viewer)


def warm(searcher: Searcher, previous: Searcher | None = None) -> None:
    """Build, before the searcher serves, what its first question needs (Searcher.warm),
    the open view and the views the previous searcher (the index it replaces) had built,
    so nobody's first question after a reload waits."""
    searcher.warm()
    if not searcher.audiences:
        return
    views = _views(searcher)
    views.of(EVERYONE)
    old = _VIEWS.get(previous) if previous is not None else None
    for key in list(old._cache) if old is not None else ():
        wanted = tuple(a for a in key if a in views.audiences)
        with views._lock:
            if wanted != views.audiences and wanted not in views._cache:
                views._cache[wanted] = views._build(wanted)
