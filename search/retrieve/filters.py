"""The search filters (section, kind, document): checked against what the index holds,
then turned into the rows they let through."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

from search.errors import InvalidQuery
from search.model import KIND_ALIASES, KINDS, Passage


def resolve(
    documents: Collection[str],
    sections: Sequence[str],
    section: str | None,
    kind: str | None,
    document: str | None = None,
) -> tuple[str | None, str | None]:
    """Canonical section and kind (any case, kind aliases allowed), or InvalidQuery naming
    the valid values (also for an unknown document id)."""
    if document is not None and document not in documents:
        ids = list(documents)
        more = f" ... ({len(ids)} in all; GET /documents lists them)" if len(ids) > 30 else ""
        raise InvalidQuery(
            f"unknown document {document!r}; valid documents: {', '.join(ids[:30])}{more}"
        )
    if kind is not None:
        kind = kind.strip().lower()
        kind = KIND_ALIASES.get(kind, kind)
        if kind not in KINDS:
            raise InvalidQuery(f"unknown kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    if section is not None:
        found = next((s for s in sections if s.casefold() == section.strip().casefold()), None)
        if found is None:
            raise InvalidQuery(
                f"unknown section {section!r}; valid sections: {'; '.join(sections)}"
            )
        section = found
    return section, kind


def allowed(
    passages: Sequence[Passage],
    rows: np.ndarray | None,
    section: str | None,
    kind: str | None,
    document: str | None = None,
) -> np.ndarray | None:
    """Row numbers that pass the filters (among the given rows; None: every row), or None
    when nothing is filtered."""
    if section is None and kind is None and document is None:
        return rows
    candidates = range(len(passages)) if rows is None else rows.tolist()
    return np.array(
        [
            i
            for i in candidates
            if (section is None or passages[i].section == section)
            and (kind is None or passages[i].kind == kind)
            and (document is None or passages[i].document == document)
        ],
        dtype=np.int64,
    )
