"""Real servers for the browser tests: the search service, and plain "intranet" pages.

Ports come from a fixed range (SCR_TEST_PORTS, default 8100-8199) because the machine is
shared; each server binds its own socket first, so two runs never race for a port.
"""

from __future__ import annotations

import html
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import ConsoleMessage, Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SCR_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
]


def port_range() -> range:
    low, _, high = os.environ.get("SCR_TEST_PORTS", "8100-8199").partition("-")
    return range(int(low), int(high) + 1)


def bind_socket() -> socket.socket:
    """A listening socket on 127.0.0.1 at the first free port of the range."""
    for port in port_range():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            continue
        sock.listen(64)
        return sock
    raise RuntimeError(f"no free port in {port_range()}; set SCR_TEST_PORTS=LOW-HIGH")


def origin_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


def dead_origin() -> str:
    """An address in our range where nothing listens: a service that is down."""
    sock = bind_socket()
    origin = origin_of(sock)
    sock.close()
    return origin


class Service:
    """The real app under uvicorn in a thread, on a socket we already hold."""

    def __init__(self, app: Any) -> None:
        self.sock = bind_socket()
        self.origin = origin_of(self.sock)
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> Service:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the search service did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@dataclass(frozen=True)
class PageSpec:
    attrs: str = ""
    csp: bool = False
    style: str = ""
    scripts: int = 1
    widgets: int = 1


# Rules an ordinary intranet stylesheet might have; none may reach inside the widget.
HOSTILE_CSS = (
    "* { letter-spacing: 3px; text-transform: uppercase; font-family: 'Comic Sans MS', serif; }"
    " input { background: rgb(255, 0, 0) !important; } mark { display: none; }"
    " .opt, .panel, [role=option] { display: none !important; }"
)

PAGES = {
    "/": PageSpec(),
    "/search-mode": PageSpec(attrs=' mode="search" limit="3" kind="learning"'),
    "/passages": PageSpec(attrs=' mode="search"'),
    "/hostile": PageSpec(attrs=' mode="search"', style=HOSTILE_CSS),
    "/csp": PageSpec(csp=True),
    "/dark": PageSpec(attrs=' theme="dark"', style="body { background: #0d1117; color: #ddd; }"),
    "/themed": PageSpec(
        attrs=' mode="search"',
        style="scr-search { --scr-accent: rgb(143, 63, 184); --scr-radius: 0px; }",
    ),
    "/twice": PageSpec(attrs=' mode="search"', scripts=2, widgets=2),
}


@dataclass
class Intranet:
    """Plain pages that embed the widget with one tag, as an intranet admin would."""

    api: Callable[[], str]  # the service origin, known only once it is bound
    extra: dict[str, str] = field(default_factory=dict)  # path -> raw HTML
    sock: socket.socket = field(default_factory=bind_socket)

    @property
    def origin(self) -> str:
        return origin_of(self.sock)

    def render(self, path: str) -> tuple[str, dict[str, str]] | None:
        if path in self.extra:
            return self.extra[path], {}
        page = PAGES.get(path)
        if page is None:
            return None
        api = self.api()
        scripts = f'<script src="{api}/widget.js" defer></script>\n' * page.scripts
        widgets = f"<scr-search{page.attrs}></scr-search>\n" * page.widgets
        style = f"<style>{page.style}</style>" if page.style and not page.csp else ""
        body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Staff intranet</title>{style}</head>
<body>
<header><h1>Children's services intranet</h1>
<nav><a href="#news">News</a> <a href="#policies">Policies</a></nav></header>
<main>
<p>Find guidance from serious case reviews:</p>
{widgets}<p id="after">The rest of {html.escape(path)} still works.</p>
</main>
{scripts}</body></html>"""
        headers = {}
        if page.csp:
            # No inline script, no eval, no inline style: the strictest a page may be.
            headers["Content-Security-Policy"] = (
                f"default-src 'none'; script-src {api}; connect-src {api}; style-src 'none'"
            )
        return body, headers

    def __enter__(self) -> Intranet:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                if self.path == "/favicon.ico":
                    self.send_response(204)
                    self.end_headers()
                    return
                found = site.render(self.path.split("?")[0])
                if found is None:
                    self.send_error(404)
                    return
                body, headers = found
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(self.sock.getsockname(), Handler, bind_and_activate=False)
        self.httpd.socket.close()
        self.httpd.socket = self.sock
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.thread.join(timeout=10)
        self.httpd.server_close()


ARTIFACTS = ROOT / "artifacts" / "widget"
SEED = ROOT / "corpus" / "scr-triennial-analysis-2014-2017.md"
NOTES = ROOT / "tests" / "data" / "widget-corpus" / "intranet-notes.md"
WIDGET = "scr-search"
OPTIONS = f"{WIDGET} [role=option]"
STATE = f"{WIDGET} .state"
STATUS = f"{WIDGET} [role=status]"
INPUT = f"{WIDGET} input"
WIDGET_KEY = "intranet-widget-key"


@dataclass
class Site:
    service: Service
    allowed: Intranet
    refused: Intranet
    dead: str
    settings: Any  # the service's Settings, for a second service on the same index

    @property
    def api(self) -> str:
        return self.service.origin


@dataclass
class Watch:
    """What the page did that it should not: uncaught errors, dialogs, console errors."""

    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    expected_console: list[str] = field(default_factory=list)

    def on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.console_errors.append(msg.text)

    def unexpected_console(self) -> list[str]:
        return [
            m
            for m in self.console_errors
            if not any(re.search(p, m) for p in self.expected_console)
        ]


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def ask(page: Page, text: str) -> None:
    page.locator(INPUT).click()
    page.locator(INPUT).fill(text)
