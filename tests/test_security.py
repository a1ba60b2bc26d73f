from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from search.api import create_app
from search.api.ratelimit import Rate, RateLimiter, parse_rate
from search.config import Settings
from tests.fakes import FakeEmbedder

USER, ADMIN = "user-key-1", "admin-key-1"


def _app(settings: Settings, **overrides: object) -> FastAPI:
    settings = Settings(corpus_dir=settings.corpus_dir, index_dir=settings.index_dir, **overrides)
    app = create_app(settings, embedder=FakeEmbedder())

    # A stand-in for any route under /admin: the prefix alone makes it admin-only.
    @app.post("/admin/ping")
    def admin_ping() -> dict[str, str]:
        return {"pong": "admin"}

    return app


@pytest.fixture
def keyed(settings: Settings) -> Iterator[TestClient]:
    with TestClient(_app(settings, api_keys=f"{USER}, other-key", admin_keys=ADMIN)) as c:
        yield c


def test_search_needs_a_key_when_keys_are_set(keyed: TestClient) -> None:
    r = keyed.get("/search", params={"q": "neglect"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer KEY" in r.json()["detail"] and r.json()["errors"] == []
    assert keyed.post("/search", json={"q": "neglect"}).status_code == 401
    assert keyed.get("/metrics").status_code == 401
    bad = keyed.get("/search", params={"q": "x"}, headers={"X-API-Key": "guess"})
    assert bad.status_code == 401 and "invalid API key" in bad.json()["detail"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {USER}"},
        {"authorization": f"bearer {USER}"},
        {"X-API-Key": USER},
        {"X-API-Key": "other-key"},
        {"X-API-Key": ADMIN},  # an admin may search too
    ],
)
def test_a_configured_key_opens_search(keyed: TestClient, headers: dict[str, str]) -> None:
    r = keyed.get("/search", params={"q": "domestic abuse", "k": 1}, headers=headers)
    assert r.status_code == 200 and len(r.json()["results"]) == 1
    assert keyed.get("/metrics", headers=headers).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {USER}", "X-API-Key": "guess"},  # two keys that disagree
        {"Authorization": "Bearer ", "X-API-Key": USER},  # an empty bearer is a broken one
        {"Authorization": f"Basic {USER}"},  # another scheme is not an API key
        {"X-API-Key": ""},
        {"X-API-Key": USER + " x"},
    ],
)
def test_broken_or_conflicting_credentials_are_refused(
    keyed: TestClient, headers: dict[str, str]
) -> None:
    assert keyed.get("/search", params={"q": "x"}, headers=headers).status_code == 401


@pytest.mark.parametrize("path", ["/health", "/ready", "/docs", "/openapi.json"])
def test_open_paths_need_no_key(keyed: TestClient, path: str) -> None:
    assert keyed.get(path).status_code == 200


