"""A list read as one when a list is asked for: its lead-in under its headings, its items
after their lead-in.

"What should an adoption support plan contain" is answered by the list whose lead-in is
"9.53. The plan should set out:", under "Chapter 9: Adoption Support Services > ... >
Support services plan: ASR 16". The lead-in's own vector says nothing of adoption support
plans, so the dense side ranks it past the 80th; read with its heading path before it, it
names what the list is about (tuning.LEAD_IN_PATHS). Likewise an item ("aspects of social
care") says what it says only after its lead-in ("Virtual schools may be able to:"), for
"what can the virtual school offer designated teachers" (tuning.ITEMS_AFTER_LEAD_IN).

A passage's dense score is then the larger of its own and its cosine so read. Only for
questions that ask for a list, and only for the first few candidates of either side
(tuning.LIST_CONTEXT_CANDIDATES): those vectors are made when first needed and kept, so an
index's build and the other questions do not pay for them, and a list question about five.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

import numpy as np

from search import tuning
from search.model import Passage

# Vectors kept per searcher, at most (384 floats each: about 30 MB).
_KEPT = 20_000


def in_context(p: Passage) -> str:
    """A lead-in as read under its headings (outermost first)."""
    return f"{' > '.join(p.headings)}: {p.text}"


def after_lead_in(lead_in: Passage, item: Passage) -> str:
    return f"{lead_in.text} {item.text}"


class ListsInContext:
    """Dense scores of lead-ins and items from their text read as part of their list."""

    def __init__(
        self,
        passages: Sequence[Passage],
        is_lead_in: Sequence[bool],
        lists: Callable[[], Mapping[str, tuple[int, ...]]],
        embed: Callable[[list[str]], np.ndarray],
    ) -> None:
        """lists: each list's rows, lead-in first (made when first asked for)."""
        self._passages = passages
        self._is_lead_in = is_lead_in
        self._lists = lists
        self._embed = embed
        self._vectors: dict[int, np.ndarray] = {}

    def text(self, row: int) -> str | None:
        """What a passage reads as within its list, if anything more than itself."""
        p = self._passages[row]
        if self._is_lead_in[row]:
            return in_context(p) if tuning.LEAD_IN_PATHS and p.headings else None
        if not tuning.ITEMS_AFTER_LEAD_IN or p.kind != "item" or p.list_id is None:
            return None
        members = self._lists().get(p.list_id, ())
        if not members or not self._is_lead_in[members[0]]:
            return None
        return after_lead_in(self._passages[members[0]], p)

    def raised(
        self,
        dense: list[tuple[int, float]],
        vector: np.ndarray,
        less: Callable[[int], float],
        near: Collection[int],
    ) -> list[tuple[int, float]]:
        """dense with the score of each lead-in and item among `near` the larger of its own
        and its cosine in its list (less `less(row)`, as the dense side takes hubness from
        every passage)."""
        texts = {row: t for row, _ in dense if row in near and (t := self.text(row)) is not None}
        if not texts:
            return dense
        # Read into a local mapping: requests share the kept vectors, and one may clear them.
        found = {r: v for r in texts if (v := self._vectors.get(r)) is not None}
        missing = [r for r in texts if r not in found]
        if missing:
            made = dict(zip(missing, self._embed([texts[r] for r in missing]), strict=True))
            if len(self._vectors) + len(made) > _KEPT:
                self._vectors.clear()  # bounded: made again when needed
            self._vectors.update(made)
            found.update(made)
        read = {r: float(found[r] @ vector) - less(r) for r in texts}
        return [(r, max(s, read[r])) if r in read else (r, s) for r, s in dense]
