"""Restricted documents: a caller never receives a byte of a document outside their groups.

Two groups (board, dsl) and an open document; callers by key (keys file, SEARCH_API_KEYS),
by a trusted sign-on proxy's header, and from untrusted addresses. Every route is asked
questions made of the restricted documents' own rare words (misspelt too, for the
speller), with every filter, and each response body is searched for anything of them.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from search.api import create_app
from search.api.access import hash_key
from search.config import Settings
from tests.access_corpus import BOARD_SECRET, DSL_SECRET, Secret, probes, write_corpus
from tests.fakes import FakeEmbedder

BOARD_KEY, DSL_KEY = "board-key-0123456789", "dsl-key-0123456789ab"
ADMIN_KEY, PLAIN_KEY = "admin-key-0123456789", "plain-key-0123456789"
PROXY = "10.0.0.5"


def keys_file(path: Path) -> Path:
    path.write_text(
        f"""
[keys.board-portal]
hash = "{hash_key(BOARD_KEY)}"
groups = ["Board"]

[keys.dsl-team]
hash = "{hash_key(DSL_KEY, "sha256")}"
groups = ["dsl", "training"]

[keys.ops]
hash = "{hash_key(ADMIN_KEY, "sha256")}"
admin = true
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    root = tmp_path_factory.mktemp("access")
    settings = Settings(
        corpus_dir=write_corpus(root / "corpus"),
        index_dir=root / "index",
        keys_file=keys_file(root / "keys.toml"),
        api_keys=PLAIN_KEY,
        trust_proxy=f"127.0.0.1, {PROXY}/32",
        reload_interval=0,
        audit_log=True,
    )
    return create_app(settings, embedder=FakeEmbedder())


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The same service over a corpus that holds only what a board member may see."""
    root = tmp_path_factory.mktemp("reference")
    corpus = write_corpus(root / "corpus", restricted=False, with_dsl=False)
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", reload_interval=0)
    with TestClient(create_app(settings, embedder=FakeEmbedder())) as c:
        yield c


@pytest.fixture(scope="module")
def served(app: FastAPI) -> Iterator[FastAPI]:
    with TestClient(app):  # runs the lifespan once for the module
        yield app


def client(app: FastAPI, peer: str = "testclient", **headers: str) -> TestClient:
    return TestClient(app, client=(peer, 50000), headers=headers)


# Who asks, and what they must never see.
CALLERS: dict[str, tuple[dict[str, Any], tuple[Secret, ...]]] = {
    "board key": ({"headers": {"X-API-Key": BOARD_KEY}}, (DSL_SECRET,)),
    "dsl key": ({"headers": {"Authorization": f"Bearer {DSL_KEY}"}}, (BOARD_SECRET,)),
    "plain key": ({"headers": {"X-API-Key": PLAIN_KEY}}, (BOARD_SECRET, DSL_SECRET)),
    "proxy, board": (
        {"peer": PROXY, "headers": {"X-Forwarded-Groups": "staff, board"}},
        (DSL_SECRET,),
    ),
    "proxy, no group": ({"peer": "127.0.0.1", "headers": {}}, (BOARD_SECRET, DSL_SECRET)),
    # The header from anywhere else is ignored: with a plain key, open documents only.
    "untrusted header": (
        {
            "peer": "10.0.0.6",
            "headers": {"X-API-Key": PLAIN_KEY, "X-Forwarded-Groups": "board,dsl"},
        },
        (BOARD_SECRET, DSL_SECRET),
    ),
}


def as_caller(app: FastAPI, name: str) -> TestClient:
    spec = CALLERS[name][0]
    return client(app, spec.get("peer", "testclient"), **spec["headers"])


def assert_no_leak(r: httpx.Response, secrets: tuple[Secret, ...], *typed: str | None) -> None:
    """Nothing of the secrets in the body, apart from words the caller typed themselves."""
    try:
        body: Any = r.json()
    except ValueError:
        body = r.text
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in ("query", "question")}
    text = (
        json.dumps(body, ensure_ascii=False)
        + " "
        + " ".join(f"{k}: {v}" for k, v in r.headers.items())
    )
    for word in {w for t in typed if t for w in re.findall(r"[\w%-]+", t)}:
        text = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", " ", text, flags=re.IGNORECASE)
    low = text.lower()
    for secret in secrets:
        for needle in (*secret.strings, *secret.rare):
            assert needle.lower() not in low, (needle, r.request.url, text[:600])


def routes(c: TestClient, q: str, **params: Any) -> Iterator[httpx.Response]:
    """The question routes, GET and POST."""
    params = {k: v for k, v in params.items() if v is not None}
    yield c.get("/search", params={"q": q, **params})
    yield c.post("/search", json={"q": q, **params})
    yield c.get("/search", params={"q": q, **params, "answer": "true"})
    answer = {k: v for k, v in params.items() if k != "k"}
    yield c.get("/answer", params={"q": q, **answer})
    yield c.post("/answer", json={"question": q, **answer})


@pytest.mark.parametrize("who", list(CALLERS))
def test_no_question_reaches_a_restricted_document(served: FastAPI, who: str) -> None:
    forbidden = CALLERS[who][1]
    c = as_caller(served, who)
    asked = [q for s in (BOARD_SECRET, DSL_SECRET) for q in probes(s)]
    asked += ["neglect", "domestic abuse referrals", "budget audits"]
    for q in asked:
        for r in routes(c, q):
            assert r.status_code == 200, (who, q, r.text)
            assert_no_leak(r, forbidden, q)


SECTIONS = [None, "Neglect", "Marmalisk Referrals", "Quorum Zanzibarite Deliberations"]
DOCUMENTS = [None, "open-guidance", "dsl-casebook", "board-minutes", "no-such-doc"]


@pytest.mark.parametrize("who", ["board key", "dsl key", "proxy, no group"])
def test_every_filter_combination(served: FastAPI, who: str) -> None:
    forbidden = CALLERS[who][1]
    c = as_caller(served, who)
    combos = itertools.product(
        ["hybrid", "dense", "bm25"], [None, "finding"], SECTIONS, DOCUMENTS, [1, 50]
    )
    questions = ["gorvandle panel neglect", "quillfeather audits", "how common was neglect"]
    for (mode, kind, section, document, k), q in itertools.product(combos, questions[:1]):
        for r in routes(c, q, mode=mode, kind=kind, section=section, document=document, k=k):
            assert r.status_code in (200, 422), r.text
            assert_no_leak(r, forbidden, q, section, document)
    for q in questions:
        for section, document in itertools.product(SECTIONS, DOCUMENTS):
            for r in routes(c, q, section=section, document=document):
                assert_no_leak(r, forbidden, q, section, document)


def test_errors_name_only_what_the_caller_may_see(served: FastAPI) -> None:
    c = as_caller(served, "board key")
    unknown = c.get("/search", params={"q": "x", "document": "dsl-casebook"}).json()["detail"]
    missing = c.get("/search", params={"q": "x", "document": "nothing-here"}).json()["detail"]
    # The same message whether the document does not exist or is someone else's.
    assert unknown.replace("dsl-casebook", "X") == missing.replace("nothing-here", "X")
    assert "board-minutes" in unknown and "open-guidance" in unknown
    r = c.get("/search", params={"q": "x", "section": "nope"})
    assert "Quorum Zanzibarite Deliberations" in r.json()["detail"]
    assert "Marmalisk" not in r.text
    one = c.get("/documents/dsl-casebook")
    other = c.get("/documents/nothing-here")
    assert one.status_code == other.status_code == 404
    assert one.json()["detail"].replace("dsl-casebook", "X") == other.json()["detail"].replace(
        "nothing-here", "X"
    )


@pytest.mark.parametrize("who", list(CALLERS))
def test_documents_health_and_ready_count_only_the_view(served: FastAPI, who: str) -> None:
    forbidden = CALLERS[who][1]
    c = as_caller(served, who)
    docs = c.get("/documents")
    ids = {d["id"] for d in docs.json()["documents"]}
    assert "open-guidance" in ids and not ids & {s.doc_id for s in forbidden}
    assert all(d["audience"] is None for d in docs.json()["documents"])  # admins only
    health = c.get("/health").json()
    assert health["documents"] == docs.json()["count"] == len(ids)
    passages = sum(d["passages"] for d in docs.json()["documents"])
    assert health["passages"] == passages == c.get("/ready").json()["passages"]
    for path in ("/documents", "/health", "/ready", *(f"/documents/{i}" for i in ids)):
        assert_no_leak(c.get(path), forbidden)
    for secret in forbidden:
        assert_no_leak(c.get(f"/documents/{secret.doc_id}"), forbidden, secret.doc_id)


def test_metrics_and_admin_routes_are_for_admins(served: FastAPI) -> None:
    for who in CALLERS:
        c = as_caller(served, who)
        forbidden = CALLERS[who][1]
        for r in (
            c.get("/metrics"),
            c.post("/admin/reload"),
            c.put("/admin/documents/dsl-casebook/audience", json={"audience": []}),
            c.delete("/admin/documents/dsl-casebook"),
        ):
            assert r.status_code in (401, 403), (who, r.request.url)
            assert_no_leak(r, forbidden, "dsl-casebook")
    admin = client(served, **{"X-API-Key": ADMIN_KEY})
    assert admin.get("/metrics").status_code == 200


def test_admins_see_everything_with_audiences(served: FastAPI) -> None:
    admin = client(served, **{"X-API-Key": ADMIN_KEY})
    docs = {d["id"]: d for d in admin.get("/documents").json()["documents"]}
    assert docs["board-minutes"]["audience"] == ["board"]
    assert docs["dsl-casebook"]["audience"] == ["dsl", "social-care"]
    assert docs["open-guidance"]["audience"] == []
    assert admin.get("/health").json()["documents"] == 3
    r = admin.get("/search", params={"q": "gorvandle panel", "k": 1}).json()
    assert r["results"][0]["document"] == "dsl-casebook"


def test_groups_open_their_own_documents(served: FastAPI) -> None:
    for who, doc in (("board key", "board-minutes"), ("proxy, board", "board-minutes")):
        r = as_caller(served, who).get("/search", params={"q": "quillfeather audits", "k": 1})
        assert r.json()["results"][0]["document"] == doc
    r = as_caller(served, "dsl key").get(
        "/answer", params={"q": "what did the gorvandle panel find"}
    )
    assert r.json()["answerable"] and "23%" in r.json()["answer"]
    # Misspelt, the question is put right from the words the caller may see.
    r = as_caller(served, "dsl key").get("/search", params={"q": "marmalsk referrals"})
    assert r.json()["corrected"] == "marmalisk referrals"
    r = as_caller(served, "board key").get("/search", params={"q": "marmalsk referrals"})
    assert r.json()["corrected"] is None


def test_a_view_ranks_as_if_the_hidden_documents_were_not_there(
    served: FastAPI, reference: TestClient
) -> None:
    """Filtered before scoring: BM25 statistics, dense candidates, answerability and
    spelling of a board member's view equal those of a corpus without the DSL document."""
    board = as_caller(served, "board key")
    asked = [*probes(DSL_SECRET)[:6], "neglect", "domestic abuse referrals", "quillfeatr audits"]
    for q, mode, k in itertools.product(asked, ["hybrid", "dense", "bm25"], [3, 50]):
        got = board.get("/search", params={"q": q, "mode": mode, "k": k}).json()
        want = reference.get("/search", params={"q": q, "mode": mode, "k": k}).json()
        assert got == want, (q, mode)
    for q in asked:
        assert (
            board.get("/answer", params={"q": q}).json()
            == reference.get("/answer", params={"q": q}).json()
        )


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": "wrong-key-0123456789"}, {"Authorization": "Bearer nope"},
     {"X-Forwarded-Groups": "board,dsl"}, {"X-API-Key": BOARD_KEY + "x"}],
)  # fmt: skip
def test_a_wrong_or_missing_key_gets_401_and_nothing_else(
    served: FastAPI, headers: dict[str, str]
) -> None:
    c = client(served, "10.9.9.9", **headers)
    for r in (*routes(c, "gorvandle neglect"), c.get("/documents"), c.get("/documents/x")):
        assert r.status_code == 401
        assert set(r.json()) == {"detail", "errors"} and r.json()["errors"] == []
        assert_no_leak(r, (BOARD_SECRET, DSL_SECRET), "gorvandle neglect")
    # Open paths still answer, counting open documents only.
    assert c.get("/health").json()["documents"] == 1


def test_audit_lines_name_groups_and_route_never_the_query(
    served: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="search.audit"):
        as_caller(served, "board key").get("/search", params={"q": "secret question words"})
        as_caller(served, "proxy, board").post("/answer", json={"question": "another secret"})
        client(served, **{"X-API-Key": "bad-key-0123456789"}).get("/documents")
    lines = [r for r in caplog.records if r.name == "search.audit"]
    seen = [(r.path, r.status, r.caller, r.groups) for r in lines]  # type: ignore[attr-defined]
    assert seen == [
        ("/search", 200, "board-portal", ["board"]),
        ("/answer", 200, "proxy", ["board", "staff"]),
        ("/documents", 401, "invalid", []),
    ]
    text = " ".join(f"{r.getMessage()} {r.__dict__}" for r in lines)
    assert "secret" not in text and BOARD_KEY not in text
