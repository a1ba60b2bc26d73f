"""Fixtures for the widget's browser tests: the servers, Chromium, and a watched page."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from pydantic import SecretStr

from search.api import create_app
from search.config import Settings
from tests.fakes import FakeEmbedder
from tests.widget.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NOTES,
    SEED,
    WIDGET_KEY,
    Intranet,
    Service,
    Site,
    Watch,
    dead_origin,
)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("widget")
    corpus = tmp / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    shutil.copy(NOTES, corpus / NOTES.name)
    meta = NOTES.with_name(NOTES.name + ".meta.json")
    shutil.copy(meta, corpus / meta.name)
    holder: dict[str, str] = {}
    with (
        Intranet(api=lambda: holder["api"]) as allowed,
        Intranet(api=lambda: holder["api"]) as refused,
    ):
        settings = Settings(
            corpus_dir=corpus, index_dir=tmp / "index", cors_origins=(allowed.origin,)
        )
        with Service(create_app(settings, embedder=FakeEmbedder())) as service:
            holder["api"] = service.origin
            allowed.extra["/source-doc"] = "<!doctype html><title>Source</title><h1>The source</h1>"
            yield Site(service, allowed, refused, dead_origin(), settings)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        why = f"{CHROMIUM} not found: apt-get install -y chromium (or set SCR_TEST_CHROMIUM)"
        # CI installs Chromium, so there a missing browser is a broken set-up, not a skip.
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(why)
        pytest.skip(why)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture(scope="session")
def context(browser: Browser) -> Iterator[BrowserContext]:
    # One context for all tests (a fresh one per test costs more than the test itself on a
    # busy machine); each test still gets its own page, routes and listeners.
    ctx = browser.new_context(viewport={"width": 900, "height": 760})
    ctx.add_init_script(
        "window.__picked = [];"
        "document.addEventListener('scr-select', e => window.__picked.push(e.detail));"
        "document.addEventListener('securitypolicyviolation',"
        " e => (window.__violations = window.__violations || []).push(e.violatedDirective));"
    )
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, watch: Watch) -> Iterator[Page]:
    pg = context.new_page()
    pg.on("pageerror", lambda exc: watch.page_errors.append(str(exc)))
    pg.on("console", watch.on_console)
    pg.on("dialog", lambda d: (watch.dialogs.append(d.message), d.dismiss()))
    pg.set_default_timeout(10_000)
    yield pg
    pg.close()
    assert watch.page_errors == [], "the page logged errors"
    assert watch.dialogs == [], "something opened a dialog"
    assert watch.unexpected_console() == [], "unexpected console errors"


@pytest.fixture(scope="session")
def keyed(site: Site) -> Iterator[Service]:
    """A second service on the same index that wants an API key and limits each caller."""
    settings = site.settings.model_copy(
        update={"api_keys": SecretStr(WIDGET_KEY), "rate_limit": "3/minute", "reload_interval": 0}
    )
    with Service(create_app(settings, embedder=FakeEmbedder())) as service:
        yield service
