"""Measure retrieval on a gold set of practitioners' questions, or on any BEIR-format dataset."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
import tempfile
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from search import __version__
from search.answer.first import served
from search.embed.base import Embedder, embed_cached
from search.errors import EvalDataError, SearchError
from search.index import sentences
from search.index.store import (
    SCHEMA_VERSION,
    Manifest,
    load_index,
    stored_vectors,
    write_index,
)
from search.model import Passage
from search.retrieve.lists import group_of
from search.retrieve.searcher import Searcher


@dataclass(frozen=True)
class GoldQuestion:
    question: str
    answers: tuple[str, ...]  # verbatim text of the answering passage(s); empty = off-topic
    fact: str | None
    type: str
    split: str = ""  # "tune" or "heldout"; empty in sets that are not split
    document: str | None = None  # the file that answers it, where the set names one

    @property
    def in_scope(self) -> bool:
        return bool(self.answers)


@dataclass
class Report:
    metrics: dict[str, float]
    misses: list[str] = field(default_factory=list)


def _jsonl(path: Path) -> Iterable[tuple[int, dict[str, object]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalDataError(f"{path}: cannot be read ({exc.strerror})") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise EvalDataError(f"{path}:{n}: not JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise EvalDataError(f"{path}:{n}: expected a JSON object")
        yield n, row


def load_gold(path: Path) -> list[GoldQuestion]:
    out = []
    for n, row in _jsonl(path):
        question, answers = row.get("question"), row.get("answers", [])
        if not isinstance(question, str) or not isinstance(answers, list):
            raise EvalDataError(f"{path}:{n}: needs 'question' (text) and 'answers' (list)")
        fact = row.get("fact")
        out.append(
            GoldQuestion(
                question,
                tuple(str(a) for a in answers),
                fact if isinstance(fact, str) else None,
                str(row.get("type", "")),
                str(row.get("split", "")),
                str(row["document"]) if row.get("document") else None,
            )
        )
    return out


class Holders:
    """Which results hold an answer: passages compared as a reader would (case, spacing,
    typographic quotes and dashes aside), normalised once for all the questions. A list is
    one result (its id), as the searcher shows it whole."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._normed = [(group_of(p) or p.id, _norm(p.text)) for p in passages]

    def __call__(self, answers: Sequence[str]) -> set[str]:
        keys = [_norm(a) for a in answers]
        return {rid for rid, text in self._normed if any(k in text for k in keys)}


def relevant_ids(passages: Sequence[Passage], answers: Sequence[str]) -> set[str]:
    """The results that hold any of the answer keys (a stable key: their text, not a rank)."""
    return Holders(passages)(answers)


def _dcg(gains: Sequence[float]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg(ranked: Sequence[str], gains: dict[str, float], k: int = 10) -> float:
    ideal = _dcg(sorted(gains.values(), reverse=True)[:k])
    return _dcg([gains.get(r, 0.0) for r in ranked[:k]]) / ideal if ideal else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    return next((1.0 / (i + 1) for i, r in enumerate(ranked[:k]) if r in relevant), 0.0)


_TYPOGRAPHY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                             "\u2013": "-", "\u2014": "-", "\u00a0": " "})  # fmt: skip


_HYPHEN = re.compile(r"(?<=\w)-(?=\w)")  # "four-month" reads as "four month"
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")  # "£3,000" reads as "£3000"


def _norm(text: str) -> str:
    """Text as a reader compares it: case, spacing, typographic quotes and dashes, hyphens
    between words and thousands separators aside."""
    text = _THOUSANDS.sub("", _HYPHEN.sub(" ", text.translate(_TYPOGRAPHY)))
    return " ".join(text.casefold().split())


