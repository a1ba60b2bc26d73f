"""Who may call what, how often, with how large a body; and the headers on every answer.

One pure ASGI middleware does it all before the app sees the request, so a route cannot
forget to be protected: every path needs an API key (when keys are configured) unless it
is listed as open below, and every path under /admin needs an admin key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search.api.access import (
    Caller,
    KeyRing,
    TrustedProxies,
    audited,
    header_groups,
    load_keys_file,
)
from search.api.headers import PagePolicies, add_security_headers
from search.api.ratelimit import RateLimiter, parse_rate
from search.api.schemas import ErrorResponse
from search.config import Settings
from search.errors import Forbidden, PayloadTooLarge, RateLimited, SearchError, Unauthorized

# Load balancers and a widget on an intranet page have no key. The API docs and schema
# describe the routes but hold no data, and "Authorize" in /docs needs them to load.
OPEN_PATHS = frozenset(
    {
        "/health",
        "/ready",
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
        "/openapi.json",
        "/widget.js",
        "/demo",
    }
)
ADMIN_PREFIX = "/admin"
# Document uploads (admin only) stream their body and enforce their own, larger limit.
UPLOAD_PREFIXES = ("/admin/documents/",)
AUDIENCE_SUFFIX = "/audience"  # PUT /admin/documents/{id}/audience: a small JSON body
# Health checks come every few seconds from every balancer; they never count against a limit.
UNLIMITED_PATHS = frozenset({"/health", "/ready"})

KEY_HINT = "send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'"


def _digests(keys: str | None) -> tuple[bytes, ...]:
    return tuple(
        hashlib.sha256(k.strip().encode()).digest() for k in (keys or "").split(",") if k.strip()
    )


def _matches(digest: bytes, known: tuple[bytes, ...]) -> bool:
    # Compare against every key, without stopping early, so timing says nothing about which.
    found = False
    for candidate in known:
        found |= hmac.compare_digest(digest, candidate)
    return found


class Access:
    """The configured keys (as digests), the trusted proxies, and the rule for each path."""

    def __init__(
        self,
        api_keys: str | None,
        admin_keys: str | None,
        ring: KeyRing | None = None,
        proxies: TrustedProxies | None = None,
    ) -> None:
        self._admin = _digests(admin_keys)
        self._user = _digests(api_keys)
        self.ring = ring or KeyRing(())
        self.proxies = proxies or TrustedProxies(None)
        file_users = any(not e.admin for e in self.ring.entries)
        # Behind a sign-on proxy, a request that neither comes through it nor has a key
        # comes from someone who went around it.
        self.keys_required = bool(self._user or file_users or self.proxies)
        # With any key or proxy configured, admin routes are never open to the anonymous.
        self.admin_required = bool(self.keys_required or self._admin or self.ring.entries)
        self._any_admin = bool(self._admin) or any(e.admin for e in self.ring.entries)
        # Whether the served index has documents only some groups may see; then admin
        # routes (which can open them) are never open to all. Set by install_security.
        self.restricted: Callable[[], bool] = lambda: False

    @classmethod
    def of(cls, settings: Settings) -> Access:
        def raw(secret: Any) -> str | None:
            return secret.get_secret_value() if secret is not None else None

        ring = KeyRing(load_keys_file(settings.keys_file)) if settings.keys_file else None
        return cls(
            raw(settings.api_keys), raw(settings.admin_keys), ring,
            TrustedProxies(settings.trust_proxy),
        )  # fmt: skip

    @staticmethod
    def _presented(authorization: str | None, api_key: str | None) -> list[str]:
        presented = []
        if authorization is not None:
            # Another scheme (Basic, ...) is a credential we cannot accept, not a missing one.
            bearer = authorization[:7].lower() in ("bearer ", "bearer")
            presented.append(authorization[7:].strip() if bearer else "")
        if api_key is not None:
            presented.append(api_key.strip())
        return presented

    def costly(self, authorization: str | None, api_key: str | None) -> bool:
        """Whether identify would hash a key slowly (scrypt): worth a thread of its own."""
        return any(self.ring.costly(k) for k in self._presented(authorization, api_key) if k)

    def identify(
        self,
        authorization: str | None,
        api_key: str | None,
        peer: str | None = None,
        groups_header: str | None = None,
    ) -> Caller:
        """The caller's role. Two keys that disagree (one of them unknown) count as invalid.

        Without a key, a request from a trusted proxy is a signed-in user, in the groups
        its header names; the header from any other address is ignored.
        """
        presented = self._presented(authorization, api_key)
        if not presented:
            if self.proxies.trusts(peer):
                return Caller("user", groups=header_groups(groups_header), name="proxy")
            return Caller("anonymous")
        callers = {self._one(key) for key in presented}
        return callers.pop() if len(callers) == 1 else Caller("invalid")

    def _one(self, key: str) -> Caller:
        if not key:
            return Caller("invalid")  # a header sent empty is a broken credential, not none
        # Header values arrive decoded as latin-1; encoding back gives the bytes sent, so a
        # non-ASCII key sent as UTF-8 matches the same key configured in the environment.
        digest = hashlib.sha256(key.encode("latin-1", "replace")).digest()
        if _matches(digest, self._admin):
            return Caller("admin", digest[:8].hex())
        if _matches(digest, self._user):
            return Caller("user", digest[:8].hex())
        entry = self.ring.match(key) if self.ring.entries else None
        if entry is not None:
            role = "admin" if entry.admin else "user"
            return Caller(role, digest[:8].hex(), entry.groups, entry.name)
        return Caller("invalid")

    @staticmethod
    def policy(path: str) -> str:
        """'open', 'admin' or 'key' for a route path (a template such as /documents/{id} too)."""
        if path in OPEN_PATHS:
            return "open"
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            return "admin"
        return "key"

    def check(self, path: str, caller: Caller) -> SearchError | None:
        """The error to answer with, or None when the caller may go on."""
        rule = self.policy(path)
        if rule == "admin":
            return self.check_admin(caller)
        if rule == "key" and self.keys_required and caller.role not in ("user", "admin"):
            return self._unauthorized(caller)
        return None

    def check_admin(self, caller: Caller) -> SearchError | None:
        if caller.role == "admin":
            return None
        if not self.admin_required:
            if not self.restricted():
                return None  # nothing configured and nothing to hide: a local, open service
            return Forbidden(
                "admin routes are turned off: some documents have an audience; set "
                "SEARCH_ADMIN_KEYS (or an admin key in SEARCH_KEYS_FILE) to use them"
            )
        if caller.role != "user":
            return self._unauthorized(caller)
        if not self._any_admin:
            return Forbidden(
                "admin routes are turned off: set SEARCH_ADMIN_KEYS (or an admin key in "
                "SEARCH_KEYS_FILE) to use them"
            )
        return Forbidden("this route needs an admin key (SEARCH_ADMIN_KEYS or SEARCH_KEYS_FILE)")

    @staticmethod
    def _unauthorized(caller: Caller) -> Unauthorized:
        if caller.role == "invalid":
            return Unauthorized(f"invalid API key; {KEY_HINT} with a configured key")
        return Unauthorized(f"an API key is required; {KEY_HINT}")


def error_response(exc: SearchError) -> JSONResponse:
    """The one JSON shape of every error: {"detail": ..., "errors": [...]}."""
    return JSONResponse(
        {"detail": exc.message, "errors": []},
        status_code=exc.status_code,
        headers=exc.headers or None,
    )


def route_path(scope: Scope) -> str:
    """The path the router matches: without the root path a proxy mounts the app under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] or "/" if root and path.startswith(root) else path


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, fastapi_app: FastAPI, settings: Settings) -> None:
        self.app = app
        self.fastapi_app = fastapi_app
        self.access: Access = fastapi_app.state.access  # one key ring, one cache of checks
        rate = parse_rate(settings.rate_limit)
        self.limiter = RateLimiter(rate) if rate else None
        self.max_body = settings.max_body_bytes
        self._too_large = PayloadTooLarge(
            f"request body larger than {self.max_body} bytes (SEARCH_MAX_BODY_BYTES)"
        )
        self.pages = PagePolicies(fastapi_app)
        self.groups_header = settings.groups_header.lower().encode("latin-1")
        self.audit = settings.audit_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        headers = _headers(scope)
        html_csp = self.pages.for_path(path, scope.get("root_path", ""))

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = add_security_headers(list(message["headers"]), html_csp)
            await send(message)

        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            # A CORS preflight carries no credentials by design; the CORS layer answers it.
            await self.app(scope, receive, send_secure)
            return
        client = scope.get("client")
        credentials = (
            _text(headers.get(b"authorization")), _text(headers.get(b"x-api-key")),
            client[0] if client else None, _text(headers.get(self.groups_header)),
        )  # fmt: skip
        if self.access.costly(*credentials[:2]):
            # A key not seen before, checked against salted hashes: off the event loop.
            caller = await anyio.to_thread.run_sync(self.access.identify, *credentials)
        else:
            caller = self.access.identify(*credentials)
        scope.setdefault("state", {})["caller"] = caller
        error: SearchError | None = None
        if self.limiter is not None and path not in UNLIMITED_PATHS:
            who = f"key:{caller.key_id}" if caller.key_id else f"ip:{client[0] if client else '?'}"
            wait = self.limiter.acquire(who)
            if wait:
                error = RateLimited(f"too many requests; retry in {wait} s", wait)
        if error is None:
            error = self.access.check(path, caller)
        if self.audit and self.access.policy(path) != "open":
            send_out = audited(send_secure, scope["method"], path, caller)
        else:
            send_out = send_secure
        if path.startswith(UPLOAD_PREFIXES) and not path.endswith(AUDIENCE_SUFFIX):
            receive_checked = receive
        else:
            length = headers.get(b"content-length", b"0")
            if error is None and length.isdigit() and int(length) > self.max_body:
                error = self._too_large
            receive_checked = self._limited(receive)
        if error is not None:
            await error_response(error)(scope, receive, send_out)
            return
        await self.app(scope, receive_checked, send_out)

    def _limited(self, receive: Receive) -> Receive:
        """receive, refusing a body (chunked, so of no announced length) beyond the limit."""
        seen = 0

        async def receive_limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    # FastAPI lets an HTTPException out of body parsing; our handler words it.
                    raise HTTPException(413, self._too_large.message)
            return message

        return receive_limited


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope["headers"]}


