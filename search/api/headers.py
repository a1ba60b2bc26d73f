"""The security headers on every answer, and the Content-Security-Policy of HTML pages."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html

# A JSON API needs no sources at all; HTML pages (/docs, the widget demo) need their own
# scripts, Swagger UI's and ReDoc's from their CDN, and the inline styles they set.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
HTML_CSP = (
    "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net{hashes}; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
COMMON_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    # Search terms travel in URLs (GET /search?q=...): never let them leak in a Referer.
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
# For a response sent outside the middleware (the 500 of an unexpected error).
ERROR_HEADERS = {
    **{k.decode(): v.decode() for k, v in COMMON_HEADERS},
    "Content-Security-Policy": API_CSP,
    "Cache-Control": "no-store",
}
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions ('sha256-...') for each inline <script> of a page."""
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in _INLINE_SCRIPT.findall(html)
    ]


class PagePolicies:
    """The HTML policy per page, computed once: the docs page's includes its script's hash."""

    def __init__(self, fastapi_app: FastAPI) -> None:
        self.fastapi_app = fastapi_app
        self._cache: dict[str, bytes] = {}

    def for_path(self, path: str, root_path: str) -> bytes:
        """The HTML policy, with the hash of Swagger UI's inline script on the docs page."""
        is_docs = path == self.fastapi_app.docs_url
        root = root_path.rstrip("/")
        key = f"docs:{root}" if is_docs else ""
        if key not in self._cache:
            hashes = ""
            if is_docs:
                hashes = " " + " ".join(inline_script_hashes(self._swagger_html(root)))
            self._cache[key] = HTML_CSP.format(hashes=hashes).encode()
        return self._cache[key]

    def _swagger_html(self, root: str) -> str:
        # The same call FastAPI's /docs route makes, so the hash matches the page it serves.
        app = self.fastapi_app
        redirect = app.swagger_ui_oauth2_redirect_url
        return bytes(
            get_swagger_ui_html(
                openapi_url=root + (app.openapi_url or ""),
                title=f"{app.title} - Swagger UI",
                oauth2_redirect_url=root + redirect if redirect else None,
                init_oauth=app.swagger_ui_init_oauth,
                swagger_ui_parameters=app.swagger_ui_parameters,
            ).body
        ).decode()


def add_security_headers(
    headers: list[tuple[bytes, bytes]], html_csp: bytes
) -> list[tuple[bytes, bytes]]:
    """Add what the app did not set itself (a page may bring its own stricter policy)."""
    present = {k.lower() for k, _ in headers}
    content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    for name, value in COMMON_HEADERS:
        if name not in present:
            headers.append((name, value))
    if b"content-security-policy" not in present:
        is_html = content_type.startswith(b"text/html")
        headers.append((b"content-security-policy", html_csp if is_html else API_CSP.encode()))
    if b"cache-control" not in present and content_type.startswith(b"application/json"):
        # Answers quote sensitive material: no browser or proxy should keep a copy.
        headers.append((b"cache-control", b"no-store"))
    return headers