def evaluate_gold(
    searcher: Searcher, gold: Sequence[GoldQuestion], mode: str, answers: bool = True
) -> Report:
    """hit@1, hit@3, MRR@10, nDCG@10 on in-scope questions; flag rates on both kinds; and,
    with answers, how often the direct answer states the fact and cites its passage."""
    sums = {"hit@1": 0.0, "hit@3": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
    flagged_off = flagged_in = n_in = n_off = 0
    fact_ok = cited_ok = n_fact = answered = declined = 0
    misses = []
    holding = Holders(searcher.passages)

    def holds(text: str, keys: Sequence[str]) -> bool:
        return any(_norm(k) in _norm(text) for k in keys)

    for q in gold:
        # As /search gives it (with answer=true: the answer weighed from the same ranking).
        ranking, reply = served(searcher, q.question, k=10, mode=mode, with_answer=answers)
        # A result is judged by what the reader is shown: its text (a list whole, say).
        ranked = [h.passage.id for h in ranking.hits]
        relevant = {h.passage.id for h in ranking.hits if holds(h.passage.text, q.answers)}
        if not q.in_scope:
            n_off += 1
            flagged_off += not ranking.answerable
            declined += reply is not None and reply.answer is None
            if ranking.answerable:
                misses.append(f"not flagged  {q.question!r} (dense {ranking.dense_top:.2f})")
            continue
        holders = holding(q.answers)
        if not holders:
            raise EvalDataError(f"no passage holds the answer of {q.question!r}: {q.answers}")
        if reply is not None:
            answered += reply.answer is not None
            if q.fact:
                n_fact += 1
                fact_ok += _norm(q.fact) in _norm(reply.answer or "")
                cited_ok += any(
                    holds(c.passage.text, q.answers) and _norm(q.fact) in _norm(c.passage.text)
                    for c in reply.citations
                )
                if _norm(q.fact) not in _norm(reply.answer or ""):
                    misses.append(f"answer lacks {q.fact!r}  {q.question!r} -> {reply.answer!r}")
        n_in += 1
        gains = dict.fromkeys(holders | relevant, 1.0)  # result ids: a list's id or a passage's
        sums["hit@1"] += ranked[:1] != [] and ranked[0] in relevant
        sums["hit@3"] += any(r in relevant for r in ranked[:3])
        sums["mrr@10"] += reciprocal_rank(ranked, relevant)
        sums["ndcg@10"] += ndcg(ranked, gains)
        flagged_in += not ranking.answerable
        if not ranked or ranked[0] not in relevant:
            rank = next((i + 1 for i, r in enumerate(ranked) if r in relevant), None)
            top = ranking.hits[0].passage.text[:70] if ranking.hits else "-"
            misses.append(f"rank {rank or '>10':>3}  {q.question!r} -> top: {top!r}")
        if not ranking.answerable:
            misses.append(f"wrongly flagged  {q.question!r} (dense {ranking.dense_top:.2f})")
    metrics = {name: value / max(n_in, 1) for name, value in sums.items()}
    metrics["offtopic_flagged"] = flagged_off / max(n_off, 1)
    metrics["inscope_flagged"] = flagged_in / max(n_in, 1)
    if answers:
        metrics["answer_fact"] = fact_ok / max(n_fact, 1)
        metrics["answer_cited"] = cited_ok / max(n_fact, 1)
        metrics["answered"] = answered / max(n_in, 1)
        metrics["declined"] = declined / max(n_off, 1)
    metrics["questions"] = float(n_in)
    metrics["offtopic_questions"] = float(n_off)
    return Report(metrics, misses)


# --- BEIR --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BeirData:
    passages: tuple[Passage, ...]
    queries: dict[str, str]
    qrels: dict[str, dict[str, float]]


def load_beir(folder: Path, split: str = "test") -> BeirData:
    """corpus.jsonl (_id, title, text), queries.jsonl (_id, text), qrels/<split>.tsv."""
    passages = []
    for n, row in _jsonl(folder / "corpus.jsonl"):
        if "_id" not in row:
            raise EvalDataError(f"{folder / 'corpus.jsonl'}:{n}: missing '_id'")
        doc_id, title = str(row["_id"]), str(row.get("title") or "").strip()
        body = str(row.get("text") or "").strip()
        text = f"{title}. {body}" if title and body else title or body
        passages.append(Passage(doc_id, doc_id, title, title, "paragraph", text, 0, len(text)))
    queries = {str(r["_id"]): str(r.get("text", "")) for _, r in _jsonl(folder / "queries.jsonl")}
    qrels: dict[str, dict[str, float]] = {}
    qrels_path = folder / "qrels" / f"{split}.tsv"
    try:
        with open(qrels_path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh, delimiter="\t"))
    except OSError as exc:
        raise EvalDataError(f"{qrels_path}: cannot be read ({exc.strerror})") from exc
    for n, cells in enumerate(rows[1:], 2):  # the first row is the header
        try:
            query_id, doc_id, grade = cells[0], cells[1], float(cells[2])
        except (IndexError, ValueError) as exc:
            raise EvalDataError(f"{qrels_path}:{n}: expected query-id, corpus-id, score") from exc
        if grade > 0:
            qrels.setdefault(query_id, {})[doc_id] = grade
    qrels = {q: rel for q, rel in qrels.items() if q in queries}
    if not passages or not qrels:
        raise EvalDataError(f"{folder}: empty corpus or no judged queries for split {split!r}")
    return BeirData(tuple(passages), queries, qrels)


