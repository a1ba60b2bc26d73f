"""A list's lead-in read under its headings when a list is asked for.

"What should an adoption support plan contain" is answered by the list whose lead-in is
"9.53. The plan should set out:", under "Chapter 9: Adoption Support Services > ... >
Support services plan: ASR 16". The lead-in's own vector says nothing of adoption support
plans, so the dense side ranks it past the 80th; read with its heading path before it, it
names what the list is about.
Only lead-ins, and only for questions that ask for a list (tuning.LEAD_IN_PATHS): the
vectors are made when first needed and kept, so an index's build and the other questions
do not pay for them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from search.model import Passage

# Lead-in vectors kept per searcher, at most (384 floats each: about 30 MB).
_KEPT = 20_000


def in_context(p: Passage) -> str:
    """A lead-in as read under its headings (outermost first)."""
    return f"{' > '.join(p.headings)}: {p.text}"


class LeadIns:
    """Dense scores of lead-ins from their text under their headings."""

    def __init__(
        self,
        passages: Sequence[Passage],
        is_lead_in: Sequence[bool],
        embed: Callable[[list[str]], np.ndarray],
    ) -> None:
        self._passages = passages
        self._is_lead_in = is_lead_in
        self._embed = embed
        self._vectors: dict[int, np.ndarray] = {}

    def raised(
        self, dense: list[tuple[int, float]], vector: np.ndarray, less: Callable[[int], float]
    ) -> list[tuple[int, float]]:
        """dense with each lead-in's score the larger of its own and its cosine in context
        (less `less(row)`, as the dense side takes hubness from every passage)."""
        rows = [r for r, _ in dense if self._is_lead_in[r] and self._passages[r].headings]
        missing = [r for r in rows if r not in self._vectors]
        if missing and len(self._vectors) + len(missing) > _KEPT:
            self._vectors.clear()  # bounded: made again when needed
            missing = rows
        if missing:
            made = self._embed([in_context(self._passages[r]) for r in missing])
            self._vectors.update(zip(missing, made, strict=True))
        if not rows:
            return dense
        raised = {r: float(self._vectors[r] @ vector) - less(r) for r in rows}
        return [(r, max(s, raised[r])) if r in raised else (r, s) for r, s in dense]