def test_admin_routes(keyed: TestClient) -> None:
    for path in ("/admin/ping", "/admin/reload"):
        assert keyed.post(path).status_code == 401
        assert keyed.post(path, headers={"X-API-Key": "guess"}).status_code == 401
        r = keyed.post(path, headers={"X-API-Key": USER})
        assert r.status_code == 403 and "admin key" in r.json()["detail"]
        assert keyed.post(path, headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200
    # Unknown admin paths give nothing away to non-admins.
    assert keyed.get("/admin/secret", headers={"X-API-Key": USER}).status_code == 403
    assert keyed.get("/admin/secret", headers={"X-API-Key": ADMIN}).status_code == 404


def test_admin_routes_are_off_without_admin_keys(settings: Settings) -> None:
    with TestClient(_app(settings, api_keys=USER)) as c:
        r = c.post("/admin/ping", headers={"X-API-Key": USER})
        assert r.status_code == 403 and "SEARCH_ADMIN_KEYS" in r.json()["detail"]


def test_admin_keys_alone_guard_only_admin_routes(settings: Settings) -> None:
    with TestClient(_app(settings, admin_keys=ADMIN)) as c:
        assert c.get("/search", params={"q": "neglect"}).status_code == 200
        assert c.post("/admin/ping").status_code == 401
        assert c.post("/admin/ping", headers={"X-API-Key": ADMIN}).status_code == 200


def test_without_keys_everything_is_open(settings: Settings) -> None:
    with TestClient(_app(settings)) as c:
        assert c.get("/search", params={"q": "neglect"}).status_code == 200
        assert c.get("/metrics").status_code == 200
        assert c.post("/admin/ping").status_code == 200
        assert "securitySchemes" not in c.get("/openapi.json").json()["components"]


def test_keys_never_reach_logs_or_metrics(
    keyed: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        keyed.get("/search", params={"q": "neglect"}, headers={"X-API-Key": USER})
        keyed.get("/search", params={"q": "neglect"}, headers={"X-API-Key": "wrong-secret"})
        keyed.post("/admin/ping", headers={"Authorization": f"Bearer {ADMIN}"})
        metrics = keyed.get("/metrics", headers={"X-API-Key": USER}).text
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records  # the access lines were there to look at
    for secret in (USER, ADMIN, "wrong-secret"):
        assert secret not in logged and secret not in metrics


def test_openapi_describes_keys_and_errors(settings: Settings) -> None:
    with TestClient(_app(settings, api_keys=USER, rate_limit="5/minute")) as c:
        spec = c.get("/openapi.json").json()
    assert set(spec["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    search_get = spec["paths"]["/search"]["get"]
    assert search_get["security"] == [{"bearer": []}, {"apiKey": []}]
    assert {"401", "429"} <= set(search_get["responses"])
    assert "Retry-After" in search_get["responses"]["429"]["headers"]
    assert {"400", "413"} <= set(spec["paths"]["/search"]["post"]["responses"])
    health = spec["paths"]["/health"]["get"]
    assert "security" not in health and "429" not in health["responses"]


# --- rate limiting -------------------------------------------------------------------------


def test_parse_rate() -> None:
    assert parse_rate("60/minute") == Rate(60, 60.0)
    assert parse_rate(" 5 / seconds ") == Rate(5, 1.0)
    assert parse_rate("1000/day") == Rate(1000, 86400.0)
    assert parse_rate(None) is None and parse_rate("") is None
    for bad in ("60", "0/minute", "ten/minute", "5/fortnight"):
        with pytest.raises(ValueError, match="60/minute"):
            parse_rate(bad)


def test_bad_rate_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        Settings(rate_limit="lots")


def test_token_bucket_bursts_then_refills() -> None:
    now = [100.0]
    limiter = RateLimiter(Rate(3, 60.0), clock=lambda: now[0])
    assert [limiter.acquire("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.acquire("a") == 20  # one token every 20 s
    assert limiter.acquire("b") == 0  # callers do not share a bucket
    now[0] += 19.0
    assert limiter.acquire("a") == 1
    now[0] += 1.5
    assert limiter.acquire("a") == 0
    now[0] += 3600
    assert [limiter.acquire("a") for _ in range(4)] == [0, 0, 0, 20]  # never above the burst


def test_token_bucket_forgets_the_quietest_callers_first() -> None:
    limiter = RateLimiter(Rate(1, 60.0), max_callers=2, clock=lambda: 0.0)
    limiter.acquire("a")
    limiter.acquire("b")
    limiter.acquire("a")  # refused, and now the most recently seen
    limiter.acquire("c")  # evicts b, not a
    assert limiter.acquire("a") > 0
    assert limiter.acquire("b") == 0


def test_rate_limit_over_http(settings: Settings) -> None:
    with TestClient(_app(settings, api_keys=f"{USER},k2", rate_limit="3/minute")) as c:
        ok = [c.get("/search", params={"q": "x"}, headers={"X-API-Key": USER}) for _ in range(3)]
        assert [r.status_code for r in ok] == [200, 200, 200]
        r = c.get("/search", params={"q": "x"}, headers={"X-API-Key": USER})
        assert r.status_code == 429
        assert 1 <= int(r.headers["retry-after"]) <= 20
        assert "too many requests" in r.json()["detail"]
        # Another key has its own allowance; health checks never count.
        assert c.get("/search", params={"q": "x"}, headers={"X-API-Key": "k2"}).status_code == 200
        assert all(c.get("/health").status_code == 200 for _ in range(10))
        # Guessing keys spends the guesser's address allowance.
        codes = [
            c.get("/search", params={"q": "x"}, headers={"X-API-Key": "g"}).status_code
            for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]


# --- body limit ------------------------------------------------------------------------------


def test_body_limit(settings: Settings) -> None:
    with TestClient(_app(settings, max_body_bytes=200)) as c:
        fits = '{"q": "neglect", "section": "' + " " * 150 + '"}'
        assert (
            c.post(
                "/search", content=fits, headers={"content-type": "application/json"}
            ).status_code
            == 200
        )
        big = '{"q": "neglect", "section": "' + "x" * 300 + '"}'
        r = c.post("/search", content=big, headers={"content-type": "application/json"})
        assert r.status_code == 413
        assert r.json()["detail"] == "request body larger than 200 bytes (SEARCH_MAX_BODY_BYTES)"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"q": "neglect", "section": "'
            for _ in range(10):
                yield b"x" * 50
            yield b'"}'

        r = c.post("/search", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["errors"] == []


def test_uploads_keep_their_own_limit(settings: Settings) -> None:
    app = _app(settings, max_body_bytes=100)
    text = "Report Title\n\n" + "A paragraph about escalation between agencies. " * 100
    with TestClient(app) as c:
        r = c.put("/admin/documents/report.md", content=text.encode())
        assert len(text) > 100 and r.status_code == 200, r.text
        assert r.json()["added"] == ["report"]


# --- security headers --------------------------------------------------------------------------


def _assert_security_headers(headers: dict[str, str] | object) -> None:
    h = {k.lower(): v for k, v in dict(headers).items()}  # type: ignore[call-overload]
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    assert h["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert re.fullmatch(r"[0-9a-f]{32}", h["x-request-id"])


def test_every_response_carries_security_headers(settings: Settings) -> None:
    app = _app(settings, api_keys=USER, rate_limit="4/minute", max_body_bytes=100)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("internal detail")

    key = {"X-API-Key": USER}
    with TestClient(app, raise_server_exceptions=False) as c:
        responses = {
            200: c.get("/health"),
            401: c.get("/search", params={"q": "x"}),
            404: c.get("/nowhere", headers=key),
            413: c.post("/search", content="x" * 200, headers=key),
            500: c.get("/boom", headers=key),
            422: c.get("/search", params={"q": ""}, headers=key),
            429: c.get("/search", params={"q": "x"}, headers=key),
        }
    for status, r in responses.items():
        assert r.status_code == status, (status, r.text)
        _assert_security_headers(r.headers)
        assert r.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert r.headers["cache-control"] == "no-store"


def test_docs_page_policy_allows_exactly_its_inline_script(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    scripts = re.findall(r"<script>(.*?)</script>", r.text, re.S)
    assert scripts, "the Swagger UI page has an inline script"
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "https://cdn.jsdelivr.net" in csp and "frame-ancestors 'none'" in csp
    # The docs' own API calls (openapi.json) stay same-origin.
    assert "connect-src 'self'" in csp


def test_cors_preflight_is_not_refused_for_lack_of_a_key(keyed: TestClient) -> None:
    r = keyed.options(
        "/search",
        headers={"Origin": "https://intranet.example", "Access-Control-Request-Method": "GET"},
    )
    assert r.status_code != 401


def test_routes_added_later_are_guarded_by_default(settings: Settings, tmp_path: Path) -> None:
    app = _app(settings, api_keys=USER)

    @app.get("/late-added")
    def late_added() -> list[str]:
        return ["a"]

    with TestClient(app) as c:
        assert c.get("/late-added").status_code == 401
        assert c.get("/late-added", headers={"X-API-Key": USER}).json() == ["a"]


def test_a_bad_setting_is_one_line_from_the_cli(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from search.cli import cli

    env = {"SEARCH_RATE_LIMIT": "lots", "SEARCH_INDEX_DIR": str(tmp_path / "i")}
    r = CliRunner().invoke(cli, ["build"], env=env)
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert r.output.startswith("Error: invalid setting SEARCH_RATE_LIMIT:")
    assert r.output.count("\n") == 1


def test_a_non_ascii_key_sent_as_utf8_matches(settings: Settings) -> None:
    with TestClient(_app(settings, api_keys="clé-ünï")) as c:
        r = c.get("/search", params={"q": "x"}, headers={"X-API-Key": "clé-ünï".encode()})
        assert r.status_code == 200