def beir_searcher(
    data: BeirData,
    embedder: Embedder,
    folder: Path,
    progress: Callable[[int, int], None] | None = None,
    corpus_hash: str = "beir",
) -> Searcher:
    """An index over the BEIR corpus, written and read like the real one (passage and
    sentence vectors); one already in folder for the same corpus and model is reused
    (embedding SciFact takes minutes), and so are its passage vectors when only its
    sentence vectors are missing."""
    cache: dict[str, np.ndarray] = {}
    try:
        index = load_index(folder, embedder.name, embedder.dimension)
        if index.manifest.corpus_hash == corpus_hash:
            if index.sentences is not None:
                return Searcher(index, embedder)
            cache = stored_vectors(folder, embedder.dimension)
    except SearchError:
        pass
    texts = [p.text for p in data.passages]
    vectors, keys, _ = embed_cached(embedder, texts, cache, progress)
    units, _ = sentences.embed_units(embedder, data.passages, {}, progress)
    manifest = Manifest(
        schema_version=SCHEMA_VERSION, package_version=__version__, model=embedder.name,
        dimension=embedder.dimension, normalised=True, passage_count=len(texts),
        document_count=0, corpus_hash=corpus_hash, build_id=uuid.uuid4().hex,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"), build_seconds=0.0,
        embedded_passages=len(texts),
    )  # fmt: skip
    write_index(folder, manifest, data.passages, (), vectors, keys, unit_vectors=units)
    return Searcher(load_index(folder), embedder)


def beir_half(qrels: dict[str, dict[str, float]], split: str) -> dict[str, dict[str, float]]:
    """The judged queries of one half: alternate queries in file order go to "tune" and
    "heldout" ("all": every one)."""
    if split == "all":
        return qrels
    wanted = 0 if split == "tune" else 1
    return {q: g for i, (q, g) in enumerate(qrels.items()) if i % 2 == wanted}


def evaluate_beir(
    searcher: Searcher, data: BeirData, mode: str, split: str = "all"
) -> dict[str, float]:
    sums = {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    judged = beir_half(data.qrels, split)
    for qid, gains in judged.items():
        hits = served(searcher, data.queries[qid], k=100, mode=mode)[0].hits
        ranked = [h.passage.id for h in hits]
        relevant = set(gains)
        sums["ndcg@10"] += ndcg(ranked, gains)
        sums["recall@100"] += len(relevant & set(ranked[:100])) / len(relevant)
        sums["mrr@10"] += reciprocal_rank(ranked, relevant)
    return {name: value / max(len(judged), 1) for name, value in sums.items()}


def run_beir(
    folder: Path,
    embedder: Embedder,
    modes: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
    cache: Path | None = None,
    split: str = "all",
) -> dict[str, dict[str, float]]:
    """Metrics per mode; with a cache folder the BEIR index is kept there for the next run."""
    data = load_beir(folder)
    digest = hashlib.sha256((folder / "corpus.jsonl").read_bytes()).hexdigest()
    with tempfile.TemporaryDirectory(prefix="beir-") as tmp:
        where = cache if cache is not None else Path(tmp) / "beir-index"
        searcher = beir_searcher(data, embedder, where, progress, digest)
        return {mode: evaluate_beir(searcher, data, mode, split) for mode in modes}