def _text(raw: bytes | None) -> str | None:
    return raw.decode("latin-1") if raw is not None else None


# --- Installation and the OpenAPI description -------------------------------------------


def install_security(app: FastAPI, settings: Settings) -> None:
    """Guard every route of app, and describe the keys and limits in its OpenAPI schema."""
    app.state.access = access = Access.of(settings)
    access.restricted = lambda: bool(
        getattr(getattr(app.state, "searcher", None), "audiences", None)
    )
    app.add_middleware(SecurityMiddleware, fastapi_app=app, settings=settings)
    limited = parse_rate(settings.rate_limit) is not None
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe_security(generate(), access, limited)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }
    if headers:
        out["headers"] = headers
    return out


def describe_security(schema: dict[str, Any], access: Access, limited: bool) -> dict[str, Any]:
    """Add the key schemes and the 401/403/413/429 answers each operation can give."""
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {}).setdefault(
        "ErrorResponse",
        ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}"),
    )
    if access.admin_required:
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        }
    retry = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
    for path, operations in schema.get("paths", {}).items():
        rule = access.policy(path)
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            needs_key = (rule == "key" and access.keys_required) or (
                rule == "admin" and access.admin_required
            )
            if needs_key:
                operation["security"] = [{"bearer": []}, {"apiKey": []}]
                responses.setdefault("401", _error("No API key, or an unknown one"))
            if rule == "admin" and access.admin_required:
                responses.setdefault("403", _error("The key is not an admin key"))
            if "requestBody" in operation:
                responses.setdefault("400", _error("The body is not UTF-8 text"))
                responses.setdefault("413", _error("Request body too large"))
            if limited and path not in UNLIMITED_PATHS:
                responses.setdefault("429", _error("Too many requests", retry))
    return schema
