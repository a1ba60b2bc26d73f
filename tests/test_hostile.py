"""Hostile input: every request gets a 4xx or a normal answer, never a 5xx or a traceback."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from search.api.sanitize import clean_text

HOSTILE_QUERIES = [
    "abuse\x00neglect",
    "\x00",
    "\x1b[31mred\x1b[0m neglect",
    "neglect\r\nX-Injected: header",
    "سوء معاملة الأطفال",  # Arabic, right to left
    "התעללות בילדים",  # Hebrew
    "safe\u202egnirts desrever",  # a right-to-left override (Trojan Source)
    "👨‍👩‍👧 family 🧒🏽 neglect 🏠",
    "🙂" * 1000,  # 1000 characters, 4000 bytes of UTF-8
    "a" * 1000,
    "ﬁndings about ｎｅｇｌｅｃｔ",
    "' OR 1=1; DROP TABLE passages; --",
    '"; }); alert(1); //',
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7} #{7*7}",
    "${jndi:ldap://127.0.0.1/a}",
    "../../../../etc/passwd",
    "%00%2e%2e%2f",
    "\\u0000 \\ud800",
    "\u200b\u200b\u200b",
    "\ufeffneglect",
    "\u0301\u0301\u0301",  # lone combining marks
    "Z̸̢̛̺̈́a̶̧̞͛l̷̡̈́g̸̢̛o̵",  # zalgo
    "ﷺ" * 1000,  # one character NFKC turns into eighteen
]


def _assert_sane(r: object, allowed: tuple[int, ...] = (200, 422)) -> None:
    status = r.status_code  # type: ignore[attr-defined]
    text = r.text  # type: ignore[attr-defined]
    assert status in allowed, (status, text[:300])
    assert "Traceback" not in text
    body = json.loads(text)
    if status == 200:
        query = body["query"]
        assert query and len(query) <= 1000
        assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in query)
        assert "\u202e" not in query
    else:
        assert body["detail"] and isinstance(body["errors"], list)


@pytest.mark.parametrize("q", HOSTILE_QUERIES)
def test_hostile_queries_get_an_answer_or_a_4xx(client: TestClient, q: str) -> None:
    _assert_sane(client.get("/search", params={"q": q}))
    _assert_sane(client.post("/search", json={"q": q}))
    _assert_sane(client.post("/search", json={"q": "neglect", "section": q}))
    _assert_sane(client.post("/search", json={"q": "neglect", "kind": q}))


@pytest.mark.parametrize(
    "raw",
    [
        '{"q": "\\ud800"}',  # a lone surrogate, as JSON allows writing one
        '{"q": "ok \\udfff tail"}',
        '{"q": "neglect", "section": "\\ud83d"}',
        '{"\\ud800": "key", "q": "x"}',
    ],
)
def test_lone_surrogates_are_refused_cleanly(client: TestClient, raw: str) -> None:
    r = client.post("/search", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert "Traceback" not in r.text


def test_lone_surrogate_in_the_query_string(client: TestClient) -> None:
    # %ED%A0%80 is a UTF-8-encoded surrogate; the framework decodes it to U+FFFD.
    r = client.get("/search?q=%ED%A0%80neglect")
    _assert_sane(r)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"q": "neglect"',
        b'{"q": "neglect"}}',
        b"[]",
        b'"neglect"',
        b"null",
        b"12",
        b'{"q": ["neglect"]}',
        b'{"q": {"$ne": null}}',
        b'{"q": "neglect", "k": "5; DROP"}',
        b'{"q": "neglect", "k": 1e999}',
        b'{"q": "neglect", "k": -1}',
        b'{"q": "neglect", "k": 10000000000000000000000}',
        b'{"q": "neglect", "q": "twice"}',
        b"\xff\xfe\x00n\x00e",  # UTF-16 with a BOM
        b'{"q": "\xc3\x28"}',  # invalid UTF-8
        b"[" * 20_000 + b"]" * 20_000,  # deeply nested
        b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
        b"",
    ],
)
def test_malformed_json_gets_a_4xx(client: TestClient, body: bytes) -> None:
    r = client.post("/search", content=body, headers={"content-type": "application/json"})
    if r.status_code == 200:  # duplicate keys: JSON takes the last one
        assert r.json()["query"] == "twice"
        return
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
    assert "Traceback" not in r.text and r.json()["detail"]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b"neglect"),
        ("application/x-www-form-urlencoded", b"q=neglect"),
        ("multipart/form-data; boundary=x", b"--x\r\nbroken"),
        ("application/xml", b"<q>neglect</q>"),
    ],
)
def test_other_content_types_get_a_4xx(client: TestClient, content_type: str, body: bytes) -> None:
    r = client.post("/search", content=body, headers={"content-type": content_type})
    assert 400 <= r.status_code < 500 and r.json()["detail"]


def test_oversize_json_gets_413(client: TestClient) -> None:
    body = json.dumps({"q": "neglect", "section": "x" * 2_000_000})
    r = client.post("/search", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "SEARCH_MAX_BODY_BYTES" in r.json()["detail"]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x", "k": "1e3"},
        {"q": "x", "k": "NaN"},
        {"q": "x", "k": "-0"},
        {"q": "x", "k": "9" * 40},
        {"q": "x", "unknown": "y"},
    ],
)
def test_odd_query_parameters(client: TestClient, params: dict[str, str]) -> None:
    r = client.get("/search", params=params)
    assert r.status_code in (200, 422) and "Traceback" not in r.text


def test_a_very_long_url_is_refused_not_crashed(client: TestClient) -> None:
    r = client.get("/search", params={"q": "neglect " * 2000})
    assert r.status_code == 422 and "at most 1000 characters" in r.json()["detail"]


# --- clean_text, exactly -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  domestic   abuse \t", "domestic abuse"),
        ("abuse\x00neglect", "abuse neglect"),
        ("ﬁndings", "findings"),
        ("ｎｅｇｌｅｃｔ", "neglect"),
        ("x²", "x2"),
        ("e\u0301", "é"),  # composed
        ("safe\u202egnirts", "safegnirts"),
        ("zero\u200bwidth", "zerowidth"),
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),  # joiners stay
        ("سوء معاملة", "سوء معاملة"),
        ("\x00\x01\x7f\x9f", ""),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_clean_text_limits() -> None:
    assert clean_text("a" * 1000, 1000) == "a" * 1000
    with pytest.raises(ValueError, match="at most 1000 characters \\(got 1001\\)"):
        clean_text("a" * 1001, 1000)
    assert len(clean_text("ﷺ" * 100, 1000)) == 1000  # grew by normalising: cut, not refused
    with pytest.raises(ValueError, match="lone surrogate"):
        clean_text("ok\ud800", 1000)
