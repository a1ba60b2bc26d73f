"""The embeddable search widget: its script, a demo page, and the CORS policy it needs."""

from __future__ import annotations

import functools
import hashlib
import html
from dataclasses import dataclass
from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse

from search.config import Settings

router = APIRouter(tags=["widget"])

# The plain URL must pick up a new widget soon after an upgrade; the URL carrying the
# content hash never changes meaning, so browsers may keep it for good.
SHORT_CACHE = "public, max-age=300"
LONG_CACHE = "public, max-age=31536000, immutable"
# The demo shows the widget works without inline scripts or eval.
DEMO_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


@dataclass(frozen=True)
class Asset:
    body: bytes
    digest: str  # first 16 hex digits of the SHA-256 of body

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'


@functools.cache
def asset(name: str) -> Asset:
    """A file of search/widget, read once on first use (never at import)."""
    body = (files("search") / "widget" / name).read_bytes()
    return Asset(body, hashlib.sha256(body).hexdigest()[:16])


def widget_url(request: Request) -> str:
    """The versioned script URL: it changes whenever the widget does."""
    return f"{str(request.base_url).rstrip('/')}/widget.js?v={asset('widget.js').digest}"


@router.get("/widget.js", include_in_schema=False)
def widget_js(request: Request, v: str | None = None) -> Response:
    """The widget script, with an ETag so browsers revalidate instead of refetching."""
    script = asset("widget.js")
    headers = {
        "ETag": script.etag,
        "Cache-Control": LONG_CACHE if v == script.digest else SHORT_CACHE,
        "X-Content-Type-Options": "nosniff",
    }
    if script.etag in _etags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return Response(script.body, media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/demo", include_in_schema=False)
def demo(request: Request) -> HTMLResponse:
    """A page with the widget, the snippet to embed it, and its theming variables."""
    base = str(request.base_url).rstrip("/")
    page = asset("demo.html").body.decode("utf-8")
    for key, value in (("{{origin}}", base), ("{{versioned_url}}", widget_url(request))):
        page = page.replace(key, html.escape(value))
    return HTMLResponse(page, headers={"Content-Security-Policy": DEMO_CSP})


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def install_cors(app: FastAPI, settings: Settings) -> None:
    """Let pages on the configured origins call the API; without any, same-origin only."""
    if not settings.cors_origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST"],
        # The widget's key attribute travels as X-API-Key when the service wants keys.
        allow_headers=["content-type", "x-api-key", "authorization"],
        max_age=600,
    )
