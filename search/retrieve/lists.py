"""Lists and paragraphs shown whole: the items of a list are indexed one by one, for
precision, but a result is the list (its lead-in and items, up to tuning.LIST_MAX_CHARS) with
the items that matched marked, so "what must a pathway plan include" gets the list and not
one line of it. Likewise the pieces a long paragraph was cut into: a result is the paragraph,
the piece that matched marked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from search import tuning
from search.chunk.text import LIST_BULLET as BULLET
from search.model import Hit, Passage


def list_rows(passages: Sequence[Passage]) -> dict[str, tuple[int, ...]]:
    """The rows of each list (lead-in first, then items) and of each paragraph cut in pieces,
    in document order."""
    rows: dict[str, list[int]] = {}
    for row, p in enumerate(passages):
        key = group_of(p)
        if key is not None:
            rows.setdefault(key, []).append(row)
    return {key: tuple(r) for key, r in rows.items()}


def group_of(p: Passage) -> str | None:
    """The result a passage is shown in: its list, or the paragraph it is a piece of."""
    if p.list_id is not None:
        return p.list_id
    return p.paragraph_id if tuning.PARAGRAPHS_WHOLE else None


def _window(lines: list[str], found: set[int], limit: int) -> list[int]:
    """Which lines to show: all if they fit, else the lead-in and items around those found."""
    if sum(len(line) + 1 for line in lines) <= limit:
        return list(range(len(lines)))
    keep = {0} | found
    size = sum(len(lines[i]) + 1 for i in keep)
    grow = sorted(range(len(lines)), key=lambda i: min(abs(i - f) for f in found or {0}))
    for i in grow:
        if i not in keep and size + len(lines[i]) + 1 <= limit:
            keep.add(i)
            size += len(lines[i]) + 1
    return sorted(keep)


def whole_list(
    passages: Sequence[Passage], rows: Sequence[int], found: set[int], limit: int | None = None
) -> Hit:
    """One passage holding a list's lead-in and items (or a paragraph's pieces), the found
    rows' spans marked; the lead-in and the found rows at least, more while they fit in
    `limit` characters (tuning.LIST_MAX_CHARS unless given)."""
    members = [passages[r] for r in rows]
    items = [p for p in members if p.kind != "paragraph"]
    kind = items[0].kind if items else members[0].kind
    lines = [p.text if p.kind == "paragraph" else BULLET + p.text for p in members]
    joiner = "\n" if members[0].list_id is not None else " "  # a paragraph's pieces: one text
    limit = tuning.LIST_MAX_CHARS if limit is None else limit
    shown = _window(lines, {i for i, r in enumerate(rows) if r in found}, limit)
    text_parts: list[str] = []
    spans: list[tuple[int, int]] = []
    links: list[tuple[int, int, str]] = []
    breaks: list[tuple[int, int]] = []  # where the shown text runs on to a later page
    page = members[0].page
    pos = 0
    for n, i in enumerate(shown):
        if n and i != shown[n - 1] + 1:
            text_parts.append("\u2026" + joiner)
            pos += 2
        line = lines[i]
        member = members[i]
        lead = len(BULLET) if line.startswith(BULLET) else 0
        if rows[i] in found:
            spans.append((pos + lead, pos + len(line)))
        if (to := member.points_to) is not None:
            links.append((pos + lead, pos + len(line), to))
        for at, later in ((-lead, member.page), *member.page_breaks):
            if later is not None and later != page:
                breaks.append((pos + lead + at, later))
                page = later
        text_parts.append(line + joiner)
        pos += len(line) + 1
    first = members[0]
    passage = replace(
        first,
        id=group_of(first) or first.id,
        kind=kind,
        text="".join(text_parts).rstrip(joiner),
        start=min(p.start for p in members),
        end=max(p.end for p in members),
        page_breaks=tuple(breaks),
    )
    return Hit(passage, 0.0, tuple(spans), tuple(links))


def group_lists(
    ranked: Sequence[tuple[int, float]],
    passages: Sequence[Passage],
    lists: dict[str, tuple[int, ...]],
    k: int,
) -> tuple[Hit, ...]:
    """The k best results, each list (or cut paragraph) once, where its best member ranked,
    whole; the members marked are those ranked before the k-th result, so they matched
    about as well."""
    if not tuning.LISTS:
        return tuple(Hit(passages[row], score) for row, score in ranked[:k])
    order: list[tuple[str | None, int, float]] = []  # (list or None, row, score)
    found: dict[str, set[int]] = {}
    for row, score in ranked:
        if len(order) == k:
            break
        key = group_of(passages[row])
        if key is None or len(lists.get(key, ())) < 2:
            order.append((None, row, score))
            continue
        if key not in found:
            order.append((key, row, score))
        found.setdefault(key, set()).add(row)
    return tuple(
        Hit(passages[row], score)
        if key is None
        else replace(whole_list(passages, lists[key], found[key]), score=score)
        for key, row, score in order
    )
