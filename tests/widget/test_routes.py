"""The widget's HTTP side: the script and demo routes, caching, CORS, and rules on the file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from search import __version__
from search.api import create_app
from search.config import Settings
from tests.fakes import FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]
WIDGET = ROOT / "search" / "widget" / "widget.js"
ALLOWED = "https://intranet.example"


@pytest.fixture
def cors_client(settings: Settings, fake: FakeEmbedder) -> Iterator[TestClient]:
    s = settings.model_copy(update={"cors_origins": (ALLOWED,)})
    with TestClient(create_app(s, embedder=fake)) as c:
        yield c


def test_widget_js_is_served_with_cache_headers(client: TestClient) -> None:
    r = client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.content == WIDGET.read_bytes()
    assert r.headers["cache-control"] == "public, max-age=300"
    assert r.headers["x-content-type-options"] == "nosniff"
    etag = r.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{16}"', etag)

    again = client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get("/widget.js", headers={"If-None-Match": '"other"'}).status_code == 200


def test_versioned_url_is_cached_for_good(client: TestClient) -> None:
    digest = client.get("/widget.js").headers["etag"].strip('"')
    r = client.get("/widget.js", params={"v": digest})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    # An old or made-up version must not pin today's file in caches for a year.
    stale = client.get("/widget.js", params={"v": "0000000000000000"})
    assert stale.headers["cache-control"] == "public, max-age=300"


def test_widget_names_the_package_version() -> None:
    text = WIDGET.read_text(encoding="utf-8")
    assert f'const VERSION = "{__version__}";' in text
    assert text.startswith(f"/*! scr-search widget {__version__} ")


def test_widget_is_at_most_20_kb_unminified() -> None:
    assert WIDGET.stat().st_size <= 20 * 1024


# Every way to turn a string into markup or code. Comments are stripped first so that
# the rule itself may be explained in the file.
FORBIDDEN = [
    r"\.innerHTML\b",
    r"\.outerHTML\b",
    r"insertAdjacentHTML",
    r"document\.write",
    r"\beval\s*\(",
    r"\bnew\s+Function\b",
    r"\bsetTimeout\s*\(\s*['\"`]",
    r"\bsetInterval\b",
    r"createContextualFragment",
    r"DOMParser",
    r"\.srcdoc\b",
    r"setAttribute\(\s*['\"]on",
    r"\bon[a-z]+\s*=",
]


def _code_only(js: str) -> str:
    js = re.sub(r"/\*.*?\*/", "", js, flags=re.S)
    return re.sub(r"(?m)(^|[^:\\])//.*$", r"\1", js)


@pytest.mark.parametrize("pattern", FORBIDDEN)
def test_widget_never_parses_strings_as_markup_or_code(pattern: str) -> None:
    code = _code_only(WIDGET.read_text(encoding="utf-8"))
    assert not re.search(pattern, code), f"widget.js uses {pattern}"


def test_rule_check_catches_what_it_should() -> None:
    # Guards the guard: the patterns above must match the things they forbid.
    for bad in [
        "el.innerHTML = x",
        "eval(s)",
        "new Function('a')",
        "img.onerror = f",
        "n.setAttribute('onclick', s)",
        "setTimeout('go()', 1)",
    ]:
        assert any(re.search(p, _code_only(bad)) for p in FORBIDDEN), bad


def test_widget_guards_define_and_cleans_up() -> None:
    code = _code_only(WIDGET.read_text(encoding="utf-8"))
    assert "customElements.get(TAG)" in code
    assert "attachShadow(" in code
    disconnected = code[code.index("disconnectedCallback()") :]
    assert disconnected[: disconnected.index("}")].count("this._reset()") == 1
    reset = code[code.index("_reset() {") :]
    reset = reset[: reset.index("\n    }")]
    assert "clearTimeout(this._timer)" in reset and "this._ctrl.abort()" in reset


THEME_VARIABLES = sorted(set(re.findall(r"--scr-[a-z-]+", WIDGET.read_text(encoding="utf-8"))))


def test_every_theming_variable_is_documented(client: TestClient) -> None:
    assert len(THEME_VARIABLES) >= 10
    demo = client.get("/demo").text
    guide = (ROOT / "docs" / "widget.md").read_text(encoding="utf-8")
    for name in THEME_VARIABLES:
        assert f"<code>{name}</code>" in demo, name
        assert f"`{name}`" in guide, name


def test_demo_page_shows_widget_snippet_and_strict_csp(client: TestClient) -> None:
    r = client.get("/demo")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "<scr-search" in page and '<script src="widget.js" defer></script>' in page
    # The snippet to copy names this very service.
    assert '&lt;script src="http://testserver/widget.js" defer&gt;&lt;/script&gt;' in page
    digest = client.get("/widget.js").headers["etag"].strip('"')
    assert f"http://testserver/widget.js?v={digest}" in page
    assert "{{" not in page
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp


def test_no_cors_headers_without_configured_origins(client: TestClient) -> None:
    r = client.get("/search", params={"q": "neglect"}, headers={"Origin": ALLOWED})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


def test_cors_allows_only_configured_origins(cors_client: TestClient) -> None:
    ok = cors_client.get("/search", params={"q": "neglect"}, headers={"Origin": ALLOWED})
    assert ok.headers["access-control-allow-origin"] == ALLOWED
    assert "origin" in ok.headers["vary"].lower()
    other = cors_client.get(
        "/search", params={"q": "neglect"}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in other.headers

    pre = cors_client.options(
        "/search",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == ALLOWED
    refused = cors_client.options(
        "/search",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert refused.status_code == 400


def test_cors_headers_also_on_errors(cors_client: TestClient) -> None:
    # The widget can only show the server's explanation if the browser lets it read it.
    r = cors_client.get("/search", params={"q": "x", "kind": "poem"}, headers={"Origin": ALLOWED})
    assert r.status_code == 422 and r.headers["access-control-allow-origin"] == ALLOWED


def test_cors_origins_setting_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEARCH_CORS_ORIGINS", " https://Intranet.example/ , http://10.0.0.5:8080,")
    assert Settings().cors_origins == ("https://intranet.example", "http://10.0.0.5:8080")
    monkeypatch.setenv("SEARCH_CORS_ORIGINS", "")
    assert Settings().cors_origins == ()
    monkeypatch.setenv("SEARCH_CORS_ORIGINS", "*")
    assert Settings().cors_origins == ("*",)


@pytest.mark.parametrize(
    "bad", ["intranet.example", "https://intranet.example/wiki", "ftp://x.example", "https://"]
)
def test_cors_origins_setting_rejects_non_origins(
    monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv("SEARCH_CORS_ORIGINS", f"https://ok.example,{bad}")
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings()


def test_cors_with_api_keys(settings: Settings, fake: FakeEmbedder) -> None:
    s = settings.model_copy(update={"cors_origins": (ALLOWED,), "api_keys": SecretStr("k1")})
    with TestClient(create_app(s, embedder=fake)) as c:
        # The widget and its demo stay open; a page has no key to fetch them with.
        assert c.get("/widget.js").status_code == 200 and c.get("/demo").status_code == 200
        # A refusal carries CORS headers, or the widget could not read why it was refused.
        refused = c.get("/search", params={"q": "x"}, headers={"Origin": ALLOWED})
        assert refused.status_code == 401
        assert refused.headers["access-control-allow-origin"] == ALLOWED
        pre = c.options(
            "/search",
            headers={
                "Origin": ALLOWED,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "x-api-key",
            },
        )
        assert pre.status_code == 200
        assert "x-api-key" in pre.headers["access-control-allow-headers"].lower()
        ok = c.get(
            "/search", params={"q": "neglect"}, headers={"Origin": ALLOWED, "X-API-Key": "k1"}
        )
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == ALLOWED
